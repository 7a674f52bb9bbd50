"""The demand model: constant own-price elasticity around the current price.

``q(p) = q0 * (p / p0) ** eps`` units per sales period, where ``p0`` is the current
pack price, ``q0`` the expected units per period at ``p0`` (from recent sales history,
1.0 when there is none) and ``eps < 0`` the SKU's own-price elasticity (see
:mod:`pricing.optimizer.elasticity`). ``docs/demand_model.md`` has the full write-up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from pricing.optimizer.inputs import SalesHistory

Array = npt.NDArray[np.float64]

DEFAULT_UNITS = 1.0  # per period, when a SKU has no sales history at all
RECENT_PERIODS = 26  # the window q0 is measured over (half a year of weeks)


def expected_units(q0: Array, p0: Array, eps: Array, price: Array) -> Array:
    """Units per period at ``price`` under the model."""
    return q0 * (price / p0) ** eps


def clean_history(history: SalesHistory) -> tuple[Array, Array]:
    """Units and prices as float arrays, dropping periods without a usable price.

    Negative units (returns booked against the period) count as no sales.
    """
    units = np.asarray(history.units, dtype=np.float64)
    prices = np.asarray(history.unit_price, dtype=np.float64)
    keep = np.isfinite(units) & np.isfinite(prices) & (prices > 0)
    return np.maximum(units[keep], 0.0), prices[keep]


def packs_per_unit(prices: Array, current_price: float, pack_qty: int) -> float:
    """1.0 when history is in packs, ``1 / pack_qty`` when it is in single units.

    The history's ``unit_price`` is compared with the current pack price: a history
    priced near ``current_price / pack_qty`` counts single units, and its units are
    converted to packs so that expected profit is per pack like the prices.
    """
    if pack_qty <= 1 or prices.size == 0:
        return 1.0
    typical = float(np.median(prices))
    as_packs = abs(math.log(typical / current_price))
    as_units = abs(math.log(typical * pack_qty / current_price))
    return 1.0 / pack_qty if as_units < as_packs else 1.0


def baseline_units(
    histories: Sequence[SalesHistory | None],
    current_price: Array,
    pack_qty: Sequence[int],
    eps: Array,
) -> Array:
    """``q0`` per SKU: recent units per period, price-adjusted to the current price.

    Over the last :data:`RECENT_PERIODS` periods, ``q0 = sum(units) / sum((p_t/p0)**eps)``
    (the Poisson maximum-likelihood level at ``p0`` given ``eps``). A SKU that sold
    nothing gets half a unit over the window (a Jeffreys-style floor), and one with no
    history :data:`DEFAULT_UNITS`.
    """
    q0 = np.full(len(histories), DEFAULT_UNITS)
    for i, history in enumerate(histories):
        if history is None:
            continue
        units, prices = clean_history(history)
        if units.size == 0:
            continue
        per_pack = packs_per_unit(prices, float(current_price[i]), pack_qty[i])
        units, prices = units[-RECENT_PERIODS:], prices[-RECENT_PERIODS:] / per_pack
        exposure = float(np.sum((prices / current_price[i]) ** eps[i]))
        sold = float(units.sum()) * per_pack
        q0[i] = (sold if sold > 0 else 0.5 * per_pack) / exposure
    return q0
