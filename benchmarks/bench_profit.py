"""Profit on the simulated aftermarket: the optimizer against analysts' rules.

Run: ``python benchmarks/bench_profit.py [--skus N] [--seeds 1 2 3 4 5]``

For each scenario and seed, one market from ``tests/support/simulator.py`` (true constant-
elasticity demand, known to the simulator only) is priced by the optimizer with its
sales histories (learned), by the optimizer without them (the policy priors alone),
and by three rules moved into the policy's bounds (cost-plus at a 40 % margin, match
the lowest competitor, keep today's price). Each is scored as expected profit under
the true demand, as a share of the best whole-cent prices the policy allows (found by
brute force, independently of the optimizer). Constraint violations of the learned
prices are counted by the simulator's own reading of the SPEC. The figures printed are
the range over the seeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pricing.optimizer import optimize  # noqa: E402
from pricing.optimizer.elasticity import ElasticitySettings  # noqa: E402
from tests.support import simulator as sim  # noqa: E402

SCENARIOS: dict[str, dict[str, Any]] = {
    "true elasticities = priors, no history (10 % step)": {},
    "elasticities vary (sd 0.5), 2 years weekly Poisson sales (10 % step)":
        {"varied": True, "history": True},
    "same, lumpy sales (gamma-Poisson, shape 1)": {"varied": True, "history": True,
                                                    "lumpy": True},
    "30 % step, elasticities vary (sd 0.5), Poisson sales":
        {"varied": True, "history": True, "policy": sim.wide_policy(0.3)},
    "100 % step, prices far off (log sd 0.5), elasticities vary (sd 0.45), Poisson":
        {"varied": True, "history": True, "policy": sim.wide_policy(1.0), "eps_sd": 0.45,
         "price_sd": 0.5},
    "same, lumpy sales": {"varied": True, "history": True, "policy": sim.wide_policy(1.0),
                          "eps_sd": 0.45, "price_sd": 0.5, "lumpy": True},
    "50 % step, prices around 2.2 x cost whatever the elasticity (sd 0.6), Poisson":
        {"varied": True, "history": True, "policy": sim.wide_policy(0.5), "eps_sd": 0.6,
         "price_sd": 0.3, "anchor_best": False},
}


def score(seed: int, skus: int, options: dict[str, Any],
          settings: ElasticitySettings = ElasticitySettings()) -> sim.Scores:
    market = sim.make_market(seed, skus, **options)
    learned = optimize(market.parts, market.policy, elasticity=settings)
    if not options.get("history"):
        return sim.judge(market, learned)
    bare = [replace(p, sales=None) for p in market.parts]
    return sim.judge(market, learned, optimize(bare, market.policy, elasticity=settings))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=3000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--no-markup-line", action="store_true",
                    help="pools shrink toward a flat mean, not the markup line (the "
                         "comparison docs/demand_model.md cites)")
    args = ap.parse_args()
    # a pool needs this many SKU estimates before markups may move its mean: never
    settings = (ElasticitySettings(min_markup_skus=10**9) if args.no_markup_line
                else ElasticitySettings())
    columns = ("optimizer", "priors only", *sim.RULES)
    print(f"{args.skus:,} SKUs per market, seeds {args.seeds}; profit as a share of the best "
          "prices the policy allows (range over seeds)")
    print("| scenario | " + " | ".join(columns) + " | violations |")
    print("|---" * (len(columns) + 2) + "|")
    for name, options in SCENARIOS.items():
        t = time.perf_counter()
        runs = [score(seed, args.skus, options, settings) for seed in args.seeds]
        cells = []
        for column in columns:
            values = [r.shares[column] for r in runs if column in r.shares]
            cells.append("(same)" if not values else
                         f"{min(values):.2%}–{max(values):.2%}".replace("%–", "–"))
        violations = sum(len(r.violations) for r in runs)
        print(f"| {name} | " + " | ".join(cells) + f" | {violations} |", flush=True)
        print(f"  ({time.perf_counter() - t:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
