"""The nightly report's per-SKU detail: a small price-history chart (our unit price,
each competitor's, the suggested price) and the competitor listings behind it.

Loaded for many SKUs at once, one query per 500 SKUs for each of our prices and the
competitors', never one per SKU, so a report of thousands of suggestions stays quick.
The listings table is exactly what the run counted (:mod:`pricing.competitor_prices`,
at the run's moment and under its policy): per unit, in the currency the part was
compared in, a proprietary part's will-fit alternatives marked as such. The chart draws
every trusted price in the run's currency over the window.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.competitor_prices import PartKey, PartPrices, counted_prices
from pricing.config import PricingPolicy
from pricing.history import OURS
from pricing.matching.units import unit_price
from pricing.observations import from_trusted_run
from pricing.reports.charts import Spark, sparkline
from pricing.storage.models import (
    TRUSTED_MATCH_STATUSES,
    CrawlRun,
    Listing,
    Match,
    OurPrice,
    Part,
    PriceObservation,
)

CHUNK = 500


@dataclass(frozen=True)
class ListingPrice:
    """A competitor listing's latest price in the chart's window (scraped text: escape it)."""

    competitor: str
    title: str
    url: str
    unit_price: Decimal
    currency: str
    observed_at: dt.datetime
    relation: str = "same"  # "alternative" / "kit": a ceiling, not the reference
    original: str | None = None  # the price as seen, when converted or a pack


@dataclass(frozen=True)
class SkuDetail:
    chart: Spark | None
    listings: tuple[ListingPrice, ...]


@dataclass(frozen=True)
class Wanted:
    """A SKU to detail: its suggested price, for the chart's end."""

    sku: str
    suggested_price: Decimal


def _chunks(items: Sequence[Wanted]) -> list[list[str]]:
    skus = [w.sku for w in items]
    return [skus[i : i + CHUNK] for i in range(0, len(skus), CHUNK)]


def _compress(points: list[tuple[dt.datetime, Decimal]]) -> list[tuple[dt.datetime, Decimal]]:
    """Keep only the changes: a step chart needs no repeats of the same price."""
    out: list[tuple[dt.datetime, Decimal]] = []
    for at, value in points:
        if not out or out[-1][1] != value:
            out.append((at, value))
    return out


def _ours(
    session: Session, skus: list[str], start: dt.datetime, packs: dict[str, int]
) -> dict[str, list[tuple[dt.datetime, Decimal]]]:
    stmt = (
        select(OurPrice.sku, OurPrice.effective_at, OurPrice.price)
        .where(OurPrice.sku.in_(skus))
        .order_by(OurPrice.sku, OurPrice.effective_at)
    )
    series: dict[str, list[tuple[dt.datetime, Decimal]]] = defaultdict(list)
    for sku, at, price in session.execute(stmt):
        unit = unit_price(price, packs.get(sku, 1))
        points = series[sku]
        if at <= start:  # the price in force when the window opens
            points[:] = [(start, unit)]
        else:
            points.append((at, unit))
    return series


def load_details(
    session: Session,
    wanted: Sequence[Wanted],
    *,
    currency: str,
    start: dt.datetime,
    end: dt.datetime,
    policy: PricingPolicy,
    as_of: dt.datetime,
) -> dict[str, SkuDetail]:
    """Chart for each wanted SKU over ``[start, end]``, and the listings its run (at
    ``as_of`` under ``policy``) counted."""
    details: dict[str, SkuDetail] = {}
    suggested = {w.sku: w.suggested_price for w in wanted}
    for skus in _chunks(wanted):
        parts = session.execute(
            select(Part.sku, Part.pack_qty, Part.category, Part.proprietary, Part.currency)
            .where(Part.sku.in_(skus))
        ).all()
        packs = {sku: qty for sku, qty, *_ in parts}
        counted = counted_prices(
            session, policy, as_of,
            (PartKey(sku, cat, prop, cur) for sku, _, cat, prop, cur in parts), skus=skus)
        ours = _ours(session, skus, start, packs)
        stmt = (
            select(
                Match.sku,
                Listing.id,
                Listing.competitor,
                Listing.title,
                Listing.url,
                PriceObservation.observed_at,
                PriceObservation.unit_price,
            )
            .join(Listing, Listing.id == Match.listing_id)
            .join(PriceObservation, PriceObservation.listing_id == Listing.id)
            .outerjoin(CrawlRun, CrawlRun.id == PriceObservation.crawl_run_id)
            .where(
                Match.sku.in_(skus),
                Match.status.in_(TRUSTED_MATCH_STATUSES),
                PriceObservation.observed_at >= start,
                PriceObservation.observed_at <= end,
                PriceObservation.unit_price.is_not(None),
                PriceObservation.currency == currency,
                from_trusted_run(),
            )
            .order_by(Match.sku, Listing.id, PriceObservation.observed_at)
        )
        theirs: dict[str, dict[int, list[tuple[dt.datetime, Decimal]]]] = defaultdict(dict)
        names: dict[int, str] = {}
        for sku, lid, comp, _title, _url, at, unit in session.execute(stmt):
            if sku is None or unit is None:  # both excluded in SQL already
                continue
            theirs[sku].setdefault(lid, []).append((at, unit))
            names[lid] = comp
        latest = _counted_listings(session, counted)
        for sku in skus:
            series: dict[str, list[tuple[dt.datetime, Decimal]]] = {}
            if ours.get(sku):
                series[OURS] = _compress(ours[sku])
            for lid, points in theirs.get(sku, {}).items():
                name = names[lid]
                while name in series:  # two listings of one competitor: two lines
                    name += "'"
                series[name] = _compress(points)
            unit_suggested = unit_price(suggested[sku], packs.get(sku, 1))
            listings = sorted(
                latest.get(sku, []),
                key=lambda li: (li.relation != "same", li.unit_price, li.competitor),
            )
            details[sku] = SkuDetail(
                sparkline(series, start, end, suggested=unit_suggested), tuple(listings)
            )
    return details


def _counted_listings(
    session: Session, counted: dict[str, PartPrices]
) -> dict[str, list[ListingPrice]]:
    """The counted prices as table rows, with each listing's title and address."""
    ids = {c.price.listing_id for part in counted.values()
           for c in (*part.references, *part.alternatives)}
    about = {
        lid: (title, url)
        for lid, title, url in session.execute(
            select(Listing.id, Listing.title, Listing.url).where(Listing.id.in_(ids))
        )
    } if ids else {}
    out: dict[str, list[ListingPrice]] = {}
    for sku, part in counted.items():
        rows = []
        for c in (*part.references, *part.alternatives):
            cp = c.price
            title, url = about.get(cp.listing_id, ("", ""))
            seen = None
            if cp.currency != part.currency or cp.pack_qty != 1:
                pack = f" for {cp.pack_qty}" if cp.pack_qty != 1 else ""
                seen = f"{cp.unit_price * cp.pack_qty:,.2f} {cp.currency}{pack}"
            rows.append(ListingPrice(
                cp.competitor, title or "", url or "", c.value, part.currency or "",
                cp.observed_at, cp.relation or "same", seen))
        out[sku] = rows
    return out
