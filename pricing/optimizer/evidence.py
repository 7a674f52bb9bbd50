"""Evidence bounds: how far a price may go from the prices its sales history covers.

The demand model (:mod:`.demand`) is a constant elasticity fitted to the prices a SKU
has actually sold at. Far outside them it is a guess, and run night after night a
guess compounds: with ``|eps| <= 1`` it has no finite optimum at all, so an unbounded
optimizer raises the price by the full step every night. These bounds make the
optimizer explore deliberately instead, from the sales history alone (no stored
state, so a rerun or a replayed season gives the same answer):

* **Levels.** Consecutive periods at the same price (within :data:`LEVEL_TOL`) form a
  price level. A level with at least ``evidence_periods`` periods is *evidenced*; so
  is the anchor, the price the catalog last set (before any of the optimizer's moves).
* **Range.** A price may go at most ``explore_step`` beyond the evidenced range, in
  either direction: one exploratory step, then the price holds where it is until
  sales at the new price come in.
* **Hold.** A current price that is neither the anchor nor evidenced (we just moved
  it and no sales have been seen at it) holds, up and down: no reversal without new
  data. Only a hard rule (floor, MAP, competitive cap, ceiling) moves it.
* **Step test.** Our latest move (as our price history records it) is judged by the
  profit per period it earned, ``(p - cost) * mean units``, against the
  :data:`BASE_PERIODS` periods before it, brought to the price it moved from with the
  SKU's elasticity. A move that earned clearly less (the log profit ratio below zero
  by more than ``step_test_z`` standard errors, Poisson counts) is stepped back to the
  price it left (a ceiling after a failed rise, a floor after a failed cut). A move
  whose profit is lower but not clearly so stands, but climbs no further (each new
  period is tested again); one with too few units sold around it to tell
  (:data:`MIN_TEST_UNITS`) holds until there are enough. A step
  taken back is remembered (our prices read ``a -> b -> a`` within the last eight
  moves) and not tried again while that memory lasts: so only clear evidence takes a
  step back.
* **Learning across parts.** The breaks a pool of parts has found (a rise that lost
  profit, as a ratio to each part's anchor) tell the others where the risk starts:
  once :data:`MIN_BREAKS` are seen, a part whose next step stays below the lowest of
  them climbs without holding for doubt (a clear loss is still taken back).

Everything is vectorized over the panel's rows; prices are pack prices (a history
kept in single units is converted with :func:`~pricing.optimizer.demand.packs_per_unit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pricing.optimizer.demand import SalesPanel

Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

LEVEL_TOL = 0.005  # prices within 0.5 % of each other are one level
BASE_PERIODS = 4  # periods before a move that its result is compared with
MIN_TEST_UNITS = 6.0  # units (before and after a move) below which it cannot be judged
MIN_BREAKS = 5  # breaks a pool must have seen before its parts climb below them undoubted

# why an evidence bound sits where it does (see :data:`EvidenceBounds.hi_kind`)
NONE, RANGE, HOLD, STEP_BACK = 0, 1, 2, 3


@dataclass(frozen=True)
class EvidenceBounds:
    """Per SKU, the price range the evidence allows this run (pack prices, ``inf`` /
    ``0`` where unbounded) and why each end is there (:data:`RANGE`, :data:`HOLD`,
    :data:`STEP_BACK` or :data:`NONE`)."""

    lo: Array
    hi: Array
    lo_kind: npt.NDArray[np.int8]
    hi_kind: npt.NDArray[np.int8]


def evidence_bounds(
    panel: SalesPanel,
    per_pack: Array,
    current: Array,
    cost: Array,
    anchor: Array,
    step: Array,
    evidence_periods: npt.NDArray[np.int64],
    z: Array,
    eps: Array,
    moved_from: Array | None = None,
    taken_back: Array | None = None,
    taken_above: Array | None = None,
    given_back: Array | None = None,
    pools: npt.NDArray[np.intp] | None = None,
) -> EvidenceBounds:
    """The evidence bounds of every SKU (module docstring).

    ``per_pack`` converts the history's prices to pack prices (1.0, or ``1/pack_qty``
    for a history in single units); ``anchor`` is the price the catalog last set (NaN
    where unknown: the current price stands in); ``step``, ``evidence_periods`` and
    ``z`` are the resolved policy's ``explore_step``, ``evidence_periods`` and
    ``step_test_z`` per SKU. ``moved_from`` is our price before the current one (NaN
    where unknown): only a move from it is judged by the step test. ``taken_back`` is
    the lowest price ``a`` our remembered prices went up from and came back to
    (``a -> b -> a``), with ``taken_above`` its ``b``; ``given_back`` the highest one
    they went down from and came back to. ``pools`` groups SKUs that learn from each
    other's breaks (see :data:`MIN_BREAKS`).
    """
    n = panel.n_skus
    moved_from = np.full(n, np.nan) if moved_from is None else moved_from
    nan = np.full(n, np.nan)
    taken_back = nan if taken_back is None else taken_back
    taken_above = nan if taken_above is None else taken_above
    given_back = nan if given_back is None else given_back
    anchor = np.where(np.isfinite(anchor) & (anchor > 0), anchor, current)
    ev_lo, ev_hi = anchor.copy(), anchor.copy()
    at_anchor = np.abs(np.log(current / anchor)) <= LEVEL_TOL
    evidenced = at_anchor.copy()
    ceiling = np.full(n, np.inf)
    break_at = np.full(n, np.nan)  # a rise that lost profit, seen this run
    floor = np.zeros(n)
    hold_up, hold_down = np.zeros(n, bool), np.zeros(n, bool)
    no_data = np.zeros(n, bool)  # a rise with too few units around it to judge

    if panel.units.size:
        lv = _levels(panel, per_pack)
        counted = lv.n >= evidence_periods[lv.sku]
        np.minimum.at(ev_lo, lv.sku[counted], lv.price[counted])
        np.maximum.at(ev_hi, lv.sku[counted], lv.price[counted])

        last = np.r_[lv.sku[1:] != lv.sku[:-1], True]  # each SKU's latest level
        latest_here = last & (np.abs(np.log(current[lv.sku] / lv.price)) <= LEVEL_TOL)
        evidenced[lv.sku[latest_here & counted]] = True

        # our latest move: the SKU's latest level j (at the current price) and the level
        # i before it, at the price our price history says we moved from (a price
        # change we did not make is not judged)
        j = np.flatnonzero(last[1:] & (lv.sku[1:] == lv.sku[:-1])) + 1
        j = j[latest_here[j]]
        i = j - 1
        sku = lv.sku[j]
        j = j[np.abs(np.log(lv.price[i] / moved_from[sku])) <= LEVEL_TOL]
        i, sku = j - 1, lv.sku[j]
        direction = np.sign(lv.price[j] - lv.price[i]).astype(np.int8)
        base_units, base_n = _baseline(panel, per_pack, lv, i, j, eps[sku])
        c = cost[sku]
        margin_i, margin_j = lv.price[i] - c, lv.price[j] - c
        testable = (margin_i > 0) & (margin_j > 0) & (base_n > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            units_i, units_j = base_units + 0.5, lv.units[j] + 0.5
            log_ratio = (np.log(margin_j / margin_i) + np.log(units_j / lv.n[j])
                         - np.log(units_i / base_n))
            se = np.sqrt(1.0 / units_i + 1.0 / units_j)
        worse = testable & (log_ratio < 0)
        judged = worse & (log_ratio + z[sku] * se < 0)  # clearly worse: take it back
        # a step in doubt stands but climbs no further (a step taken back is remembered,
        # so only clear evidence takes one back)
        doubtful = worse & ~judged
        # too few units sold to tell (a part that sells nothing says nothing against a
        # higher price): wait for more before the next step
        unknown = ~worse & (base_units + lv.units[j] < MIN_TEST_UNITS)
        up, down = direction > 0, direction < 0
        np.minimum.at(ceiling, sku[judged & up], lv.price[i][judged & up])
        np.maximum.at(floor, sku[judged & down], lv.price[i][judged & down])
        hold_up[sku[doubtful & up]] = True
        hold_down[sku[(doubtful | unknown) & down]] = True
        no_data[sku[unknown & up]] = True
        break_at[sku[judged & up]] = lv.price[j][judged & up]

    # a move taken back (our prices read a -> b -> a, within the moves we remember) is
    # not tried again: the price stays at or below a (above a, for a cut taken back)
    with np.errstate(invalid="ignore"):
        ceiling = np.fmin(ceiling, np.where(taken_back > 0, taken_back, np.inf))
        floor = np.fmax(floor, np.where(given_back > 0, given_back, 0.0))
        break_at = np.where(np.isfinite(taken_back) & ~np.isfinite(break_at), taken_above,
                            break_at)
    # learning across parts: below the breaks its pool has seen (relative to each
    # part's anchor), a rise is not held for doubt, only taken back on clear evidence
    if pools is not None:
        ratio = break_at / anchor
        for pool in np.unique(pools):
            members = pools == pool
            seen = ratio[members & np.isfinite(ratio)]
            if seen.size >= MIN_BREAKS:
                below = current * (1.0 + step) < np.quantile(seen, 0.25) * anchor
                hold_up &= ~(members & below)

    lo = ev_lo * (1.0 - step)
    hi = ev_hi * (1.0 + step)
    lo_kind = np.full(n, RANGE, np.int8)
    hi_kind = np.full(n, RANGE, np.int8)
    # a doubtful step, one with too few units to judge, or a price moved with no sales
    # seen since: hold it
    hold_hi = (hold_up | no_data | ~evidenced) & (current < hi)
    hold_lo = (hold_down | ~evidenced) & (current > lo)
    hi = np.where(hold_hi, current, hi)
    hi_kind[hold_hi] = HOLD
    lo = np.where(hold_lo, current, lo)
    lo_kind[hold_lo] = HOLD
    # a failed step: back to the level it left, and never past it again
    stepped_back = ceiling < hi
    hi = np.where(stepped_back, ceiling, hi)
    hi_kind[stepped_back] = STEP_BACK
    raised_floor = floor > lo
    lo = np.where(raised_floor, floor, lo)
    lo_kind[raised_floor] = STEP_BACK
    crossed = lo > hi  # a learned floor above a learned ceiling: trust the ceiling
    lo = np.where(crossed, hi, lo)
    return EvidenceBounds(lo, hi, lo_kind, hi_kind)


@dataclass(frozen=True)
class _Levels:
    sku: npt.NDArray[np.intp]
    price: Array  # geometric mean pack price of the level
    n: Array  # periods
    units: Array
    start: npt.NDArray[np.intp]  # the level's first row in the panel


def _levels(panel: SalesPanel, per_pack: Array) -> _Levels:
    """Runs of consecutive periods at one price, SKU by SKU, oldest first."""
    logp = np.log(panel.price / per_pack[panel.sku])
    starts = np.ones(panel.sku.size, bool)
    starts[1:] = (panel.sku[1:] != panel.sku[:-1]) | (np.abs(np.diff(logp)) > LEVEL_TOL)
    level = np.cumsum(starts) - 1
    count = int(level[-1]) + 1
    n = np.bincount(level, minlength=count).astype(np.float64)
    price = np.exp(np.bincount(level, logp, count) / n)
    units = np.bincount(level, panel.units, count).astype(np.float64)
    return _Levels(panel.sku[starts], price, n, units, np.flatnonzero(starts))


def _baseline(panel: SalesPanel, per_pack: Array, lv: _Levels, i: npt.NDArray[np.intp],
              j: npt.NDArray[np.intp], eps: Array) -> tuple[Array, Array]:
    """Per move (level i -> level j): the units of the :data:`BASE_PERIODS` periods just
    before level j, each brought to level i's price with the SKU's elasticity (those
    periods may span several of our earlier steps), and how many periods they are."""
    units, count = np.zeros(j.size), np.zeros(j.size)
    for back in range(1, BASE_PERIODS + 1):
        row = lv.start[j] - back
        ok = row >= 0
        ok[ok] &= panel.sku[row[ok]] == lv.sku[j[ok]]
        r = row[ok]
        price = panel.price[r] / per_pack[panel.sku[r]]
        units[ok] += panel.units[r] * (lv.price[i[ok]] / price) ** eps[ok]
        count[ok] += 1
    return units, count
