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
error rolls the whole transaction back, so nothing stored before is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, groupby
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import Column, Index, Integer, Table, and_, exists, func, literal, select
from sqlalchemy.orm import Session

from pricing.bounds import FUTURE_SKEW
from pricing.errors import InputFileError
from pricing.imports.reader import CsvRows, FastColumn
from pricing.imports.rows import (
    CATALOG_FAST,
    OBSERVATION_FAST,
    SALES_FAST,
    CatalogRow,
    ObservationRow,
    SalesRow,
    XrefRow,
    reason,
)
from pricing.matching.normalize import normalize_brand, normalize_gtin, normalize_part_number
from pricing.observations import (
    STAGE_COLUMNS,
    observation_stage,
    observed_unit_price,
    store_staged,
)
from pricing.storage import Database
from pricing.storage.bulk import (
    copy_batches,
    drop_stage,
    merge_select,
    stage_table,
    upsert_select,
)
from pricing.storage.models import CrossReference, OurPrice, Part, SalesRecord, utcnow

__all__ = [
    "ImportResult",
    "import_catalog",
    "import_observations",
    "import_sales",
    "import_xrefs",
]

_DELETE_CHUNK = 500
_WORK_MEM = "128MB"  # per sort of the import's transaction on PostgreSQL
Bad = list[tuple[int, str]]
Derive = Callable[[tuple[Any, ...], Bad], tuple[Any, ...] | None]


@dataclass
class ImportResult:
    file: str
    imported: int
    skipped: list[tuple[int, str]] = field(default_factory=list)


# --- the steps every import takes -----------------------------------------------------


def _stage_file(
    session: Session,
    stage: Table,
    rows: CsvRows,
    derive: Derive | None = None,
) -> Bad:
    """Read and check every row of the file, loading the good ones into ``stage`` a
    batch at a time as they come (``derive`` turns a row ``(line, *values)`` into the
    stage's, or reports it bad and gives None); the bad ones are returned."""
    bad: Bad = []

    def good() -> Iterator[list[tuple[Any, ...]]]:
        for batch, batch_bad in rows:
            bad.extend(batch_bad)
            if derive is None:
                yield batch
            else:
                yield [out for row in batch if (out := derive(row, bad)) is not None]

    copy_batches(session, stage, [c.name for c in stage.columns], good())
    return bad


def _stage(session: Session, name: str, columns: Sequence[Column[Any]],
           keys: Sequence[str]) -> Table:
    """A stage of ``columns`` numbered by line, with an index on the file's key (built by
    :func:`_index_keys` where it helps)."""
    table = stage_table(
        session, name, [Column("line", Integer, primary_key=True, autoincrement=False), *columns]
    )
    Index(f"ix{name}_key", *(table.c[k] for k in keys))
    return table


def _index_keys(session: Session, stage: Table) -> None:
    """Prepare the loaded stage for the checks. SQLite gets the key index (built once
    the rows are in: faster than growing it row by row), which its GROUP BY and
    lookups need; PostgreSQL hashes instead, and gets the stage's statistics (a
    temporary table has none until analyzed), so that merging a small file into a
    large table probes the table's index rather than scanning it, and room to sort the
    stage in memory (the default 4 MB spills a large file's sorts to disk)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {stage.name}")
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{_WORK_MEM}'")
        return
    for index in stage.indexes:
        index.create(conn)


def _drop_lines(session: Session, stage: Table, lines: Sequence[int]) -> None:
    for start in range(0, len(lines), _DELETE_CHUNK):
        chunk = lines[start : start + _DELETE_CHUNK]
        session.execute(stage.delete().where(stage.c.line.in_(chunk)))


def _duplicates(session: Session, stage: Table, keys: Sequence[str], columns: str,
                bad: Bad) -> None:
    """Rows whose key another row of the file has are bad on every such line, naming
    the others; they leave the stage."""
    cols = [stage.c[k] for k in keys]
    shared = select(*cols).group_by(*cols).having(func.count() > 1).subquery()
    found = session.execute(
        select(stage.c.line, *cols)
        .join(shared, and_(*(c == shared.c[c.name] for c in cols)))
        .order_by(*cols, stage.c.line)
    )
    dropped = []
    for _, group in groupby(found, key=lambda row: tuple(row[1:])):
        lines = [row[0] for row in group]
        for line in lines:
            others = ", ".join(str(n) for n in lines if n != line)
            bad.append((line, f"{columns}: duplicate key, also on line {others}"))
        dropped += lines
    _drop_lines(session, stage, dropped)


def _unknown(session: Session, stage: Table, column: str, bad: Bad, *,
             also_known: Any = None) -> None:
    """Rows naming a SKU in ``column`` that the catalog (or ``also_known``, a
    condition on the SKU ``stage.c[column]``) does not have are bad, and leave."""
    sku = stage.c[column]
    # each "not known" its own NOT EXISTS, so each can be planned as an anti-join
    unknown = [sku.is_not(None), ~exists().where(Part.sku == sku)]
    if also_known is not None:
        unknown.append(~also_known)
    found = session.execute(
        select(stage.c.line, sku).where(*unknown).order_by(stage.c.line)
    ).all()
    for line, value in found:
        bad.append((line, f"{column}: unknown sku {value!r} (import the catalog first)"))
    _drop_lines(session, stage, [line for line, _ in found])


def _finish(path: Path, bad: Bad, total: int, skip_bad_rows: bool) -> int:
    """All-or-nothing: any bad row stops the file unless bad rows are skipped. Returns
    the number of good rows."""
    bad.sort()
    if bad and not skip_bad_rows:
        raise InputFileError(path, bad, total)
    return total - len(bad)


def _merge(session: Session, stage: Table, model: Any, columns: Sequence[str],
           keys: Sequence[str], update: Sequence[str]) -> None:
    """The stage's rows into ``model``'s table; a stored key is updated."""
    merge_select(session, model, columns, select(*(stage.c[c] for c in columns)),
                 keys=keys, update=update)


def _columns(model: Any, names: Sequence[str]) -> list[Column[Any]]:
    table = model.__table__
    return [Column(n, table.c[n].type) for n in names]


def _rows(path: Path, model: type[BaseModel], fast: dict[str, FastColumn] | None = None,
          fields: Sequence[str] | None = None) -> CsvRows:
    return CsvRows(path, model, reason, fields=fields, fast=fast)


# --- the files ------------------------------------------------------------------------

_CATALOG_FIELDS = list(CatalogRow.model_fields)
_PART_COLUMNS = [*_CATALOG_FIELDS, "part_number_norm", "updated_at"]


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

    rows = _rows(path, CatalogRow, CATALOG_FAST)
    with db.session() as session:
        stage = _stage(session, "_stage_parts", _columns(Part, _PART_COLUMNS),
                       ["sku"])
        bad = _stage_file(session, stage, rows, derive)
        _index_keys(session, stage)
        _duplicates(session, stage, ["sku"], "sku", bad)
        other = stage.alias("other")
        _unknown(session, stage, "superseded_by", bad,
                 also_known=exists().where(other.c.sku == stage.c.superseded_by))
        imported = _finish(path, bad, rows.total, skip_bad_rows)
        _merge(session, stage, Part, _PART_COLUMNS, ["sku"],
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


def import_xrefs(db: Database, path: Path, *, skip_bad_rows: bool = False) -> ImportResult:
    """Cross-references; rows equal on the stored key (normalized brand and part number,
    SKU) would be merged into one, so they are duplicates."""

    def derive(row: tuple[Any, ...], bad: Bad) -> tuple[Any, ...]:
        return (*row, normalize_brand(row[1]), normalize_part_number(row[2]))

    rows = _rows(path, XrefRow, fields=_XREF_COLUMNS[:4])
    with db.session() as session:
        stage = _stage(session, "_stage_xrefs", _columns(CrossReference, _XREF_COLUMNS), _XREF_KEY)
        bad = _stage_file(session, stage, rows, derive)
        _index_keys(session, stage)
        _duplicates(session, stage, _XREF_KEY,
                    "competitor_brand, competitor_part_number, sku", bad)
        _unknown(session, stage, "sku", bad)
        imported = _finish(path, bad, rows.total, skip_bad_rows)
        _merge(session, stage, CrossReference, _XREF_COLUMNS, _XREF_KEY,
               ["competitor_brand", "competitor_part_number", "relation"])
        drop_stage(session, stage)
    return ImportResult(str(path), imported, bad)


_SALES_COLUMNS = ["sku", "period_start", "units", "unit_price"]


def import_sales(db: Database, path: Path, *, skip_bad_rows: bool = False) -> ImportResult:
    if db.dialect == "postgresql":
        try:
            return _import_sales_direct(db, path, skip_bad_rows=skip_bad_rows)
        except _NotPlain:
            pass  # the general path decides, and reports, from scratch
    return _import_sales_staged(db, path, skip_bad_rows=skip_bad_rows)


def _import_sales_staged(db: Database, path: Path, *, skip_bad_rows: bool = False
                         ) -> ImportResult:
    rows = _rows(path, SalesRow, SALES_FAST)
    with db.session() as session:
        columns = _columns(SalesRecord, _SALES_COLUMNS)
        stage = _stage(session, "_stage_sales", columns, ["sku", "period_start"])
        bad = _stage_file(session, stage, rows)
        _index_keys(session, stage)
        _duplicates(session, stage, ["sku", "period_start"], "sku, date", bad)
        _unknown(session, stage, "sku", bad)
        imported = _finish(path, bad, rows.total, skip_bad_rows)
        _merge(session, stage, SalesRecord, _SALES_COLUMNS, ["sku", "period_start"],
               ["units", "unit_price"])
        drop_stage(session, stage)
    return ImportResult(str(path), imported, bad)


_PROBE_ROWS = 100  # a file's first rows, looked up to tell a re-import before loading it


class _NotPlain(Exception):
    """The file is not one the direct path may load: its transaction is rolled back."""


def _import_sales_direct(db: Database, path: Path, *, skip_bad_rows: bool = False
                         ) -> ImportResult:
    """The plain case on PostgreSQL, the general path's result at COPY speed: every row
    good (or, skipping bad rows, every row the model accepts), no key repeated in the
    file or already stored, every SKU known. The rows are then copied straight into
    ``sales_history`` while the file is read, so the database inserts and indexes them
    while Python checks the next ones, instead of after. Anything else raises
    :class:`_NotPlain` and rolls back: a stored key, or one twice in the file, at the
    unique key's violation; an unknown SKU by a check of the rows just written (ids
    above the largest stored before); a file whose first rows are stored (a re-import)
    before any row is written."""
    from psycopg.errors import UniqueViolation
    from sqlalchemy import tuple_
    from sqlalchemy.exc import IntegrityError

    rows = _rows(path, SalesRow, SALES_FAST)
    table = cast(Table, SalesRecord.__table__)
    bad: Bad = []
    try:
        with db.session() as session:
            top = session.scalar(select(func.coalesce(func.max(SalesRecord.id), 0)))
            batches = iter(rows)

            def plain(batch: list[tuple[Any, ...]], batch_bad: Bad) -> list[tuple[Any, ...]]:
                if batch_bad and not skip_bad_rows:
                    raise _NotPlain
                bad.extend(batch_bad)
                return [row[1:] for row in batch]

            first = plain(*next(batches, ([], [])))
            if first and session.execute(
                select(SalesRecord.id).where(
                    tuple_(SalesRecord.sku, SalesRecord.period_start).in_(
                        [row[:2] for row in first[:_PROBE_ROWS]])
                ).limit(1)
            ).first():
                raise _NotPlain
            copy_batches(session, table, _SALES_COLUMNS,
                         chain([first], (plain(*b) for b in batches)))
            unknown = session.execute(
                select(SalesRecord.id)
                .where(SalesRecord.id > top, ~exists().where(Part.sku == SalesRecord.sku))
                .limit(1)
            ).first()
            if unknown:
                raise _NotPlain
    except UniqueViolation:
        raise _NotPlain from None
    except IntegrityError as exc:
        if isinstance(exc.orig, UniqueViolation):
            raise _NotPlain from None
        raise
    return ImportResult(str(path), rows.total - len(bad), sorted(bad))


_OBS_KEY = ["competitor", "url", "observed_at"]


def import_observations(
    db: Database,
    path: Path,
    *,
    skip_bad_rows: bool = False,
    as_of: dt.datetime | None = None,
) -> ImportResult:
    """Competitor prices from a file; rows without ``observed_at`` are stamped ``as_of``
    (default now), and rows observed more than ``FUTURE_SKEW`` after it are refused."""
    as_of = as_of or utcnow()
    latest = as_of + FUTURE_SKEW
    titles: dict[str, int | None] = {}

    def derive(row: tuple[Any, ...], bad: Bad) -> tuple[Any, ...] | None:
        (line, competitor, url, title, price, currency, brand, part_number, gtin, pack_qty,
         availability, observed_at) = row
        at = _as_utc(observed_at) if observed_at else as_of
        if at > latest:
            bad.append((line, f"observed_at: {at.isoformat()} is in the future (more than "
                              f"{_span(FUTURE_SKEW)} after {as_of.isoformat(timespec='seconds')})"))
            return None
        # in STAGE_COLUMNS order
        per_unit = observed_unit_price(price, pack_qty, title, titles)
        return (line, competitor, url, title, brand, part_number, gtin, pack_qty, at, price,
                str(price), currency, None, per_unit, availability, "import")

    rows = _rows(path, ObservationRow, OBSERVATION_FAST)
    with db.session() as session:
        stage = observation_stage(session, "_stage_import_observations")
        Index("ix_stage_import_observations_key", *(stage.c[k] for k in _OBS_KEY))
        bad = _stage_file(session, stage, rows, derive)
        _index_keys(session, stage)
        _duplicates(session, stage, _OBS_KEY, "competitor, url, observed_at", bad)
        imported = _finish(path, bad, rows.total, skip_bad_rows)
        store_staged(session, stage, source="import")
        drop_stage(session, stage)
    return ImportResult(str(path), imported, bad)


assert STAGE_COLUMNS[:3] == ("line", "competitor", "url")


def _span(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
