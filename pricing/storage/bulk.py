"""Dialect-aware bulk writes with Core: upserts and insert-or-ignore.

Both SQLite and PostgreSQL support ``INSERT ... ON CONFLICT``; these helpers pick the
dialect's construct so callers write one code path and re-running a write is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session

# SQLite allows 32766 bound parameters per statement; stay well below for wide rows.
_CHUNK_ROWS = 500


def _table(model: type[DeclarativeBase] | Table) -> Table:
    return model if isinstance(model, Table) else model.__table__  # type: ignore[return-value]


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"bulk writes are not implemented for {dialect}")


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
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
        stmt = _insert(session, table)
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
