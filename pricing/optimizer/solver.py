"""The SciPy calls: one bounded quasi-Newton solve over all SKUs, checked, with a
deterministic vectorized fallback; and rounding to whole cents.

The solver sees only the scaled problem of :mod:`pricing.optimizer.objective`:
maximize ``sum_i (x_i - k_i) * x_i**eps_i`` subject to ``lo_i <= x_i <= hi_i``, where
``x = price / current price``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, minimize
from scipy.optimize.elementwise import find_root

from pricing.optimizer.objective import negative_total, scaled_profit_slope

Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

KKT_TOL = 1e-5  # largest projected slope accepted per SKU (scaled units; ~1e-6 is reached)


@dataclass(frozen=True)
class Solution:
    """Relative prices ``x``, which SKUs needed the fallback, and the solver's report."""

    x: Array
    fallback: BoolArray
    success: bool
    message: str
    iterations: int


def kkt_violation(x: Array, k: Array, eps: Array, lo: Array, hi: Array) -> Array:
    """How far each SKU is from optimal: the slope of its profit where it could still
    move (zero at an interior optimum, or at a bound the slope pushes against)."""
    slope = scaled_profit_slope(x, k, eps)
    scale = np.maximum(np.abs(x) * 1e-12, 1e-15)
    at_lo, at_hi = x <= lo + scale, x >= hi - scale
    up = np.where(at_hi, 0.0, np.maximum(slope, 0.0))
    down = np.where(at_lo, 0.0, np.maximum(-slope, 0.0))
    return np.maximum(up, down)


def solve_bounded(k: Array, eps: Array, lo: Array, hi: Array) -> Solution:
    """Maximize every SKU's scaled profit within its bounds in one L-BFGS-B call.

    The start is the current price clipped into the bounds. The result is used only if
    SciPy reports success; SKUs that still fail the KKT check, or all of them when the
    call fails, are solved by :func:`solve_elementwise` instead.
    """
    n = k.size
    x = np.clip(np.ones(n), lo, hi)
    free = lo < hi
    if not free.any():
        return Solution(x, np.zeros(n, bool), True, "all prices fixed by their bounds", 0)
    kf, ef, lf, hf = k[free], eps[free], lo[free], hi[free]
    result = minimize(
        negative_total,
        x[free],
        args=(kf, ef),
        jac=True,
        method="L-BFGS-B",
        bounds=Bounds(lf, hf),
        options={"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 10},
    )
    fallback = np.zeros(n, bool)
    if result.success:
        xf = np.clip(result.x, lf, hf)
        bad = ~(kkt_violation(xf, kf, ef, lf, hf) <= KKT_TOL)
    else:
        xf, bad = x[free], np.ones(free.sum(), bool)
    if bad.any():
        xf[bad] = solve_elementwise(kf[bad], ef[bad], lf[bad], hf[bad])
        fallback[np.flatnonzero(free)[bad]] = True
    x[free] = xf
    return Solution(x, fallback, bool(result.success), str(result.message), int(result.nit))


def solve_elementwise(k: Array, eps: Array, lo: Array, hi: Array) -> Array:
    """Deterministic fallback: each SKU's profit is unimodal, so its optimum is a bound
    or the root of its slope, found for all SKUs at once by SciPy's bracketing
    root finder (Chandrupatla's method)."""
    slope_lo, slope_hi = scaled_profit_slope(lo, k, eps), scaled_profit_slope(hi, k, eps)
    x = np.where(slope_lo <= 0, lo, hi)
    inside = (slope_lo > 0) & (slope_hi < 0)
    if inside.any():
        res = find_root(
            scaled_profit_slope,
            (lo[inside], hi[inside]),
            args=(k[inside], eps[inside]),
            tolerances={"xrtol": 1e-13, "xatol": 1e-15},
        )
        x[inside] = np.clip(res.x, lo[inside], hi[inside])
    return x


def round_cents(cont: Array, lo: IntArray, hi: IntArray) -> IntArray:
    """Whole-cent prices: each continuous price rounded half up to the cent, then clipped
    into its whole-cent bounds ``[lo, hi]`` (which are already rounded inward), so
    rounding can never break a bound."""
    return np.clip(np.floor(cont * 100.0 + 0.5).astype(np.int64), lo, hi)
