"""The direct path of an observations import, on PostgreSQL: a plain file's sightings
copied straight into ``price_observations`` while the file is read.

A file is plain when every row is good (or, skipping bad rows, every row the model
accepts), and no sighting is twice in it or stored before. Its rows are then stored
as the staged path (:func:`pricing.imports.observations.import_staged`) stores them,
without a stage. Python reads and checks the file and turns it into chunks of COPY
text; a thread copies each chunk into ``price_observations`` while the next is read
(psycopg waits for the database without holding the GIL), so the database inserts,
indexes and checks the foreign keys of one chunk while Python reads the next. The
listings a batch meets for the first time are looked up, or created, before its
rows join a chunk (their ids kept in a bounded cache); each listing's latest
sighting in the file is kept as the file is read, and the listings are settled at
the end by :func:`pricing.observations.upsert_listings`, the staged path's own step.
Anything else raises :class:`~pricing.imports.steps.NotPlain`, rolling the
transaction back: a sighting twice or stored before at the unique key's violation,
a file whose first rows are stored (a re-import) before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from operator import le
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Column, Integer, Table, and_, select, true, tuple_
from sqlalchemy.orm import Session

from pricing.imports.rows import OBSERVATION_FAST, ObservationRow
from pricing.imports.sightings import SOURCE, SightingReader, Sightings
from pricing.imports.steps import (
    PROBE_ROWS,
    Bad,
    ImportResult,
    NotPlain,
    clash_is_not_plain,
    csv_rows,
)
from pricing.observations import (
    LISTING_FIELDS,
    ensure_competitors,
    observation_stage,
    upsert_listings,
)
from pricing.storage import Database
from pricing.storage.bulk import copy_rows, dialect_insert, drop_stage, stage_table
from pricing.storage.copy_text import Background, copy_lines, text_cells, texts_by_run
from pricing.storage.models import Listing, PriceObservation

_CHUNK_ROWS = 25_000  # rows per COPY; its foreign keys are checked at its end
_FIRST_CHUNK_ROWS = 5000
_LISTINGS_KEPT = 100_000  # listing ids, and latest sightings, held in memory at most

Key = tuple[str, str]  # a listing's (competitor, url)
_LISTING_COLUMNS = ("line", "competitor", "url", *LISTING_FIELDS, "observed_at")
# the columns copied (the others are null), and a row's COPY text after its listing id
_COPIED = ("listing_id", "observed_at", "price", "price_text", "currency", "pack_qty",
           "unit_price", "availability", "method", "source")
_COPY_REST = "%s\t%s\t%s\t%s\t%d\t%s\t%s\t" + f"{SOURCE}\t{SOURCE}\n"


def import_direct(db: Database, path: Path, as_of: dt.datetime, *,
                  skip_bad_rows: bool = False) -> ImportResult:
    """The file's result as the staged path gives it, or :class:`NotPlain`."""

    rows = csv_rows(path, ObservationRow, OBSERVATION_FAST)
    sightings = SightingReader(as_of)
    bad: Bad = []

    def plain() -> Iterator[Sightings]:
        for lines, values, batch_bad in rows.columns():
            bad.extend(batch_bad)
            batch = sightings.batch(lines, values, bad)
            if bad and not skip_bad_rows:
                raise NotPlain
            yield batch

    with clash_is_not_plain(), db.session() as session:
        batches = plain()
        first = next(batches, None)
        if first is not None and _stored(session, first, PROBE_ROWS):
            raise NotPlain
        store = _Store(session)
        with Background(store.write) as background:
            chunker = _Chunker(store, background.drain)
            for chunk in chunker.chunks(chain([first] if first else [], batches)):
                background.submit(chunk)
        store.finish()
    return ImportResult(str(path), rows.total - len(bad), sorted(bad))


def _stored(session: Session, batch: Sightings, rows: int) -> bool:
    """Whether any of the batch's first ``rows`` sightings is stored already."""
    keys = list(islice(zip(batch.competitor, batch.url, batch.observed_at, strict=True), rows))
    return session.execute(
        select(PriceObservation.id)
        .join(Listing, Listing.id == PriceObservation.listing_id)
        .where(tuple_(Listing.competitor, Listing.url, PriceObservation.observed_at).in_(keys))
        .limit(1)
    ).first() is not None


class _Chunk:
    """Rows ready to copy: each one's listing id and the rest of its COPY text."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.rest: list[str] = []


class _Chunker:
    """Turns batches of sightings into chunks, in the reading thread: looks up (or
    creates) the listings not met before, once the writer has caught up (``sync``),
    and keeps each listing's latest sighting so far (on equal times, the later line)
    and the competitors seen, for :meth:`_Store.finish`."""

    def __init__(self, store: _Store, sync: Callable[[], None]) -> None:
        self.store = store
        self.sync = sync
        self.until: dt.datetime | None = None  # the latest time seen so far

    def chunks(self, batches: Iterable[Sightings]) -> Iterator[_Chunk]:
        """The first chunk is small, so that the database starts early."""
        chunk, size = _Chunk(), _FIRST_CHUNK_ROWS
        for batch in batches:
            if len(batch):
                self._add(chunk, batch)
            if len(chunk.ids) >= size:
                yield chunk
                chunk, size = _Chunk(), _CHUNK_ROWS
        if chunk.ids:
            yield chunk

    def _add(self, chunk: _Chunk, batch: Sightings) -> None:
        store = self.store
        keys = list(zip(batch.competitor, batch.url, strict=True))
        latest = self._keep_latest(keys, batch)
        store.competitors.update(batch.competitor)
        ids = list(map(store.ids.get, keys))
        if None in ids:
            self.sync()
            store.look_up(latest)
            ids = list(map(store.ids.__getitem__, keys))
        chunk.ids += cast(list[int], ids)
        chunk.rest += map(_COPY_REST.__mod__, zip(
            texts_by_run(batch.observed_at), batch.price_text, batch.price_text, batch.currency,
            batch.pack_qty, map(str, batch.unit_price), text_cells(batch.availability),
            strict=True))

    def _keep_latest(self, keys: list[Key], batch: Sightings) -> dict[Key, tuple[Any, ...]]:
        """Keep each listing's latest sighting so far; returns the batch's."""
        at = batch.observed_at
        rows = zip(batch.line, batch.competitor, batch.url, batch.title, batch.brand,
                   batch.part_number, batch.gtin, batch.pack_qty, at, strict=True)
        kept = self.store.latest
        if all(map(le, at, islice(at, 1, None))):  # in time order: a listing's last is latest
            latest = dict(zip(keys, rows, strict=True))
            if self.until is None or self.until <= at[0]:
                kept.update(latest)
            else:
                _merge(kept, latest)
        else:
            latest = {}
            for key, row in zip(keys, rows, strict=True):
                held = latest.get(key)
                if held is None or held[-1] <= row[-1]:
                    latest[key] = row
            _merge(kept, latest)
        last = max(at)
        self.until = last if self.until is None else max(self.until, last)
        if len(kept) > _LISTINGS_KEPT:
            self.sync()
            self.store.keep_latest()
        return latest


def _merge(kept: dict[Key, Any], latest: dict[Key, Any]) -> None:
    """``latest`` into ``kept``, where later (on equal times, from a later line)."""
    for key, row in latest.items():
        held = kept.get(key)
        if held is None or held[-1] <= row[-1]:
            kept[key] = row


class _Store:
    """The database side, in the session's transaction: :meth:`write` copies a chunk,
    :meth:`look_up` gives listings their ids, creating them where needed, and
    :meth:`finish` settles them as the staged path leaves them. ``ids`` (a bounded
    cache of listing ids by key), ``latest`` (each listing's latest sighting so far, a
    ``_LISTING_COLUMNS`` row) and ``competitors`` are kept by the :class:`_Chunker`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        raw = session.connection().connection.driver_connection
        assert raw is not None
        self.raw = raw
        self.ids: dict[Key, int] = {}
        self.latest: dict[Key, tuple[Any, ...]] = {}
        self.competitors: set[str] = set()
        self.sightings = observation_stage(session, "_import_latest_sightings")
        self.unknown = observation_stage(session, "_import_unknown_listings")
        self.created = stage_table(
            session, "_import_created_listings", [Column("id", Integer, primary_key=True)])

    def write(self, chunk: _Chunk) -> None:
        ids, rest = chunk.ids, chunk.rest
        # in listing order: the rows of one listing meet the same index pages
        order = sorted(range(len(ids)), key=ids.__getitem__)
        lines = list(map("%d\t%s".__mod__, zip(
            map(ids.__getitem__, order), map(rest.__getitem__, order), strict=True)))
        copy_lines(self.raw, "price_observations", _COPIED, lines)

    def look_up(self, sightings: dict[Key, tuple[Any, ...]]) -> None:
        """Have the ids of the listings of ``sightings`` (a ``_LISTING_COLUMNS`` row
        each), creating those not stored yet as seen then (:meth:`finish` settles
        them)."""
        keys = [key for key in sightings if key not in self.ids]
        if len(self.ids) + len(keys) > _LISTINGS_KEPT:
            self.ids, keys = {}, list(sightings)
        session, unknown = self.session, self.unknown
        session.execute(unknown.delete())
        copy_rows(session, unknown, _LISTING_COLUMNS, map(sightings.__getitem__, keys))
        listings = cast(Table, Listing.__table__)
        u = unknown.c
        created = (
            dialect_insert(session, listings)
            .from_select(
                ["competitor", "url", *LISTING_FIELDS, "first_seen", "last_seen",
                 "needs_match"],
                select(u.competitor, u.url, *(u[f] for f in LISTING_FIELDS), u.observed_at,
                       u.observed_at, true())
                .order_by(u.competitor, u.url),
            )
            .on_conflict_do_nothing(index_elements=["competitor", "url"])
            .returning(listings.c.id)
            .cte("created")
        )
        session.execute(self.created.insert().from_select(["id"], select(created.c.id)))
        found = session.execute(
            select(Listing.competitor, Listing.url, Listing.id)
            .join(unknown, and_(u.competitor == Listing.competitor, u.url == Listing.url))
        )
        self.ids.update(((competitor, url), id_) for competitor, url, id_ in found)

    def keep_latest(self) -> None:
        """Move the latest sightings kept so far to the database."""
        copy_rows(self.session, self.sightings, _LISTING_COLUMNS, self.latest.values())
        self.latest = {}

    def finish(self) -> None:
        """Settle the listings: each takes the fields of its latest sighting in the file
        (:func:`~pricing.observations.upsert_listings`), and one the file created is
        first seen then, as the staged path creates it."""
        session = self.session
        self.keep_latest()
        ensure_competitors(session, sorted(self.competitors))
        upsert_listings(session, self.sightings, created=self.created)
        for table in (self.unknown, self.created, self.sightings):
            drop_stage(session, table)
