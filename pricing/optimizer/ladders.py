"""Price ladders within a family, as cross-SKU constraints ``p_high >= k * p_low``.

Two kinds (see :class:`~pricing.optimizer.inputs.LadderPolicy`): tiers (genuine >=
reman >= economy, times a ratio, between parts with the same pack size) and packs (a
larger pack never costs more per unit than a smaller one of the same tier). ``k`` is
an exact fraction and checks run on whole cents, so they are exact.

Priority: floor/MAP and ``max_change`` come before ladders (a ladder edge that cannot
hold within them is dropped and reported as a conflict); ladders come before the
competitive cap. Only families whose per-SKU optimum breaks a ladder are re-solved:
elsewhere that optimum is already the optimum with ladders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from pricing.optimizer.constraints import LADDER, Box, apply_cap
from pricing.optimizer.endings import smallest_ending_at_least
from pricing.optimizer.inputs import LadderPolicy
from pricing.optimizer.objective import profit
from pricing.optimizer.solver import round_cents, solve_scalar

IntArray = npt.NDArray[np.int64]
Array = npt.NDArray[np.float64]

MAX_MERGE_EDGES = 400  # block merging is quadratic; bigger families are only pushed up


@dataclass(frozen=True)
class Edge:
    """``price[high] * den >= price[low] * num`` (i.e. ``p_high >= num/den * p_low``)."""

    high: int
    low: int
    num: int
    den: int

    def holds(self, price: Sequence[int] | IntArray) -> bool:
        return int(price[self.high]) * self.den >= int(price[self.low]) * self.num

    def min_high(self, low_price: int) -> int:
        """Smallest whole-cent high price allowed by ``low_price``."""
        return -((-low_price * self.num) // self.den)

    def max_low(self, high_price: int) -> int:
        """Largest whole-cent low price allowed by ``high_price``."""
        return (high_price * self.den) // self.num


def build_edges(
    families: Sequence[str], tiers: Sequence[str | None], packs: Sequence[int], policy: LadderPolicy
) -> dict[str, list[Edge]]:
    """Every ladder edge, grouped by family, in a deterministic order."""
    rank = {t.lower(): i for i, t in enumerate(policy.tiers)}
    ratios = [Fraction(Decimal(repr(r))) for r in policy.ratios]
    groups: dict[str, dict[tuple[str | None, int], list[int]]] = {}
    for i, (fam, tier, pack) in enumerate(zip(families, tiers, packs, strict=True)):
        key = tier.lower() if tier else None
        groups.setdefault(fam, {}).setdefault((key, pack), []).append(i)

    out: dict[str, list[Edge]] = {}
    for fam, cells in groups.items():
        if sum(len(v) for v in cells.values()) < 2:
            continue
        edges: list[Edge] = []
        for pack in sorted({p for _, p in cells}):
            present = sorted((rank[t], t) for t, p in cells if p == pack and t in rank)
            for (r_hi, t_hi), (r_lo, t_lo) in zip(present, present[1:], strict=False):
                k = Fraction(1)
                for r in ratios[r_hi:r_lo]:
                    k *= r
                edges += _pairs(cells[(t_hi, pack)], cells[(t_lo, pack)], k)
        if policy.packs:
            for tier in sorted({t for t, _ in cells}, key=lambda t: (t is None, t or "")):
                sizes = sorted(p for t, p in cells if t == tier)
                for small, large in zip(sizes, sizes[1:], strict=False):
                    edges += _pairs(
                        cells[(tier, small)], cells[(tier, large)], Fraction(small, large))
        if edges:
            out[fam] = edges
    return out


def _pairs(high: list[int], low: list[int], k: Fraction) -> list[Edge]:
    return [Edge(h, lo, k.numerator, k.denominator) for h in high for lo in low]


def violated_families(edges: dict[str, list[Edge]], price: IntArray) -> list[str]:
    """Families with at least one broken edge at these prices."""
    return [fam for fam, es in edges.items() if not all(e.holds(price) for e in es)]


@dataclass(frozen=True)
class Graph:
    """A family's edges indexed for one-pass sweeps: ``order`` lists nodes so that
    every edge's low end comes before its high end (tiers and packs make a DAG)."""

    edges: tuple[Edge, ...]
    order: tuple[int, ...]
    into: dict[int, list[Edge]]  # edges whose high end is the node
    out_of: dict[int, list[Edge]]  # edges whose low end is the node

    @classmethod
    def build(cls, edges: Sequence[Edge], n: int) -> Graph:
        into: dict[int, list[Edge]] = {i: [] for i in range(n)}
        out_of: dict[int, list[Edge]] = {i: [] for i in range(n)}
        for e in edges:
            into[e.high].append(e)
            out_of[e.low].append(e)
        waiting = {i: len({e.low for e in into[i]}) for i in range(n)}
        ready = sorted(i for i in range(n) if waiting[i] == 0)
        order: list[int] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for high in sorted({e.high for e in out_of[node]}):
                waiting[high] -= 1
                if waiting[high] == 0:
                    ready.append(high)
        if len(order) != n:
            raise ValueError("ladder edges form a cycle")
        return cls(tuple(edges), tuple(order), into, out_of)


def propagate(graph: Graph, lo: IntArray, hi: IntArray, lo_kind: npt.NDArray[np.int8],
              hi_kind: npt.NDArray[np.int8]) -> bool:
    """Tighten the boxes in place so that every edge is consistent with them (bounds
    moved by an edge are labelled LADDER); ``False`` when some box becomes empty.

    Each edge is monotone, so the feasible set is a lattice: afterwards ``lo`` is its
    least point, and prices pushed up edge by edge from inside the boxes stay inside.
    """
    for node in graph.order:
        for e in graph.into[node]:
            need = e.min_high(int(lo[e.low]))
            if need > lo[node]:
                lo[node], lo_kind[node] = need, LADDER
    for node in reversed(graph.order):
        for e in graph.out_of[node]:
            room = e.max_low(int(hi[e.high]))
            if room < hi[node]:
                hi[node], hi_kind[node] = room, LADDER
    return bool(np.all(lo <= hi))


@dataclass
class Market:
    """Per-SKU floats the ladder re-solve needs (whole arrays, indexed by SKU)."""

    cost: Array
    q0: Array
    p0: Array
    eps: Array
    ending: IntArray


@dataclass
class FamilyResult:
    """A re-solved family: its SKUs' new prices, box, and what the ladder did."""

    nodes: list[int]
    price: dict[int, int]
    box: Box
    continuous: dict[int, float]
    merged: set[int] = field(default_factory=set)
    pushed: set[int] = field(default_factory=set)
    conflicts: set[int] = field(default_factory=set)
    ending: set[int] = field(default_factory=set)


def solve_family(edges: Sequence[Edge], hard: Box, market: Market) -> FamilyResult:
    """Re-solve one family under its ladder edges: drop edges that conflict with
    floor/MAP or ``max_change``, propagate the rest, add the competitive cap, merge
    violated edges into blocks priced together (pool-adjacent-violators style), round
    to cents, apply endings, and push prices up edge by edge until all edges hold."""
    nodes = sorted({e.high for e in edges} | {e.low for e in edges})
    pos = {n: j for j, n in enumerate(nodes)}
    sub = np.asarray(nodes)
    local = [Edge(pos[e.high], pos[e.low], e.num, e.den) for e in edges]
    box = Box(*(getattr(hard, f)[sub] for f in Box.__dataclass_fields__))

    n = len(nodes)
    kept = local
    conflicts: set[int] = set()
    if not propagate(Graph.build(local, n), box.lo.copy(), box.hi.copy(), box.lo_kind.copy(),
                     box.hi_kind.copy()):
        kept, dropped = _consistent_subset(local, box.lo, box.hi, n)
        conflicts = {nodes[j] for e in dropped for j in (e.high, e.low)}
    graph = Graph.build(kept, n)
    propagate(graph, box.lo, box.hi, box.lo_kind, box.hi_kind)
    box = apply_cap(box)
    propagate(graph, box.lo, box.hi, box.lo_kind, box.hi_kind)

    cost, q0, p0, eps = (getattr(market, f)[sub] for f in ("cost", "q0", "p0", "eps"))
    cont, merged = _merge_blocks(kept, box.lo / 100.0, box.hi / 100.0, cost, q0, p0, eps)
    price = round_cents(cont, box.lo, box.hi)
    ending = market.ending[sub]
    with_ending: set[int] = set()
    for j in range(len(nodes)):
        e_c = int(ending[j])
        if e_c >= 0:
            options = [c for c in _ending_neighbours(int(price[j]), e_c)
                       if box.lo[j] <= c <= box.hi[j]]
            if options:
                gains = profit(np.array(options) / 100.0, cost[j], q0[j], p0[j], eps[j])
                price[j] = options[int(np.argmax(gains))]
                with_ending.add(j)
    pushed = _push_up(graph, price, box.hi, ending, with_ending)
    return FamilyResult(
        nodes=nodes,
        price={nodes[j]: int(price[j]) for j in range(len(nodes))},
        box=box,
        continuous={nodes[j]: float(cont[j]) for j in range(len(nodes))},
        merged={nodes[j] for j in merged},
        pushed={nodes[j] for j in pushed},
        conflicts=conflicts,
        ending={nodes[j] for j in with_ending},
    )


def _consistent_subset(edges: Sequence[Edge], lo: IntArray, hi: IntArray, n: int
                       ) -> tuple[list[Edge], list[Edge]]:
    """Add edges one at a time, in order, keeping each one that leaves every box
    non-empty: each addition propagates only from its own ends (a worklist), and is
    rolled back when it empties a box."""
    low, high = [int(v) for v in lo], [int(v) for v in hi]
    into: dict[int, list[Edge]] = {i: [] for i in range(n)}
    out_of: dict[int, list[Edge]] = {i: [] for i in range(n)}
    kept: list[Edge] = []
    dropped: list[Edge] = []
    for edge in edges:
        undo: list[tuple[list[int], int, int]] = []
        raise_from, lower_from = [edge], [edge]
        ok = True
        while ok and (raise_from or lower_from):
            if raise_from:
                e = raise_from.pop()
                need = e.min_high(low[e.low])
                if need > low[e.high]:
                    undo.append((low, e.high, low[e.high]))
                    low[e.high] = need
                    ok = need <= high[e.high]
                    raise_from += out_of[e.high]
            else:
                e = lower_from.pop()
                room = e.max_low(high[e.high])
                if room < high[e.low]:
                    undo.append((high, e.low, high[e.low]))
                    high[e.low] = room
                    ok = room >= low[e.low]
                    lower_from += into[e.low]
        if ok:
            kept.append(edge)
            into[edge.high].append(edge)
            out_of[edge.low].append(edge)
        else:
            for arr, i, old in reversed(undo):
                arr[i] = old
            dropped.append(edge)
    return kept, dropped


def _merge_blocks(edges: Sequence[Edge], lo: Array, hi: Array, cost: Array, q0: Array,
                  p0: Array, eps: Array) -> tuple[Array, set[int]]:
    """Continuous prices: each SKU alone, then violated edges merged into blocks whose
    members keep fixed price ratios and share one scalar solve."""
    n = lo.size
    block = list(range(n))
    ratio = np.ones(n)
    scale = np.zeros(n)

    def members(b: int) -> list[int]:
        return [i for i in range(n) if block[i] == b]

    def solve(b: int) -> bool:
        ms = members(b)
        r = ratio[ms]
        t_lo, t_hi = float(np.max(lo[ms] / r)), float(np.min(hi[ms] / r))
        if t_lo > t_hi * (1 + 1e-12):
            return False
        scale[b] = solve_scalar(
            lambda t: float(np.sum(profit(r * t, cost[ms], q0[ms], p0[ms], eps[ms]))),
            t_lo, max(t_lo, t_hi))
        return True

    for b in range(n):
        solve(b)
    merged: set[int] = set()
    skipped: set[int] = set()
    rounds = len(edges) if len(edges) <= MAX_MERGE_EDGES else 0  # huge families: push-up only
    for _ in range(rounds):
        p = ratio * scale[block]
        worst, worst_gap = -1, 1e-12
        for j, e in enumerate(edges):
            need = e.num / e.den * p[e.low]
            gap = (need - p[e.high]) / max(need, 1e-12)
            if j not in skipped and block[e.high] != block[e.low] and gap > worst_gap:
                worst, worst_gap = j, gap
        if worst < 0:
            break
        e = edges[worst]
        b_hi, b_lo = block[e.high], block[e.low]
        saved = (list(block), ratio.copy(), scale.copy())
        factor = e.num / e.den * ratio[e.low] / ratio[e.high]
        for i in members(b_hi):
            block[i], ratio[i] = b_lo, ratio[i] * factor
        if solve(b_lo):
            merged |= {e.high, e.low}
        else:
            block, ratio, scale = saved[0], saved[1], saved[2]
            skipped.add(worst)
    return ratio * scale[block], merged


def _ending_neighbours(price: int, ending: int) -> list[int]:
    below = price - (price - ending) % 100
    return [below] if below == price else [below, below + 100]


def _push_up(graph: Graph, price: IntArray, hi: IntArray, ending: IntArray,
             with_ending: set[int]) -> set[int]:
    """Raise prices, lowest nodes first, until every edge holds at whole cents (keeping
    an ending where one fits). Stays inside the boxes because they were propagated."""
    pushed: set[int] = set()
    for node in graph.order:
        need = max((e.min_high(int(price[e.low])) for e in graph.into[node]), default=0)
        if price[node] >= need:
            continue
        target = need
        if node in with_ending:
            nicer = smallest_ending_at_least(need, int(ending[node]))
            if nicer <= hi[node]:
                target = nicer
            else:
                with_ending.discard(node)
        price[node] = target
        pushed.add(node)
    return pushed
