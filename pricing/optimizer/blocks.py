"""Ladder blocks: violated ladder edges merged, all families at once.

A pool-adjacent-violators scheme generalised to ladder graphs. Every SKU starts as
its own block at its own optimum. Each round, every family merges the two blocks of
its most violated edge: the members then keep fixed price ratios (``p_high = k *
p_low`` on the merged edge) and share one scale ``t``, chosen to maximize the block's
total expected profit inside the intersection of the members' boxes. Rounds repeat
until no edge between different blocks is violated. A merge whose boxes do not
intersect is skipped (the whole-cent push-up in :mod:`.ladders` then restores the
edge). Everything is vectorized over families; the per-block scalar problem is solved
by bisection on the derivative, which for each block brackets a local maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MAX_ROUNDS = 64  # merges per family; beyond that the push-up alone restores the ladder
BISECTIONS = 60


@dataclass(frozen=True)
class EdgeArrays:
    """Ladder edges ``p[high] >= k * p[low]`` over a compact node numbering."""

    high: IntArray
    low: IntArray
    k: Array
    family: IntArray


@dataclass(frozen=True)
class NodeData:
    """Per node: box (currency units), cost, baseline units, current price, elasticity."""

    lo: Array
    hi: Array
    cost: Array
    q0: Array
    p0: Array
    eps: Array


def block_slope(t: Array, pos: IntArray, r: Array, nodes: NodeData, idx: IntArray,
                n_blocks: int) -> Array:
    """d/dt of each block's expected profit ``sum q0 * (r t - c) * (r t / p0)**eps``:
    ``sum q0 * (r t / p0)**eps * (r (1 + eps) - eps c / t)`` over the block's members
    ``idx`` (``pos`` says which block each member is in)."""
    tt = t[pos]
    e, c = nodes.eps[idx], nodes.cost[idx]
    terms = nodes.q0[idx] * (r * tt / nodes.p0[idx]) ** e * (r * (1.0 + e) - e * c / tt)
    return np.asarray(np.bincount(pos, terms, n_blocks), dtype=np.float64)


def solve_blocks(blocks: IntArray, block: IntArray, r: Array, nodes: NodeData
                 ) -> tuple[Array, BoolArray]:
    """Best scale ``t`` for each listed block, and whether its members' boxes meet."""
    member = np.isin(block, blocks)
    idx = np.flatnonzero(member)
    order = np.argsort(blocks)
    pos = order[np.searchsorted(blocks[order], block[idx])]
    n = blocks.size
    t_lo = np.full(n, -np.inf)
    t_hi = np.full(n, np.inf)
    np.maximum.at(t_lo, pos, nodes.lo[idx] / r[idx])
    np.minimum.at(t_hi, pos, nodes.hi[idx] / r[idx])
    ok = t_lo <= t_hi * (1 + 1e-12)
    t_hi = np.maximum(t_lo, t_hi)
    slope_lo = block_slope(t_lo, pos, r[idx], nodes, idx, n)
    slope_hi = block_slope(t_hi, pos, r[idx], nodes, idx, n)
    t = np.where(slope_lo <= 0, t_lo, t_hi)
    inside = (slope_lo > 0) & (slope_hi < 0)
    a, b = t_lo.copy(), t_hi.copy()
    for _ in range(BISECTIONS):
        mid = 0.5 * (a + b)
        up = block_slope(mid, pos, r[idx], nodes, idx, n) > 0
        a, b = np.where(up, mid, a), np.where(up, b, mid)
    return np.where(inside, 0.5 * (a + b), t), ok


def merge_blocks(edges: EdgeArrays, nodes: NodeData, start: Array) -> tuple[Array, BoolArray]:
    """Continuous prices for all nodes and which nodes ended up in merged blocks.

    ``start`` is each node's own optimum inside its box.
    """
    n = start.size
    block = np.arange(n)
    r = np.ones(n)
    t = start.copy()
    merged = np.zeros(n, bool)
    skipped = np.zeros(edges.k.size, bool)
    for _ in range(MAX_ROUNDS):
        p = r * t[block]
        need = edges.k * p[edges.low]
        gap = (need - p[edges.high]) / np.maximum(need, 1e-12)
        cand = np.flatnonzero((gap > 1e-12) & (block[edges.high] != block[edges.low]) & ~skipped)
        if cand.size == 0:
            break
        order = np.lexsort((cand, -gap[cand], edges.family[cand]))
        fam_sorted = edges.family[cand][order]
        first = np.ones(order.size, bool)
        first[1:] = fam_sorted[1:] != fam_sorted[:-1]
        chosen = cand[order[first]]  # the worst violated edge of each family

        hi_b, lo_b = block[edges.high[chosen]], block[edges.low[chosen]]
        target, factor = np.arange(n), np.ones(n)
        target[hi_b] = lo_b
        factor[hi_b] = edges.k[chosen] * r[edges.low[chosen]] / r[edges.high[chosen]]
        new_block, new_r = target[block], r * factor[block]
        new_t, ok = solve_blocks(lo_b, new_block, new_r, nodes)
        if not ok.all():  # boxes that do not meet: leave those two blocks apart
            skipped[chosen[~ok]] = True
            undo = np.isin(block, hi_b[~ok])
            new_block[undo], new_r[undo] = block[undo], r[undo]
        block, r = new_block, new_r
        t[lo_b[ok]] = new_t[ok]
        merged |= np.isin(block, lo_b[ok])
    return r * t[block], merged
