"""The demo OEM's catalog and the cross-references from competitors' part numbers.

Northline sells about 400 aftermarket parts. About a quarter are proprietary (no
competitor makes them, so no cross-reference points at them); the rest are sold by
specialist brands (Filtrex, Beltco, ...) and two generalists under their own numbers.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from decimal import Decimal

from demo_market.common import gtin13, money, normalize_part_number, rng
from demo_market.parts import FAMILIES, Family
from demo_market.specs import MACHINES, PartSpec

OEM_BRAND = "Northline"
CURRENCY = "USD"
_PN_PREFIX = {
    "Filters": "FR",
    "Belts": "BT",
    "Hoses": "HS",
    "Seals": "SL",
    "Bearings": "BR",
    "Electrical": "EL",
}
_GTIN_COMPANY = "4063829"  # fictional GS1 company prefix
SPECIALISTS = {
    "Filters": "Filtrex",
    "Belts": "Beltco",
    "Hoses": "FlowMax",
    "Seals": "SealPro",
    "Bearings": "RollTek",
    "Electrical": "Voltex",
}
GENERALISTS = (("Kessler", 0.5), ("ProLine", 0.35))


@dataclass(frozen=True)
class Part:
    """One catalog row (the SPEC's columns) plus what the shops need to list it."""

    sku: str
    part_number: str
    description: str
    brand: str
    category: str
    family: str
    unit_cost: Decimal
    price: Decimal  # for the pack
    currency: str
    pack_qty: int
    proprietary: bool
    gtin: str | None = None
    map_price: Decimal | None = None
    min_margin: Decimal | None = None
    superseded_by: str | None = None
    tier: str | None = None
    title: str = ""  # how a shop titles it, without brand and part number
    code: str | None = None
    kit: bool = False
    multipack_ok: bool = True

    @property
    def unit_price(self) -> Decimal:
        return self.price / self.pack_qty

    @property
    def margin(self) -> Decimal:
        return (self.price - self.unit_cost) / self.price


@dataclass(frozen=True)
class CrossRef:
    competitor_brand: str
    competitor_part_number: str
    sku: str
    relation: str  # equivalent | superseded | kit


def _log_uniform(r: random.Random, lo: float, hi: float) -> float:
    return math.exp(r.uniform(math.log(lo), math.log(hi)))


def _weighted(r: random.Random, options: tuple[tuple[int, float], ...]) -> int:
    return r.choices([o for o, _ in options], weights=[w for _, w in options])[0]


class _Numbers:
    """Hands out unique part numbers and GTINs."""

    def __init__(self, r: random.Random) -> None:
        self.r = r
        self.taken: set[str] = set()
        self.next_gtin = r.randrange(10000, 60000)

    def claim(self, number: str) -> bool:
        key = normalize_part_number(number)
        if key in self.taken:
            return False
        self.taken.add(key)
        return True

    def oem(self, category: str) -> str:
        while True:
            number = f"{_PN_PREFIX[category]}{self.r.randrange(100000, 999999)}"
            if self.claim(number):
                return number

    def gtin(self) -> str:
        self.next_gtin += self.r.randrange(1, 40)
        return gtin13(f"{_GTIN_COMPANY}{self.next_gtin:05d}")


def _unique_spec(family: Family, r: random.Random, seen: set[str]) -> PartSpec:
    for _ in range(200):
        spec = family.make(r)
        if spec.description not in seen:
            seen.add(spec.description)
            return spec
    raise RuntimeError(f"family {family.name!r} ran out of distinct specifications")


def _price(r: random.Random, cost: Decimal, proprietary: bool) -> Decimal:
    margin = r.uniform(0.34, 0.57) if proprietary else r.uniform(0.24, 0.50)
    return money(float(cost) / (1 - margin))


def _family_parts(family: Family, r: random.Random, nums: _Numbers, seen: set[str]) -> list[Part]:
    parts: list[Part] = []
    n_specs = family.count // 2 if family.tiers else family.count
    for _ in range(n_specs):
        spec = _unique_spec(family, r, seen)
        proprietary = r.random() < family.proprietary_p
        description, title = spec.description, spec.title
        if proprietary:
            machine = r.choice(MACHINES)
            shown = " ".join(word[:1].upper() + word[1:] for word in machine.split())
            description, title = f"{description}, for {machine}", f"{title} for {shown}"
        pack = _weighted(r, family.packs)
        per_piece = _log_uniform(r, *family.unit_cost)
        cost = money(per_piece * pack * (0.85 if pack >= 10 else 1.0))
        base = Part(
            sku="",
            part_number=nums.oem(family.category),
            description=description,
            brand=OEM_BRAND,
            category=family.category,
            family=family.name,
            unit_cost=cost,
            price=_price(r, cost, proprietary),
            currency=CURRENCY,
            pack_qty=pack,
            proprietary=proprietary,
            gtin=nums.gtin() if r.random() < 0.45 else None,
            title=title,
            code=spec.code,
            kit=spec.kit,
            multipack_ok=family.multipack_ok,
        )
        if not family.tiers:
            parts.append(base)
            continue
        premium, value = family.tiers
        parts.append(replace(base, tier=premium))
        value_cost = money(float(cost) * r.uniform(0.5, 0.62))
        value_price = min(_price(r, value_cost, proprietary), money(float(base.price) * 0.85))
        suffix = "remanufactured" if value == "reman" else value
        parts.append(
            replace(
                base,
                tier=value,
                unit_cost=value_cost,
                price=value_price,
                part_number=nums.oem(family.category),
                gtin=None,
                description=f"{description}, {suffix}",
                title=f"{title}, {suffix.title()}",
            )
        )
    return parts


def _policy_columns(r: random.Random, part: Part) -> Part:
    """A few MAP prices (below the current price) and row-level margin floors."""
    map_price = None
    if not part.proprietary and r.random() < 0.12:
        candidate = money(float(part.price) * r.uniform(0.86, 0.95))
        if candidate > part.unit_cost * Decimal("1.2"):
            map_price = candidate
    min_margin = Decimal(r.choice(["0.20", "0.35", "0.40"])) if r.random() < 0.04 else None
    return replace(part, map_price=map_price, min_margin=min_margin)


def _superseded(r: random.Random, parts: list[Part], nums: _Numbers, first_no: int) -> list[Part]:
    """Older numbers kept in the catalog, each pointing at its replacement."""
    candidates = [p for p in parts if p.tier is None and not p.proprietary]
    old: list[Part] = []
    for i, new in enumerate(r.sample(candidates, 8)):
        old.append(
            replace(
                new,
                sku=f"NL-{first_no + i}",
                part_number=nums.oem(new.category),
                price=money(float(new.price) * r.uniform(0.92, 0.98)),
                gtin=None,
                map_price=None,
                min_margin=None,
                superseded_by=new.sku,
            )
        )
    return old


def build_catalog(seed: int) -> tuple[Part, ...]:
    """All catalog rows, ordered by SKU."""
    nums = _Numbers(rng(seed, "numbers"))
    seen: set[str] = set()
    parts: list[Part] = []
    for family in FAMILIES:
        parts.extend(_family_parts(family, rng(seed, "catalog", family.name), nums, seen))
    r = rng(seed, "policy")
    parts = [_policy_columns(r, replace(p, sku=f"NL-{10001 + i}")) for i, p in enumerate(parts)]
    parts += _superseded(rng(seed, "superseded"), parts, nums, 10001 + len(parts))
    return tuple(parts)


def _brand_number(brand: str, part: Part, r: random.Random) -> str:
    code = part.code
    if brand == "Filtrex":
        return f"FX-{r.randrange(1000, 9999)}" + ("A" if r.random() < 0.15 else "")
    if brand == "Beltco":
        return f"B K{r.randrange(15000, 16999):06d}" if part.kit or not code else f"B {code}"
    if brand == "FlowMax":
        return f"FM {r.randrange(10000, 99999)}" + (f"-{code}" if code else "")
    if brand == "SealPro":
        return f"SP/{r.randrange(10, 99)}-{r.randrange(100, 999)}"
    if brand == "RollTek":
        return f"RT {code}" if code else f"RT WBK{r.randrange(1000, 9999)}"
    if brand == "Voltex":
        return f"VTX-{r.randrange(10000, 99999)}" + ("R" if part.tier == "reman" else "")
    if brand == "Kessler":
        return f"K {r.randrange(100, 999)} {r.randrange(100, 999)}"
    return f"PL-{part.category[0]}{r.randrange(10000, 99999)}"


def build_xrefs(seed: int, parts: tuple[Part, ...]) -> tuple[CrossRef, ...]:
    """Competitor numbers for every part that has aftermarket equivalents."""
    r = rng(seed, "xref")
    nums = _Numbers(r)
    for part in parts:
        nums.claim(part.part_number)
    refs: list[CrossRef] = []

    def add(brand: str, part: Part, relation: str) -> None:
        for _ in range(100):
            number = _brand_number(brand, part, r)
            if nums.claim(number):
                refs.append(CrossRef(brand, number, part.sku, relation))
                return

    for part in parts:
        if part.proprietary or part.superseded_by:
            continue
        relation = "kit" if part.kit else "equivalent"
        specialist = SPECIALISTS[part.category]
        brands = [specialist] if r.random() < 0.9 else []
        brands += [name for name, p in GENERALISTS if r.random() < p]
        for brand in brands or [specialist]:
            add(brand, part, relation)
        if r.random() < 0.06 and specialist in ("Filtrex", "FlowMax", "SealPro", "Voltex"):
            add(specialist, part, "superseded")
    return tuple(refs)
