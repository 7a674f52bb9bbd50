"""Where one import's time goes, on PostgreSQL: each SQL statement over 50 ms with its
duration, the ``EXPLAIN (ANALYZE, BUFFERS)`` of the statements that write the real
tables (trigger times included: the foreign-key checks show there), each COPY of the
direct paths with its rows and duration, the database server's CPU time for the
import (when the server runs on this machine), and the top of a cProfile of the
Python side (the reading thread; the COPY writer thread is not in it).

Run: ``python benchmarks/profile_imports.py sales|observations|catalog [--rows N]
[--staged]``

It writes the same seeded files as ``bench_imports.py``, creates a database on
``--pg-url``'s server (dropped afterwards), imports the catalog first (sales need its
SKUs), then runs the import in this process. A plain sales or observations file takes
the direct path (COPY straight into the table while the file is read, no INSERT to
explain); ``--staged`` makes it take the staged path instead, whose merges are
explained. EXPLAIN ANALYZE runs each write once more inside a savepoint that is rolled
back, so the figures it prints are of a second run of the statement; the import's own
timings are printed after it.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_imports import write_files  # noqa: E402

from pricing import imports  # noqa: E402
from pricing.imports import observations, observations_direct  # noqa: E402
from pricing.imports.steps import NotPlain  # noqa: E402
from pricing.storage import Database  # noqa: E402

WRITES = ("INSERT INTO price_observations", "INSERT INTO sales_history", "INSERT INTO listings",
          "INSERT INTO parts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["catalog", "sales", "observations"])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--periods", type=int, default=50)
    parser.add_argument("--pg-url", default=os.environ.get(
        "PRICING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--staged", action="store_true",
                        help="the staged path even for a plain file")
    args = parser.parse_args()
    if args.staged:
        _no_direct_path()
    admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    name = f"profile_imports_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db = Database(admin.url.set(database=name).render_as_string(hide_password=False))
    try:
        with tempfile.TemporaryDirectory(prefix="profile-imports-") as tmp:
            files = write_files(Path(tmp), args.rows, args.periods, 7)
            db.upgrade()
            if args.kind != "catalog":
                imports.import_catalog(db, files["catalog"])
            _watch(db.engine)
            _watch_copies()
            run = {"catalog": imports.import_catalog, "sales": imports.import_sales,
                   "observations": imports.import_observations}[args.kind]
            profile = cProfile.Profile()
            server = _ServerCpu(db.engine)
            start = time.perf_counter()
            profile.enable()
            result = run(db, files[args.kind])
            profile.disable()
            print(f"{args.kind}: {result.imported:,} rows in {time.perf_counter() - start:.2f} s"
                  f"{server.spent()}")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _watch(engine: sa.Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
               many: bool) -> None:
        if statement.startswith(WRITES):
            cursor.execute("SAVEPOINT explain")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            print("\n".join(row[0] for row in cursor.fetchall()))
            cursor.execute("ROLLBACK TO SAVEPOINT explain")
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
              many: bool) -> None:
        took = time.perf_counter() - conn.info["started"]
        if took > 0.05:
            print(f"SQL {took:6.2f} s  {' '.join(statement.split())[:140]}")


def _watch_copies() -> None:
    """Print each COPY of the direct paths: its rows and how long it took."""
    def timed(copy: Any) -> Any:
        def copy_lines(raw: Any, table: str, columns: Any, lines: Any) -> None:
            started = time.perf_counter()
            copy(raw, table, columns, lines)
            took = time.perf_counter() - started
            print(f"COPY {took:6.2f} s  {len(lines):,} rows into {table}")
        return copy_lines

    imports.copy_lines = timed(imports.copy_lines)  # type: ignore[attr-defined]
    observations_direct.copy_lines = timed(observations_direct.copy_lines)


def _no_direct_path() -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NotPlain

    imports._import_sales_direct = refuse
    observations.import_direct = refuse


class _ServerCpu:
    """The CPU time the import's server process spends (its pooled connection's
    backend), read from /proc: only when the server runs on this machine."""

    def __init__(self, engine: sa.Engine) -> None:
        with engine.connect() as conn:
            self.pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        self.start = self._cpu()

    def _cpu(self) -> float | None:
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def spent(self) -> str:
        now = self._cpu()
        if now is None or self.start is None:
            return ""
        return f", the database server's CPU {now - self.start:.2f} s"


if __name__ == "__main__":
    main()
