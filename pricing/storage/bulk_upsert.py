"""Upserting many rows at the driver's speed: what :func:`pricing.storage.bulk.upsert`
does, for streams of hundreds of thousands of rows (the match step's results).

SQLite gets one prepared ``INSERT ... ON CONFLICT DO UPDATE`` run with ``executemany``;
PostgreSQL gets a binary COPY into a staging table and one ``INSERT ... SELECT ... ON
CONFLICT DO UPDATE`` per batch. Values go through the columns' own bind processing, so
what is stored is what the ORM would store. Everything runs in the session's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase, Session

from pricing.storage.bulk import (
    _chunks,
    _driver_connection,
    _pg_types,
    _processors,
    _quoted,
    _table,
)

__all__ = ["fast_upsert"]


def fast_upsert(
    session: Session,
    model: type[DeclarativeBase] | Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
    batch: int = 20_000,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, consumed as a stream, ``batch`` at a
    time), updating the ``update`` columns where ``keys`` are already stored. Returns
    the number of rows written."""
    table = _table(model)
    dialect = session.get_bind().dialect.name
    cols, conflict = _quoted(session, columns), _quoted(session, keys)
    quote = session.get_bind().dialect.identifier_preparer.quote
    assignments = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update)
    processors = _processors(session, table, columns) or list
    raw = _driver_connection(session)
    written = 0
    if dialect == "sqlite":
        sql = (
            f"INSERT INTO {table.name} ({cols}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {assignments}"
        )
        cur = raw.cursor()
        try:
            for chunk in _chunks(rows, batch):
                cur.executemany(sql, processors(chunk))
                written += len(chunk)
        finally:
            cur.close()
        return written
    if dialect != "postgresql":
        raise NotImplementedError(f"bulk writes are not implemented for {dialect}")
    stage = f"_stage_{table.name}"
    types = _pg_types(session, table, columns)
    with raw.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
        cur.execute(f"CREATE TEMP TABLE {stage} AS SELECT {cols} FROM {table.name} WITH NO DATA")
        for chunk in _chunks(rows, batch):
            cur.execute(f"TRUNCATE {stage}")
            with cur.copy(f"COPY {stage} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in processors(chunk):
                    copy.write_row(row)
            cur.execute(
                f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} "
                f"ON CONFLICT ({conflict}) DO UPDATE SET {assignments}"
            )
            written += len(chunk)
        cur.execute(f"DROP TABLE {stage}")
    return written
