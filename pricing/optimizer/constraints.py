"""Hard price bounds per part, in whole cents, resolved in the SPEC's order.

Order when constraints conflict: MAP and margin floor first (never below them, even
if that is a bigger step than ``max_change`` or above the price index), then
``max_change``, then ``max_price_index``. Every bound is rounded inward to a cent
(floors up, caps down), so any whole-cent price inside ``[lo, hi]`` keeps every
constraint exactly, with no later rounding able to break one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from pricing.config import ResolvedPolicy
from pricing.optimizer.inputs import OptimizerInputError, PartInput

CENT = Decimal("0.01")
NO_CAP = np.iinfo(np.int64).max

# Why a bound sits where it does; the names double as binding-constraint labels.
KINDS = (
    "MARGIN_FLOOR", "MAP_FLOOR", "MAX_CHANGE_DOWN", "MAX_CHANGE_UP", "PRICE_INDEX_CAP", "LADDER",
)
MARGIN_FLOOR, MAP_FLOOR, MAX_CHANGE_DOWN, MAX_CHANGE_UP, PRICE_INDEX_CAP, LADDER = range(len(KINDS))

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def ceil_cents(value: Decimal) -> int:
    """Smallest whole number of cents at or above ``value``."""
    return int(value.quantize(CENT, rounding=ROUND_CEILING).scaleb(2))


def floor_cents(value: Decimal) -> int:
    """Largest whole number of cents at or below ``value``."""
    return int(value.quantize(CENT, rounding=ROUND_FLOOR).scaleb(2))


def nearest_cents(value: Decimal) -> int:
    return int(value.quantize(CENT, rounding=ROUND_HALF_UP).scaleb(2))


@lru_cache(maxsize=1024)
def _decimal(value: float) -> Decimal:
    """A policy fraction as the decimal it was written as (0.3 -> Decimal("0.3"))."""
    return Decimal(repr(value))


def competitor_reference(unit_prices: Sequence[Decimal], how: str) -> Decimal | None:
    """The ``min`` or ``median`` of competitors' unit prices (exact, in Decimal)."""
    prices = sorted(p for p in unit_prices if p.is_finite() and p > 0)
    if not prices:
        return None
    if how == "min":
        return prices[0]
    mid = len(prices) // 2
    if len(prices) % 2:
        return prices[mid]
    return (prices[mid - 1] + prices[mid]) / 2


@dataclass(frozen=True)
class PartBounds:
    """One part's constraints in cents, before the price index is applied."""

    floor: int
    floor_kind: int
    step_lo: int
    step_hi: int
    cap: int | None
    reference_pack: Decimal | None
    competitor_count: int
    currency_mismatch: bool


def part_bounds(part: PartInput, rp: ResolvedPolicy, base_currency: str) -> PartBounds:
    """Margin floor, MAP, the ``max_change`` band and the competitive cap of one part."""
    min_margin = _decimal(rp.min_margin)
    if not Decimal(0) <= min_margin < 1:
        raise OptimizerInputError(part.sku, f"min_margin {min_margin} is not in [0, 1)")
    margin_floor = ceil_cents(part.unit_cost / (1 - min_margin))
    map_floor = ceil_cents(rp.map_price) if rp.map_price is not None else 0
    floor, floor_kind = (map_floor, MAP_FLOOR) if map_floor > margin_floor else (
        margin_floor, MARGIN_FLOOR)

    p0 = part.current_price
    change = _decimal(rp.max_change)
    step_lo, step_hi = ceil_cents(p0 * (1 - change)), floor_cents(p0 * (1 + change))
    if step_lo > step_hi:  # a sub-cent price with a band narrower than a cent
        step_lo = step_hi = nearest_cents(p0)

    cap = reference_pack = None
    count = 0
    mismatch = False
    if not part.proprietary and part.competitor_unit_prices:
        if part.currency != (part.competitor_currency or base_currency):
            mismatch = True
        else:
            reference = competitor_reference(part.competitor_unit_prices, rp.competitor_reference)
            if reference is not None:
                count = len(part.competitor_unit_prices)
                reference_pack = reference * part.pack_qty
                cap = floor_cents(_decimal(rp.max_price_index) * reference_pack)
    return PartBounds(floor, floor_kind, step_lo, step_hi, cap, reference_pack, count, mismatch)


@dataclass
class Box:
    """Per-part feasible interval ``[lo, hi]`` in cents, with why each end is there.

    Flags: ``floor_over_step`` (the floor forced a bigger step than ``max_change``),
    ``cannot_compete`` (the index cap is below the floor), ``cap_deferred`` (the cap is
    below what ``max_change`` or a ladder allows this run).
    """

    lo: IntArray
    hi: IntArray
    lo_kind: npt.NDArray[np.int8]
    hi_kind: npt.NDArray[np.int8]
    floor: IntArray
    cap: IntArray
    floor_over_step: BoolArray
    cannot_compete: BoolArray
    cap_deferred: BoolArray


def hard_box(bounds: Sequence[PartBounds]) -> Box:
    """Floor/MAP and ``max_change`` only (no cap yet): the box ladders propagate in."""
    floor = np.array([b.floor for b in bounds], dtype=np.int64)
    floor_kind = np.array([b.floor_kind for b in bounds], dtype=np.int8)
    step_lo = np.array([b.step_lo for b in bounds], dtype=np.int64)
    step_hi = np.array([b.step_hi for b in bounds], dtype=np.int64)
    cap = np.array([NO_CAP if b.cap is None else b.cap for b in bounds], dtype=np.int64)

    floor = np.maximum(floor, 1)  # no price below one cent, whatever the policy allows
    over = floor > step_hi
    floor_wins = floor >= step_lo
    lo = np.where(floor_wins, floor, step_lo)
    lo_kind = np.where(floor_wins, floor_kind, np.int8(MAX_CHANGE_DOWN)).astype(np.int8)
    hi = np.where(over, floor, step_hi)
    hi_kind = np.where(over, floor_kind, np.int8(MAX_CHANGE_UP)).astype(np.int8)
    n = len(bounds)
    return Box(lo, hi, lo_kind, hi_kind, floor, cap, over, np.zeros(n, bool), np.zeros(n, bool))


def apply_cap(box: Box) -> Box:
    """Add the competitive cap below floor/MAP and ``max_change`` in priority.

    A cap below the floor cannot be met (CANNOT_COMPETE_AT_FLOOR); a cap below the
    lowest price ``max_change`` (or a ladder) allows this run is deferred. In both
    cases the price goes as low as the stronger constraints let it: ``hi = lo``.
    """
    has_cap = box.cap != NO_CAP
    cannot = has_cap & (box.cap < box.floor)
    deferred = has_cap & ~cannot & (box.cap < box.lo)
    binds = has_cap & ~cannot & ~deferred & (box.cap < box.hi)
    low = cannot | deferred
    hi = np.where(low, box.lo, np.where(binds, box.cap, box.hi))
    hi_kind = np.where(low, box.lo_kind, np.where(binds, np.int8(PRICE_INDEX_CAP), box.hi_kind))
    return Box(box.lo, hi, box.lo_kind, hi_kind.astype(np.int8), box.floor, box.cap,
               box.floor_over_step, cannot, deferred)
