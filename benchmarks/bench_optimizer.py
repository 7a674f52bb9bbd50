"""Optimizer speed on 100,000 synthetic SKUs, against a per-SKU SciPy loop baseline.

Run: ``python benchmarks/bench_optimizer.py [--skus N] [--history-share F] [--sample K]``

Measures, in one run and on one synthetic catalog (seeded):

* the whole ``optimize_run`` (best of three) (policy lookup, bounds, elasticity estimation, one
  L-BFGS-B call, rounding, endings, ladders, suggestion objects with explanations);
* the solver stage alone, vectorized, against the baseline: a ``minimize_scalar``
  (bounded) loop over a sample of SKUs, scaled to the whole catalog;
* peak memory: traced Python/NumPy allocations (tracemalloc, separate run) and the
  process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
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

POLICY = PricingPolicy.model_validate({
    "defaults": {"min_margin": 0.25, "max_change": 0.10, "max_price_index": 1.10},
    "proprietary": {"max_change": 0.08, "elasticity_prior": -1.2},
    "categories": {"Filters": {"min_margin": 0.30, "proprietary": {"elasticity_prior": -0.9}},
                   "Electrical": {"price_ending": ".99"}},
})
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
    box = apply_cap(hard_box([part_bounds(p, r, "USD") for p, r in zip(parts, resolved,
                                                                            strict=True)]))
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
    ap.add_argument("--sample", type=int, default=2_000)
    args = ap.parse_args()

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
    idx = np.random.default_rng(1).choice(k.size, size=min(args.sample, k.size), replace=False)
    t = time.perf_counter()
    loop_x = baseline_loop(k[idx], eps[idx], lo[idx], hi[idx])
    loop = (time.perf_counter() - t) * k.size / idx.size
    gap = np.max(np.abs(loop_x - solution.x[idx]))
    print(f"solver stage, one L-BFGS-B call: {vectorized:6.2f} s for {k.size:,} SKUs")
    print(f"baseline, minimize_scalar loop:  {loop:6.2f} s for {k.size:,} SKUs "
          f"(measured on {idx.size:,}, scaled) -> {loop / vectorized:.0f}x slower; "
          f"largest relative price difference {gap:.1e}")

    tracemalloc.start()
    optimize_run(parts, POLICY)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak traced memory during optimize_run: {peak / 2**20:.0f} MiB; "
          f"process max RSS (inputs included): {rss:.0f} MiB")


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
