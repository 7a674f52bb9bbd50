"""Optimize step: gather each SKU's inputs, run the optimizer, store a suggestion run.

Competitor prices that count: from auto or confirmed matches only, the latest
observation of each listing, fresher than the policy's ``max_age_days``, with a price,
in stock, in the base currency, and from a crawl run that is not suspect (or from an
imported file). A run is written as ``running`` first and marked ``complete`` only
after all its suggestions are stored, so a killed run is never reported or reviewed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from pricing.config import PricingPolicy
from pricing.optimizer import PartInput, SalesHistory, SuggestionResult, optimize
from pricing.storage import Database
from pricing.storage.models import (
    TRUSTED_MATCH_STATUSES,
    TRUSTED_RUN_STATUSES,
    CrawlRun,
    Listing,
    Match,
    Part,
    PriceObservation,
    SalesRecord,
    Suggestion,
    SuggestionRun,
    utcnow,
)

UNAVAILABLE = ("OutOfStock", "SoldOut", "Discontinued")


@dataclass(frozen=True)
class CompetitorPrice:
    sku: str
    competitor: str
    listing_id: int
    unit_price: Decimal
    currency: str
    observed_at: dt.datetime


def trusted_competitor_prices(
    session: Session, oldest: dt.datetime, skus: list[str] | None = None
) -> dict[str, list[CompetitorPrice]]:
    """Latest trusted observation per matched listing, newer than ``oldest``, by SKU."""
    stmt = (
        select(
            Match.sku,
            Listing.competitor,
            Listing.id,
            PriceObservation.unit_price,
            PriceObservation.currency,
            PriceObservation.observed_at,
            PriceObservation.availability,
        )
        .join(Listing, Listing.id == Match.listing_id)
        .join(PriceObservation, PriceObservation.listing_id == Listing.id)
        .outerjoin(CrawlRun, CrawlRun.id == PriceObservation.crawl_run_id)
        .where(
            Match.status.in_(TRUSTED_MATCH_STATUSES),
            Match.sku.is_not(None),
            PriceObservation.unit_price.is_not(None),
            PriceObservation.observed_at >= oldest,
            or_(PriceObservation.crawl_run_id.is_(None), CrawlRun.status.in_(TRUSTED_RUN_STATUSES)),
        )
    )
    if skus is not None:
        stmt = stmt.where(Match.sku.in_(skus))
    latest: dict[int, tuple[CompetitorPrice, str | None]] = {}
    for sku, competitor, listing_id, unit_price, currency, observed_at, avail in session.execute(
        stmt
    ):
        held = latest.get(listing_id)
        if held is None or observed_at > held[0].observed_at:
            price = CompetitorPrice(sku, competitor, listing_id, unit_price, currency, observed_at)
            latest[listing_id] = (price, avail)
    by_sku: dict[str, list[CompetitorPrice]] = defaultdict(list)
    for price, avail in latest.values():
        if avail not in UNAVAILABLE:
            by_sku[price.sku].append(price)
    return by_sku


def _sales(session: Session) -> dict[str, SalesHistory]:
    rows: dict[str, tuple[list[dt.date], list[float], list[float]]] = defaultdict(
        lambda: ([], [], [])
    )
    stmt = select(
        SalesRecord.sku, SalesRecord.period_start, SalesRecord.units, SalesRecord.unit_price
    )
    for sku, start, units, price in session.execute(
        stmt.order_by(SalesRecord.sku, SalesRecord.period_start)
    ):
        dates, qty, prices = rows[sku]
        dates.append(start)
        qty.append(float(units))
        prices.append(float(price))
    return {sku: SalesHistory(d, q, p) for sku, (d, q, p) in rows.items()}


def build_inputs(
    session: Session, policy: PricingPolicy, as_of: dt.datetime
) -> tuple[list[PartInput], dict[str, int]]:
    """The optimizer's inputs for every current SKU, and counts of prices left out."""
    parts = list(
        session.scalars(select(Part).where(Part.superseded_by.is_(None)).order_by(Part.sku))
    )
    longest = max(
        [policy.defaults.max_age_days or 14]
        + [c.max_age_days for c in policy.categories.values() if c.max_age_days]
        + [
            c.proprietary.max_age_days
            for c in policy.categories.values()
            if c.proprietary.max_age_days
        ]
        + ([policy.proprietary.max_age_days] if policy.proprietary.max_age_days else [])
    )
    prices = trusted_competitor_prices(session, as_of - dt.timedelta(days=longest))
    sales = _sales(session)
    left_out: dict[str, int] = defaultdict(int)
    inputs = []
    for part in parts:
        resolved = policy.resolve(part.category, part.proprietary)
        oldest = as_of - dt.timedelta(days=resolved.max_age_days)
        unit_prices = []
        for cp in prices.get(part.sku, []):
            if cp.observed_at < oldest:
                left_out["stale"] += 1
            elif cp.currency != policy.base_currency:
                left_out["other_currency"] += 1
            else:
                unit_prices.append(cp.unit_price)
        inputs.append(
            PartInput(
                sku=part.sku,
                category=part.category,
                family=part.family,
                proprietary=part.proprietary,
                unit_cost=part.unit_cost,
                current_price=part.price,
                currency=part.currency,
                pack_qty=part.pack_qty,
                map_price=part.map_price,
                min_margin=part.min_margin,
                tier=part.tier,
                competitor_unit_prices=unit_prices,
                sales=sales.get(part.sku),
            )
        )
    return inputs, dict(left_out)


def run_optimizer(db: Database, policy: PricingPolicy, *, as_of: dt.datetime | None = None) -> int:
    """Make a suggestion run and return its id."""
    as_of = as_of or utcnow()
    with db.session() as session:
        run = SuggestionRun(
            status="running",
            base_currency=policy.base_currency,
            policy=policy.model_dump(mode="json"),
            created_at=as_of,
        )
        session.add(run)
        session.flush()
        run_id = run.id
    try:
        with db.session() as session:
            inputs, left_out = build_inputs(session, policy, as_of)
            results = optimize(inputs, policy)
            _store(session, run_id, results)
            run = session.get(SuggestionRun, run_id)
            assert run is not None
            run.status = "complete"
            run.finished_at = utcnow()
            run.summary = _summary(results, left_out)
    except BaseException:
        with db.session() as session:
            failed = session.get(SuggestionRun, run_id)
            if failed is not None:
                failed.status, failed.finished_at = "failed", utcnow()
        raise
    return run_id


def _store(session: Session, run_id: int, results: list[SuggestionResult]) -> None:
    rows = []
    for r in results:
        row = {name: getattr(r, name) for name in SuggestionResult.__dataclass_fields__}
        row["reason_codes"] = list(r.reason_codes)
        row["run_id"] = run_id
        row["review_status"] = "pending"
        rows.append(row)
    for start in range(0, len(rows), 1000):
        session.execute(insert(Suggestion), rows[start : start + 1000])


def _summary(results: list[SuggestionResult], left_out: dict[str, int]) -> dict[str, object]:
    changed = [r for r in results if r.suggested_price != r.current_price]
    profit_before = sum((r.expected_profit_before for r in results), Decimal(0))
    profit_after = sum((r.expected_profit_after for r in results), Decimal(0))
    return {
        "skus": len(results),
        "changed": len(changed),
        "with_competitor_price": sum(1 for r in results if r.competitor_count),
        "expected_profit_before": str(profit_before),
        "expected_profit_after": str(profit_after),
        "prices_left_out": left_out,
    }
