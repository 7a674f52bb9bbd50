"""Where we stand against the market, per category: our price index per SKU.

A SKU's index is our current price divided by the competitor reference for our pack
(the ``min`` or ``median`` of the matched competitors' latest unit prices, times our
pack quantity), using exactly the prices the optimizer counts: trusted matches, each
listing's latest observation, fresher than the policy's ``max_age_days``, in stock,
in the base currency, from a crawl run that is not suspect. An index within
:data:`AT_PAR` of 1 counts as "at market"; SKUs without a fresh competitor price have
no index.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.config import PricingPolicy
from pricing.optimizer.constraints import competitor_reference
from pricing.pipeline.optimize import trusted_competitor_prices
from pricing.storage.models import Part, utcnow

AT_PAR = Decimal("0.01")
INDEX_Q = Decimal("0.0001")

Position = Literal["above", "at", "below", "none"]


@dataclass(frozen=True)
class SkuPosition:
    """One SKU against its market: ``reference`` is for our pack, in the base currency."""

    sku: str
    description: str
    category: str
    proprietary: bool
    price: Decimal
    currency: str
    pack_qty: int
    competitors: int
    reference: Decimal | None
    index: Decimal | None

    @property
    def position(self) -> Position:
        if self.index is None:
            return "none"
        if abs(self.index - 1) <= AT_PAR:
            return "at"
        return "above" if self.index > 1 else "below"


@dataclass(frozen=True)
class CategoryPosition:
    """A category's SKUs counted by position, and the spread of their indexes."""

    category: str
    skus: int
    compared: int
    above: int
    at: int
    below: int
    without_reference: int
    median_index: Decimal | None
    min_index: Decimal | None
    max_index: Decimal | None
    items: tuple[SkuPosition, ...]


def sku_positions(
    session: Session, policy: PricingPolicy, *, as_of: dt.datetime | None = None,
    category: str | None = None,
) -> list[SkuPosition]:
    """Every current (not superseded) SKU's position, ordered by category and SKU."""
    as_of = as_of or utcnow()
    stmt = select(Part).where(Part.superseded_by.is_(None)).order_by(Part.category, Part.sku)
    if category is not None:
        stmt = stmt.where(Part.category == category)
    parts = list(session.scalars(stmt))
    if not parts:
        return []
    longest = max(policy.resolve(p.category, p.proprietary).max_age_days for p in parts)
    prices = trusted_competitor_prices(session, as_of - dt.timedelta(days=longest),
                                       [p.sku for p in parts] if category is not None else None)
    out = []
    for part in parts:
        resolved = policy.resolve(part.category, part.proprietary)
        oldest = as_of - dt.timedelta(days=resolved.max_age_days)
        fresh = [cp for cp in prices.get(part.sku, [])
                 if cp.observed_at >= oldest and cp.currency == policy.base_currency]
        unit_ref = competitor_reference([cp.unit_price for cp in fresh],
                                        resolved.competitor_reference)
        reference = index = None
        if unit_ref is not None:
            reference = (unit_ref * part.pack_qty).quantize(INDEX_Q, ROUND_HALF_UP)
            index = (part.price / (unit_ref * part.pack_qty)).quantize(INDEX_Q, ROUND_HALF_UP)
        out.append(SkuPosition(part.sku, part.description, part.category, part.proprietary,
                               part.price, part.currency, part.pack_qty,
                               len({cp.competitor for cp in fresh}), reference, index))
    return out


def market_position(
    session: Session, policy: PricingPolicy, *, as_of: dt.datetime | None = None,
    category: str | None = None,
) -> list[CategoryPosition]:
    """Per category (or for one): counts above, at and below the market, and the index."""
    by_category: dict[str, list[SkuPosition]] = {}
    for pos in sku_positions(session, policy, as_of=as_of, category=category):
        by_category.setdefault(pos.category, []).append(pos)
    return [_summarize(name, items) for name, items in sorted(by_category.items())]


def _summarize(category: str, items: list[SkuPosition]) -> CategoryPosition:
    indexes = sorted(p.index for p in items if p.index is not None)
    counts = {kind: sum(1 for p in items if p.position == kind)
              for kind in ("above", "at", "below", "none")}
    median = statistics.median(indexes).quantize(INDEX_Q, ROUND_HALF_UP) if indexes else None
    return CategoryPosition(
        category=category,
        skus=len(items),
        compared=len(indexes),
        above=counts["above"],
        at=counts["at"],
        below=counts["below"],
        without_reference=counts["none"],
        median_index=median,
        min_index=indexes[0] if indexes else None,
        max_index=indexes[-1] if indexes else None,
        items=tuple(items),
    )
