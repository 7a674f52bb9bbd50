"""Dialect-aware bulk writes with Core: upserts and insert-or-ignore.

Both SQLite and PostgreSQL support ``INSERT ... ON CONFLICT``; these helpers pick the
dialect's construct so callers write one code path and re-running a write is harmless.
For data too large to hold in Python, rows are streamed into a temporary stage table
(:func:`stage_table`, :func:`copy_batches`: COPY on PostgreSQL) and merged from there
in SQL (:func:`merge_select`, :func:`upsert_select`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import compress, islice, repeat
from operator import itemgetter, ne
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Column,
    CursorResult,
    Date,
    MetaData,
    Select,
    Table,
    and_,
    exists,
    select,
    true,
)
from sqlalchemy import update as sa_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session

from pricing.storage.models import UTCDateTime

# SQLite allows 32766 bound parameters per statement; stay well below for wide rows.
_CHUNK_ROWS = 500
_T = TypeVar("_T")
_SQLITE_CACHE_KIB = 512 * 1024


def _table(model: type[DeclarativeBase] | Table) -> Table:
    return model if isinstance(model, Table) else model.__table__  # type: ignore[return-value]


def dialect_insert(session: Session, table: Table) -> Any:
    """The dialect's INSERT construct (it has ``on_conflict_do_*``) for ``table``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"bulk writes are not implemented for {dialect}")


def _chunks(rows: Iterable[_T], size: int) -> Iterable[list[_T]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def upsert(
    session: Session,
    model: type[DeclarativeBase] | Table,
    rows: Iterable[dict[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> int:
    """Insert rows, updating ``update`` columns where ``keys`` already exist."""
    table = _table(model)
    count = 0
    for chunk in _chunks(rows, _CHUNK_ROWS):
        stmt = dialect_insert(session, table)
        if update:
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys),
                set_={col: getattr(stmt.excluded, col) for col in update},
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        session.execute(stmt, chunk)
        count += len(chunk)
    return count


def insert_ignore(
    session: Session,
    model: type[DeclarativeBase] | Table,
    rows: Iterable[dict[str, Any]],
    *,
    keys: Sequence[str],
) -> int:
    """Insert rows whose ``keys`` are new; rows already stored are left untouched."""
    return upsert(session, model, rows, keys=keys, update=())


def claim(session: Session, model: type[DeclarativeBase] | Table, row: dict[str, Any],
          *, keys: Sequence[str]) -> bool:
    """Insert ``row`` unless a row with its ``keys`` exists; True if this call inserted it.

    The database's unique constraint decides, so of many concurrent claims exactly one
    wins: the others wait for its transaction and then find the row.
    """
    table = _table(model)
    stmt = (dialect_insert(session, table).values(**row)
            .on_conflict_do_nothing(index_elements=list(keys))
            .returning(*(table.c[k] for k in keys)))
    return session.execute(stmt).first() is not None


def copy_insert_ignore(
    session: Session,
    model: type[DeclarativeBase] | Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    keys: Sequence[str],
    batch: int = 500_000,
) -> int:
    """Load many rows fast, skipping those whose ``keys`` are already stored.

    ``rows`` are tuples in ``columns`` order, consumed as a stream, ``batch`` at a time,
    each batch in key order. PostgreSQL gets COPY (falling back to a staging table and
    ``INSERT ... ON CONFLICT DO NOTHING`` for a batch that repeats stored keys, so a
    re-run is harmless); SQLite gets a prepared ``INSERT OR IGNORE`` run with
    ``executemany``. Values go through the columns' own bind processing, so what is
    stored is what the ORM would store. Everything runs in the session's transaction.
    Returns the number of rows actually inserted.
    """
    table = _table(model)
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        return _copy_postgresql(session, table, columns, rows, keys, batch)
    if dialect.name == "sqlite":
        return _executemany_sqlite(session, table, columns, rows, keys, batch)
    raise NotImplementedError(f"bulk writes are not implemented for {dialect.name}")


def _quoted(session: Session, names: Iterable[str]) -> str:
    quote = session.get_bind().dialect.identifier_preparer.quote
    return ", ".join(quote(n) for n in names)


def _copy_postgresql(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    keys: Sequence[str],
    batch: int,
) -> int:
    """Binary COPY of each batch straight into the table inside a savepoint: new rows,
    the usual case, go in at COPY speed. A batch that meets a stored key is rolled back and goes
    through a staging table and ``INSERT ... ON CONFLICT DO NOTHING`` instead."""
    from psycopg.errors import UniqueViolation

    raw = _driver_connection(session)
    cols = _quoted(session, columns)
    processors = _processors(session, table, columns)
    types = _pg_types(session, table, columns)
    inserted = 0
    for chunk in _chunks(rows, batch):
        _sort_in_key_order(chunk, columns, keys)
        values: list[Any] = list(processors(chunk)) if processors else list(chunk)
        try:
            with session.begin_nested():
                session.connection()  # the SAVEPOINT is made when the connection is asked for
                with (
                    raw.cursor() as cur,
                    cur.copy(f"COPY {table.name} ({cols}) FROM STDIN (FORMAT BINARY)") as copy,
                ):
                    copy.set_types(types)
                    for row in values:
                        copy.write_row(row)
            inserted += len(values)
        except UniqueViolation:
            inserted += _stage_postgresql(session, raw, table, columns, keys, values)
    return inserted


def _stage_postgresql(
    session: Session,
    raw: Any,
    table: Table,
    columns: Sequence[str],
    keys: Sequence[str],
    values: list[list[Any]],
) -> int:
    stage = f"_stage_{table.name}"
    cols, conflict = _quoted(session, columns), _quoted(session, keys)
    with raw.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
        cur.execute(f"CREATE TEMP TABLE {stage} AS SELECT {cols} FROM {table.name} WITH NO DATA")
        with cur.copy(f"COPY {stage} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_pg_types(session, table, columns))
            for row in values:
                copy.write_row(row)
        cur.execute(
            f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} "
            f"ORDER BY {conflict} ON CONFLICT ({conflict}) DO NOTHING"
        )
        inserted = max(cur.rowcount, 0)
        cur.execute(f"DROP TABLE {stage}")
    return inserted


def _driver_connection(session: Session) -> Any:
    """The DB-API connection under the session's transaction (psycopg or sqlite3)."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    return raw


def _pg_types(session: Session, table: Table, columns: Sequence[str]) -> list[str]:
    """PostgreSQL type names for binary COPY: ``NUMERIC(18, 4)`` -> ``numeric``."""
    dialect = session.get_bind().dialect
    return [
        re.sub(r"\(.*\)", "", table.c[c].type.compile(dialect=dialect)).strip().lower()
        for c in columns
    ]


def _executemany_sqlite(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    keys: Sequence[str],
    batch: int,
) -> int:
    processors = _processors(session, table, columns)
    sql = (
        f"INSERT OR IGNORE INTO {table.name} ({_quoted(session, columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    raw = _driver_connection(session)
    cur = raw.cursor()
    # the default 2 MB page cache thrashes once the indexes outgrow it
    (cache,) = cur.execute("PRAGMA cache_size").fetchone()
    cur.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
    inserted = 0
    try:
        for chunk in _chunks(rows, batch):
            _sort_in_key_order(chunk, columns, keys)
            cur.executemany(sql, processors(chunk) if processors else chunk)
            inserted += max(cur.rowcount, 0)
    finally:
        cur.execute(f"PRAGMA cache_size = {int(cache)}")
        cur.close()
    return inserted


def _sort_in_key_order(
    chunk: list[Sequence[Any]], columns: Sequence[str], keys: Sequence[str]
) -> None:
    """Sort rows by their conflict keys.

    Rows arrive in crawl order (every listing on one day, then the next day), which
    scatters them over the (listing, time) indexes; inserted in key order, each index
    page is visited once per batch instead of once per row.
    """
    by_key = itemgetter(*(columns.index(k) for k in keys))
    try:
        chunk.sort(key=by_key)
    except TypeError:  # a null in a key column: nulls first
        chunk.sort(key=lambda row: tuple((v is not None, v) for v in _as_tuple(by_key(row))))


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


def _processors(session: Session, table: Table, columns: Sequence[str]) -> Any:
    """A function giving a batch of rows' values as the dialect takes them (UTC
    datetimes, and decimals on SQLite): only the columns whose type processes values
    are touched, a column at a time. None when no column's type does."""
    dialect = session.get_bind().dialect
    steps = [
        (i, proc, isinstance(table.c[c].type, _SAME_WHEN_EQUAL))
        for i, c in enumerate(columns)
        if (proc := table.c[c].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]

    if not steps:
        return None

    def process(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        if not rows:
            return []
        values: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for i, proc, by_run in steps:
            values[i] = _by_run(proc, values[i]) if by_run else [
                None if v is None else proc(v) for v in values[i]]
        return list(zip(*values, strict=True))

    return process


# Types whose equal values are stored alike (UTCDateTime converts to UTC first), so
# that a run of equal ones (a file's rows share a few moments) is processed once.
_SAME_WHEN_EQUAL = (UTCDateTime, Date)


def _by_run(proc: Any, values: Sequence[Any]) -> list[Any]:
    ends = [*compress(range(1, len(values)), map(ne, values, islice(values, 1, None))),
            len(values)]
    out: list[Any] = []
    start = 0
    for end in ends:
        value = values[start]
        out += repeat(None if value is None else proc(value), end - start)
        start = end
    return out


# --- staging: a file's rows loaded as they are read, checked in SQL, then merged ------


def stage_table(session: Session, name: str, columns: Sequence[Column[Any]]) -> Table:
    """A temporary table ``name`` of ``columns`` (typed as the target's, so values are
    stored and compared as there), created in the session's transaction; drop it with
    :func:`drop_stage`. A leftover of the same name (a failed SQLite run on a pooled
    connection) is dropped first."""
    table = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
    conn = session.connection()
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    table.create(conn)
    return table


def drop_stage(session: Session, table: Table) -> None:
    session.connection().exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")


def copy_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch: int = 20_000,
) -> int:
    """Append rows (tuples in ``columns`` order, consumed as a stream) to a table with
    no conflicts to handle, such as a stage; see :func:`copy_batches`."""
    return copy_batches(session, table, columns, _chunks(rows, batch))


def copy_batches(
    session: Session,
    table: Table,
    columns: Sequence[str],
    batches: Iterable[Sequence[Sequence[Any]]],
) -> int:
    """Append batches of rows (tuples in ``columns`` order; the batches consumed as a
    stream) to a table with no conflicts to handle, such as a stage: one binary COPY on
    PostgreSQL, a prepared ``executemany`` per batch on SQLite. Returns the rows
    written."""
    dialect = session.get_bind().dialect.name
    processors = _processors(session, table, columns)
    raw = _driver_connection(session)
    cols = _quoted(session, columns)
    written = 0
    if dialect == "postgresql":
        types = _pg_types(session, table, columns)
        with raw.cursor() as cur, cur.copy(
            f"COPY {table.name} ({cols}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(types)
            write = copy.write_row
            for chunk in batches:
                for row in processors(chunk) if processors else chunk:
                    write(row)
                written += len(chunk)
        return written
    if dialect == "sqlite":
        sql = f"INSERT INTO {table.name} ({cols}) VALUES ({', '.join('?' for _ in columns)})"
        cur = raw.cursor()
        try:
            for chunk in batches:
                cur.executemany(sql, processors(chunk) if processors else chunk)
                written += len(chunk)
        finally:
            cur.close()
        return written
    raise NotImplementedError(f"bulk writes are not implemented for {dialect}")


def upsert_select(
    session: Session,
    model: type[DeclarativeBase] | Table,
    columns: Sequence[str],
    rows: Select[Any],
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> int:
    """``INSERT INTO model (columns) rows ON CONFLICT (keys)``: update the ``update``
    columns (none: keep the stored row). ``rows`` should end in a WHERE clause (SQLite
    reads ``SELECT ... ON CONFLICT`` as a join otherwise). Returns the rows written."""
    table = _table(model)
    stmt = dialect_insert(session, table).from_select(list(columns), rows)
    if update:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: getattr(stmt.excluded, c) for c in update}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    return max(cast(CursorResult[Any], session.execute(stmt)).rowcount, 0)


def merge_select(
    session: Session,
    model: type[DeclarativeBase] | Table,
    columns: Sequence[str],
    rows: Select[Any],
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """What :func:`upsert_select` does, as an ``UPDATE`` of the keys already stored and
    a plain ``INSERT`` of the others, in key order: each row then costs a fraction of
    ``ON CONFLICT``'s speculative insertion. ``rows`` must name its columns as
    ``columns`` and hold each key once. Should another writer store one of the keys
    meanwhile (or ``rows`` repeat one), the step is redone as :func:`upsert_select`."""
    table = _table(model)
    src = rows.subquery()
    stored = and_(*(table.c[k] == src.c[k] for k in keys))
    in_order = select(*(src.c[c] for c in columns)).order_by(*(src.c[k] for k in keys))
    try:
        with session.begin_nested():
            if update:
                session.execute(
                    sa_update(table).where(stored).values({c: src.c[c] for c in update})
                )
            session.execute(
                dialect_insert(session, table).from_select(
                    list(columns), in_order.where(~exists().where(stored))
                )
            )
    except IntegrityError:
        upsert_select(session, model, columns, in_order.where(true()), keys=keys, update=update)
