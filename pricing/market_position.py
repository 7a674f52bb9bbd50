"""The category manager's questions: where we stand against the market, per category,
and which competitors moved their prices most over a period.

Shared by ``pricing market-position`` / ``pricing competitor-moves``, the web pages and
the JSON API, so every view gives the same answer.

Position: a SKU's price index against its market.

A SKU's index is our current price divided by the competitor reference for our pack
(the ``min`` or ``median`` of the matched competitors' latest unit prices, times our
pack quantity), using exactly the prices the optimizer counts
(:func:`pricing.competitor_prices.counted_prices`: for a proprietary part, its
resellers), converted into our price's currency at the rate in force the day each was
seen (``fx:`` in the policy); a part whose currency has no rate that day has no index,
as the optimizer then applies no price-index cap. An index within
:data:`AT_PAR` of 1 counts as "at market"; SKUs without a fresh competitor price have
no index.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from pricing.competitor_prices import PartKey, PartPrices, counted_prices
from pricing.config import PricingPolicy
from pricing.observations import from_trusted_run, matched_at_edge, trusted_edge
from pricing.optimizer.constraints import competitor_reference
from pricing.storage.models import (
    CrawlRun,
    Listing,
    Match,
    Part,
    PriceObservation,
    utcnow,
)

AT_PAR = Decimal("0.01")
INDEX_Q = Decimal("0.0001")

Position = Literal["above", "at", "below", "none"]


@dataclass(frozen=True)
class SkuPosition:
    """One SKU against its market: ``reference`` is for our pack, in our price's currency."""

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
    session: Session,
    policy: PricingPolicy,
    *,
    as_of: dt.datetime | None = None,
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
    counted = counted_prices(
        session, policy, as_of,
        (PartKey(p.sku, p.category, p.proprietary, p.currency) for p in parts),
        skus=[p.sku for p in parts] if category is not None else None,
    )
    out = []
    for part in parts:
        resolved = policy.resolve(part.category, part.proprietary)
        # exactly the prices the optimizer counts; compared only in our price's currency
        mine = counted.get(part.sku) or PartPrices()
        fresh = [c.price for c in mine.references] if mine.currency == part.currency else []
        units = [c.value for c in mine.references] if fresh else []
        unit_ref = competitor_reference(units, resolved.competitor_reference)
        reference = index = None
        if unit_ref is not None:
            reference = (unit_ref * part.pack_qty).quantize(INDEX_Q, ROUND_HALF_UP)
            index = (part.price / (unit_ref * part.pack_qty)).quantize(INDEX_Q, ROUND_HALF_UP)
        out.append(
            SkuPosition(
                part.sku,
                part.description,
                part.category,
                part.proprietary,
                part.price,
                part.currency,
                part.pack_qty,
                len({cp.competitor for cp in fresh}),
                reference,
                index,
            )
        )
    return out


def market_position(
    session: Session,
    policy: PricingPolicy,
    *,
    as_of: dt.datetime | None = None,
    category: str | None = None,
) -> list[CategoryPosition]:
    """Per category (or for one): counts above, at and below the market, and the index."""
    by_category: dict[str, list[SkuPosition]] = {}
    for pos in sku_positions(session, policy, as_of=as_of, category=category):
        by_category.setdefault(pos.category, []).append(pos)
    return [_summarize(name, items) for name, items in sorted(by_category.items())]


def _summarize(category: str, items: list[SkuPosition]) -> CategoryPosition:
    indexes = sorted(p.index for p in items if p.index is not None)
    counts = {
        kind: sum(1 for p in items if p.position == kind)
        for kind in ("above", "at", "below", "none")
    }
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


# --- competitor moves ---------------------------------------------------------------

MOVE_Q = Decimal("0.0001")
# a price older than this when the period starts is too stale to measure a move from
START_LOOKBACK = dt.timedelta(days=90)


@dataclass(frozen=True)
class ListingMove:
    """One matched listing's unit price at the start and at the end of a period."""

    competitor: str
    sku: str
    listing_id: int
    title: str
    currency: str
    start_price: Decimal
    end_price: Decimal
    start_at: dt.datetime
    end_at: dt.datetime

    @property
    def change(self) -> Decimal:
        return (self.end_price / self.start_price - 1).quantize(MOVE_Q, ROUND_HALF_UP)


@dataclass(frozen=True)
class CompetitorMoves:
    """How one competitor's prices for our SKUs moved over a period.

    ``listings`` is how many matched listings have a price at both ends of the period;
    ``moved`` how many of them changed, ``skus_moved`` for how many of our SKUs. The
    median and mean are over the listings that moved; ``net_change`` over all of them.
    ``price_changes`` counts every change seen inside the period, also those undone.
    """

    competitor: str
    listings: int
    moved: int
    price_changes: int
    skus_moved: int
    up: int
    down: int
    median_change: Decimal | None
    mean_change: Decimal | None
    net_change: Decimal | None
    largest_change: Decimal | None
    largest_sku: str | None
    items: tuple[ListingMove, ...]


def _in_window(
    since: dt.datetime | None, until: dt.datetime
) -> tuple[ColumnElement[bool], ...]:
    """Conditions for observations that count for moves: priced, in the window."""
    conditions = [
        PriceObservation.unit_price.is_not(None),
        PriceObservation.unit_price > 0,
        PriceObservation.observed_at <= until,
    ]
    if since is not None:
        conditions.append(PriceObservation.observed_at >= since)
    return tuple(conditions)


def _prices_at(
    session: Session,
    *,
    since: dt.datetime | None,
    until: dt.datetime,
    first: bool,
    category: str | None,
) -> dict[int, tuple[str, str, str, str, Decimal, dt.datetime]]:
    """Per matched listing: its first (or last) trusted price in ``[since, until]``."""
    edge = trusted_edge(*_in_window(since, until), first=first)
    stmt = matched_at_edge(
        edge,
        Listing.id,
        Listing.competitor,
        Match.sku,
        Listing.title,
        PriceObservation.currency,
        PriceObservation.unit_price,
        PriceObservation.observed_at,
    )
    if category is not None:
        stmt = stmt.join(Part, Part.sku == Match.sku).where(Part.category == category)
    found: dict[int, tuple[str, str, str, str, Decimal, dt.datetime]] = {}
    for lid, comp, sku, title, cur, unit, at in session.execute(stmt):
        if sku is not None and unit is not None:  # both excluded in SQL already
            found[lid] = (comp, sku, title, (cur or "").upper(), unit, at)
    return found


def competitor_moves(
    session: Session,
    since: dt.datetime,
    until: dt.datetime | None = None,
    *,
    category: str | None = None,
) -> list[CompetitorMoves]:
    """Which competitors moved their prices for our SKUs most between two moments.

    A listing's start price is its latest trusted unit price at ``since``, looking back
    at most :data:`START_LOOKBACK` (or else its first one in the period); its end price
    the latest at ``until``; a listing not seen in the period is left out. Only trusted
    matches and crawls that are not suspect count, and a listing whose currency changed
    is left out. Competitors come most-moved first: by how many listings moved, then
    how many price changes were seen in the period, then the size of the median move.
    """
    until = until or utcnow()
    if until <= since:
        raise ValueError("the period's end must come after its start")
    before = _prices_at(
        session, since=since - START_LOOKBACK, until=since, first=False, category=category
    )
    within = _prices_at(session, since=since, until=until, first=True, category=category)
    end = _prices_at(session, since=since, until=until, first=False, category=category)
    changes = _changes_within(session, since, until)
    for lid, first in within.items():  # the step from the price before the period
        if lid in before and before[lid][4] != first[4]:
            changes[lid] = changes.get(lid, 0) + 1
    moves: dict[str, list[ListingMove]] = {}
    for lid, (comp, sku, title, cur, unit, at) in end.items():
        start = before.get(lid) or within.get(lid)
        if start is None or start[3] != cur:
            continue  # no comparable price to start from
        moves.setdefault(comp, []).append(
            ListingMove(comp, sku, lid, title, cur, start[4], unit, start[5], at)
        )
    return sorted(
        (_moves_summary(name, items, changes) for name, items in moves.items()),
        key=lambda m: (
            -m.moved,
            -m.price_changes,
            -abs(m.median_change or Decimal(0)),
            m.competitor,
        ),
    )


def _changes_within(session: Session, since: dt.datetime, until: dt.datetime) -> dict[int, int]:
    """Per listing, how many times its trusted unit price changed inside the period."""
    seen = (
        select(
            PriceObservation.listing_id.label("listing_id"),
            PriceObservation.unit_price.label("unit_price"),
            func.lag(PriceObservation.unit_price)
            .over(partition_by=PriceObservation.listing_id, order_by=PriceObservation.observed_at)
            .label("previous"),
        )
        .outerjoin(CrawlRun, CrawlRun.id == PriceObservation.crawl_run_id)
        .where(from_trusted_run(), *_in_window(since, until))
        .subquery()
    )
    stmt = (
        select(seen.c.listing_id, func.count())
        .where(seen.c.previous.is_not(None), seen.c.unit_price != seen.c.previous)
        .group_by(seen.c.listing_id)
    )
    return {lid: n for lid, n in session.execute(stmt)}


def _moves_summary(
    competitor: str, items: list[ListingMove], seen: dict[int, int]
) -> CompetitorMoves:
    items.sort(key=lambda m: (-abs(m.change), m.sku, m.listing_id))
    changes = [m.change for m in items if m.change != 0]
    largest = items[0] if changes else None

    def q(value: Decimal) -> Decimal:
        return value.quantize(MOVE_Q, ROUND_HALF_UP)

    return CompetitorMoves(
        competitor=competitor,
        listings=len(items),
        moved=len(changes),
        price_changes=sum(seen.get(m.listing_id, 0) for m in items),
        skus_moved=len({m.sku for m in items if m.change != 0}),
        up=sum(1 for c in changes if c > 0),
        down=sum(1 for c in changes if c < 0),
        median_change=q(statistics.median(changes)) if changes else None,
        mean_change=q(sum(changes, Decimal(0)) / len(changes)) if changes else None,
        net_change=q(sum((m.change for m in items), Decimal(0)) / len(items)) if items else None,
        largest_change=largest.change if largest else None,
        largest_sku=largest.sku if largest else None,
        items=tuple(items),
    )
