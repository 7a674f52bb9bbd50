"""The closed-loop guards: what keeps prices safe when suggestions are approved night
after night (docs/demand_model.md, "Night after night").

They are the softest constraints, applied inside the hard box (floor, MAP, step
limit, competitive cap, configured ceilings), never outside it:

* :func:`apply_evidence` narrows the box to the :mod:`.evidence` bounds;
* :class:`ShareGuard` keeps each category's competitive volume (units valued at
  today's prices) within ``max_units_loss`` of today's, by pricing those parts as if
  each unit sold were worth ``lam`` more (a Lagrange multiplier found by bisection);
* :func:`calm` holds a price whose move is smaller than ``min_change`` (and
  ``min_change_amount``) or earns less than ``min_gain`` more, unless a hard rule
  forces the move.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pricing.optimizer import evidence as ev
from pricing.optimizer.constraints import (
    EVIDENCE_RANGE,
    HOLD_FOR_EVIDENCE,
    STEP_BACK,
    Box,
)
from pricing.optimizer.objective import scaled_profit

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# evidence.py's reasons (NONE, RANGE, HOLD, STEP_BACK) as binding kinds
_KIND_OF = np.array([EVIDENCE_RANGE, EVIDENCE_RANGE, HOLD_FOR_EVIDENCE, STEP_BACK], np.int8)
_LAMBDA_MAX = 64.0
_BISECTIONS = 40


def apply_evidence(box: Box, bounds: ev.EvidenceBounds) -> Box:
    """``box`` narrowed to the evidence bounds (in whole cents, rounded inward), without
    ever leaving the hard box: where the evidence would, the hard bound stays."""
    with np.errstate(over="ignore", invalid="ignore"):
        ev_lo = np.ceil(np.round(bounds.lo * 100.0, 6))
        ev_hi = np.floor(np.round(bounds.hi * 100.0, 6))
    ev_lo = np.where(np.isfinite(ev_lo), ev_lo, 0).astype(np.int64)
    ev_hi = np.where(np.isfinite(ev_hi), np.minimum(ev_hi, np.iinfo(np.int64).max // 4),
                     np.iinfo(np.int64).max // 4).astype(np.int64)
    lo = np.clip(ev_lo, box.lo, box.hi)
    hi = np.clip(ev_hi, box.lo, box.hi)
    hi = np.maximum(hi, lo)
    lo_kind = box.lo_kind.copy()
    hi_kind = box.hi_kind.copy()
    raised, lowered = lo > box.lo, hi < box.hi
    lo_kind[raised] = _kinds(bounds.lo_kind[raised])
    hi_kind[lowered] = _kinds(bounds.hi_kind[lowered])
    # where the evidence lies beyond the hard box, the hard end that stopped it binds
    lo_kind[ev_lo > box.hi] = box.hi_kind[ev_lo > box.hi]
    hi_kind[ev_hi < box.lo] = box.lo_kind[ev_hi < box.lo]
    return Box(lo, hi, lo_kind, hi_kind, box.floor, box.cap, box.cap_kind,
               box.floor_over_step, box.cannot_compete, box.cap_deferred)


def _kinds(codes: npt.NDArray[np.int8]) -> npt.NDArray[np.int8]:
    return _KIND_OF[codes]


def best_x(k: Array, eps: Array, lo: Array, hi: Array) -> Array:
    """The best relative price in ``[lo, hi]`` of ``(x - k) * x**eps``, in closed form:
    the better of the two ends and, for ``eps < -1``, the stationary point."""
    candidates = [lo, hi]
    elastic = eps < -1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        stationary = np.where(elastic, eps * k / (1.0 + eps), lo)
    candidates.append(np.clip(stationary, lo, hi))
    stack = np.vstack(candidates)
    values = scaled_profit(stack, k, eps)
    return stack[np.argmax(values, axis=0), np.arange(k.size)]


@dataclass(frozen=True)
class ShareGuard:
    """Each category's competitive volume: units valued at today's prices,
    ``sum(p0 * q)``, under the model. The allowance is ``max_loss`` below the volume at
    ``base`` (relative prices before the optimizer's own moves, the anchor), so it is
    for the whole season, not for each night again. Built once per run; the groups are
    index arrays with their weights and volume limits."""

    eps: Array
    groups: list[tuple[npt.NDArray[np.intp], Array, float]]  # (parts, p0 * q0, limit)

    @classmethod
    def of(cls, eps: Array, q0: Array, p0: Array, categories: Sequence[Hashable],
           competitive: BoolArray, max_loss: Array, base: Array) -> ShareGuard:
        _, which = np.unique(np.array(categories, dtype=object), return_inverse=True)
        groups = []
        for g in np.unique(which[competitive]):
            idx = np.flatnonzero((which == g) & competitive)
            weight = p0[idx] * q0[idx]
            before = float(np.sum(weight * base[idx] ** eps[idx]))
            groups.append((idx, weight, (1.0 - float(max_loss[idx].min())) * before))
        return cls(eps, groups)

    def _volume(self, xs: Array, idx: npt.NDArray[np.intp], weight: Array) -> float:
        return float(np.sum(weight * xs ** self.eps[idx]))

    def apply(self, x: Array, k: Array, lo: Array, hi: Array) -> tuple[Array, BoolArray]:
        """Relative prices ``x`` with each category's volume kept: a category that would
        lose more than its allowance is re-priced with the smallest ``lam >= 0`` that
        keeps it, maximizing ``(x - k + lam) * x**eps`` per part (closed form per part,
        ``lam`` by bisection). Returns the prices and which parts the guard moved."""
        out = x.copy()
        moved = np.zeros(x.size, bool)
        for idx, weight, limit in self.groups:
            if limit <= 0 or self._volume(x[idx], idx, weight) >= limit:
                continue
            args = (self.eps[idx], lo[idx], hi[idx])
            lam_hi = _LAMBDA_MAX  # at most this; the hard bounds may allow no more
            if self._volume(best_x(k[idx] - _LAMBDA_MAX, *args), idx, weight) >= limit:
                lam_lo = 0.0
                for _ in range(_BISECTIONS):
                    mid = 0.5 * (lam_lo + lam_hi)
                    if self._volume(best_x(k[idx] - mid, *args), idx, weight) >= limit:
                        lam_hi = mid
                    else:
                        lam_lo = mid
            guarded = best_x(k[idx] - lam_hi, *args)
            changed = np.abs(guarded - x[idx]) > 1e-9
            out[idx] = np.where(changed, guarded, x[idx])
            moved[idx] = changed
        return out, moved

    def short(self, x: Array) -> BoolArray:
        """Per part: whether its category's volume at relative prices ``x`` falls short
        of the allowance (False for parts outside any category guarded)."""
        out = np.zeros(x.size, bool)
        for idx, weight, limit in self.groups:
            out[idx] = self._volume(x[idx], idx, weight) < limit - 1e-9 * abs(limit)
        return out


def calm(
    price: IntArray, current: Array, box: Box, profit_before: Array, profit_after: Array,
    min_change: Array, min_amount: Array, min_gain: Array, frozen: BoolArray,
) -> BoolArray:
    """Which suggested prices should hold at the current price: the move is smaller
    than ``max(min_change * current, min_amount)`` or gains less than ``min_gain`` of
    today's expected profit, and holding keeps every bound of ``box`` (a hard rule that
    forces the move wins). ``frozen`` parts (moved by a ladder) never hold."""
    current_cents = np.round(current * 100.0)
    delta = np.abs(price - current_cents)
    small = delta < np.maximum(min_change * current_cents, min_amount * 100.0) - 1e-9
    little = (profit_after - profit_before) < min_gain * np.abs(profit_before)
    feasible = (current_cents >= box.lo) & (current_cents <= box.hi)
    return (delta > 0) & (small | little) & feasible & ~frozen
