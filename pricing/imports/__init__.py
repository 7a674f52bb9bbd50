"""CSV imports: catalog, cross-references, sales history and competitor observations.

Each file is UTF-8 with a header row; extra columns are ignored. Every row is checked
before anything is written, against the bounds of :mod:`pricing.bounds` (the same on
SQLite and PostgreSQL): a bad row is reported as ``FILE: line N: column: reason``, line
numbers being the file's physical lines (a quoted cell may span several). A key that
appears on two lines of one file (catalog ``sku``; cross-reference brand, part number
and SKU; sales ``sku, date``; observation ``competitor, url, observed_at``) is bad on
both lines. The file is imported all-or-nothing unless the caller asks to skip bad
rows; then every row of a duplicated key is skipped, since neither can be trusted.

A file is streamed, so memory does not grow with its size: rows are read and checked
one at a time (:mod:`pricing.imports.reader`) and the good ones loaded, as they come,
into a temporary stage table in the import's transaction (COPY on PostgreSQL). The
checks that need the whole file (duplicate keys, SKUs known to the catalog) then run
in SQL on the stage, and only when the file passes (or bad rows are skipped) are its
rows merged into the real tables with one ``INSERT ... SELECT ... ON CONFLICT``; any
error rolls the whole transaction back, so nothing stored before is lost. The steps
are in :mod:`pricing.imports.steps`.

On PostgreSQL a plain sales or observations file (every row good, no key repeated or
stored before) is first copied straight into its table while it is read, which gives
the same result faster; any other file is rolled back there and takes the staged
path, which decides and reports from scratch (:func:`_import_sales_direct`,
:mod:`pricing.imports.observations_direct`). The Python garbage collector is paused
while a file is imported (:func:`~pricing.imports.steps.without_gc`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import Any

from sqlalchemy import ARRAY, String, exists, func, literal, select
from sqlalchemy.orm import Session

from pricing.imports.observations import import_observations
from pricing.imports.rows import (
    CATALOG_FAST,
    SALES_FAST,
    CatalogRow,
    SalesRow,
    XrefRow,
)
from pricing.imports.steps import (
    PROBE_ROWS,
    Bad,
    ImportResult,
    NotPlain,
    clash_is_not_plain,
    columns_of,
    csv_rows,
    drop_duplicates,
    drop_unknown,
    finish,
    index_keys,
    make_stage,
    merge,
    stage_file,
    without_gc,
)
from pricing.matching.normalize import normalize_brand, normalize_gtin, normalize_part_number
from pricing.storage import Database
from pricing.storage.bulk import drop_stage, upsert_select
from pricing.storage.copy_text import Background, copy_lines, text_cells, texts_by_run
from pricing.storage.models import CrossReference, OurPrice, Part, SalesRecord, utcnow

__all__ = [
    "ImportResult",
    "import_catalog",
    "import_observations",
    "import_sales",
    "import_xrefs",
]

_CATALOG_FIELDS = list(CatalogRow.model_fields)
_PART_COLUMNS = [*_CATALOG_FIELDS, "part_number_norm", "updated_at"]


@without_gc
def import_catalog(
    db: Database, path: Path, *, skip_bad_rows: bool = False, as_of: dt.datetime | None = None
) -> ImportResult:
    """Parts from a file; a changed price enters our price history at ``as_of`` (default now)."""
    now = as_of or utcnow()
    gtin_at = 1 + _CATALOG_FIELDS.index("gtin")
    part_number_at = 1 + _CATALOG_FIELDS.index("part_number")

    def derive(row: tuple[Any, ...], bad: Bad) -> tuple[Any, ...]:
        out = list(row)
        out[gtin_at] = normalize_gtin(out[gtin_at]) or out[gtin_at]
        return (*out, normalize_part_number(row[part_number_at]), now)

    rows = csv_rows(path, CatalogRow, CATALOG_FAST)
    with db.session() as session:
        stage = make_stage(session, "_stage_parts", columns_of(Part, _PART_COLUMNS), ["sku"])
        bad = stage_file(session, stage, rows, derive)
        index_keys(session, stage)
        drop_duplicates(session, stage, ["sku"], "sku", bad)
        other = stage.alias("other")
        drop_unknown(session, stage, "superseded_by", bad,
                     also_known=exists().where(other.c.sku == stage.c.superseded_by))
        imported = finish(path, bad, rows.total, skip_bad_rows)
        merge(session, stage, Part, _PART_COLUMNS, ["sku"],
              [c for c in _PART_COLUMNS if c != "sku"])
        s = stage.c
        latest = _latest_our_prices()
        changed = (
            select(s.sku, literal(now, OurPrice.__table__.c.effective_at.type), s.price,
                   s.currency, literal("catalog"))
            .outerjoin(latest, latest.c.sku == s.sku)
            .where(latest.c.price.is_(None) | (latest.c.price != s.price))
            .order_by(s.sku)
        )
        upsert_select(session, OurPrice, ["sku", "effective_at", "price", "currency", "source"],
                      changed, keys=["sku", "effective_at"], update=["price"])
        drop_stage(session, stage)
    return ImportResult(str(path), imported, bad)


def _latest_our_prices() -> Any:
    """Each SKU's current price (its latest row of ``our_prices``): ``sku, price``."""
    newest = (
        select(OurPrice.sku, func.max(OurPrice.effective_at).label("at"))
        .group_by(OurPrice.sku)
        .subquery()
    )
    return (
        select(OurPrice.sku, OurPrice.price)
        .join(newest, (OurPrice.sku == newest.c.sku) & (OurPrice.effective_at == newest.c.at))
        .subquery()
    )


_XREF_COLUMNS = ["competitor_brand", "competitor_part_number", "sku", "relation",
                 "brand_norm", "part_number_norm"]
_XREF_KEY = ["brand_norm", "part_number_norm", "sku"]


@without_gc
def import_xrefs(db: Database, path: Path, *, skip_bad_rows: bool = False) -> ImportResult:
    """Cross-references; rows equal on the stored key (normalized brand and part number,
    SKU) would be merged into one, so they are duplicates."""

    def derive(row: tuple[Any, ...], bad: Bad) -> tuple[Any, ...]:
        return (*row, normalize_brand(row[1]), normalize_part_number(row[2]))

    rows = csv_rows(path, XrefRow, fields=_XREF_COLUMNS[:4])
    with db.session() as session:
        stage = make_stage(session, "_stage_xrefs", columns_of(CrossReference, _XREF_COLUMNS),
                           _XREF_KEY)
        bad = stage_file(session, stage, rows, derive)
        index_keys(session, stage)
        drop_duplicates(session, stage, _XREF_KEY,
                        "competitor_brand, competitor_part_number, sku", bad)
        drop_unknown(session, stage, "sku", bad)
        imported = finish(path, bad, rows.total, skip_bad_rows)
        merge(session, stage, CrossReference, _XREF_COLUMNS, _XREF_KEY,
              ["competitor_brand", "competitor_part_number", "relation"])
        drop_stage(session, stage)
    return ImportResult(str(path), imported, bad)


_SALES_COLUMNS = ["sku", "period_start", "units", "unit_price"]
_SALES_CHUNK_ROWS = 25_000  # rows per COPY on the direct path
_SKUS_KEPT = 100_000  # SKUs known to the catalog the direct path remembers at most


@without_gc
def import_sales(db: Database, path: Path, *, skip_bad_rows: bool = False) -> ImportResult:
    if db.dialect == "postgresql":
        try:
            return _import_sales_direct(db, path, skip_bad_rows=skip_bad_rows)
        except NotPlain:
            pass  # the general path decides, and reports, from scratch
    return _import_sales_staged(db, path, skip_bad_rows=skip_bad_rows)


def _import_sales_staged(db: Database, path: Path, *, skip_bad_rows: bool = False
                         ) -> ImportResult:
    rows = csv_rows(path, SalesRow, SALES_FAST)
    with db.session() as session:
        columns = columns_of(SalesRecord, _SALES_COLUMNS)
        stage = make_stage(session, "_stage_sales", columns, ["sku", "period_start"])
        bad = stage_file(session, stage, rows)
        index_keys(session, stage)
        drop_duplicates(session, stage, ["sku", "period_start"], "sku, date", bad)
        drop_unknown(session, stage, "sku", bad)
        imported = finish(path, bad, rows.total, skip_bad_rows)
        merge(session, stage, SalesRecord, _SALES_COLUMNS, ["sku", "period_start"],
              ["units", "unit_price"])
        drop_stage(session, stage)
    return ImportResult(str(path), imported, bad)


def _import_sales_direct(db: Database, path: Path, *, skip_bad_rows: bool = False
                         ) -> ImportResult:
    """The plain case on PostgreSQL, the general path's result at COPY speed: every row
    good (or, skipping bad rows, every row the model accepts), no key repeated in the
    file or already stored, every SKU known. The rows are then copied straight into
    ``sales_history`` a chunk at a time, in key order, by a thread while the next chunk
    is read (:class:`~pricing.storage.copy_text.Background`), so the database checks,
    inserts and indexes rows while Python reads the next ones, instead of after.
    Anything else raises :class:`NotPlain` and rolls back: a stored key, or one twice
    in the file, at the unique key's violation; an unknown SKU by a check of each
    chunk's SKUs before it is copied; a file whose first rows are stored (a re-import)
    before any row is written."""
    from sqlalchemy import tuple_

    rows = csv_rows(path, SalesRow, SALES_FAST)
    bad: Bad = []

    def plain() -> Iterator[list[list[Any]]]:
        for _, values, batch_bad in rows.columns():
            if batch_bad and not skip_bad_rows:
                raise NotPlain
            bad.extend(batch_bad)
            yield values

    with clash_is_not_plain(), db.session() as session:
        batches = plain()
        first = next(batches, None)
        if first and session.execute(
            select(SalesRecord.id).where(
                tuple_(SalesRecord.sku, SalesRecord.period_start).in_(
                    list(islice(zip(first[0], first[1], strict=True), PROBE_ROWS)))
            ).limit(1)
        ).first():
            raise NotPlain
        raw = session.connection().connection.driver_connection
        known: set[str] = set()  # SKUs checked already

        def write(chunk: _SalesChunk) -> None:
            unchecked = chunk.skus - known
            if len(known) + len(unchecked) > _SKUS_KEPT:
                known.clear()
            if unchecked and _unknown_sku(session, unchecked):
                raise NotPlain
            known.update(unchecked)
            # in key order: the rows of one SKU meet the same index pages
            copy_lines(raw, SalesRecord.__tablename__, _SALES_COLUMNS, sorted(chunk.lines))

        with Background(write) as background:
            for chunk in _sales_chunks(chain([first] if first else [], batches)):
                background.submit(chunk)
    return ImportResult(str(path), rows.total - len(bad), sorted(bad))


class _SalesChunk:
    """Sales rows as COPY text, and the SKUs they name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.skus: set[str] = set()


def _sales_chunks(batches: Iterable[list[list[Any]]]) -> Iterator[_SalesChunk]:
    """Batches of sales rows (columns ``sku, date, units, unit_price``) as chunks."""
    chunk = _SalesChunk()
    for sku, date, units, unit_price in batches:
        chunk.lines += map("%s\t%s\t%s\t%s\n".__mod__, zip(
            text_cells(sku), texts_by_run(date), map(str, units), map(str, unit_price),
            strict=True))
        chunk.skus.update(sku)
        if len(chunk.lines) >= _SALES_CHUNK_ROWS:
            yield chunk
            chunk = _SalesChunk()
    if chunk.lines:
        yield chunk


def _unknown_sku(session: Session, skus: set[str]) -> bool:
    """Whether the catalog lacks any of ``skus``."""
    given = func.unnest(literal(sorted(skus), ARRAY(String))).table_valued("sku").render_derived()
    return session.execute(
        select(given.c.sku).where(~exists().where(Part.sku == given.c.sku)).limit(1)
    ).first() is not None
