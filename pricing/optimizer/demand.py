"""The demand model: constant own-price elasticity around the current price.

``q(p) = q0 * (p / p0) ** eps`` units per sales period, where ``p0`` is the current
pack price, ``q0`` the expected units per period at ``p0`` (from recent sales history,
1.0 when there is none) and ``eps < 0`` the SKU's own-price elasticity (see
:mod:`pricing.optimizer.elasticity`). ``docs/demand_model.md`` has the full write-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pricing.optimizer.inputs import SalesHistory

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

DEFAULT_UNITS = 1.0  # per period, when a SKU has no sales history at all
RECENT_PERIODS = 26  # the window q0 is measured over (half a year of weeks)


def expected_units(q0: Array, p0: Array, eps: Array, price: Array) -> Array:
    """Units per period at ``price`` under the model."""
    return q0 * (price / p0) ** eps


@dataclass(frozen=True)
class SalesPanel:
    """All SKUs' sales histories flattened into rows (SKU by SKU, oldest first).

    Periods without a usable price are dropped; negative units (returns booked against
    the period) count as no sales.
    """

    units: Array
    price: Array
    sku: IntArray  # row -> index of the SKU in the caller's list; never decreasing
    n_skus: int

    def __post_init__(self) -> None:
        # the estimation reads each SKU's rows as one contiguous run
        if self.sku.size > 1 and bool(np.any(self.sku[1:] < self.sku[:-1])):
            raise ValueError("SalesPanel rows must be grouped by SKU, in SKU order")

    @classmethod
    def from_histories(cls, histories: Sequence[SalesHistory | None]) -> SalesPanel:
        units: list[Array] = []
        prices: list[Array] = []
        lengths = np.zeros(len(histories), np.intp)
        for i, h in enumerate(histories):
            if h is not None and len(h.units):
                units.append(np.asarray(h.units, dtype=np.float64))
                prices.append(np.asarray(h.unit_price, dtype=np.float64))
                lengths[i] = units[-1].size
        if not units:
            return cls(np.zeros(0), np.zeros(0), np.zeros(0, np.intp), len(histories))
        y, p = np.concatenate(units), np.concatenate(prices)
        sku = np.repeat(np.arange(len(histories)), lengths)
        keep = np.isfinite(y) & np.isfinite(p) & (p > 0)
        if not keep.all():  # usually every period is usable: spare three copies
            y, p, sku = y[keep], p[keep], sku[keep]
        return cls(np.maximum(y, 0.0, out=y), p, sku, len(histories))

    def periods(self) -> npt.NDArray[np.int64]:
        """Rows per SKU."""
        return np.bincount(self.sku, minlength=self.n_skus)

    def age(self) -> IntArray:
        """Per row, how many periods before the SKU's latest one it lies (0 = latest)."""
        ends = np.cumsum(self.periods())
        return np.asarray(ends[self.sku] - 1 - np.arange(self.sku.size), np.intp)


def packs_per_unit(panel: SalesPanel, current_price: Array, pack_qty: Sequence[int]) -> Array:
    """Per SKU, 1.0 when its history counts packs, ``1 / pack_qty`` when single units.

    The history's typical (geometric mean) price is compared with the current pack
    price: a history priced nearer ``current_price / pack_qty`` counts single units.
    """
    return _packs_per_unit(panel, panel.periods(), current_price, pack_qty)


def _packs_per_unit(panel: SalesPanel, periods: npt.NDArray[np.int64], current_price: Array,
                    pack_qty: Sequence[int]) -> Array:
    packs = np.asarray(pack_qty, dtype=np.float64)
    n = np.maximum(periods, 1)
    typical = np.exp(np.bincount(panel.sku, np.log(panel.price), panel.n_skus) / n)
    as_packs = np.abs(np.log(typical / current_price))
    as_units = np.abs(np.log(typical * packs / current_price))
    return np.where((packs > 1) & (as_units < as_packs), 1.0 / packs, 1.0)


def baseline_units(panel: SalesPanel, current_price: Array, pack_qty: Sequence[int],
                   eps: Array) -> Array:
    """``q0`` per SKU: recent units per period, price-adjusted to the current price.

    Over the last :data:`RECENT_PERIODS` periods, ``q0 = sum(units) / sum((p_t/p0)**eps)``
    (the Poisson maximum-likelihood level at ``p0`` given ``eps``), in packs. A SKU
    that sold nothing gets half a unit over the window (a Jeffreys-style floor), and
    one with no history :data:`DEFAULT_UNITS`.
    """
    periods = panel.periods()
    per_pack = _packs_per_unit(panel, periods, current_price, pack_qty)
    # The recent rows, gathered SKU by SKU in panel order (rather than masking all rows
    # by age): each SKU's last ``window`` rows end where its rows do.
    window = np.minimum(periods, RECENT_PERIODS)
    ends = np.cumsum(periods)
    first = np.cumsum(window) - window
    sku = np.repeat(np.arange(panel.n_skus), window)
    recent = np.arange(sku.size) + (ends - window - first)[sku]
    pack_price = panel.price[recent] / per_pack[sku]
    exposure = np.bincount(sku, (pack_price / current_price[sku]) ** eps[sku], panel.n_skus)
    sold = np.bincount(sku, panel.units[recent], panel.n_skus) * per_pack
    has = periods > 0
    level = np.where(sold > 0, sold, 0.5 * per_pack) / np.where(has, exposure, 1.0)
    return np.where(has, level, DEFAULT_UNITS)
