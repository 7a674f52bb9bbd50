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
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import repeat
from typing import Any, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    Select,
    String,
    Subquery,
    Table,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from pricing.matching.units import effective_pack, parse_pack_qty, unit_price
from pricing.storage.bulk import (
    copy_rows,
    dialect_insert,
    drop_stage,
    insert_ignore,
    merge_select,
    stage_table,
)
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
        return observed_unit_price(self.price, self.pack_qty, self.title)


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


def observed_unit_price(price: Decimal | None, pack_qty: int, title: str,
                        cache: dict[str, int | None] | None = None) -> Decimal | None:
    """Per unit, by the one rule every view reads (:mod:`pricing.competitor_prices`):
    a pack of 1 gives way to a larger pack the title states. ``cache`` keeps title
    parses across calls (a listing is seen day after day under one title); it is
    emptied when it reaches :data:`TITLE_CACHE` titles, so it stays bounded."""
    if price is None:
        return None
    if cache is not None and len(cache) >= TITLE_CACHE:
        cache.clear()
    return unit_price(price, effective_pack(pack_qty, title, cache)[0])


TITLE_CACHE = 100_000
_PLACES = Decimal("0.0001")  # unit_price()'s


def observed_unit_prices(prices: Sequence[Decimal], packs: Sequence[int], titles: Sequence[str],
                         cache: dict[str, int | None]) -> list[Decimal]:
    """:func:`observed_unit_price` of each ``(price, pack, title)``, a batch of rows
    given as columns: the same values, each title parsed once (``cache``, kept bounded
    as there). In the usual batch every pack is 1 and no title states one, so every
    unit price is its price (to the four places) and the batch takes one call."""
    if len(cache) >= TITLE_CACHE:
        cache.clear()
    for title in set(titles).difference(cache):
        cache[title] = parse_pack_qty(title)
    if max(packs, default=1) <= 1 and not any(map(cache.__getitem__, titles)):
        return list(map(Decimal.quantize, prices, repeat(_PLACES), repeat(ROUND_HALF_EVEN)))
    return [unit_price(price, effective_pack(pack, title, cache)[0])
            for price, pack, title in zip(prices, packs, titles, strict=True)]


def observation_stage(session: Session, name: str = "_stage_observations") -> Table:
    """A temporary table of sightings to store with :func:`store_staged`: columns
    :data:`STAGE_COLUMNS`, ``line`` numbering them (a file's line, or the order given)."""
    obs, listing = PriceObservation.__table__.c, Listing.__table__.c
    columns = [Column("line", Integer, primary_key=True, autoincrement=False)]
    for name_ in STAGE_COLUMNS[1:]:
        source = listing if name_ in _LISTING_STAGE else obs
        columns.append(Column(name_, source[name_].type))
    return stage_table(session, name, columns)


_LISTING_STAGE = ("competitor", "url", "title", "brand", "part_number", "gtin")
STAGE_COLUMNS = (
    "line",
    *_LISTING_STAGE,
    "pack_qty",
    "observed_at",
    "price",
    "price_text",
    "currency",
    "list_price",
    "unit_price",
    "availability",
    "method",
)


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
    stage = observation_stage(session)
    rows = (
        (
            line,
            o.competitor,
            o.url,
            _clip(o.title) or "",
            _clip(o.brand, 128),
            _clip(o.part_number, 128),
            _clip(o.gtin, 14),
            o.pack_qty,
            o.observed_at,
            o.price,
            _clip(o.price_text, 256),
            o.currency,
            o.list_price,
            o.unit_price,
            _clip(o.availability, 32),
            o.method,
        )
        for line, o in enumerate(observations, start=1)
    )
    copy_rows(session, stage, STAGE_COLUMNS, rows)
    store_staged(session, stage, crawl_run_id=crawl_run_id, source=source)
    drop_stage(session, stage)
    return len(observations)


def store_staged(
    session: Session, stage: Table, *, crawl_run_id: int | None = None, source: str = "crawl"
) -> None:
    """Store the sightings of an :func:`observation_stage`, set-based, so a file of
    millions of rows is never held in Python.

    Each listing (competitor, url) takes the identifying fields of its latest sighting
    (on equal times, the later line); a new listing is first and last seen then, a
    stored one whose fields change is flagged for re-matching, and its last sighting
    moves forward only. Observations already stored (same listing and moment) are
    left as they are, so storing a batch twice leaves one copy.
    """
    names = session.scalars(select(stage.c.competitor).distinct())
    ensure_competitors(session, list(names))
    upsert_listings(session, stage)
    s = stage.c
    sightings = (
        select(
            Listing.id.label("listing_id"),
            literal(crawl_run_id, Integer).label("crawl_run_id"),
            s.observed_at,
            s.price,
            s.price_text,
            s.currency,
            s.list_price,
            s.pack_qty,
            s.unit_price,
            s.availability,
            s.method,
            literal(source, String).label("source"),
        )
        .select_from(stage)
        .join(Listing, and_(Listing.competitor == s.competitor, Listing.url == s.url))
    )
    merge_select(
        session, PriceObservation, OBSERVATION_COLUMNS, sightings, keys=_OBS_KEY, update=()
    )


def upsert_listings(session: Session, stage: Table, *, created: Table | None = None) -> None:
    """Each listing seen in ``stage`` (columns ``line``, ``competitor``, ``url``, the
    listing's fields and ``observed_at``, as :func:`observation_stage`'s) takes the
    fields of its latest sighting there, as :func:`store_staged` describes. Listings
    whose ids are in ``created`` (column ``id``) were created beforehand by the same
    write, at some sighting of theirs: they are first seen at their latest, as if
    created here."""
    s = stage.c
    newest = func.row_number().over(
        partition_by=(s.competitor, s.url), order_by=(s.observed_at.desc(), s.line.desc())
    )
    ranked = select(
        s.competitor, s.url, s.title, s.brand, s.part_number, s.gtin, s.pack_qty, s.observed_at,
        newest.label("newest"),
    ).subquery()
    r = ranked.c
    listings = cast(Table, Listing.__table__)
    stmt = dialect_insert(session, listings).from_select(
        ["competitor", "url", *LISTING_FIELDS, "first_seen", "last_seen", "needs_match"],
        select(
            r.competitor, r.url, *(r[f] for f in LISTING_FIELDS), r.observed_at, r.observed_at,
            true(),
        ).where(r.newest == 1).order_by(r.competitor, r.url),
    )
    new = stmt.excluded
    changed = or_(*(listings.c[f].is_distinct_from(new[f]) for f in LISTING_FIELDS))
    later = (
        func.greatest if session.get_bind().dialect.name == "postgresql" else func.max
    )(listings.c.last_seen, new.last_seen)
    set_ = {
        **{f: new[f] for f in LISTING_FIELDS},
        "needs_match": case((changed, true()), else_=listings.c.needs_match),
        "last_seen": later,
    }
    if created is not None:
        set_["first_seen"] = case(
            (listings.c.id.in_(select(created.c.id)), new.first_seen),
            else_=listings.c.first_seen,
        )
    session.execute(stmt.on_conflict_do_update(index_elements=["competitor", "url"], set_=set_))


# the fields that identify a listing: a change flags it for matching again
LISTING_FIELDS = ("title", "brand", "part_number", "gtin", "pack_qty")


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
