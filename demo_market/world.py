"""The whole demo world for one seed: catalog, cross-references, demand, shops.

Built once per seed (it is immutable, so it is cached) and shared by the input files,
the storefronts and the tests' ground truth.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, cached_property

import numpy as np

from demo_market import season
from demo_market.catalog import CrossRef, Part, build_catalog, build_xrefs
from demo_market.common import DEFAULT_SEED, anchor_date
from demo_market.sales import DemandModel, demand_models, sales_rows
from demo_market.shops import PROFILES, ListingTruth, ShopCatalog, build_shop

SHOP_NAMES: tuple[str, ...] = tuple(PROFILES)


@dataclass(frozen=True)
class DemoWorld:
    seed: int
    anchor: dt.date  # the world's "today": sales end the day before; shops default to it
    parts: tuple[Part, ...]
    xrefs: tuple[CrossRef, ...]
    demand: Mapping[str, DemandModel]
    shops: Mapping[str, ShopCatalog]

    @property
    def true_elasticity(self) -> dict[str, float]:
        """Own-price elasticity each SKU's sales were drawn with."""
        return {sku: model.elasticity for sku, model in self.demand.items()}

    def part(self, sku: str) -> Part:
        for part in self.parts:
            if part.sku == sku:
                return part
        raise KeyError(sku)

    def sales(self) -> Iterator[tuple[str, dt.date, int, Decimal]]:
        """``(sku, week start, units, unit_price)`` for every SKU still sold, by SKU then week."""
        for part in self.parts:
            model = self.demand.get(part.sku)
            if model is not None:
                yield from sales_rows(self.seed, part, model, self.anchor)

    def day_sales(self, day: dt.date, prices: Mapping[str, Decimal]) -> dict[str, int]:
        """Units each SKU sells on ``day`` (after the anchor) at our ``prices``: a Poisson
        draw from its true demand curve (a seventh of the weekly rate), times what the
        season's competitor moves do to it (:func:`demo_market.season.demand_factor`)."""
        skus = sorted(sku for sku in prices if sku in self.demand)
        rates = []
        for sku in skus:
            part = self.part_by_sku[sku]
            factor = season.demand_factor(
                SHOP_NAMES, part.category, part.proprietary, day, self.anchor
            )
            rates.append(self.demand[sku].expected_units(prices[sku]) / 7 * factor)
        draws = np.random.default_rng([self.seed, day.toordinal()]).poisson(rates)
        return {sku: int(n) for sku, n in zip(skus, draws, strict=True)}

    @cached_property
    def part_by_sku(self) -> dict[str, Part]:
        return {p.sku: p for p in self.parts}

    def ground_truth(
        self, shop: str, day: dt.date | None = None, base_url: str = ""
    ) -> list[ListingTruth]:
        """Every product page of ``shop``: what it shows on ``day`` and which SKU it is."""
        return self.shops[shop].truth(day or self.anchor, base_url)


@cache
def build_world(seed: int = DEFAULT_SEED, anchor: dt.date | None = None) -> DemoWorld:
    """The world for ``seed``; ``anchor`` moves its "today" (a Monday: the sales history
    ends the week before, the season of :mod:`demo_market.season` starts on it), default
    the seed's own date. Only dates move: the parts, shops and demand stay the same."""
    if anchor is not None and anchor.weekday() != 0:
        raise ValueError(f"the demo world's anchor must be a Monday, not {anchor.isoformat()}")
    anchor = anchor or anchor_date(seed)
    parts = build_catalog(seed)
    xrefs = build_xrefs(seed, parts)
    return DemoWorld(
        seed=seed,
        anchor=anchor,
        parts=parts,
        xrefs=xrefs,
        demand=demand_models(seed, parts),
        shops={name: build_shop(seed, name, parts, xrefs, anchor) for name in SHOP_NAMES},
    )
