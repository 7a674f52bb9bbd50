"""Price history at scale: one SKU's year across all its competitors, from millions of
observations, and the bulk load that puts them there, on SQLite and PostgreSQL.

Run: ``python benchmarks/bench_history.py [--rows N] [--backend sqlite|postgresql|both]``

For each backend, in one run, on one seeded synthetic market:

* a catalog of 20,000 SKUs with a year of our own price changes; six competitors;
  enough listings, matched to a subset of the SKUs (one listing per competitor), for
  ``--rows`` daily observations over 365 days, written day by day as crawls would;
* bulk load: :func:`pricing.storage.bulk.copy_insert_ignore` (COPY through a staging
  table on PostgreSQL, prepared ``executemany`` on SQLite), rows/s including building
  the rows; against two baselines measured in the same run on a sample, then scaled:
  the ORM row by row (one ``session.add`` and flush per observation) and the former
  path, Core ``INSERT ... ON CONFLICT`` in 500-row statements;
* history: :func:`pricing.history.sku_history` for random matched SKUs over the last
  year (thousands of rows each), p50/p95/max over ``--queries`` calls after a warm-up;
  then the command a user types, ``pricing history SKU --since DATE --format csv``, in a
  child process for ``--commands`` random SKUs (wall time, start-up included), beside
  the same run's ``pricing --version`` (the interpreter and import cost alone).

The bulk-load baselines are rates measured on one sample of ``SAMPLE`` rows each, the
bulk path included, so the three are compared on the same rows (nothing is scaled).

PostgreSQL is ``--pg-url`` (default the development server); the benchmark creates
its own database there and drops it afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pricing.history import sku_history  # noqa: E402
from pricing.observations import OBSERVATION_COLUMNS  # noqa: E402
from pricing.storage import Database  # noqa: E402
from pricing.storage.bulk import copy_insert_ignore, insert_ignore  # noqa: E402
from pricing.storage.models import (  # noqa: E402
    CompetitorRecord,
    Listing,
    Match,
    OurPrice,
    Part,
    PriceObservation,
)

SKUS = 20_000
COMPETITORS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
DAYS = 365
END = dt.datetime(2026, 6, 30, 6, 0, tzinfo=dt.UTC)
DAYS_PER_TRANSACTION = 30
SAMPLE = 5_000


def log(msg: str) -> None:
    print(msg, flush=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def build_catalog(db: Database, rng: random.Random, listings: int) -> tuple[list[int], list[str]]:
    """Parts, our price history, competitors, listings and matches; returns listing ids
    and the matched SKUs."""
    start = END - dt.timedelta(days=DAYS)
    parts, ours = [], []
    for i in range(SKUS):
        sku = f"SKU{i:06d}"
        price = Decimal(rng.randint(500, 50_000)) / 100
        parts.append(
            {
                "sku": sku,
                "part_number": f"PN-{i:06d}",
                "part_number_norm": f"PN{i:06d}",
                "description": f"Part {i}",
                "brand": "OEM",
                "category": f"Cat{i % 12}",
                "family": f"Fam{i % 40}",
                "unit_cost": (price * Decimal("0.6")).quantize(Decimal("0.01")),
                "price": price,
                "currency": "EUR",
                "pack_qty": 1,
                "proprietary": i % 10 == 0,
                "updated_at": END,
            }
        )
        for k in range(5):  # a price change about every quarter
            ours.append(
                {
                    "sku": sku,
                    "effective_at": start + dt.timedelta(days=73 * k + i % 73),
                    "price": (price * Decimal(1 + 0.01 * k)).quantize(Decimal("0.01")),
                    "currency": "EUR",
                    "source": "bench",
                }
            )
    matched = [p["sku"] for p in rng.sample(parts, min(SKUS, -(-listings // len(COMPETITORS))))]
    with db.session() as session:
        insert_ignore(session, Part, parts, keys=["sku"])
        insert_ignore(session, OurPrice, ours, keys=["sku", "effective_at"])
        insert_ignore(
            session,
            CompetitorRecord,
            [{"name": c, "display_name": c.title(), "base_url": None} for c in COMPETITORS],
            keys=["name"],
        )
        rows = [
            {
                "competitor": comp,
                "url": f"https://{comp}.example/p/{sku}",
                "title": f"{comp} {sku}",
                "brand": comp.upper(),
                "part_number": f"{comp[:2].upper()}{sku[3:]}",
                "gtin": None,
                "pack_qty": 4 if (n + j) % 9 == 0 else 1,
                "first_seen": start,
                "last_seen": END,
                "needs_match": False,
            }
            for n, sku in enumerate(matched)
            for j, comp in enumerate(COMPETITORS)
        ][:listings]
        insert_ignore(session, Listing, rows, keys=["competitor", "url"])
        ids = {
            (c, u): i
            for i, c, u in session.execute(sa.select(Listing.id, Listing.competitor, Listing.url))
        }
        match_rows = [
            {
                "listing_id": ids[(r["competitor"], r["url"])],
                "sku": r["url"].rsplit("/", 1)[1],
                "method": "xref",
                "confidence": 0.99,
                "status": "auto",
                "competitor_part_number": r["part_number"],
                "updated_at": END,
            }
            for r in rows
        ]
        insert_ignore(session, Match, match_rows, keys=["listing_id"])
        listing_ids = [ids[(r["competitor"], r["url"])] for r in rows]
        packs = {ids[(r["competitor"], r["url"])]: r["pack_qty"] for r in rows}
    global PACKS
    PACKS = packs
    return listing_ids, sorted({r["url"].rsplit("/", 1)[1] for r in rows})


PACKS: dict[int, int] = {}
_PRICES: dict[int, int] = {}
_CENTS: dict[int, Decimal] = {}
_UNITS: dict[tuple[int, int], Decimal] = {}


def _money(cents: int) -> Decimal:
    value = _CENTS.get(cents)
    if value is None:
        value = _CENTS[cents] = Decimal(cents).scaleb(-2)
    return value


def _unit(cents: int, pack: int) -> Decimal:
    value = _UNITS.get((cents, pack))
    if value is None:
        value = _UNITS[(cents, pack)] = (Decimal(cents) / (100 * pack)).quantize(Decimal("0.0001"))
    return value


def observations(
    listing_ids: list[int], days: range, seed: int, rows: int, offset: int = 0
) -> Iterator[tuple[object, ...]]:
    """Daily prices, day by day (as crawls write them): a random walk per listing."""
    rng = random.Random(seed)
    prices = _PRICES
    for lid in listing_ids:
        prices.setdefault(lid, 800 + (lid * 7919) % 40_000)
    made = 0
    for day in days:
        at = END - dt.timedelta(days=DAYS - day) + dt.timedelta(minutes=offset)
        for lid in listing_ids:
            if made >= rows:
                return
            cents = prices[lid]
            if rng.random() < 0.05:
                cents = prices[lid] = max(100, int(cents * rng.uniform(0.9, 1.1)))
            pack = PACKS[lid]
            price = _money(cents)
            yield (
                lid,
                None,
                at,
                price,
                None,
                "EUR",
                None,
                pack,
                _unit(cents, pack),
                "InStock",
                "jsonld",
                "bench",
            )
            made += 1


def load(db: Database, listing_ids: list[int], rows: int) -> float:
    """Bulk-load ``rows`` observations; returns rows/s."""
    per_day = len(listing_ids)
    total_days = -(-rows // per_day)
    done = 0
    t0 = time.perf_counter()
    for first in range(0, total_days, DAYS_PER_TRANSACTION):
        days = range(first, min(total_days, first + DAYS_PER_TRANSACTION))
        want = min(rows - done, len(days) * per_day)
        with db.session() as session:
            done += copy_insert_ignore(
                session,
                PriceObservation,
                OBSERVATION_COLUMNS,
                observations(listing_ids, days, first, want),
                keys=["listing_id", "observed_at"],
            )
        elapsed = time.perf_counter() - t0
        log(f"  loaded {done:,} rows in {elapsed:,.0f} s ({done / elapsed:,.0f} rows/s)")
    return done / (time.perf_counter() - t0)


def baselines(db: Database, listing_ids: list[int]) -> tuple[float, float, float]:
    """Rows/s of the ORM row by row, the 500-row Core statements and the bulk path, each
    on a fresh sample of ``SAMPLE`` rows (later days, so nothing conflicts)."""
    sample = listing_ids[:SAMPLE]
    rates = []
    for k, how in enumerate(("orm", "core", "bulk")):
        rows = list(observations(sample, range(DAYS + 1 + k, DAYS + 2 + k), 99 + k, SAMPLE))
        t0 = time.perf_counter()
        with db.session() as session:
            if how == "orm":
                for row in rows:
                    session.add(
                        PriceObservation(**dict(zip(OBSERVATION_COLUMNS, row, strict=True)))
                    )
                    session.flush()
            elif how == "core":
                insert_ignore(
                    session,
                    PriceObservation,
                    [dict(zip(OBSERVATION_COLUMNS, row, strict=True)) for row in rows],
                    keys=["listing_id", "observed_at"],
                )
            else:
                copy_insert_ignore(
                    session,
                    PriceObservation,
                    OBSERVATION_COLUMNS,
                    rows,
                    keys=["listing_id", "observed_at"],
                )
        rates.append(len(rows) / (time.perf_counter() - t0))
    with db.session() as session:  # leave the year as it was
        session.execute(
            sa.delete(PriceObservation).where(
                PriceObservation.observed_at > END + dt.timedelta(hours=1)
            )
        )
    return rates[0], rates[1], rates[2]


def query(db: Database, skus: list[str], n: int, seed: int) -> tuple[list[float], int]:
    rng = random.Random(seed)
    since = (END - dt.timedelta(days=DAYS)).date()
    timings, sizes = [], []
    for i in range(n + 20):
        sku = rng.choice(skus)
        t0 = time.perf_counter()
        with db.session() as session:
            rows = sku_history(session, sku, since=since)
        elapsed = (time.perf_counter() - t0) * 1000
        if i >= 20:  # warm-up: connections, statement caches
            timings.append(elapsed)
            sizes.append(len(rows))
    return timings, round(statistics.mean(sizes))


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, object]:
    log(f"\n== {name}: {url.split('@')[-1]} (load average {os.getloadavg()[0]:.1f})")
    db = Database(url)
    db.upgrade()
    rng = random.Random(args.seed)
    listings = -(-args.rows // DAYS)
    t0 = time.perf_counter()
    listing_ids, skus = build_catalog(db, rng, listings)
    log(
        f"  catalog: {SKUS:,} SKUs, {len(listing_ids):,} listings matched to {len(skus):,} SKUs "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    rate = load(db, listing_ids, args.rows)
    orm, core, bulk_sample = baselines(db, listing_ids)
    if db.dialect == "postgresql":
        t0 = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        log(f"  VACUUM ANALYZE: {time.perf_counter() - t0:.1f} s")
    else:
        with db.engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    with db.session() as session:
        count = session.scalar(sa.select(sa.func.count()).select_from(PriceObservation))
    load_before = os.getloadavg()[0]
    timings, size = query(db, skus, args.queries, args.seed)
    load_after = os.getloadavg()[0]
    db.dispose()
    command_ms, startup_ms = commands(url, skus, args.commands, args.seed)
    result = {
        "backend": name,
        "observations": count,
        "load_rows_per_s": rate,
        "orm_rows_per_s": orm,
        "core_rows_per_s": core,
        "bulk_sample_rows_per_s": bulk_sample,
        "history_rows": size,
        "p50_ms": percentile(timings, 50),
        "p95_ms": percentile(timings, 95),
        "max_ms": max(timings),
        "command_p50_ms": percentile(command_ms, 50),
        "startup_p50_ms": percentile(startup_ms, 50),
    }
    log(f"  observations stored: {count:,}")
    log(f"  bulk load: {rate:,.0f} rows/s over {args.rows:,} rows")
    log(
        f"  same {SAMPLE:,}-row sample: ORM row by row {orm:,.0f} rows/s, "
        f"Core 500-row INSERT {core:,.0f} rows/s, bulk {bulk_sample:,.0f} rows/s "
        f"(bulk load {rate / orm:,.0f}x the ORM, {rate / core:,.1f}x Core)"
    )
    log(
        f"  history of one SKU over a year ({size:,} rows): p50 {result['p50_ms']:.1f} ms, "
        f"p95 {result['p95_ms']:.1f} ms, max {result['max_ms']:.1f} ms over {args.queries} queries "
        f"(load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} CPUs)"
    )
    log(
        f"  `pricing history SKU --since ... --format csv`, a child process: p50 "
        f"{result['command_p50_ms']:.0f} ms, max {max(command_ms):.0f} ms over {len(command_ms)} "
        f"SKUs; `pricing --version` p50 {result['startup_p50_ms']:.0f} ms (start-up alone)"
    )
    return result


def commands(url: str, skus: list[str], n: int, seed: int) -> tuple[list[float], list[float]]:
    """Wall milliseconds of ``pricing history`` for ``n`` random SKUs, and of as many
    ``pricing --version`` (the same start-up, no query)."""
    import subprocess

    rng = random.Random(seed + 1)
    since = (END - dt.timedelta(days=DAYS)).date().isoformat()
    base = [sys.executable, "-m", "pricing", "--db", url]
    timed: tuple[list[float], list[float]] = ([], [])
    for _ in range(n):
        for out, args in ((timed[0], ["history", rng.choice(skus), "--since", since,
                                      "--format", "csv"]), (timed[1], ["--version"])):
            t0 = time.perf_counter()
            done = subprocess.run([*base, *args], capture_output=True, text=True, check=False)
            out.append((time.perf_counter() - t0) * 1000)
            if done.returncode != 0:
                raise SystemExit(f"pricing {' '.join(args)} failed: {done.stderr.strip()}")
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="observations to load")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--commands", type=int, default=10,
                        help="SKUs to time through the pricing history command")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--sqlite-dir",
        type=Path,
        default=None,
        help="folder for the SQLite file (default: a temporary one)",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="an admin URL; the benchmark makes its own database there",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    results = []
    if args.backend in ("sqlite", "both"):
        folder = args.sqlite_dir or Path(tempfile.mkdtemp(prefix="bench-history-"))
        path = folder / "bench.db"
        for leftover in folder.glob("bench.db*"):
            leftover.unlink()
        results.append(run_backend("sqlite", f"sqlite:///{path}", args))
        if not args.keep:
            for leftover in folder.glob("bench.db*"):
                leftover.unlink()
    if args.backend in ("postgresql", "both"):
        admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        name = f"pricing_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin.url.set(database=name).render_as_string(hide_password=False)
            results.append(run_backend("postgresql", url, args))
        finally:
            if not args.keep:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    log("\nbackend     observations  load rows/s  ORM rows/s  Core rows/s  history p50  p95")
    for r in results:
        log(
            f"{r['backend']:<10} {r['observations']:>13,} {r['load_rows_per_s']:>12,.0f} "
            f"{r['orm_rows_per_s']:>11,.0f} {r['core_rows_per_s']:>12,.0f} "
            f"{r['p50_ms']:>9.1f} ms {r['p95_ms']:>5.1f} ms"
        )


if __name__ == "__main__":
    main()
