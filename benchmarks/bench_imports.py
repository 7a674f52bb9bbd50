"""CSV imports through the CLI, on SQLite and PostgreSQL, against a bare load of the
same file measured in the same run.

Run: ``python benchmarks/bench_imports.py [--rows N] [--backend sqlite|postgresql|both]``

For each backend, on a fresh database (PostgreSQL: one created on ``--pg-url``'s server
and dropped afterwards), it writes three seeded synthetic files of ``--rows`` rows and
runs the commands a user runs, each as a child process::

    python -m pricing --db URL catalog import catalog.csv
    python -m pricing --db URL sales import sales.csv
    python -m pricing --db URL observations import observations.csv

(sales rows are spread over the catalog's SKUs, ``--periods`` per SKU; observations
over ``--rows / --periods`` listings of six competitors, one sighting of each a day).
The database is fresh, so on PostgreSQL the sales and observations files are plain and
take the commands' direct paths (COPY into the table while the file is read; how any
other file fares: ``benchmarks/profile_imports.py --staged``). Each is timed on the
wall clock, and its CPU time (user + system) and peak resident memory are read from the
kernel (``wait4``'s rusage of that child alone; the database server's work is not in
the CPU time). The baseline loads the same CSV, in the same run, into a table of
the file's columns with the same unique key: PostgreSQL ``COPY ... FROM STDIN (FORMAT
csv)`` streamed from the file; SQLite ``csv.reader`` plus one ``executemany`` in one
transaction (no checks, no conversions, no upsert). Figures are rows per second.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPETITORS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
START = dt.date(2025, 1, 6)


def log(msg: str) -> None:
    print(msg, flush=True)


# --- the files -------------------------------------------------------------------------


def write_files(folder: Path, rows: int, periods: int, seed: int) -> dict[str, Path]:
    rng = random.Random(seed)
    skus = max(1, rows // periods)
    files = {k: folder / f"{k}.csv" for k in ("catalog", "sales", "observations")}
    with files["catalog"].open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["sku", "part_number", "description", "brand", "category", "family",
                      "unit_cost", "price", "currency", "pack_qty", "proprietary"])
        for i in range(rows):
            cost = rng.randint(100, 20_000)
            out.writerow([f"SKU{i:07d}", f"PN-{i:07d}", f"Oil filter {i} for series {i % 97}",
                          "Acme", f"Cat{i % 12}", f"Fam{i % 40}", f"{cost / 100:.2f}",
                          f"{cost * 1.6 / 100:.2f}", "EUR", 1 + i % 3,
                          "true" if i % 5 else "false"])
    with files["sales"].open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["sku", "date", "units", "unit_price"])
        n = 0
        for week in range(periods):
            day = (START + dt.timedelta(weeks=week)).isoformat()
            for i in range(skus):
                if n == rows:
                    break
                price = rng.randint(500, 9000) / 100
                out.writerow([f"SKU{i:07d}", day, rng.randint(0, 400), f"{price:.2f}"])
                n += 1
    with files["observations"].open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["competitor", "url", "title", "price", "currency", "brand", "part_number",
                      "pack_qty", "availability", "observed_at"])
        listings = max(1, rows // periods)
        n = 0
        for day in range(periods):
            at = dt.datetime(2025, 1, 1, 6, tzinfo=dt.UTC) + dt.timedelta(days=day)
            for i in range(listings):
                if n == rows:
                    break
                comp = COMPETITORS[i % len(COMPETITORS)]
                out.writerow([comp, f"https://{comp}.example/p/{i}", f"Oil filter {i} by {comp}",
                              f"{rng.randint(500, 9000) / 100:.2f}", "EUR", "Acme", f"PN-{i:07d}",
                              1, "InStock", at.isoformat()])
                n += 1
    return files


# --- the commands users run ------------------------------------------------------------


def run_cli(url: str, *args: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one ``pricing``
    child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "pricing", "--db", url, *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    del out
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


# --- baselines -------------------------------------------------------------------------

SHAPES = {  # the file's columns as a table, and the file's unique key
    "catalog": ("sku varchar(64), part_number varchar(128), description text, brand varchar(128), "
                "category varchar(128), family varchar(128), unit_cost numeric(18,4), "
                "price numeric(18,4), currency varchar(3), pack_qty integer, proprietary boolean",
                "sku"),
    "sales": ("sku varchar(64), date date, units numeric(14,3), unit_price numeric(18,4)",
              "sku, date"),
    "observations": ("competitor varchar(64), url varchar(1024), title text, price numeric(18,4), "
                     "currency varchar(3), brand varchar(128), part_number varchar(128), "
                     "pack_qty integer, availability varchar(32), observed_at timestamptz",
                     "competitor, url, observed_at"),
}


def baseline_pg(url: str, kind: str, path: Path) -> float:
    import psycopg

    columns, key = SHAPES[kind]
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute(f"CREATE TABLE bare_{kind} ({columns}, UNIQUE ({key}))")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
            f"COPY bare_{kind} FROM STDIN (FORMAT csv, HEADER true)"
        ) as copy, path.open("rb") as f:
            while block := f.read(1 << 20):
                copy.write(block)
        conn.commit()
        elapsed = time.perf_counter() - start
        conn.execute(f"DROP TABLE bare_{kind}")
        conn.commit()
    return elapsed


def baseline_sqlite(db_file: str, kind: str, path: Path) -> float:
    columns, key = SHAPES[kind]
    conn = sqlite3.connect(db_file)
    conn.execute(f"CREATE TABLE bare_{kind} ({columns}, UNIQUE ({key}))")
    conn.commit()
    start = time.perf_counter()
    with path.open(newline="") as f:
        reader = csv.reader(f)
        width = len(next(reader))
        marks = ", ".join("?" * width)
        conn.executemany(f"INSERT INTO bare_{kind} VALUES ({marks})", reader)
    conn.commit()
    elapsed = time.perf_counter() - start
    conn.execute(f"DROP TABLE bare_{kind}")
    conn.commit()
    conn.close()
    return elapsed


# --- one backend -----------------------------------------------------------------------


def bench_backend(backend: str, files: dict[str, Path], rows: int, folder: Path,
                  pg_url: str) -> list[tuple[str, ...]]:
    admin = None
    if backend == "sqlite":
        db_file = folder / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{db_file}"
    else:
        import sqlalchemy as sa

        admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        name = f"bench_imports_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)
    table = []
    try:
        run_cli(url, "init")
        for kind in ("catalog", "sales", "observations"):
            seconds, cpu, rss = run_cli(url, kind, "import", str(files[kind]))
            if backend == "sqlite":
                base = baseline_sqlite(str(db_file), kind, files[kind])
            else:
                base = baseline_pg(url, kind, files[kind])
            table.append((backend, kind, f"{rows:,}", f"{seconds:.2f}", f"{cpu:.2f}",
                          f"{rows / seconds:,.0f}", f"{rss:.0f}", f"{rows / base:,.0f}",
                          f"{base / seconds:.2f}"))
            log("  ".join(table[-1]))
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows per file")
    parser.add_argument("--periods", type=int, default=50,
                        help="sales periods per SKU and observations per listing")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get(
        "PRICING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        folder = Path(tmp)
        files = write_files(folder, args.rows, args.periods, args.seed)
        sizes = ", ".join(f"{k} {p.stat().st_size / 1e6:.1f} MB" for k, p in files.items())
        log(f"{args.rows:,} rows per file ({sizes})")
        header = ("backend", "file", "rows", "seconds", "cpu_s", "rows/s", "peak_rss_mib",
                  "baseline_rows/s", "vs_baseline")
        log("  ".join(header))
        table = [header]
        for backend in backends:
            table += bench_backend(backend, files, args.rows, folder, args.pg_url)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    log("")
    for row in table:
        log("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
