"""Expected gross profit under the constant-elasticity demand model, and its gradient.

Each SKU is scaled by its current price ``p0`` and baseline units ``q0``: with
``x = p / p0`` and ``k = unit_cost / p0`` the profit per period is
``q0 * p0 * (x - k) * x**eps``. The scaled form keeps every SKU's term of order one,
so one solver call over many SKUs is well conditioned, and it does not depend on
``q0`` (the best price of a SKU does not depend on how much of it sells).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def scaled_profit(x: Array, k: Array, eps: Array) -> Array:
    """Profit per period divided by ``q0 * p0``: ``(x - k) * x**eps``."""
    return (x - k) * x**eps


def scaled_profit_slope(x: Array, k: Array, eps: Array) -> Array:
    """d/dx of :func:`scaled_profit`: ``x**(eps-1) * ((1 + eps) * x - eps * k)``.

    For ``eps < -1`` it is positive below ``x* = eps * k / (1 + eps)`` and negative
    above, so each SKU's profit is unimodal in its price; for ``eps >= -1`` it is
    positive for every ``x > k`` (the highest allowed price earns most).
    """
    return x ** (eps - 1.0) * ((1.0 + eps) * x - eps * k)


def negative_total(x: Array, k: Array, eps: Array) -> tuple[float, Array]:
    """Objective for a minimizer: minus the sum of scaled profits, with its gradient."""
    xe = x**eps
    value = -float(np.sum((x - k) * xe))
    grad = -(xe / x) * ((1.0 + eps) * x - eps * k)
    return value, grad


def profit(price: Array, cost: Array, q0: Array, p0: Array, eps: Array) -> Array:
    """Expected gross profit per period at ``price``: ``(price - cost) * q0 * (price/p0)**eps``."""
    return (price - cost) * q0 * (price / p0) ** eps

