"""Optimizer speed on 100,000 synthetic SKUs, against a per-SKU SciPy loop baseline.

Run: ``python benchmarks/bench_optimizer.py [--skus N] [--history-share F] [--sample K]
[--db URL] [--profile]``

Measures, in one run and on one synthetic catalog (seeded):

* the whole ``optimize_run`` (best of three) (policy lookup, bounds, elasticity estimation, one
  L-BFGS-B call, rounding, endings, ladders, suggestion columns with explanations);
* the solver stage alone, vectorized, against the baseline: a ``minimize_scalar``
  (bounded) loop over every SKU, measured (``--sample K`` times K SKUs and scales, for a
  quick look, and says so);
* peak memory: traced Python/NumPy allocations (tracemalloc, separate run) and the
  process's maximum resident set size;
* with ``--db`` (default: a fresh SQLite file; ``--db postgresql://...`` for a server):
  the same catalog written to a real database (parts, a listing, an auto match and two
  observations per competitor price, one in ten in EUR and one in ten a pack of 4 said
  only in its title; the sales histories), then ``run_optimizer`` end to end (best of
  three) with each stage timed: reading the inputs (catalog, latest trusted competitor
  price per listing), the wait for the sales (a helper process reads them on the second
  core meanwhile; the optimizer asks for them after its sales-free stages), the
  optimizer, and the bulk insert of the suggestions. CPU time is given for this process
  and for the sales reader process separately. Then the command a user runs,
  ``pricing --db URL --config DIR optimize --format csv`` (the same policy written to a
  ``pricing.yaml``), in a child process: wall time, its peak RSS and the rows it printed;
* with ``--profile``: one ``run_optimizer`` on the database under cProfile, the functions
  of this project that took the most time (cumulative), which is where the speed section of
  ``docs/demand_model.md`` says the time goes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import numpy as np
from scipy.optimize import minimize_scalar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pricing.config import PricingPolicy  # noqa: E402
from pricing.optimizer import PartInput, SalesHistory, optimize_run  # noqa: E402
from pricing.optimizer.constraints import apply_cap, hard_box, part_bounds  # noqa: E402
from pricing.optimizer.objective import scaled_profit  # noqa: E402
from pricing.optimizer.solver import solve_bounded  # noqa: E402

POLICY_DOC = {
    "defaults": {"min_margin": 0.25, "max_change": 0.10, "max_price_index": 1.10},
    "proprietary": {"max_change": 0.08, "elasticity_prior": -1.2},
    "categories": {"Filters": {"min_margin": 0.30, "proprietary": {"elasticity_prior": -0.9}},
                   "Electrical": {"price_ending": ".99"}},
    "fx": {"rates": {"EUR": {"2023-01-01": "1.10"}}},
}
POLICY = PricingPolicy.model_validate(POLICY_DOC)
EUR_RATE = Decimal("1.10")
T = TypeVar("T")
CATEGORIES = ("Filters", "Belts", "Electrical", "Hoses", "Seals", "Bearings")


def catalog(n: int, history_share: float, weeks: int, seed: int = 0) -> list[PartInput]:
    """Synthetic parts: about half in three-tier families (genuine, reman, economy;
    costs and current prices in ladder order), 20 % proprietary, most with competitor
    prices, ``history_share`` of them with weekly sales histories."""
    rng = np.random.default_rng(seed)
    start = dt.date(2023, 1, 2)
    dates = [start + dt.timedelta(weeks=w) for w in range(weeks)]
    parts: list[PartInput] = []
    while len(parts) < n:
        fam = f"F{len(parts)}"
        cost = float(np.exp(rng.normal(np.log(15), 1.0)))
        price = cost * float(np.exp(rng.normal(np.log(1.8), 0.25)))
        pack = int(rng.choice([1, 1, 1, 2, 4, 10]))
        proprietary = bool(rng.random() < 0.2)
        tiered = not proprietary and rng.random() < 0.2
        members = [("genuine", 1.0, 1.0), ("reman", 0.75, 0.93), ("economy", 0.6, 0.86)]
        for tier, cost_f, price_f in (members if tiered else [(None, 1.0, 1.0)]):
            if len(parts) == n:
                break
            unit_cost, unit_price = cost * cost_f, price * price_f
            sales = None
            if rng.random() < history_share:
                steps = rng.normal(0, 0.06, weeks // 13 + 1)
                paid = unit_price * pack * np.exp(np.repeat(steps, 13)[:weeks])
                units = rng.poisson(3.0 * (paid / (unit_price * pack)) ** -2.0).astype(float)
                sales = SalesHistory(dates, units.tolist(), paid.tolist())
            parts.append(PartInput(
                sku=f"B{len(parts):06d}", category=CATEGORIES[len(parts) % len(CATEGORIES)],
                family=fam, proprietary=proprietary,
                unit_cost=Decimal(f"{unit_cost * pack:.2f}"),
                current_price=Decimal(f"{unit_price * pack:.2f}"), currency="USD",
                pack_qty=pack, tier=tier,
                competitor_unit_prices=[] if proprietary else [
                    Decimal(f"{unit_price * rng.uniform(0.85, 1.1):.2f}")
                    for _ in range(int(rng.integers(0, 4)))],
                sales=sales))
    return parts


def solver_inputs(parts: list[PartInput]) -> tuple[np.ndarray, ...]:
    """The scaled problem the solver sees (priors as elasticities)."""
    resolved = [POLICY.resolve(p.category, p.proprietary) for p in parts]
    box = apply_cap(hard_box(part_bounds(parts, resolved, "USD")))
    p0 = np.array([float(p.current_price) for p in parts])
    k = np.array([float(p.unit_cost) for p in parts]) / p0
    eps = np.array([r.elasticity_prior for r in resolved])
    return k, eps, box.lo / 100.0 / p0, box.hi / 100.0 / p0


def baseline_loop(k: np.ndarray, eps: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The per-SKU way: one bounded scalar minimization per SKU."""
    out = np.empty(k.size)
    for i in range(k.size):
        if lo[i] >= hi[i]:
            out[i] = lo[i]
            continue
        res = minimize_scalar(lambda x, i=i: -float(scaled_profit(
            np.array(x), k[i], eps[i])), bounds=(lo[i], hi[i]), method="bounded",
            options={"xatol": 1e-10})
        out[i] = res.x
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=100_000)
    ap.add_argument("--history-share", type=float, default=0.3)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--sample", type=int, default=0,
                    help="time the per-SKU baseline on K SKUs and scale (default: all, measured)")
    ap.add_argument("--profile", action="store_true",
                    help="profile one database run and print where its time goes")
    ap.add_argument("--db", default=None,
                    help="database URL for the end-to-end run (default: a fresh SQLite file)")
    ap.add_argument("--no-db", action="store_true", help="skip the database run")
    args = ap.parse_args()

    print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(wall times stretch on a shared machine)")
    t = time.perf_counter()
    parts = catalog(args.skus, args.history_share, args.weeks)
    with_history = sum(p.sales is not None for p in parts)
    print(f"catalog: {len(parts):,} SKUs, {with_history:,} with {args.weeks} weeks of sales "
          f"({with_history * args.weeks:,} rows), built in {time.perf_counter() - t:.1f} s")

    total, run = best_of(3, lambda: optimize_run(parts, POLICY))
    changed = sum(s.suggested_price != s.current_price for s in run.suggestions)
    print(f"optimize_run, everything:      {total:6.2f} s  ({total / len(parts) * 1e6:.1f} us/SKU;"
          f" solver success={run.solver_success}, {run.solver_iterations} iterations, "
          f"{run.fallback_count} fallbacks, {run.ladder_families} ladder families re-solved, "
          f"{changed:,} prices changed)")

    bare = [p if p.sales is None else replace(p, sales=None) for p in parts]
    seconds, _ = best_of(3, lambda: optimize_run(bare, POLICY))
    print(f"optimize_run, no sales history: {seconds:6.2f} s")

    k, eps, lo, hi = solver_inputs(parts)
    vectorized, solution = best_of(3, lambda: solve_bounded(k, eps, lo, hi))
    sampled = 0 < args.sample < k.size
    idx = (np.random.default_rng(1).choice(k.size, size=args.sample, replace=False)
           if sampled else np.arange(k.size))
    t = time.perf_counter()
    loop_x = baseline_loop(k[idx], eps[idx], lo[idx], hi[idx])
    loop = (time.perf_counter() - t) * k.size / idx.size
    gap = np.max(np.abs(loop_x - solution.x[idx]))
    how = f"measured on {idx.size:,}, scaled" if sampled else "measured"
    print(f"solver stage, one L-BFGS-B call: {vectorized:6.2f} s for {k.size:,} SKUs")
    print(f"baseline, minimize_scalar loop:  {loop:6.2f} s for {k.size:,} SKUs "
          f"({how}) -> {loop / vectorized:.0f}x slower; "
          f"largest relative price difference {gap:.1e}")

    tracemalloc.start()
    optimize_run(parts, POLICY)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak traced memory during optimize_run: {peak / 2**20:.0f} MiB; "
          f"process max RSS (inputs included): {rss:.0f} MiB")

    if not args.no_db:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.db or f"sqlite:///{tmp}/bench.db"
            if url.startswith("postgresql"):
                url = fresh_pg_database(url)
            database_run(url, parts, profile=args.profile)
            del parts
            command_run(url, Path(tmp))
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"process max RSS after the database run: {rss:.0f} MiB")


def fresh_pg_database(url: str) -> str:
    """A new, empty PostgreSQL database on the server ``url`` names (benchmarks only)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"pricing_bench_{int(time.time())}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return engine.url.set(database=name).render_as_string(hide_password=False)


def build_database(url: str, parts: list[PartInput], as_of: dt.datetime) -> dict[str, int]:
    """Write ``parts`` to a fresh, migrated database as the pipeline would find them."""
    from sqlalchemy import insert

    from pricing.storage import Database
    from pricing.storage.models import Listing, Match, Part, PriceObservation

    db = Database(url)
    db.upgrade()
    part_rows, listing_rows, match_rows, obs_rows = [], [], [], []
    sales_rows: list[tuple[str, str, float, float]] = []
    listing_id = 0
    for part in parts:
        part_rows.append({
            "sku": part.sku, "part_number": part.sku, "part_number_norm": part.sku,
            "description": f"{part.category} part {part.sku}", "brand": "Acme",
            "category": part.category, "family": part.family, "unit_cost": part.unit_cost,
            "price": part.current_price, "currency": part.currency, "pack_qty": part.pack_qty,
            "proprietary": part.proprietary, "tier": part.tier, "updated_at": as_of})
        for j, unit in enumerate(part.competitor_unit_prices):
            listing_id += 1
            eur, pack = listing_id % 10 == 3, 4 if listing_id % 10 == 7 else 1
            price = unit * pack / (EUR_RATE if eur else 1)
            title = f"Part {part.sku}" + (" (pack of 4)" if pack > 1 else "")
            listing_rows.append({
                "id": listing_id, "competitor": f"shop{j}", "url": f"https://shop{j}/{part.sku}",
                "title": title, "brand": "Acme", "part_number": part.sku, "pack_qty": 1,
                "first_seen": as_of - dt.timedelta(days=8), "last_seen": as_of,
                "needs_match": False})
            match_rows.append({"listing_id": listing_id, "sku": part.sku, "method": "xref",
                               "confidence": 1.0, "status": "auto", "updated_at": as_of})
            for days, factor in ((8, Decimal("1.05")), (1, Decimal(1))):
                amount = (price * factor).quantize(Decimal("0.01"))
                obs_rows.append({
                    "listing_id": listing_id, "observed_at": as_of - dt.timedelta(days=days),
                    "price": amount, "currency": "EUR" if eur else "USD", "pack_qty": 1,
                    "unit_price": amount, "availability": "InStock", "source": "import"})
        if part.sales is not None:
            sales_rows.extend(zip(
                [part.sku] * len(part.sales.units),
                [d.isoformat() for d in part.sales.period_start],  # type: ignore[union-attr]
                part.sales.units, part.sales.unit_price, strict=True))
    with db.session() as session:
        for model, rows in ((Part, part_rows), (Listing, listing_rows), (Match, match_rows),
                            (PriceObservation, obs_rows)):
            for start in range(0, len(rows), 20_000):
                session.execute(insert(model), rows[start:start + 20_000])
        conn = session.connection().connection.driver_connection
        if db.dialect == "postgresql":
            with conn.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                    "COPY sales_history (sku, period_start, units, unit_price) FROM STDIN") as copy:
                for row in sales_rows:
                    copy.write_row(row)
        else:
            conn.executemany(  # type: ignore[union-attr]
                "INSERT INTO sales_history (sku, period_start, units, unit_price) "
                "VALUES (?, ?, ?, ?)", ((s, d, u, round(p, 4)) for s, d, u, p in sales_rows))
    db.dispose()
    return {"parts": len(part_rows), "listings": len(listing_rows),
            "observations": len(obs_rows), "sales": len(sales_rows)}


def database_run(url: str, parts: list[PartInput], *, profile: bool = False) -> None:
    """Time ``run_optimizer`` on a database holding ``parts`` (best of three runs)."""
    from pricing.pipeline.optimize import run_optimizer
    from pricing.storage import Database
    from pricing.storage.models import SuggestionRun

    as_of = dt.datetime(2025, 1, 6, 12, tzinfo=dt.UTC)
    t = time.perf_counter()
    counts = build_database(url, parts, as_of)
    print(f"database {url.split('://')[0]}: {counts['parts']:,} parts, {counts['listings']:,} "
          f"matched listings, {counts['observations']:,} observations, {counts['sales']:,} sales "
          f"rows, written in {time.perf_counter() - t:.1f} s")
    db = Database(url)
    best: tuple[float, dict[str, object]] | None = None
    cpu = (0.0, 0.0)
    for _ in range(3):
        t, c, h = time.perf_counter(), time.process_time(), _children_cpu()
        run_id = run_optimizer(db, POLICY, as_of=as_of)
        total = time.perf_counter() - t
        used = (time.process_time() - c, _children_cpu() - h)
        with db.session() as session:
            run = session.get(SuggestionRun, run_id)
            assert run is not None and run.status == "complete"
            summary = dict(run.summary)
        if best is None or total < best[0]:
            best, cpu = (total, summary), used
    db.dispose()
    assert best is not None
    total, summary = best
    sec = summary["seconds"]
    print(f"run_optimizer from the database (best of 3): {total:6.2f} s wall; CPU {cpu[0]:.2f} s "
          f"in this process, {cpu[1]:.2f} s in the sales reader process; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  read inputs + optimize (the target's scope): "
          f"{sec['read_inputs'] + sec['read_sales'] + sec['optimize']:.2f} s")
    print(f"  stages: read catalog and competitor prices {sec['read_inputs']:.2f} s, "
          f"waiting for the sales reader {sec['read_sales']:.2f} s (after the sales-free "
          f"stages), optimize {sec['optimize']:.2f} s, write suggestions "
          f"{sec['write_suggestions']:.2f} s; {summary['skus']:,} SKUs, "
          f"{summary['with_competitor_price']:,} priced against competitors, "
          f"{summary['prices_converted']:,} prices converted from EUR, "
          f"{summary['prices_pack_from_title']:,} packs read from titles; solver "
          f"{summary['solver']})")
    print(f"  stored output digest (every suggestion column but ids, by SKU): "
          f"{stored_digest(url, run_id)}")
    if profile:
        profile_run(url, as_of)


def stored_digest(url: str, run_id: int) -> str:
    """sha256 of a run's stored suggestions: a refactor that keeps behaviour keeps it."""
    import hashlib

    import sqlalchemy as sa

    cols = ("sku, category, proprietary, current_price, suggested_price, unit_cost, "
            "margin_before, margin_after, competitor_reference, competitor_count, elasticity, "
            "elasticity_se, elasticity_source, expected_units_before, expected_units_after, "
            "expected_profit_before, expected_profit_after, binding_constraint, reason_codes, "
            "explanation, currency, review_status")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT {cols} FROM suggestions WHERE run_id = :r "
                                    "ORDER BY sku"), {"r": run_id}).all()
    engine.dispose()
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def profile_run(url: str, as_of: dt.datetime, top: int = 25) -> None:
    """One ``run_optimizer`` under cProfile: this project's functions by cumulative time."""
    import cProfile
    import io
    import pstats

    from pricing.pipeline.optimize import run_optimizer
    from pricing.storage import Database

    db = Database(url)
    profiler = cProfile.Profile()
    profiler.runcall(run_optimizer, db, POLICY, as_of=as_of)
    db.dispose()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"pricing/", top)
    print("where the time goes (cProfile, one run; cumulative seconds include callees, "
          "and profiling slows the run):")
    print("\n".join(line for line in out.getvalue().splitlines()
                    if "pricing/" in line or "cumtime" in line))


def command_run(url: str, tmp: Path) -> None:
    """Time the command a user runs on the same database, in a child process."""
    import subprocess

    import yaml

    config = tmp / "config"
    config.mkdir(exist_ok=True)
    (config / "pricing.yaml").write_text(yaml.safe_dump(POLICY_DOC, sort_keys=False))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pricing", "--db", url, "--config", str(config), "optimize",
         "--format", "csv", "--as-of", "2025-01-06T12:00:00+00:00"],
        capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"pricing optimize failed ({done.returncode}): {done.stderr.strip()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rows = done.stdout.count("\n") - 1
    note = "" if peak > before else " (no higher than an earlier child's)"
    print(f"`pricing optimize --format csv` on that database, a child process: {wall:6.2f} s "
          f"wall (start-up and printing included), {rows:,} rows printed; peak RSS of the "
          f"children so far {peak / 1024:.0f} MiB{note}")


def _children_cpu() -> float:
    """CPU seconds of finished child processes (the sales reader) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_of(runs: int, work: Callable[[], T]) -> tuple[float, T]:
    """Fastest wall time of several runs (the machine may be shared), and a result."""
    best, result = float("inf"), None
    for _ in range(runs):
        t = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - t)
    assert result is not None
    return best, result


if __name__ == "__main__":
    main()
