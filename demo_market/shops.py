"""What each demo shop sells, at what price on a given day, and what it truly is.

A shop carries about half of the parts that have aftermarket equivalents, mostly under
a competitor's brand and number from the cross-references, sometimes as resold
Northline parts; a few in other pack sizes than ours; plus shop supplies we do not
make, and near-misses: a competitor number one character away from a cross-referenced
one, which is a different part. Prices follow our per-unit price times a per-product
factor, times the pack size (converted at a fixed rate for a shop that prices in
euros), and drift a little from day to day. A B2B shop adds quantity breaks and items
whose price is only given on request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from demo_market import season
from demo_market.catalog import CURRENCY, OEM_BRAND, CrossRef, Part
from demo_market.common import anchor_date, gtin13, money, normalize_part_number, rng, slugify

KINDS = ("xref", "oem", "near_miss", "noise")


# US dollars one euro buys in the demo world; a EUR shop's prices are ours divided by it.
# config/pricing.yaml's FX rates should hold the same figure for the demo.
EUR_USD = Decimal("1.08")
# Quantity breaks of the B2B shop: (lowest quantity, factor on the single-unit price).
BREAKS: tuple[tuple[int, Decimal], ...] = (
    (1, Decimal(1)),
    (10, Decimal("0.95")),
    (50, Decimal("0.9")),
)


@dataclass(frozen=True)
class ShopProfile:
    name: str
    display_name: str
    item_prefix: str
    product_prefix: str  # URL path before the slug
    carry_p: float  # chance to carry a part that has equivalents
    price_endings: bool  # rounds prices to ...9 like a retailer
    currency: str = CURRENCY
    noise: int = 24  # products we do not make
    multipack_p: float = 0.08  # chance to sell one of our parts in another pack size
    call_for_price_p: float = 0.0  # chance an item shows "call for price"
    quantity_breaks: bool = False


PROFILES = {
    "partsdepot": ShopProfile("partsdepot", "Parts Depot", "PD", "/product/", 0.55, True),
    "gearhub": ShopProfile("gearhub", "GearHub", "GH-", "/products/", 0.48, False, "EUR"),
    "quickfit": ShopProfile("quickfit", "QuickFit", "QF", "/p/", 0.06, True, noise=4),
    "tradesupply": ShopProfile(
        "tradesupply",
        "Trade Supply Direct",
        "TS-",
        "/item/",
        0.3,
        False,
        noise=12,
        multipack_p=0.35,
        call_for_price_p=0.08,
        quantity_breaks=True,
    ),
    "fleetstore": ShopProfile("fleetstore", "Fleet Store", "FS", "/parts/", 0.28, True, noise=12),
}


@dataclass(frozen=True)
class ShopProduct:
    """One product page of a shop, with the ground truth behind it."""

    item_no: str
    slug: str
    path: str
    name: str  # the product name without brand and part number
    brand: str
    part_number: str
    gtin: str | None
    category: str
    pack_qty: int
    base_price: Decimal
    list_ratio: float | None  # shows a struck-through list price this much above
    stock: int | None  # None: out of stock
    condition: str  # new | refurbished
    sku: str | None  # the Northline SKU this really is, None when it is none of ours
    kind: str  # one of KINDS
    drift_key: str
    drift_period: int
    call_for_price: bool = False

    @property
    def in_stock(self) -> bool:
        return self.stock is not None


@dataclass(frozen=True)
class ListingTruth:
    """What a perfect crawler, extractor and matcher would report for one product page."""

    competitor: str
    url: str
    item_no: str
    title: str
    brand: str
    part_number: str
    gtin: str | None
    pack_qty: int
    price: Decimal | None  # None: "call for price"
    list_price: Decimal | None
    currency: str | None  # None with no price
    availability: str  # schema.org name: InStock | OutOfStock
    sku: str | None
    kind: str
    price_breaks: tuple[tuple[int, Decimal], ...] = ()  # (lowest quantity, price) for B2B

    @property
    def unit_price(self) -> Decimal | None:
        return None if self.price is None else money(self.price / self.pack_qty)


def _ending(value: Decimal) -> Decimal:
    """Retail endings: 12.34 -> 12.39, 47.10 -> 46.99."""
    if value < 5:
        return value
    return (value * 10).quantize(Decimal("1")) / 10 - Decimal("0.01")


@dataclass(frozen=True)
class ShopCatalog:
    profile: ShopProfile
    products: tuple[ShopProduct, ...]
    anchor: dt.date | None = None  # the season's day 0 (:mod:`demo_market.season`)

    @property
    def name(self) -> str:
        return self.profile.name

    @cached_property
    def _by_slug(self) -> dict[str, ShopProduct]:
        return {p.slug: p for p in self.products}

    def product(self, slug: str) -> ShopProduct | None:
        return self._by_slug.get(slug)

    def price(self, product: ShopProduct, day: dt.date) -> Decimal:
        """The price on ``day``: a step every few days of at most 4% around the base,
        times what the season (:mod:`demo_market.season`) has done by then."""
        epoch = (day.toordinal() + _drift_offset(product.drift_key)) // product.drift_period
        drift = rng(0, product.drift_key, epoch).uniform(-0.04, 0.04)
        factor = 1.0
        if self.anchor is not None and day > self.anchor:
            factor = season.price_factor(self.name, product.category, day, self.anchor)
        price = money(float(product.base_price) * (1 + drift) * factor)
        return _ending(price) if self.profile.price_endings else price

    def on(self, product: ShopProduct, day: dt.date) -> ShopProduct:
        """``product`` as its page shows it on ``day``: the season may have sold it out."""
        if (
            product.in_stock
            and self.anchor is not None
            and season.out_of_stock(self.name, product.category, day, self.anchor)
        ):
            return dataclasses.replace(product, stock=None)
        return product

    def list_price(self, product: ShopProduct) -> Decimal | None:
        if product.list_ratio is None or product.call_for_price:
            return None
        return _ending(money(float(product.base_price) * product.list_ratio))

    def offer_price(self, product: ShopProduct, day: dt.date) -> Decimal | None:
        """The price to pay for one pack, None for a "call for price" item."""
        return None if product.call_for_price else self.price(product, day)

    def price_breaks(self, product: ShopProduct, day: dt.date) -> tuple[tuple[int, Decimal], ...]:
        """``(lowest quantity, price per pack)`` rows of a B2B price table; empty elsewhere."""
        if not self.profile.quantity_breaks or product.call_for_price:
            return ()
        price = self.price(product, day)
        return tuple((qty, money(price * factor)) for qty, factor in BREAKS)

    def truth(self, day: dt.date, base_url: str = "") -> list[ListingTruth]:
        products = [self.on(p, day) for p in self.products]
        return [
            ListingTruth(
                competitor=self.name,
                url=base_url.rstrip("/") + p.path,
                item_no=p.item_no,
                title=title(self.profile, p),
                brand=p.brand,
                part_number=p.part_number,
                gtin=p.gtin,
                pack_qty=p.pack_qty,
                price=self.offer_price(p, day),
                list_price=self.list_price(p),
                currency=None if p.call_for_price else self.profile.currency,
                availability="InStock" if p.in_stock else "OutOfStock",
                sku=p.sku,
                kind=p.kind,
                price_breaks=self.price_breaks(p, day),
            )
            for p in products
        ]


def _drift_offset(key: str) -> int:
    return rng(0, "offset", key).randrange(1000)


def pack_phrase(product: ShopProduct) -> str:
    """How the B2B shop prints a pack size; its suppliers word it three ways."""
    pack = product.pack_qty
    style = sum(map(ord, product.item_no)) % 3
    return (f"Pack of {pack}", f"Box/{pack}", f"VE {pack} Stk")[style]


def title(profile: ShopProfile, product: ShopProduct) -> str:
    """The product's title as the shop prints it (each shop words it differently)."""
    pack = product.pack_qty
    if profile.name in ("partsdepot", "fleetstore"):
        suffix = f" (Pack of {pack})" if pack > 1 else ""
        return f"{product.brand} {product.part_number} {product.name}{suffix}".strip()
    if profile.name == "tradesupply":
        suffix = f" – {pack_phrase(product)}" if pack > 1 else ""
        return f"{product.brand} {product.part_number} {product.name}{suffix}"
    if profile.name == "quickfit":
        suffix = f" ({pack}-Pack)" if pack > 1 else ""
        return f"{product.name}{suffix} | {product.brand} {product.part_number}"
    suffix = f", Pack of {pack}" if pack > 1 else ""
    return f"{product.name}{suffix} – {product.brand} {product.part_number}"


# Products we do not make: (brand, name, category, price range of the pack, pack size).
# A "24 pc" socket set is one item: a trap for pack size readers.
NOISE: tuple[tuple[str, str, str, float, float, int], ...] = (
    ("ShopPro", "Nitrile Disposable Gloves, Size L", "Shop supplies", 9, 16, 100),
    ("ShopPro", "Shop Towels, Blue, Heavy Duty Roll", "Shop supplies", 6, 12, 1),
    ("ShopPro", "Multi-Purpose Lithium Grease, 400 g Cartridge", "Shop supplies", 4, 9, 1),
    ("ShopPro", "Brake & Parts Cleaner, 500 ml Aerosol", "Shop supplies", 4, 8, 1),
    ("ShopPro", "Cable Ties, 200 mm, Black", "Shop supplies", 3, 7, 100),
    ("ShopPro", "Dielectric Grease, 85 g Tube", "Shop supplies", 5, 10, 1),
    ("ShopPro", "Thread Locker, Medium Strength, 10 ml", "Shop supplies", 6, 11, 1),
    ("ShopPro", "Hydraulic Oil AW 46, 5 gal Pail", "Fluids", 55, 90, 1),
    ("ShopPro", "15W-40 Heavy Duty Engine Oil, 1 gal", "Fluids", 18, 30, 1),
    ("ShopPro", "Extended Life Coolant 50/50, 1 gal", "Fluids", 14, 24, 1),
    ("TorqMaster", "Socket Set, 1/2 in Drive, 24 pc, Metric", "Tools", 45, 95, 1),
    ("TorqMaster", "Pistol Grip Grease Gun, 14 oz", "Tools", 22, 40, 1),
    ("TorqMaster", "Oil Filter Wrench, Adjustable, 60-120 mm", "Tools", 9, 18, 1),
    ("TorqMaster", "Belt Tension Gauge", "Tools", 25, 48, 1),
    ("TorqMaster", "Hose Clamp Pliers, Flexible Cable", "Tools", 19, 35, 1),
    ("TorqMaster", "Bearing Puller Set, 3-Jaw, 6 pc", "Tools", 60, 120, 1),
    ("TorqMaster", "Digital Multimeter, Auto-Ranging", "Tools", 28, 60, 1),
    ("TorqMaster", "Drain Pan, 15 L, Low Profile", "Tools", 16, 30, 1),
    ("Alcor", "Spin-On Oil Filter 3/4-16 UNF, 76 x 98 mm", "Filters", 5, 11, 1),
    ("Alcor", "Primary Air Filter Element, 280 mm OD x 410 mm", "Filters", 28, 55, 1),
    ("Alcor", "In-Line Fuel Filter 10 Micron for 8 mm Hose", "Filters", 6, 12, 1),
    ("Dynaflex", "Serpentine Belt 6PK1500 Aramid", "Belts", 14, 28, 1),
    ("Dynaflex", "Classic V-Belt A38, 13 x 965 mm", "Belts", 6, 12, 1),
    ("Dynaflex", "Heater Hose 16 mm ID, 3 m Roll", "Hoses", 12, 24, 1),
    ("Ostra", "Battery Terminal Set, Brass, Pair", "Electrical", 7, 14, 1),
    ("Ostra", "Toggle Switch, 12V 20A, Illuminated", "Electrical", 5, 11, 1),
    ("Ostra", "Amber LED Beacon, Magnetic Mount", "Electrical", 35, 70, 1),
    ("Ostra", "Trailer Wiring Harness, 7-Way, 2.5 m", "Electrical", 18, 36, 1),
    ("Ostra", "Jump Starter Cables, 4 m, 400 A", "Electrical", 25, 45, 1),
    ("Ostra", "Battery Disconnect Switch, 12-24 V", "Electrical", 12, 25, 1),
)


def _near_miss_number(r: random.Random, number: str, taken: set[str]) -> str | None:
    digits = [i for i, c in enumerate(number) if c.isdigit()]
    for _ in range(20):
        i = r.choice(digits)
        changed = (
            number[:i] + r.choice([d for d in "0123456789" if d != number[i]]) + number[i + 1 :]
        )
        if normalize_part_number(changed) not in taken:
            return changed
    return None


def _near_miss_name(r: random.Random, name: str, old: str, new: str) -> str:
    if old in name:
        return name.replace(old, new)
    numbers = list(re.finditer(r"\d+", name))
    if not numbers:
        return name
    m = numbers[-1]
    value = int(m.group()) + r.choice([-10, -5, 5, 10] if int(m.group()) > 20 else [1, 2])
    return name[: m.start()] + str(value) + name[m.end() :]


@dataclass(frozen=True)
class _Draft:
    brand: str
    part_number: str
    gtin: str | None
    name: str
    category: str
    pack_qty: int
    price: float
    sku: str | None
    kind: str


def _carried(
    r: random.Random, profile: ShopProfile, parts: tuple[Part, ...], xrefs: tuple[CrossRef, ...]
) -> list[_Draft]:
    """Our parts the shop carries, under a competitor's number or resold as ours."""
    by_sku: dict[str, list[CrossRef]] = {}
    for ref in xrefs:
        by_sku.setdefault(ref.sku, []).append(ref)
    brands = sorted({x.competitor_brand for x in xrefs})
    brand_prefix = {b: f"0{r.randrange(100000, 999999)}" for b in brands}
    drafts: list[_Draft] = []
    for part in parts:
        refs = by_sku.get(part.sku, [])
        if part.superseded_by or r.random() >= (profile.carry_p if refs else 0.12):
            continue
        pack = part.pack_qty
        if part.multipack_ok and r.random() < profile.multipack_p:
            pack = r.choice([2, 4, 10]) if pack == 1 else r.choice([1, pack * 5])
        price = float(part.unit_price) * r.uniform(0.82, 1.18) * pack
        if refs and r.random() < 0.8:
            ref = r.choice(refs)
            gtin = gtin13(brand_prefix[ref.competitor_brand] + f"{r.randrange(100000):05d}")
            drafts.append(
                _Draft(
                    ref.competitor_brand,
                    ref.competitor_part_number,
                    gtin if r.random() < 0.5 else None,
                    part.title,
                    part.category,
                    pack,
                    price,
                    part.sku,
                    "xref",
                )
            )
        else:
            drafts.append(
                _Draft(
                    OEM_BRAND,
                    part.part_number,
                    part.gtin,
                    part.title,
                    part.category,
                    pack,
                    price,
                    part.sku,
                    "oem",
                )
            )
    return drafts


def _decoys(
    r: random.Random, parts: tuple[Part, ...], xrefs: tuple[CrossRef, ...], noise: int = 24
) -> list[_Draft]:
    """Near-miss part numbers and products we do not make: none of them is ours."""
    taken = {normalize_part_number(x.competitor_part_number) for x in xrefs}
    taken |= {normalize_part_number(p.part_number) for p in parts}
    parts_by_sku = {p.sku: p for p in parts}
    drafts: list[_Draft] = []
    for ref in r.sample([x for x in xrefs if x.relation == "equivalent"], 8):
        number = _near_miss_number(r, ref.competitor_part_number, taken)
        if number is None:
            continue
        taken.add(normalize_part_number(number))
        part = parts_by_sku[ref.sku]
        old_code, new_code = ref.competitor_part_number.split(" ", 1)[-1], number.split(" ", 1)[-1]
        name = _near_miss_name(r, part.title, old_code, new_code)
        price = float(part.unit_price) * r.uniform(0.8, 1.2)
        drafts.append(
            _Draft(
                ref.competitor_brand, number, None, name, part.category, 1, price, None, "near_miss"
            )
        )
    for brand, label, category, lo, hi, pack in r.sample(NOISE, noise):
        number = f"{brand[:2].upper()}-{r.randrange(1000, 9999)}"
        price = r.uniform(lo, hi)
        drafts.append(_Draft(brand, number, None, label, category, pack, price, None, "noise"))
    return drafts


def build_shop(
    seed: int,
    name: str,
    parts: tuple[Part, ...],
    xrefs: tuple[CrossRef, ...],
    anchor: dt.date | None = None,
) -> ShopCatalog:
    """One shop's whole assortment, in the order its catalog lists it; its season
    starts on ``anchor`` (default: the seed's date)."""
    profile = PROFILES[name]
    r = rng(seed, "shop", name)
    drafts = _carried(r, profile, parts, xrefs) + _decoys(r, parts, xrefs, profile.noise)
    # a shop pricing in another currency converts our price list at the demo world's rate
    fx = EUR_USD if profile.currency == "EUR" else Decimal(1)
    r.shuffle(drafts)
    products: list[ShopProduct] = []
    slugs: set[str] = set()
    for i, d in enumerate(drafts):
        slug = slugify(f"{d.brand} {d.part_number} {d.name}")
        if len(slug) > 80:
            slug = slug[:80].rsplit("-", 1)[0]
        if slug in slugs:
            slug = f"{slug}-{i}"
        slugs.add(slug)
        item_no = f"{profile.item_prefix}{r.randrange(100, 999)}{i:03d}"
        stock_roll = r.random()
        stock = None if stock_roll < 0.09 else (r.randint(1, 4) if stock_roll < 0.16 else 50)
        on_sale = r.random() < 0.25
        # a separate stream, so the draws above stay what they were for the older shops
        call_for_price = rng(seed, "call-for-price", name, i).random() < profile.call_for_price_p
        products.append(
            ShopProduct(
                item_no=item_no,
                slug=slug,
                path=profile.product_prefix + slug,
                name=d.name,
                brand=d.brand,
                part_number=d.part_number,
                gtin=d.gtin,
                category=d.category,
                pack_qty=d.pack_qty,
                base_price=money(Decimal(str(d.price)) / fx),
                list_ratio=round(r.uniform(1.15, 1.35), 3) if on_sale else None,
                stock=stock,
                condition="refurbished" if "Remanufactured" in d.name else "new",
                sku=d.sku,
                kind=d.kind,
                drift_key=f"{seed}:{name}:{item_no}",
                drift_period=r.randint(3, 12),
                call_for_price=call_for_price,
            )
        )
    return ShopCatalog(profile, tuple(products), anchor or anchor_date(seed))
