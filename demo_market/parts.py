"""What the fictional OEM sells: its part families, how many of each, at what cost.

A family fixes the category, how its specifications read (a generator in
:mod:`demo_market.specs`), the unit cost range, how often its parts are proprietary,
whether it comes in premium/value tiers (a price ladder) and in which pack sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

from demo_market import specs as s
from demo_market.specs import SpecMaker


@dataclass(frozen=True)
class Family:
    category: str
    name: str
    count: int
    make: SpecMaker
    unit_cost: tuple[float, float]  # per piece, USD, drawn log-uniformly
    proprietary_p: float = 0.0
    tiers: tuple[str, str] | None = None  # (premium, value) pairs: a price ladder
    packs: tuple[tuple[int, float], ...] = ((1, 1.0),)  # (pack_qty, weight)
    multipack_ok: bool = True  # shops may sell it by 2, 4 or 10 when we sell singles


FAMILIES: tuple[Family, ...] = (
    Family("Filters", "Oil filters", 30, s.oil_filter, (3.5, 12), 0.2, ("genuine", "economy")),
    Family("Filters", "Fuel filters", 20, s.fuel_filter, (5, 24), 0.3),
    Family("Filters", "Air filters", 24, s.air_filter, (12, 60), 0.3, ("genuine", "economy")),
    Family("Filters", "Hydraulic filters", 16, s.hydraulic_filter, (16, 70), 0.65),
    Family(
        "Filters", "Cabin filters", 10, s.cabin_filter, (5, 15), 0.1, packs=((1, 0.7), (2, 0.3))
    ),
    Family("Belts", "V-belts", 20, s.v_belt, (4, 18), 0.05),
    Family("Belts", "Poly-V belts", 25, s.poly_v_belt, (6, 30), 0.2),
    Family("Belts", "Timing belts", 15, s.timing_belt, (15, 80), 0.4, multipack_ok=False),
    Family("Hoses", "Radiator hoses", 15, s.radiator_hose, (9, 45), 0.65, multipack_ok=False),
    Family("Hoses", "Hydraulic hose assemblies", 25, s.hydraulic_hose, (18, 110), 0.25),
    Family("Hoses", "Fuel hoses", 10, s.fuel_hose, (4, 18)),
    Family("Hoses", "Hose clamps", 10, s.hose_clamp, (0.4, 1.2), packs=((10, 1.0),)),
    Family("Seals", "O-rings", 15, s.o_ring, (0.15, 0.6), packs=((10, 0.8), (25, 0.2))),
    Family("Seals", "Shaft seals", 20, s.shaft_seal, (2, 14), 0.2),
    Family("Seals", "Gaskets", 12, s.gasket, (8, 80), 0.65, multipack_ok=False),
    Family("Seals", "Seal kits", 13, s.seal_kit, (12, 60), 0.65, multipack_ok=False),
    Family(
        "Bearings",
        "Ball bearings",
        25,
        s.ball_bearing,
        (2.5, 22),
        0.0,
        packs=((1, 0.8), (2, 0.1), (10, 0.1)),
    ),
    Family("Bearings", "Tapered roller bearings", 15, s.tapered_bearing, (6, 35), 0.1),
    Family(
        "Bearings",
        "Wheel bearing kits",
        10,
        s.wheel_bearing_kit,
        (25, 90),
        0.65,
        multipack_ok=False,
    ),
    Family("Bearings", "Mounted bearings", 10, s.mounted_bearing, (12, 45), 0.1),
    Family(
        "Electrical",
        "Alternators",
        10,
        s.alternator,
        (110, 380),
        0.4,
        ("genuine", "reman"),
        multipack_ok=False,
    ),
    Family(
        "Electrical",
        "Starters",
        8,
        s.starter,
        (120, 360),
        0.4,
        ("genuine", "reman"),
        multipack_ok=False,
    ),
    Family("Electrical", "Sensors", 16, s.sensor, (9, 55), 0.4),
    Family(
        "Electrical", "Relays and fuses", 12, s.relay_or_fuse, (0.5, 9), packs=((1, 0.6), (10, 0.4))
    ),
    Family("Electrical", "Lighting", 8, s.work_light, (22, 85), 0.1, multipack_ok=False),
    Family("Electrical", "Glow plugs", 6, s.glow_plug, (6, 18), 0.2, packs=((1, 0.6), (4, 0.4))),
)

CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(f.category for f in FAMILIES))
