"""Optimizer speed on 100,000 synthetic SKUs, against a per-SKU SciPy loop baseline.

Run: ``python benchmarks/bench_optimizer.py [--skus N] [--history-share F] [--sample K]``

Measures, in one run and on one synthetic catalog (seeded):

* the whole ``optimize_run`` (policy lookup, bounds, elasticity estimation, one
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
from decimal import Decimal
from pathlib import Path

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
CATEGORIES = ("Filters", "Belts", "Electrical", "Hoses", "Seals", "Bearings")
TIERS = ("genuine", "reman", "economy")


def catalog(n: int, history_share: float, weeks: int, seed: int = 0) -> list[PartInput]:
    """Synthetic parts: a third in three-tier families, 20 % proprietary, most with
    competitor prices, ``history_share`` of them with weekly sales histories."""
    rng = np.random.default_rng(seed)
    cost = np.exp(rng.normal(np.log(15), 1.0, n))
    price = cost * np.exp(rng.normal(np.log(1.8), 0.25, n))
    packs = rng.choice([1, 1, 1, 2, 4, 10], n)
    proprietary = rng.random(n) < 0.2
    n_comp = np.where(proprietary, 0, rng.integers(0, 4, n))
    start = dt.date(2023, 1, 2)
    dates = [start + dt.timedelta(weeks=w) for w in range(weeks)]
    parts = []
    for i in range(n):
        fam, tier = f"F{i}", None
        if i % 3 == 0 and i + 2 < n:
            fam, tier = f"T{i // 3}", TIERS[0]
        elif i % 3 in (1, 2) and (i - i % 3) + 2 < n:
            fam, tier = f"T{i // 3}", TIERS[i % 3]
        sales = None
        if rng.random() < history_share:
            paid = price[i] * np.exp(np.repeat(rng.normal(0, 0.06, weeks // 13 + 1), 13)[:weeks])
            units = rng.poisson(3.0 * (paid / price[i]) ** -2.0).astype(float)
            sales = SalesHistory(dates, units, paid)
        parts.append(PartInput(
            sku=f"B{i:06d}", category=CATEGORIES[i % len(CATEGORIES)], family=fam,
            proprietary=bool(proprietary[i]), unit_cost=Decimal(f"{cost[i] * packs[i]:.2f}"),
            current_price=Decimal(f"{price[i] * packs[i]:.2f}"), currency="USD",
            pack_qty=int(packs[i]), tier=tier,
            competitor_unit_prices=[Decimal(f"{price[i] * rng.uniform(0.85, 1.1):.2f}")
                                    for _ in range(int(n_comp[i]))],
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

    t = time.perf_counter()
    run = optimize_run(parts, POLICY)
    total = time.perf_counter() - t
    changed = sum(s.suggested_price != s.current_price for s in run.suggestions)
    print(f"optimize_run, everything:      {total:6.2f} s  ({total / len(parts) * 1e6:.1f} us/SKU;"
          f" solver success={run.solver_success}, {run.solver_iterations} iterations, "
          f"{run.fallback_count} fallbacks, {run.ladder_families} ladder families re-solved, "
          f"{changed:,} prices changed)")

    t = time.perf_counter()
    run_priors = optimize_run([p if p.sales is None else _without_sales(p) for p in parts], POLICY)
    print(f"optimize_run, no sales history: {time.perf_counter() - t:6.2f} s "
          f"({len(run_priors.suggestions):,} suggestions)")

    k, eps, lo, hi = solver_inputs(parts)
    t = time.perf_counter()
    solution = solve_bounded(k, eps, lo, hi)
    vectorized = time.perf_counter() - t
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


def _without_sales(p: PartInput) -> PartInput:
    from dataclasses import replace

    return replace(p, sales=None)


if __name__ == "__main__":
    main()
