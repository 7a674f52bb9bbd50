"""Elasticity estimation against known truth: bias and interval coverage over seeds.

Run: ``python benchmarks/bench_elasticity.py [--seeds 1 2 3 4 5 6] [--skus 400]``

For each seed, ``--skus`` SKUs get a true elasticity drawn from −4 to −0.8 and two
years of weekly Poisson sales at stepped prices with promotions
(``tests/support/simulator.py::stepped_history``, the histories
``tests/optimizer/test_elasticity.py`` uses). Each SKU is fitted alone
(``fit_sku_elasticities``); printed per seed: the share of SKUs with an estimate,
the mean error (estimate − truth), and how many of the 95 % intervals (±1.96
standard errors) cover the truth. A calibrated estimator covers about
95 %; the test asserts a mean error within ±0.05 and coverage between 90 and 99 % on
one seed. The baseline, fitted on the same histories in the same run, is an ordinary
log-log least-squares regression of units on price (zero weeks dropped, as it must).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pricing.optimizer import SalesHistory  # noqa: E402
from pricing.optimizer.elasticity import fit_sku_elasticities  # noqa: E402
from tests.support.simulator import stepped_history  # noqa: E402


def log_log_slope(history: SalesHistory) -> float:
    """The textbook baseline: slope of log(units) on log(price), weeks with sales only."""
    units = np.asarray(history.units, dtype=float)
    price = np.asarray(history.unit_price, dtype=float)
    keep = units > 0
    if keep.sum() < 3 or np.ptp(np.log(price[keep])) == 0:
        return float("nan")
    return float(np.polyfit(np.log(price[keep]), np.log(units[keep]), 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    ap.add_argument("--skus", type=int, default=400)
    args = ap.parse_args()
    print("| seed | estimated | mean error | 95 % intervals covering | log-log baseline: "
          "mean error |")
    print("|---|---|---|---|---|")
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        truth = rng.uniform(-4.0, -0.8, args.skus)
        hists = [stepped_history(rng, e, float(rng.uniform(2, 40))) for e in truth]
        raw, se = fit_sku_elasticities(hists)
        ok = np.isfinite(raw)
        z = (raw[ok] - truth[ok]) / se[ok]
        base = np.array([log_log_slope(h) for h in hists])
        fine = np.isfinite(base)
        print(f"| {seed} | {ok.mean():.1%} | {np.mean(raw[ok] - truth[ok]):+.3f} | "
              f"{np.mean(np.abs(z) < 1.96):.1%} | {np.mean(base[fine] - truth[fine]):+.3f} |")


if __name__ == "__main__":
    main()
