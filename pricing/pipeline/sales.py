"""The optimizer's sales histories, read on the second core when there are many.

Reading a few million sales rows is the single longest step of an optimizer run, and
it does not depend on anything else the run reads. :class:`SalesPrefetch` starts a
helper process (:mod:`pricing.pipeline.sales_reader`) on its own connection as the
run begins, so the rows stream in while this process reads the catalog and the
competitor prices; small histories, and databases a second process cannot open (an
in-memory SQLite), are read here instead. Both paths run the same two queries through
the same code, so they give the same arrays.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Float, cast, func, select
from sqlalchemy.orm import Session

from pricing.bounds import MAX_MONEY, MAX_UNITS
from pricing.optimizer import SalesHistory
from pricing.pipeline.sales_reader import REQUEST_VARIABLE, SalesArrays, cursors, read_arrays
from pricing.storage import Database
from pricing.storage.models import SalesRecord

log = logging.getLogger(__name__)

# Below this many rows a helper process costs more to start than it saves.
HELPER_MIN_ROWS = 200_000
_READER = Path(__file__).with_name("sales_reader.py")
_DRIVERS = {"sqlite": "sqlite", "postgresql": "psycopg"}


def _queries(conn: Connection) -> tuple[str, str]:
    """Each SKU's number of periods (in SKU order), and every period's units and price
    as floats (in SKU and period order; the dates are not read: only the order counts)."""
    counts = (
        select(SalesRecord.sku, func.count()).group_by(SalesRecord.sku).order_by(SalesRecord.sku)
    )
    rows = select(
        cast(SalesRecord.units, Float), cast(SalesRecord.unit_price, Float)
    ).order_by(SalesRecord.sku, SalesRecord.period_start)
    return tuple(  # type: ignore[return-value]
        str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        for stmt in (counts, rows)
    )


def histories(
    arrays: SalesArrays, refused: dict[str, str] | None = None
) -> dict[str, SalesHistory]:
    """Each SKU's history as views into the shared arrays. A history with a period
    outside the import bounds (:mod:`pricing.bounds`; rows stored before they were
    enforced) is left out, as if the SKU had none, and named in ``refused`` with why."""
    units, prices = arrays.units, arrays.prices
    with np.errstate(invalid="ignore"):
        ok = (
            np.isfinite(units) & (units >= 0) & (units < float(MAX_UNITS))
            & np.isfinite(prices) & (prices > 0) & (prices < float(MAX_MONEY))
        )
    bad = set(np.flatnonzero(~ok).tolist()) if not ok.all() else set()
    out: dict[str, SalesHistory] = {}
    start = 0
    for sku, n in zip(arrays.skus, arrays.counts.tolist(), strict=True):
        stop = start + n
        if bad and not ok[start:stop].all():
            i = start + int(np.argmin(ok[start:stop]))
            if refused is not None:
                refused[sku] = (f"sales history left out: a period has units {units[i]:g} and "
                                f"unit_price {prices[i]:g} (units must be in [0, {MAX_UNITS}), "
                                f"unit_price in (0, {MAX_MONEY}))")
        else:
            out[sku] = SalesHistory(None, units[start:stop], prices[start:stop])
        start = stop
    return out


def read_sales(
    session: Session | Connection, refused: dict[str, str] | None = None
) -> dict[str, SalesHistory]:
    """Every SKU's sales history, oldest first, as NumPy arrays, read in this process
    (see :func:`histories` for ``refused``)."""
    conn = session.connection() if isinstance(session, Session) else session
    arrays = read_arrays(cursors(conn.connection.driver_connection), *_queries(conn))
    return histories(arrays, refused)


class SalesPrefetch:
    """Sales histories read by a helper process, started now, collected with
    :meth:`result`. Use as a context manager: leaving it stops a helper still running.

    ``min_rows`` (default :data:`HELPER_MIN_ROWS`): a helper is started only when the
    sales table holds at least this many rows (and the database is one a second process
    can open).
    """

    def __init__(self, db: Database, *, min_rows: int | None = None) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        request = self._request(db, HELPER_MIN_ROWS if min_rows is None else min_rows)
        if request is None:
            return
        # the request (with the connection's password) goes by environment, which
        # only this user can read, never on the command line
        env = {**os.environ, REQUEST_VARIABLE: json.dumps(request)}
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", str(_READER)], env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:  # no process to spare: read in this one
            log.warning("sales read in the optimizer's own process: %s", exc)

    @property
    def in_helper(self) -> bool:
        return self._proc is not None

    @staticmethod
    def _request(db: Database, min_rows: int) -> dict[str, Any] | None:
        url, dialect = db.engine.url, db.engine.dialect
        driver = _DRIVERS.get(dialect.name)
        if driver is None or (dialect.name == "sqlite" and url.database in (None, "", ":memory:")):
            return None
        with db.engine.connect() as conn:
            enough = conn.execute(select(func.count()).select_from(
                select(SalesRecord.id).limit(min_rows).subquery())).scalar_one()
            if enough < min_rows:
                return None
            counts_sql, rows_sql = _queries(conn)
        args, kwargs = dialect.create_connect_args(url)
        # the connection settings only (not the driver's type adapters: the helper reads
        # floats), and the engine's busy timeout on SQLite (storage.db)
        kwargs = {k: v for k, v in kwargs.items() if isinstance(v, str | int | float | bool)}
        if dialect.name == "sqlite":
            kwargs = {**kwargs, "timeout": 30}
        return {"driver": driver, "args": list(args), "kwargs": kwargs,
                "counts_sql": counts_sql, "rows_sql": rows_sql}

    def result(
        self, session: Session | Connection, refused: dict[str, str] | None = None
    ) -> dict[str, SalesHistory]:
        """The histories: from the helper if one was started, else read now through
        ``session`` (see :func:`histories` for ``refused``)."""
        if self._proc is None:
            return read_sales(session, refused)
        out, err = self._proc.communicate()
        code, self._proc = self._proc.returncode, None
        if code != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"the sales reader process failed (exit {code}): "
                               f"{lines[-1] if lines else 'no message'}")
        return histories(SalesArrays.read(out), refused)

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()
        self._proc = None

    def __enter__(self) -> SalesPrefetch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
