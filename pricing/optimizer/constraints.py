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

from pricing.optimizer.inputs import OptimizerInputError, PartInput
from pricing.optimizer.policy import ResolvedPolicy

CENT = Decimal("0.01")
NO_CAP = np.iinfo(np.int64).max

# Why a bound sits where it does; the names double as binding-constraint labels.
KINDS = (
    "MARGIN_FLOOR", "MAP_FLOOR", "MAX_CHANGE_DOWN", "MAX_CHANGE_UP", "PRICE_INDEX_CAP", "LADDER",
    # ceilings a team configures (after the price index in priority)
    "MAX_MARKUP", "LIST_PRICE", "RISE_LIMIT", "RESELLER_CAP", "ALTERNATIVE_CAP",
    # the closed-loop guards (softest: every hard rule above comes first)
    "EVIDENCE_RANGE", "HOLD_FOR_EVIDENCE", "STEP_BACK", "SHARE_GUARD", "SMALL_CHANGE",
)
(MARGIN_FLOOR, MAP_FLOOR, MAX_CHANGE_DOWN, MAX_CHANGE_UP, PRICE_INDEX_CAP, LADDER,
 MAX_MARKUP, LIST_PRICE, RISE_LIMIT, RESELLER_CAP, ALTERNATIVE_CAP,
 EVIDENCE_RANGE, HOLD_FOR_EVIDENCE, STEP_BACK, SHARE_GUARD, SMALL_CHANGE) = range(len(KINDS))
HARD_KINDS = frozenset(range(ALTERNATIVE_CAP + 1))  # what may force a price to move

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


def margin_floor_cents(unit_cost: Decimal, min_margin: Decimal | float) -> int:
    """The margin floor ``unit_cost / (1 - min_margin)``, rounded up to a whole cent
    (a policy fraction is read as the decimal it was written as)."""
    margin = min_margin if isinstance(min_margin, Decimal) else _decimal(min_margin)
    if not Decimal(0) <= margin < 1:
        raise ValueError(f"min_margin {margin} is not in [0, 1)")
    return ceil_cents(unit_cost / (1 - margin))


@dataclass(frozen=True)
class Floor:
    """The lowest price a part may have, and which bound sets it."""

    price: Decimal
    kind: str  # MARGIN_FLOOR | MAP_FLOOR

    @property
    def label(self) -> str:
        return "MAP" if self.kind == KINDS[MAP_FLOOR] else "margin floor"


def price_floor(unit_cost: Decimal, rp: ResolvedPolicy) -> Floor:
    """A part's floor under its resolved policy: the margin floor or MAP (each rounded
    up to a cent), whichever is higher, and never below one cent.

    The optimizer's bounds hold exactly this floor for every part (:func:`part_bounds`
    computes it over arrays, :func:`hard_box` adds the cent); review and export call
    this function, so a price they accept is one the optimizer could have suggested.
    """
    margin = margin_floor_cents(unit_cost, rp.min_margin)
    map_floor = ceil_cents(rp.map_price) if rp.map_price is not None else 0
    cents, kind = (map_floor, MAP_FLOOR) if map_floor > margin else (margin, MARGIN_FLOOR)
    return Floor(Decimal(max(cents, 1)).scaleb(-2), KINDS[kind])


@dataclass(frozen=True)
class Bounds:
    """Every part's constraints in cents, before the price index is applied (one entry
    per part, in input order)."""

    floor: IntArray
    floor_kind: npt.NDArray[np.int8]
    step_lo: IntArray
    step_hi: IntArray
    cap: IntArray  # NO_CAP where the part has no cap (competitive or configured ceiling)
    cap_kind: npt.NDArray[np.int8]  # PRICE_INDEX_CAP, RESELLER_CAP or a configured ceiling
    reference_pack: list[Decimal | None]
    competitor_count: list[int]
    currency_mismatch: list[bool]
    cost_scaled: IntArray | None  # ten-thousandths, when every amount fits (see scaled())
    price_scaled: IntArray | None


def part_bounds(
    parts: Sequence[PartInput], resolved: Sequence[ResolvedPolicy], base_currency: str
) -> Bounds:
    """Margin floor, MAP, the ``max_change`` band and the competitive cap of every part.

    The policy's fractions are read once per distinct policy; the margin floor and the
    band are computed over arrays in whole numbers of ten-thousandths (the storage
    scale of money), which gives the same cents as Decimal arithmetic. Amounts with finer
    digits, or too large for int64, are computed one by one in Decimal.
    """
    policies: list[ResolvedPolicy] = []  # distinct, in order of first use
    index: dict[int, int] = {}
    for rp in resolved:
        if id(rp) not in index:
            index[id(rp)] = len(policies)
            policies.append(rp)
    which = np.array([index[id(rp)] for rp in resolved], np.intp)
    for rp in policies:
        if not Decimal(0) <= _decimal(rp.min_margin) < 1:
            sku = parts[next(i for i, r in enumerate(resolved) if r is rp)].sku
            raise OptimizerInputError(sku, f"min_margin {_decimal(rp.min_margin)} is not in [0, 1)")
    margin = [_decimal(rp.min_margin) for rp in policies]
    change = [_decimal(rp.max_change) for rp in policies]
    cost = [p.unit_cost for p in parts]
    price = [p.current_price for p in parts]
    cost_scaled, price_scaled = scaled(cost), scaled(price)
    margin_floor, step_lo, step_hi = _floor_and_band(
        cost, price, cost_scaled, price_scaled, margin, change, which)
    map_floor = np.array([ceil_cents(rp.map_price) if rp.map_price is not None else 0
                          for rp in policies], np.int64)[which]
    use_map = map_floor > margin_floor
    floor = np.where(use_map, map_floor, margin_floor)
    floor_kind = np.where(use_map, MAP_FLOOR, MARGIN_FLOOR).astype(np.int8)

    n = len(parts)
    cap = np.full(n, NO_CAP, np.int64)
    reference_pack: list[Decimal | None] = [None] * n
    count, mismatch = [0] * n, [False] * n
    cap_kind = np.full(n, PRICE_INDEX_CAP, np.int8)
    for i, part in enumerate(parts):
        if not part.competitor_unit_prices:
            continue
        # a proprietary part with matched listings is resold by dealers: buyers compare
        # those prices too, so the same index caps it (RESELLER_CAP)
        if part.proprietary:
            cap_kind[i] = RESELLER_CAP
        if part.currency != (part.competitor_currency or base_currency):
            mismatch[i] = True
            continue
        rp = resolved[i]
        reference = competitor_reference(part.competitor_unit_prices, rp.competitor_reference)
        if reference is not None:
            count[i] = len(part.competitor_unit_prices)
            pack_reference = reference_pack[i] = reference * part.pack_qty
            cap[i] = floor_cents(_decimal(rp.max_price_index) * pack_reference)
    for i, (part, rp) in enumerate(zip(parts, resolved, strict=True)):
        for kind, ceiling in _ceilings(part, rp):
            cents = floor_cents(ceiling)
            if cents < cap[i]:
                cap[i], cap_kind[i] = cents, kind
    return Bounds(floor, floor_kind, step_lo, step_hi, cap, cap_kind, reference_pack, count,
                  mismatch, cost_scaled, price_scaled)


def _ceilings(part: PartInput, rp: ResolvedPolicy) -> list[tuple[int, Decimal]]:
    """The ceilings a team configured for this part: ``max_markup`` times its cost, its
    ``list_price`` (MSRP), ``max_rise`` over its price ``rise_window_days`` ago, and
    ``max_alternative_index`` times the reference price of the will-fit alternatives
    matched to a proprietary part."""
    out = []
    if rp.max_markup is not None and part.unit_cost > 0:
        out.append((MAX_MARKUP, part.unit_cost * _decimal(rp.max_markup)))
    if part.list_price is not None and part.list_price > 0:
        out.append((LIST_PRICE, part.list_price))
    if rp.max_rise is not None and part.window_price is not None and part.window_price > 0:
        out.append((RISE_LIMIT, part.window_price * (1 + _decimal(rp.max_rise))))
    if rp.max_alternative_index is not None and part.alternative_unit_prices:
        reference = competitor_reference(part.alternative_unit_prices, rp.competitor_reference)
        if reference is not None:
            out.append((ALTERNATIVE_CAP,
                        _decimal(rp.max_alternative_index) * reference * part.pack_qty))
    return out


_SCALE = 10_000  # ten-thousandths: the scale money is stored at
_MAX_SCALED = 10**12  # amounts up to 100 million, so products stay within int64
_MAX_DENOMINATOR = 10**6


def _floor_and_band(
    cost: Sequence[Decimal], price: Sequence[Decimal], scaled_cost: IntArray | None,
    scaled_price: IntArray | None, margin: Sequence[Decimal], change: Sequence[Decimal],
    which: npt.NDArray[np.intp],
) -> tuple[IntArray, IntArray, IntArray]:
    """Per part: the margin floor ``ceil(cost / (1 - margin))`` and the band
    ``[ceil(price * (1 - change)), floor(price * (1 + change))]`` in cents (a band
    narrower than a cent collapses to the nearest cent of the price)."""
    m = [f.as_integer_ratio() for f in margin]
    c = [f.as_integer_ratio() for f in change]
    if (scaled_cost is None or scaled_price is None
            or max(den for _, den in m + c) > _MAX_DENOMINATOR):
        return _floor_and_band_decimal(cost, price, margin, change, which)
    m_num, m_den = (np.array(col, np.int64)[which] for col in zip(*m, strict=True))
    c_num, c_den = (np.array(col, np.int64)[which] for col in zip(*c, strict=True))
    per_cent = _SCALE // 100
    floor = -(-scaled_cost * m_den // (per_cent * (m_den - m_num)))
    step_lo = -(-scaled_price * (c_den - c_num) // (per_cent * c_den))
    step_hi = scaled_price * (c_den + c_num) // (per_cent * c_den)
    narrow = step_lo > step_hi
    nearest = (scaled_price + per_cent // 2) // per_cent  # half up; prices are positive
    return floor, np.where(narrow, nearest, step_lo), np.where(narrow, nearest, step_hi)


def scaled(values: Sequence[Decimal]) -> IntArray | None:
    """``values`` as whole numbers of ten-thousandths (the storage scale of money), or
    None if one has finer digits or is too large for exact int64 arithmetic on them."""
    if not values:
        return np.zeros(0, np.int64)
    num, den = zip(*map(Decimal.as_integer_ratio, values), strict=True)
    try:
        numerator, denominator = np.array(num, np.int64), np.array(den, np.int64)
    except OverflowError:
        return None
    if np.any(_SCALE % denominator) or np.any(np.abs(numerator) > _MAX_SCALED):
        return None  # a finer fraction than a ten-thousandth, or too large
    whole = numerator * (_SCALE // denominator)  # at most 10**16: no overflow
    return None if np.any(np.abs(whole) > _MAX_SCALED) else whole


def _floor_and_band_decimal(
    cost: Sequence[Decimal], price: Sequence[Decimal], margin: Sequence[Decimal],
    change: Sequence[Decimal], which: npt.NDArray[np.intp],
) -> tuple[IntArray, IntArray, IntArray]:
    """:func:`_floor_and_band` one part at a time, in Decimal."""
    floor, step_lo, step_hi = [], [], []
    for k, p0, j in zip(cost, price, which.tolist(), strict=True):
        floor.append(margin_floor_cents(k, margin[j]))
        lo, hi = ceil_cents(p0 * (1 - change[j])), floor_cents(p0 * (1 + change[j]))
        if lo > hi:
            lo = hi = nearest_cents(p0)
        step_lo.append(lo)
        step_hi.append(hi)
    return (np.array(floor, np.int64), np.array(step_lo, np.int64),
            np.array(step_hi, np.int64))


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
    cap_kind: npt.NDArray[np.int8]
    floor_over_step: BoolArray
    cannot_compete: BoolArray
    cap_deferred: BoolArray


def hard_box(bounds: Bounds) -> Box:
    """Floor/MAP and ``max_change`` only (no cap yet): the box ladders propagate in."""
    floor, floor_kind, step_lo, step_hi = (
        bounds.floor, bounds.floor_kind, bounds.step_lo, bounds.step_hi)
    cap = bounds.cap.copy()

    floor = np.maximum(floor, 1)  # no price below one cent, whatever the policy allows
    over = floor > step_hi
    floor_wins = floor >= step_lo
    lo = np.where(floor_wins, floor, step_lo)
    lo_kind = np.where(floor_wins, floor_kind, np.int8(MAX_CHANGE_DOWN)).astype(np.int8)
    hi = np.where(over, floor, step_hi)
    hi_kind = np.where(over, floor_kind, np.int8(MAX_CHANGE_UP)).astype(np.int8)
    n = len(floor)
    return Box(lo, hi, lo_kind, hi_kind, floor, cap, bounds.cap_kind, over, np.zeros(n, bool),
               np.zeros(n, bool))


def apply_cap(box: Box) -> Box:
    """Add the competitive cap below floor/MAP and ``max_change`` in priority.

    A cap below the floor cannot be met (CANNOT_COMPETE_AT_FLOOR); a cap below the
    lowest price ``max_change`` (or a ladder) allows this run is deferred. In both
    cases the price goes as low as the stronger constraints let it: ``hi = lo``.
    """
    has_cap = box.cap != NO_CAP
    index_cap = (box.cap_kind == PRICE_INDEX_CAP) | (box.cap_kind == RESELLER_CAP)
    below_lo = has_cap & (box.cap < box.lo)
    cannot = below_lo & index_cap & (box.cap < box.floor)
    deferred = below_lo & index_cap & ~cannot
    binds = has_cap & ~below_lo & (box.cap < box.hi)
    hi = np.where(below_lo, box.lo, np.where(binds, box.cap, box.hi))
    hi_kind = np.where(below_lo, box.lo_kind, np.where(binds, box.cap_kind, box.hi_kind))
    return Box(box.lo, hi, box.lo_kind, hi_kind.astype(np.int8), box.floor, box.cap,
               box.cap_kind, box.floor_over_step, cannot, deferred)
