"""The steps every import takes: read and check a file into a stage table, check the
stage as a whole (duplicate keys, unknown SKUs), decide all-or-nothing, merge.

See :mod:`pricing.imports` for what an import promises; the files' own steps are
there and in :mod:`pricing.imports.observations`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from itertools import groupby
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel
from sqlalchemy import Column, Index, Integer, Table, and_, exists, func, select
from sqlalchemy.orm import Session

from pricing.errors import InputFileError
from pricing.imports.reader import CsvRows, FastColumn
from pricing.imports.rows import reason
from pricing.storage.bulk import copy_batches, merge_select, stage_table
from pricing.storage.models import Part

_DELETE_CHUNK = 500
WORK_MEM = "128MB"  # per sort of the import's transaction on PostgreSQL
Bad = list[tuple[int, str]]
Derive = Callable[[tuple[Any, ...], Bad], tuple[Any, ...] | None]


@dataclass
class ImportResult:
    file: str
    imported: int
    skipped: list[tuple[int, str]] = field(default_factory=list)


def stage_file(
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


def make_stage(session: Session, name: str, columns: Sequence[Column[Any]],
               keys: Sequence[str]) -> Table:
    """A stage of ``columns`` numbered by line, with an index on the file's key (built by
    :func:`index_keys` where it helps)."""
    table = stage_table(
        session, name, [Column("line", Integer, primary_key=True, autoincrement=False), *columns]
    )
    Index(f"ix{name}_key", *(table.c[k] for k in keys))
    return table


def index_keys(session: Session, stage: Table) -> None:
    """Prepare the loaded stage for the checks. SQLite gets the key index (built once
    the rows are in: faster than growing it row by row), which its GROUP BY and
    lookups need; PostgreSQL hashes instead, and gets the stage's statistics (a
    temporary table has none until analyzed), so that merging a small file into a
    large table probes the table's index rather than scanning it, and room to sort the
    stage in memory (the default 4 MB spills a large file's sorts to disk)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {stage.name}")
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
        return
    for index in stage.indexes:
        index.create(conn)


def _drop_lines(session: Session, stage: Table, lines: Sequence[int]) -> None:
    for start in range(0, len(lines), _DELETE_CHUNK):
        chunk = lines[start : start + _DELETE_CHUNK]
        session.execute(stage.delete().where(stage.c.line.in_(chunk)))


def drop_duplicates(session: Session, stage: Table, keys: Sequence[str], columns: str,
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


def drop_unknown(session: Session, stage: Table, column: str, bad: Bad, *,
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


def finish(path: Path, bad: Bad, total: int, skip_bad_rows: bool) -> int:
    """All-or-nothing: any bad row stops the file unless bad rows are skipped. Returns
    the number of good rows."""
    bad.sort()
    if bad and not skip_bad_rows:
        raise InputFileError(path, bad, total)
    return total - len(bad)


def merge(session: Session, stage: Table, model: Any, columns: Sequence[str],
          keys: Sequence[str], update: Sequence[str]) -> None:
    """The stage's rows into ``model``'s table; a stored key is updated."""
    merge_select(session, model, columns, select(*(stage.c[c] for c in columns)),
                 keys=keys, update=update)


def columns_of(model: Any, names: Sequence[str]) -> list[Column[Any]]:
    table = model.__table__
    return [Column(n, table.c[n].type) for n in names]


def csv_rows(path: Path, model: type[BaseModel], fast: dict[str, FastColumn] | None = None,
             fields: Sequence[str] | None = None) -> CsvRows:
    return CsvRows(path, model, reason, fields=fields, fast=fast)


PROBE_ROWS = 100  # a file's first rows, looked up to tell a re-import before loading it


class NotPlain(Exception):
    """The file is not one the direct path may load: its transaction is rolled back."""


@contextmanager
def clash_is_not_plain() -> Iterator[None]:
    """A direct path's block: a unique key's violation (a row twice in the file, or
    stored before) means the file is not plain, :class:`NotPlain`."""
    from psycopg.errors import UniqueViolation
    from sqlalchemy.exc import IntegrityError

    try:
        yield
    except UniqueViolation:
        raise NotPlain from None
    except IntegrityError as exc:
        if isinstance(exc.orig, UniqueViolation):
            raise NotPlain from None
        raise


_P = ParamSpec("_P")
_R = TypeVar("_R")


def without_gc(run: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run an import with Python's cyclic garbage collector paused: a file's rows are
    millions of short-lived tuples and lists, freed as they go and hardly ever in cycles, yet
    each few hundred of them set off a collection that walks every object the process
    holds (a quarter of an observation import's CPU time). Reference counting still
    frees them; collecting resumes, if it ran before, when the import returns."""

    @wraps(run)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with _gc_paused():
            return run(*args, **kwargs)

    return paused


@contextmanager
def _gc_paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
