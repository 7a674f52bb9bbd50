"""Two years of weekly sales drawn from a known demand model.

Each SKU has a constant-elasticity demand curve::

    expected units a week = base_rate * (price / reference_price) ** elasticity

with ``reference_price`` today's catalog price. Weekly units are Poisson draws from
it, at a historical price that stepped a few percent up or down a few times over the
two years, so the elasticity can be estimated from the history (well for fast
movers, poorly for slow B2B parts with many zero weeks). The true parameters stay in
Python (:class:`DemandModel`) for tests and benchmarks; the CSV holds only the sales.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from demo_market.catalog import Part
from demo_market.common import money, rng

WEEKS = 104
# Mean own-price elasticity of competitive parts by category; proprietary parts are
# far less elastic (no equivalent to switch to).
CATEGORY_ELASTICITY = {
    "Filters": -2.8,
    "Belts": -2.5,
    "Hoses": -2.0,
    "Seals": -2.2,
    "Bearings": -2.7,
    "Electrical": -2.1,
}
PROPRIETARY_ELASTICITY = -1.0
# Units a week at today's price, drawn log-uniformly: consumables sell faster.
CATEGORY_BASE_RATE = {
    "Filters": (0.4, 60.0),
    "Belts": (0.3, 25.0),
    "Hoses": (0.15, 14.0),
    "Seals": (0.3, 30.0),
    "Bearings": (0.3, 30.0),
    "Electrical": (0.1, 12.0),
}


@dataclass(frozen=True)
class DemandModel:
    """The true demand curve of one SKU."""

    sku: str
    elasticity: float
    base_rate: float
    reference_price: Decimal

    def expected_units(self, price: Decimal | float) -> float:
        return self.base_rate * (float(price) / float(self.reference_price)) ** self.elasticity


def demand_models(seed: int, parts: tuple[Part, ...]) -> dict[str, DemandModel]:
    """True demand for every SKU still sold (superseded numbers have none)."""
    models: dict[str, DemandModel] = {}
    for part in parts:
        if part.superseded_by:
            continue
        r = rng(seed, "demand", part.sku)
        if part.proprietary:
            elasticity = min(-0.6, max(-1.5, r.gauss(PROPRIETARY_ELASTICITY, 0.25)))
        else:
            elasticity = min(-1.5, max(-3.5, r.gauss(CATEGORY_ELASTICITY[part.category], 0.45)))
        lo, hi = CATEGORY_BASE_RATE[part.category]
        base_rate = math.exp(r.uniform(math.log(lo), math.log(hi)))
        models[part.sku] = DemandModel(
            part.sku, round(elasticity, 4), round(base_rate, 4), part.price
        )
    return models


def week_starts(anchor: dt.date) -> list[dt.date]:
    """The Mondays of the :data:`WEEKS` full weeks before ``anchor``."""
    return [anchor - dt.timedelta(weeks=WEEKS - i) for i in range(WEEKS)]


def price_path(seed: int, part: Part) -> list[Decimal]:
    """Our weekly price over the history, ending at today's catalog price."""
    r = rng(seed, "price-path", part.sku)
    changes = sorted(r.sample(range(6, WEEKS - 2), r.randint(3, 6)))
    path = [part.price] * WEEKS
    price = float(part.price)
    for week in reversed(changes):
        step = r.uniform(0.04, 0.10) * (1 if r.random() < 0.65 else -1)
        price /= 1 + step
        path[:week] = [money(price)] * week
    return path


def sales_rows(
    seed: int, part: Part, model: DemandModel, anchor: dt.date
) -> Iterator[tuple[str, dt.date, int, Decimal]]:
    """``(sku, week start, units, unit_price)`` for every week of the history."""
    draws = np.random.default_rng([seed, zlib.crc32(part.sku.encode())])
    prices = price_path(seed, part)
    rates = [model.expected_units(p) for p in prices]
    units = draws.poisson(rates)
    for week, price, n in zip(week_starts(anchor), prices, units, strict=True):
        yield part.sku, week, int(n), price
