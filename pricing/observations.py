"""Storing competitor observations: one path for crawled pages and imported files.

A listing is a competitor's product page, keyed by (competitor, url); each time it is
seen we store a price observation keyed by (listing, observed_at). Writes are
idempotent: storing the same batch twice (a retried flush, a re-imported file) leaves
one copy, and a listing whose identifying fields change is flagged for re-matching.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from pricing.matching.units import effective_pack, unit_price
from pricing.storage.bulk import copy_insert_ignore, insert_ignore
from pricing.storage.models import (
    TRUSTED_MATCH_STATUSES,
    TRUSTED_RUN_STATUSES,
    CompetitorRecord,
    CrawlRun,
    Listing,
    Match,
    PriceObservation,
)

_MAX_TEXT = 1000
_LOOKUP_CHUNK = 400
# below this many rows a multi-row INSERT beats setting up COPY's staging table
_COPY_FROM = 2000
_OBS_KEY = ("listing_id", "observed_at")
# the order of the tuples given to copy_insert_ignore (also the benchmark's)
OBSERVATION_COLUMNS = (
    "listing_id",
    "crawl_run_id",
    "observed_at",
    "price",
    "price_text",
    "currency",
    "list_price",
    "pack_qty",
    "unit_price",
    "availability",
    "method",
    "source",
)


@dataclass(frozen=True)
class ObservationIn:
    """One sighting of a competitor listing, already parsed (money as Decimal)."""

    competitor: str
    url: str
    title: str
    observed_at: dt.datetime
    price: Decimal | None
    currency: str | None
    brand: str | None = None
    part_number: str | None = None
    gtin: str | None = None
    pack_qty: int = 1
    availability: str | None = None
    list_price: Decimal | None = None
    price_text: str | None = None
    method: str | None = None

    @property
    def unit_price(self) -> Decimal | None:
        """Per unit, by the one rule every view reads (:mod:`pricing.competitor_prices`):
        a pack of 1 gives way to a larger pack the title states."""
        if self.price is None:
            return None
        return unit_price(self.price, effective_pack(self.pack_qty, self.title)[0])


def _clip(text: str | None, limit: int = _MAX_TEXT) -> str | None:
    """Scraped text is untrusted: bound its size before it reaches the database."""
    if text is None:
        return None
    return text[:limit]


def ensure_competitors(
    session: Session, names: Iterable[str], labels: dict[str, str] | None = None
) -> None:
    labels = labels or {}
    rows = [{"name": n, "display_name": labels.get(n, n), "base_url": None} for n in set(names)]
    insert_ignore(session, CompetitorRecord, rows, keys=["name"])


def store_observations(
    session: Session,
    observations: Sequence[ObservationIn],
    *,
    crawl_run_id: int | None = None,
    source: str = "crawl",
) -> int:
    """Upsert the listings and insert the observations; returns observations given."""
    if not observations:
        return 0
    ensure_competitors(session, (o.competitor for o in observations))
    listing_ids = _upsert_listings(session, observations)
    rows = [
        (
            listing_ids[(o.competitor, o.url)],
            crawl_run_id,
            o.observed_at,
            o.price,
            _clip(o.price_text, 256),
            o.currency,
            o.list_price,
            o.pack_qty,
            o.unit_price,
            _clip(o.availability, 32),
            o.method,
            source,
        )
        for o in observations
    ]
    if len(rows) >= _COPY_FROM:
        copy_insert_ignore(session, PriceObservation, OBSERVATION_COLUMNS, rows, keys=_OBS_KEY)
    else:
        insert_ignore(
            session,
            PriceObservation,
            [dict(zip(OBSERVATION_COLUMNS, row, strict=True)) for row in rows],
            keys=_OBS_KEY,
        )
    return len(rows)


def _upsert_listings(
    session: Session, observations: Sequence[ObservationIn]
) -> dict[tuple[str, str], int]:
    latest: dict[tuple[str, str], ObservationIn] = {}
    for obs in observations:
        key = (obs.competitor, obs.url)
        if key not in latest or obs.observed_at >= latest[key].observed_at:
            latest[key] = obs
    keys = list(latest)
    existing: dict[tuple[str, str], Listing] = {}
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        wanted = tuple_(Listing.competitor, Listing.url).in_(keys[start : start + _LOOKUP_CHUNK])
        existing.update(
            ((row.competitor, row.url), row)
            for row in session.scalars(select(Listing).where(wanted))
        )
    for key, obs in latest.items():
        fields = {
            "title": _clip(obs.title) or "",
            "brand": _clip(obs.brand, 128),
            "part_number": _clip(obs.part_number, 128),
            "gtin": _clip(obs.gtin, 14),
            "pack_qty": obs.pack_qty,
        }
        row = existing.get(key)
        if row is None:
            row = Listing(
                competitor=obs.competitor,
                url=obs.url,
                first_seen=obs.observed_at,
                last_seen=obs.observed_at,
                needs_match=True,
                **fields,
            )
            session.add(row)
            existing[key] = row
            continue
        if any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            row.needs_match = True
        row.last_seen = max(row.last_seen, obs.observed_at)
    session.flush()
    return {key: row.id for key, row in existing.items()}


# --- reading: the observations that count --------------------------------------------


def from_trusted_run() -> ColumnElement[bool]:
    """Observations imported from a file or crawled by a run that is not suspect (the
    query must outer-join :class:`CrawlRun` on ``crawl_run_id``)."""
    return or_(
        PriceObservation.crawl_run_id.is_(None), CrawlRun.status.in_(TRUSTED_RUN_STATUSES)
    )


def trusted_edge(*conditions: ColumnElement[bool], first: bool = False) -> Subquery:
    """Per listing, the moment of its latest (``first``: earliest) observation that meets
    ``conditions`` and comes from an import or a crawl run that is not suspect: columns
    ``listing_id, observed_at``. Join it back with :func:`at_edge`."""
    pick = func.min if first else func.max
    return (
        select(
            PriceObservation.listing_id.label("listing_id"),
            pick(PriceObservation.observed_at).label("observed_at"),
        )
        .outerjoin(CrawlRun, CrawlRun.id == PriceObservation.crawl_run_id)
        .where(from_trusted_run(), *conditions)
        .group_by(PriceObservation.listing_id)
        .subquery()
    )


def at_edge(edge: Subquery) -> ColumnElement[bool]:
    """Join condition: the observation a :func:`trusted_edge` row points at."""
    return and_(
        PriceObservation.listing_id == edge.c.listing_id,
        PriceObservation.observed_at == edge.c.observed_at,
    )


def matched_at_edge(edge: Subquery, *columns: Any) -> Select[Any]:
    """``columns`` of each listing with an auto or confirmed match to a SKU, at the
    observation ``edge`` (a :func:`trusted_edge`) points at."""
    return (
        select(*columns)
        .select_from(Match)
        .join(Listing, Listing.id == Match.listing_id)
        .join(edge, edge.c.listing_id == Listing.id)
        .join(PriceObservation, at_edge(edge))
        .where(Match.status.in_(TRUSTED_MATCH_STATUSES), Match.sku.is_not(None))
    )
