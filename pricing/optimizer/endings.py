"""Price endings (``.99``, ``.95``, ...) chosen inside the feasible interval.

An ending ``.d`` or ``.dd`` is the fraction of the currency unit a price must end with:
``.99`` means x.99, ``.9`` and ``.90`` mean x.90. Of the allowed prices nearest to the
optimized price, one just below and one just above, the candidates inside ``[lo, hi]``
are compared by expected profit (so the choice is the best allowed price, profit being
unimodal); when neither fits, the price stays at the cent and no ending is claimed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ProfitAt = Callable[[IntArray, IntArray], npt.NDArray[np.float64]]


def ending_cents(ending: str | None) -> int:
    """``".99"`` -> 99, ``".9"`` -> 90, ``None`` -> -1 (no ending)."""
    if ending is None:
        return -1
    digits = ending.lstrip(".")
    if not digits.isdigit() or not 1 <= len(digits) <= 2:
        raise ValueError(f"price ending {ending!r} is not '.d' or '.dd'")
    return int(digits.ljust(2, "0"))


def has_ending(price: IntArray, ending: IntArray) -> BoolArray:
    """Which prices (in cents) already end as configured."""
    return (ending >= 0) & (price % 100 == ending)


def endings_around(price: IntArray, ending: IntArray) -> tuple[IntArray, IntArray]:
    """The allowed prices just at/below and at/above each price (cents)."""
    below = price - (price - ending) % 100
    above = np.where(below < price, below + 100, below)
    return below, above


def smallest_ending_at_least(price: int, ending: int) -> int:
    """The lowest price ending in ``ending`` cents that is not below ``price``."""
    below = price - (price - ending) % 100
    return below if below >= price else below + 100


def apply_endings(
    price: IntArray, lo: IntArray, hi: IntArray, ending: IntArray, profit_at: ProfitAt
) -> tuple[IntArray, BoolArray]:
    """Move each price with a configured ending to the more profitable of its two
    neighbouring allowed prices inside ``[lo, hi]``; ``profit_at(cents, index)`` gives
    expected profit for the SKUs at ``index``. Returns new prices and where an ending
    was applied (or already held)."""
    out = price.copy()
    idx = np.flatnonzero(ending >= 0)
    if idx.size == 0:
        return out, np.zeros(price.size, bool)
    below, above = endings_around(price[idx], ending[idx])
    ok_below = (below >= lo[idx]) & (below <= hi[idx])
    ok_above = (above >= lo[idx]) & (above <= hi[idx])
    low, high = lo[idx], hi[idx]
    gain_below = np.where(ok_below, profit_at(np.clip(below, low, high), idx), -np.inf)
    gain_above = np.where(ok_above, profit_at(np.clip(above, low, high), idx), -np.inf)
    take_above = gain_above > gain_below
    chosen = np.where(take_above, above, below)
    applied_sub = ok_below | ok_above
    out[idx] = np.where(applied_sub, chosen, price[idx])
    applied = np.zeros(price.size, bool)
    applied[idx] = applied_sub
    return out, applied


def parse_endings(endings: Sequence[str | None]) -> IntArray:
    """Vector of :func:`ending_cents`, one per SKU."""
    cache: dict[str | None, int] = {}
    return np.array([cache.setdefault(e, ending_cents(e)) for e in endings], dtype=np.int64)
