"""Every SKU's sales history as NumPy arrays, read in this process or in a helper.

Millions of rows: units and prices are streamed from the driver's cursor into one
NumPy array (cast to float by the database; no per-row Decimal, date or Row objects,
and no list of millions of tuples for the garbage collector to walk) in SKU and period
order, and a ``GROUP BY`` gives each SKU's number of periods. The two reads are checked
against each other and repeated if a sales import landed between them.

Run as a script (``python -I sales_reader.py``, request in the environment variable
``PRICING_SALES_REQUEST``, arrays in ``.npy`` format on stdout), it is the helper
:class:`pricing.pipeline.sales.SalesPrefetch` starts so the sales are read on the
second core while the optimizer reads the catalog and competitor prices. It imports
only the standard library, NumPy and the database driver, so it starts quickly.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

REQUEST_VARIABLE = "PRICING_SALES_REQUEST"
SALES_ROW = np.dtype([("units", np.float64), ("price", np.float64)])


@dataclass(frozen=True)
class SalesArrays:
    """SKUs in order, each one's number of periods, and all periods' units and prices
    (SKU by SKU, oldest first)."""

    skus: list[str]
    counts: npt.NDArray[np.int64]
    units: npt.NDArray[np.float64]
    prices: npt.NDArray[np.float64]

    def write(self, out: BinaryIO) -> None:
        """All four arrays in ``.npy`` format, one after the other (``out`` may be a
        pipe: NumPy writes a real file in place, so the bytes are put together first)."""
        buffer = io.BytesIO()
        skus = np.array(self.skus, dtype=str) if self.skus else np.zeros(0, "<U1")
        for array in (skus, self.counts, self.units, self.prices):
            np.lib.format.write_array(buffer, array, allow_pickle=False)
        out.write(buffer.getbuffer())

    @classmethod
    def read(cls, data: bytes) -> SalesArrays:
        stream = io.BytesIO(data)
        skus, counts, units, prices = (
            np.lib.format.read_array(stream, allow_pickle=False) for _ in range(4))
        return cls(skus.tolist(), counts, units, prices)


def read_arrays(cursor: Callable[[], Any], counts_sql: str, rows_sql: str) -> SalesArrays:
    """Run ``counts_sql`` (SKU, number of periods; in SKU order) and ``rows_sql`` (units,
    price as floats; in SKU and period order) on cursors from ``cursor()``."""
    for _attempt in range(3):
        cur = cursor()
        try:
            cur.execute(counts_sql)
            counts = cur.fetchall()
            cur.execute(rows_sql)
            table = np.fromiter(cur, SALES_ROW)
        finally:
            cur.close()
        if sum(n for _, n in counts) == len(table):
            break
    else:
        raise RuntimeError("sales history kept changing while it was read; run again")
    return SalesArrays([sku for sku, _ in counts], np.array([n for _, n in counts], np.int64),
                       table["units"].copy(), table["price"].copy())


def cursors(conn: Any) -> Callable[[], Any]:
    """Cursors for :func:`read_arrays` on a driver connection. psycopg's are binary:
    each float arrives as its eight bytes instead of text to parse, which takes a
    second off reading three million rows."""
    if type(conn).__module__.startswith("psycopg"):
        return lambda: conn.cursor(binary=True)
    return conn.cursor


def _connect(driver: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if driver == "sqlite":
        import sqlite3

        return sqlite3.connect(*args, **kwargs)
    if driver == "psycopg":
        import psycopg

        return psycopg.connect(*args, **kwargs)
    raise ValueError(f"no sales reader for the {driver} driver")


def main() -> None:
    """The helper: ``{"driver", "args", "kwargs", "counts_sql", "rows_sql"}`` as JSON in
    the environment (:data:`REQUEST_VARIABLE`)."""
    import os

    request = json.loads(os.environ[REQUEST_VARIABLE])
    conn = _connect(request["driver"], request["args"], request["kwargs"])
    try:
        arrays = read_arrays(cursors(conn), request["counts_sql"], request["rows_sql"])
    finally:
        conn.close()
    arrays.write(sys.stdout.buffer)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
