"""Bulk reads column by column: a Core select run on the driver's cursor.

For a hundred thousand rows, SQLAlchemy's per-row result objects and per-value type
processing cost more than the query. :func:`read_columns` runs the same compiled
statement on the DBAPI cursor, transposes the rows once, and maps each column's own
result processor over the whole column (the C processors SQLAlchemy would call value
by value), so the values are exactly what ``conn.execute(stmt).all()`` gives.
"""

from __future__ import annotations

from typing import Any, TypeVarTuple

from sqlalchemy import Connection, Select

_Ts = TypeVarTuple("_Ts")


def read_columns(conn: Connection, stmt: Select[*_Ts]) -> list[list[Any]]:
    """One list per selected column, each value as SQLAlchemy would return it."""
    dialect = conn.dialect
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    for name, bind in compiled.binds.items():
        if name in params and params[name] is not None:
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                params[name] = process(params[name])
    args: Any = params
    if compiled.positiontup is not None:
        args = [params[name] for name in compiled.positiontup]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), args)
        rows = cursor.fetchall()
        description = cursor.description
    finally:
        cursor.close()
    selected = list(stmt.selected_columns)
    if not rows:
        return [[] for _ in selected]
    out = []
    for column, values, info in zip(selected, zip(*rows, strict=True), description,
                                    strict=True):
        process = column.type.dialect_impl(dialect).result_processor(dialect, info[1])
        out.append(list(map(process, values)) if process is not None else list(values))
    return out
