"""How part specifications read: one generator per kind of part.

Each generator draws plausible specifications (thread sizes, bearing designations,
belt codes...) and words them twice: the catalog's terse description ("Oil filter,
spin-on, 3/4-16 UNF, 93 mm OD x 142 mm") and the title a web shop would show.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

MACHINES = (
    "NL 420 wheel loaders",
    "NL 5105 tractors",
    "NL 310 backhoe loaders",
    "NL 75 compact track loaders",
    "NL 8200 combines",
    "NL 260 excavators",
)


@dataclass(frozen=True)
class PartSpec:
    """One specification, worded for our catalog and for a shop's product title."""

    description: str
    title: str
    code: str | None = None  # an industry designation others reuse ("6PK1220", "6205-2RS")
    kit: bool = False


SpecMaker = Callable[[random.Random], PartSpec]


def oil_filter(r: random.Random) -> PartSpec:
    thread = r.choice(["3/4-16 UNF", "13/16-16 UNF", "1-12 UNF", "M20 x 1.5", "M22 x 1.5"])
    od, height = r.choice([76, 93, 108, 118]), r.randrange(65, 185, 5)
    valve = r.random() < 0.4
    extra = ", with bypass valve" if valve else ""
    return PartSpec(
        f"Oil filter, spin-on, {thread}, {od} mm OD x {height} mm{extra}",
        f"Spin-On Oil Filter {thread}, {od} x {height} mm" + (" w/ Bypass Valve" if valve else ""),
    )


def fuel_filter(r: random.Random) -> PartSpec:
    micron = r.choice([2, 4, 10, 30])
    kind = r.randrange(3)
    if kind == 0:
        thread = r.choice(["M16 x 1.5", "1-14 UNS", "3/4-16 UNF"])
        return PartSpec(
            f"Fuel filter, spin-on water separator, {micron} µm, {thread}",
            f"Fuel Water Separator Spin-On Filter {micron} Micron {thread}",
        )
    if kind == 1:
        barb = r.choice([6, 8, 10, 12])
        return PartSpec(
            f"Fuel filter, in-line, {micron} µm, {barb} mm hose barbs",
            f"In-Line Fuel Filter {micron} Micron for {barb} mm Hose",
        )
    height = r.randrange(80, 200, 5)
    return PartSpec(
        f"Fuel filter element, cartridge, {micron} µm, {height} mm",
        f"Fuel Filter Cartridge {micron} Micron, {height} mm Long",
    )


def air_filter(r: random.Random) -> PartSpec:
    od = r.randrange(150, 335, 5)
    bore, length = int(od * r.uniform(0.55, 0.7)), r.randrange(200, 520, 10)
    stage = r.choice(["primary", "primary", "safety"])
    return PartSpec(
        f"Air filter element, {stage}, radial seal, {od} x {bore} x {length} mm",
        f"{stage.title()} Air Filter Element, Radial Seal, {od} mm OD x {length} mm",
    )


def hydraulic_filter(r: random.Random) -> PartSpec:
    micron = r.choice([3, 6, 10, 12, 25])
    media, media_us = r.choice([("glass fibre", "Glass Fiber"), ("cellulose", "Cellulose")])
    od, length = r.randrange(45, 150, 5), r.randrange(100, 520, 10)
    return PartSpec(
        f"Hydraulic filter element, {micron} µm, {media}, {od} x {length} mm",
        f"Hydraulic Filter Element {micron} Micron {media_us}, {od} x {length} mm",
    )


def cabin_filter(r: random.Random) -> PartSpec:
    media = r.choice(["activated carbon", "particulate"])
    w, d, h = r.randrange(180, 320, 5), r.randrange(150, 260, 5), r.choice([25, 30, 35, 40])
    return PartSpec(
        f"Cabin air filter, {media}, {w} x {d} x {h} mm",
        f"Cabin Air Filter, {media.title()}, {w} x {d} x {h} mm",
    )


def v_belt(r: random.Random) -> PartSpec:
    section, width = r.choice([("A", 13), ("B", 17), ("C", 22)])
    inches = r.randrange(30, 120)
    length = round(inches * 25.4 / 5) * 5
    return PartSpec(
        f"V-belt, classic {section}-section, {width} x {length} mm Li",
        f"Classic V-Belt {section}{inches}, {width} x {length} mm",
        code=f"{section}{inches}",
    )


def poly_v_belt(r: random.Random) -> PartSpec:
    ribs, length = r.choice([4, 5, 6, 7, 8, 10]), r.randrange(800, 2600, 5)
    code = f"{ribs}PK{length}"
    return PartSpec(
        f"Serpentine belt, {code}, {ribs} ribs, EPDM", f"Serpentine Belt {code} EPDM", code=code
    )


def timing_belt(r: random.Random) -> PartSpec:
    pitch = r.choice([5, 8, 8, 14])
    teeth, width = r.randrange(80, 260), r.choice([20, 25, 30, 50])
    code = f"{teeth}-{pitch}M-{width}"
    if r.random() < 0.3:
        return PartSpec(
            f"Timing belt kit, HTD {pitch}M, {teeth} teeth, {width} mm, with tensioner and idler",
            f"Timing Belt Kit HTD {pitch}M {teeth}T {width} mm w/ Tensioner & Idler",
            code=code,
            kit=True,
        )
    return PartSpec(
        f"Timing belt, HTD {pitch}M, {teeth} teeth, {width} mm wide",
        f"HTD {pitch}M Timing Belt, {teeth} Teeth, {width} mm Wide",
        code=code,
    )


def radiator_hose(r: random.Random) -> PartSpec:
    pos, bore = r.choice(["upper", "lower"]), r.choice([32, 35, 38, 42, 45, 50, 57])
    shape = r.choice(["molded", "molded 90°", "molded Z-bend"])
    return PartSpec(
        f"Radiator hose, {pos}, {shape} EPDM, {bore} mm ID",
        f"{pos.title()} Radiator Hose, {shape.title()} EPDM, {bore} mm ID",
    )


def hydraulic_hose(r: random.Random) -> PartSpec:
    size, dash = r.choice(
        [
            ('1/4"', "04"),
            ('3/8"', "06"),
            ('1/2"', "08"),
            ('5/8"', "10"),
            ('3/4"', "12"),
            ('1"', "16"),
        ]
    )
    spec, length = (
        r.choice(["SAE 100R2AT", "SAE 100R1AT", "EN 856 4SH"]),
        r.randrange(500, 3050, 50),
    )
    ends = r.choice(
        ["JIC 37° female swivel both ends", "JIC female x ORFS female", "NPTF male both ends"]
    )
    return PartSpec(
        f"Hydraulic hose assembly, {spec}, {size} ID, {length} mm, {ends}",
        f"Hydraulic Hose Assembly {spec} -{dash} x {length} mm, {ends}",
        code=f"{dash}-{length}",
    )


def fuel_hose(r: random.Random) -> PartSpec:
    grade, bore, length = (
        r.choice(["SAE J30R9", "SAE J30R7"]),
        r.choice([5, 6, 8, 10, 12]),
        r.choice([1, 2, 5]),
    )
    return PartSpec(
        f"Fuel hose, {grade}, {bore} mm ID, {length} m",
        f"{grade} Fuel Line Hose {bore} mm ID, {length} m",
    )


def hose_clamp(r: random.Random) -> PartSpec:
    lo = r.choice([8, 12, 16, 20, 25, 32, 40, 50, 60, 70, 80, 90])
    hi = lo + (8 if lo < 20 else 15 if lo < 40 else 20)
    grade = r.choice(["W2", "W4"])
    return PartSpec(
        f"Hose clamp, worm drive, {lo}-{hi} mm, stainless {grade}",
        f"Worm Drive Hose Clamp {lo}-{hi} mm, Stainless Steel {grade}",
    )


def o_ring(r: random.Random) -> PartSpec:
    material = r.choice(["NBR 70", "NBR 70", "FKM 75"])
    bore, cs = (
        r.randrange(6, 121) + r.choice([0.0, 0.5]),
        r.choice([1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0]),
    )
    return PartSpec(
        f"O-ring, {material}, {bore:.1f} x {cs:.1f} mm",
        f"O-Ring {bore:.1f} x {cs:.1f} mm {material}",
        code=f"{bore:g}x{cs:g}",
    )


def shaft_seal(r: random.Random) -> PartSpec:
    d = r.randrange(15, 95, 5)
    outer, width = d + r.choice([15, 17, 20, 22, 25, 30]), r.choice([7, 8, 10, 12])
    lip, material = r.choice(["double lip", "single lip"]), r.choice(["NBR", "NBR", "FKM"])
    return PartSpec(
        f"Radial shaft seal, {d} x {outer} x {width} mm, {material}, {lip}",
        f"Radial Shaft Seal {d}x{outer}x{width} mm {material} {lip.title()}",
        code=f"{d}x{outer}x{width}",
    )


def gasket(r: random.Random) -> PartSpec:
    engine = r.choice(
        ["3.4 L 4-cylinder", "4.5 L 4-cylinder", "6.8 L 6-cylinder", "9.0 L 6-cylinder"]
    )
    kind = r.randrange(3)
    if kind == 0:
        material = r.choice(["rubber", "cork-rubber"])
        return PartSpec(
            f"Valve cover gasket, {material}, {engine} engines",
            f"Valve Cover Gasket, {material.title()}, for {engine} Engines",
        )
    if kind == 1:
        bore, thick = r.choice([102, 106, 110, 116, 118]), r.choice([1.2, 1.3, 1.45, 1.6])
        return PartSpec(
            f"Cylinder head gasket, multi-layer steel, {bore} mm bore, {thick} mm",
            f"MLS Cylinder Head Gasket {bore} mm Bore, {thick} mm Thick",
        )
    ports = r.choice([2, 3, 4, 6])
    return PartSpec(
        f"Exhaust manifold gasket set, {ports}-port, graphite, {engine} engines",
        f"Exhaust Manifold Gasket Set {ports}-Port Graphite, {engine} Engines",
    )


def seal_kit(r: random.Random) -> PartSpec:
    rod = r.randrange(25, 90, 5)
    bore = rod + r.randrange(20, 60, 5)
    return PartSpec(
        f"Hydraulic cylinder seal kit, {rod} mm rod, {bore} mm bore",
        f"Hydraulic Cylinder Seal Kit, {rod} mm Rod x {bore} mm Bore",
        code=f"{rod}{bore}",
        kit=True,
    )


BALL_BEARINGS = {
    "6200": (10, 30, 9),
    "6201": (12, 32, 10),
    "6202": (15, 35, 11),
    "6203": (17, 40, 12),
    "6204": (20, 47, 14),
    "6205": (25, 52, 15),
    "6206": (30, 62, 16),
    "6207": (35, 72, 17),
    "6208": (40, 80, 18),
    "6209": (45, 85, 19),
    "6210": (50, 90, 20),
    "6302": (15, 42, 13),
    "6303": (17, 47, 14),
    "6304": (20, 52, 15),
    "6305": (25, 62, 17),
    "6306": (30, 72, 19),
    "6307": (35, 80, 21),
    "6308": (40, 90, 23),
}
TAPERED_BEARINGS = {
    "30204": (20, 47, 15.25),
    "30205": (25, 52, 16.25),
    "30206": (30, 62, 17.25),
    "30207": (35, 72, 18.25),
    "30208": (40, 80, 19.75),
    "30209": (45, 85, 20.75),
    "30210": (50, 90, 21.75),
    "32005": (25, 47, 15),
    "32006": (30, 55, 17),
    "32007": (35, 62, 18),
    "32008": (40, 68, 19),
    "32009": (45, 75, 20),
    "32010": (50, 80, 20),
    "32206": (30, 62, 21.25),
    "32207": (35, 72, 24.25),
    "32208": (40, 80, 24.75),
    "31310": (50, 110, 29.25),
}


def ball_bearing(r: random.Random) -> PartSpec:
    designation = r.choice(sorted(BALL_BEARINGS))
    d, outer, width = BALL_BEARINGS[designation]
    suffix, words = r.choice(
        [
            ("2RS", "sealed both sides"),
            ("ZZ", "shielded both sides"),
            ("2RS/C3", "sealed, C3 clearance"),
        ]
    )
    code = f"{designation}-{suffix}"
    return PartSpec(
        f"Deep groove ball bearing, {code}, {d} x {outer} x {width} mm, {words}",
        f"{code} Deep Groove Ball Bearing {d}x{outer}x{width} mm, {words.title()}",
        code=code,
    )


def tapered_bearing(r: random.Random) -> PartSpec:
    designation = r.choice(sorted(TAPERED_BEARINGS))
    d, outer, width = TAPERED_BEARINGS[designation]
    return PartSpec(
        f"Tapered roller bearing, {designation}, cone and cup, {d} x {outer} x {width:g} mm",
        f"{designation} Tapered Roller Bearing Set (Cone & Cup) {d}x{outer}x{width:g} mm",
        code=designation,
    )


def wheel_bearing_kit(r: random.Random) -> PartSpec:
    axle = r.choice(["front hub", "rear hub", "trailer hub"])
    spindle = r.choice(['1 1/16"', '1 3/8"', '1 3/4"', "40 mm", "45 mm"])
    return PartSpec(
        f"Wheel bearing kit, {axle}, {spindle} spindle, with seals and axle nut",
        f"Wheel Bearing Kit, {axle.title()}, {spindle} Spindle, w/ Seals & Nut",
        kit=True,
    )


def mounted_bearing(r: random.Random) -> PartSpec:
    housing, words = r.choice([("UCP", "pillow block"), ("UCF", "4-bolt flange")])
    size = r.randrange(204, 211)
    bore = 20 + (size - 204) * 5
    code = f"{housing}{size}"
    return PartSpec(
        f"Mounted bearing unit, {words}, {code}, {bore} mm bore, cast iron",
        f"{code} {words.title()} Bearing Unit, {bore} mm Bore, Cast Iron Housing",
        code=code,
    )


def alternator(r: random.Random) -> PartSpec:
    volts, amps = r.choice([12, 12, 24]), r.choice([65, 90, 120, 150, 200])
    pulley = r.choice(["8-groove pulley", "6-groove pulley", "single V pulley", "double V pulley"])
    return PartSpec(
        f"Alternator, {volts} V, {amps} A, {pulley}",
        f"Alternator {volts}V {amps}A, {pulley.title()}",
    )


def starter(r: random.Random) -> PartSpec:
    volts, kw, teeth = (
        r.choice([12, 12, 24]),
        r.choice([2.2, 3.0, 3.2, 4.2, 5.5]),
        r.choice([9, 10, 11, 12]),
    )
    return PartSpec(
        f"Starter motor, {volts} V, {kw} kW, {teeth} teeth",
        f"Starter Motor {volts}V {kw} kW, {teeth}T",
    )


def sensor(r: random.Random) -> PartSpec:
    kind = r.randrange(4)
    if kind == 0:
        thread, rng_bar = r.choice(["M10 x 1", "M12 x 1.5", "1/8-27 NPTF"]), r.choice([5, 10])
        return PartSpec(
            f"Oil pressure sensor, {thread}, 0-{rng_bar} bar",
            f"Oil Pressure Sensor {thread}, 0-{rng_bar} bar",
        )
    if kind == 1:
        thread, pins = r.choice(["M14 x 1.5", "M12 x 1.5", "3/8-18 NPTF"]), r.choice([1, 2])
        return PartSpec(
            f"Coolant temperature sensor, {thread}, {pins}-pin",
            f"Coolant Temperature Sensor {thread}, {pins}-Pin Connector",
        )
    if kind == 2:
        length = r.randrange(40, 130, 5)
        return PartSpec(
            f"Speed sensor, Hall effect, {length} mm, 3-pin",
            f"Hall Effect Speed Sensor, {length} mm, 3-Pin",
        )
    length = r.randrange(250, 700, 25)
    return PartSpec(
        f"Fuel level sender, {length} mm, 0-190 ohm", f"Fuel Level Sender {length} mm, 0-190 Ohm"
    )


def relay_or_fuse(r: random.Random) -> PartSpec:
    if r.random() < 0.5:
        volts, amps, pins = r.choice([12, 24]), r.choice([30, 40, 70]), r.choice([4, 5])
        kind = "changeover" if pins == 5 else "normally open"
        return PartSpec(
            f"Relay, {volts} V, {amps} A, {pins}-pin, {kind}",
            f"{volts}V {amps}A {pins}-Pin Relay, {kind.title()}",
        )
    style, rating = r.choice(["ATO", "Mini", "Maxi"]), r.choice([5, 7.5, 10, 15, 20, 25, 30, 40])
    return PartSpec(f"Blade fuse, {style}, {rating:g} A", f"{style} Blade Fuse {rating:g}A")


def work_light(r: random.Random) -> PartSpec:
    lumens, beam = r.choice([1500, 2500, 4000, 6000]), r.choice(["flood", "spot", "combo"])
    shape = r.choice(["round", "rectangular"])
    return PartSpec(
        f"LED work light, 12-24 V, {lumens} lm, {beam} beam, {shape}",
        f"LED Work Light 12-24V {lumens} Lumen, {beam.title()} Beam, {shape.title()}",
    )


def glow_plug(r: random.Random) -> PartSpec:
    volts, thread, length = (
        r.choice([11, 12, 23]),
        r.choice(["M8 x 1", "M10 x 1", "M12 x 1.25"]),
        (r.randrange(90, 165, 5)),
    )
    return PartSpec(
        f"Glow plug, {volts} V, {thread}, {length} mm", f"Glow Plug {volts}V {thread}, {length} mm"
    )
