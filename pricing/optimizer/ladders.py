"""Price ladders within a family, as cross-SKU constraints ``p_high >= k * p_low``.

Two kinds (see :class:`~pricing.optimizer.inputs.LadderPolicy`): tiers (genuine >=
reman >= economy, times a ratio, between parts with the same pack size) and packs (a
larger pack never costs more per unit than a smaller one of the same tier). ``k`` is
an exact fraction and checks run on whole cents, so they are exact.

Priority: floor/MAP and ``max_change`` come before ladders (a ladder edge that cannot
hold within them is dropped and reported as a conflict); ladders come before the
competitive cap. Only families whose per-SKU optimum breaks a ladder are re-solved:
elsewhere that optimum is already the optimum with ladders. Re-solving a family:
drop edges that conflict with floor/MAP or ``max_change``, propagate the rest into the
boxes, add the competitive cap, merge violated edges into blocks (:mod:`.blocks`),
round to cents, apply endings, and push prices up edge by edge, lowest first, until
every edge holds at whole cents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from pricing.optimizer.blocks import EdgeArrays, NodeData, merge_blocks
from pricing.optimizer.constraints import LADDER, Box, apply_cap
from pricing.optimizer.endings import ProfitAt, apply_endings, smallest_ending_at_least
from pricing.optimizer.inputs import LadderPolicy
from pricing.optimizer.solver import round_cents

IntArray = npt.NDArray[np.int64]
Array = npt.NDArray[np.float64]


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
    size = Counter(families)
    groups: dict[str, dict[tuple[str | None, int], list[int]]] = {}
    for i, (fam, tier, pack) in enumerate(zip(families, tiers, packs, strict=True)):
        if size[fam] > 1:
            key = tier.lower() if tier else None
            groups.setdefault(fam, {}).setdefault((key, pack), []).append(i)

    # the ratio between tiers r_hi < r_lo (through any tier missing between them)
    between = {(hi, lo): _product(ratios[hi:lo]) for hi in range(len(rank))
               for lo in range(hi + 1, len(rank))}
    out: dict[str, list[Edge]] = {}
    for fam, cells in groups.items():
        edges: list[Edge] = []
        for pack in sorted({p for _, p in cells}):
            present = sorted((rank[t], t) for t, p in cells if p == pack and t in rank)
            for (r_hi, t_hi), (r_lo, t_lo) in zip(present, present[1:], strict=False):
                edges += _pairs(cells[(t_hi, pack)], cells[(t_lo, pack)], between[r_hi, r_lo])
        if policy.packs:
            for tier in sorted({t for t, _ in cells}, key=lambda t: (t is None, t or "")):
                sizes = sorted(p for t, p in cells if t == tier)
                for small, large in zip(sizes, sizes[1:], strict=False):
                    edges += _pairs(
                        cells[(tier, small)], cells[(tier, large)], Fraction(small, large))
        if edges:
            out[fam] = edges
    return out


def ladder_families(families: Sequence[str], groups: Sequence[str | None]) -> list[str]:
    """The ladder family of each part: its catalog family, refined by its
    ``ladder_group`` where the catalog gives one (the parts that really are one item in
    several tiers or packs)."""
    return [f if g is None else f"{f}\x1f{g}" for f, g in zip(families, groups, strict=True)]


def ambiguous_cells(families: Sequence[str], tiers: Sequence[str | None],
                    packs: Sequence[int]) -> tuple[list[str], set[int]]:
    """Ladder families where one tier holds several parts of the same pack size (which
    genuine part is the economy part's equivalent is not known, so none is laddered:
    a family of unrelated parts is never laddered wholesale), and those parts."""
    cells: dict[tuple[str, str | None, int], list[int]] = {}
    for i, (fam, tier, pack) in enumerate(zip(families, tiers, packs, strict=True)):
        cells.setdefault((fam, tier.lower() if tier else None, pack), []).append(i)
    crowded = [idx for idx in cells.values() if len(idx) > 1]
    names = sorted({families[idx[0]] for idx in crowded})
    return names, {i for idx in crowded for i in idx}


def _product(ratios: Sequence[Fraction]) -> Fraction:
    k = Fraction(1)
    for r in ratios:
        k *= r
    return k


def _pairs(high: list[int], low: list[int], k: Fraction) -> list[Edge]:
    return [Edge(h, lo, k.numerator, k.denominator) for h in high for lo in low]


def violated_families(edges: dict[str, list[Edge]], price: IntArray) -> list[str]:
    """Families with at least one broken edge at these whole-cent prices (exact)."""
    flat = [(f, e.high, e.low, e.num, e.den) for f, es in enumerate(edges.values()) for e in es]
    if not flat:
        return []
    names = list(edges)
    if max(max(e[3], e[4]) for e in flat) > 2**31:  # int64 could overflow: check exactly
        return [fam for fam, es in edges.items() if not all(e.holds(price) for e in es)]
    fam, high, low, num, den = (np.array(col, dtype=np.int64) for col in zip(*flat, strict=True))
    broken = np.unique(fam[price[high] * den < price[low] * num])
    return [names[f] for f in broken.tolist()]


@dataclass(frozen=True)
class Graph:
    """A family's edges indexed for one-pass sweeps: ``order`` lists nodes so that
    every edge's low end comes before its high end (tiers and packs make a DAG)."""

    edges: tuple[Edge, ...]
    order: tuple[int, ...]
    into: dict[int, list[Edge]]  # edges whose high end is the node
    out_of: dict[int, list[Edge]]  # edges whose low end is the node

    @classmethod
    def build(cls, edges: Sequence[Edge], nodes: Iterable[int]) -> Graph:
        into: dict[int, list[Edge]] = {i: [] for i in nodes}
        out_of: dict[int, list[Edge]] = {i: [] for i in into}
        for e in edges:
            into[e.high].append(e)
            out_of[e.low].append(e)
        waiting = {i: len({e.low for e in into[i]}) for i in into}
        ready = sorted(i for i in into if waiting[i] == 0)
        order: list[int] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for high in sorted({e.high for e in out_of[node]}):
                waiting[high] -= 1
                if waiting[high] == 0:
                    ready.append(high)
        if len(order) != len(into):
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
    return all(lo[i] <= hi[i] for i in graph.order)


@dataclass(frozen=True)
class SkuEconomics:
    """Per-SKU cost, baseline units and price, elasticity and ending rule: what the
    ladder re-solve needs (whole arrays, indexed by SKU)."""

    cost: Array
    q0: Array
    p0: Array
    eps: Array
    ending: IntArray


@dataclass(frozen=True)
class LadderOutcome:
    """The re-solved SKUs (``nodes``, global indices) and, per node, the new price,
    continuous optimum, box, whether an ending holds, whether a ladder edge set the
    price (merged block or push-up), and whether one of its edges had to be dropped."""

    nodes: IntArray
    price: IntArray
    continuous: Array
    box: Box
    ending: npt.NDArray[np.bool_]
    held: npt.NDArray[np.bool_]
    conflict: npt.NDArray[np.bool_]


def enforce_ladders(families: Sequence[str], edges: dict[str, list[Edge]], hard: Box,
                    start: Array, economics: SkuEconomics, profit_at: ProfitAt) -> LadderOutcome:
    """Re-solve the given families under their ladders (see the module docstring).

    ``hard`` is every SKU's floor/MAP and ``max_change`` box (no cap), ``start`` every
    SKU's continuous optimum without ladders, ``profit_at(cents, sku_index)`` expected
    profit for choosing endings.
    """
    spans: list[tuple[int, list[Edge]]] = []
    nodes: list[int] = []
    for fam in families:
        members = sorted({e.high for e in edges[fam]} | {e.low for e in edges[fam]})
        pos = {g: len(nodes) + j for j, g in enumerate(members)}
        spans.append((len(nodes), [Edge(pos[e.high], pos[e.low], e.num, e.den)
                                   for e in edges[fam]]))
        nodes += members
    idx = np.asarray(nodes)
    box = Box(*(getattr(hard, f)[idx] for f in Box.__dataclass_fields__))
    conflict = np.zeros(idx.size, bool)
    graphs: list[Graph] = []
    for offset, fam_edges in spans:
        kept, dropped = _consistent_subset(fam_edges, box.lo, box.hi)
        for e in dropped:
            conflict[[e.high, e.low]] = True
        size = len({e.high for e in fam_edges} | {e.low for e in fam_edges})
        graphs.append(Graph.build(kept, range(offset, offset + size)))
        propagate(graphs[-1], box.lo, box.hi, box.lo_kind, box.hi_kind)
    box = apply_cap(box)
    for graph in graphs:
        propagate(graph, box.lo, box.hi, box.lo_kind, box.hi_kind)

    kept_edges = [(f, e) for f, g in enumerate(graphs) for e in g.edges]
    arrays = EdgeArrays(
        high=np.array([e.high for _, e in kept_edges], dtype=np.int64),
        low=np.array([e.low for _, e in kept_edges], dtype=np.int64),
        k=np.array([e.num / e.den for _, e in kept_edges]),
        family=np.array([f for f, _ in kept_edges], dtype=np.int64))
    data = NodeData(box.lo / 100.0, box.hi / 100.0, economics.cost[idx], economics.q0[idx],
                    economics.p0[idx], economics.eps[idx])
    cont, merged = merge_blocks(arrays, data, np.clip(start[idx], data.lo, data.hi))

    price = round_cents(cont, box.lo, box.hi)
    price, with_ending = apply_endings(price, box.lo, box.hi, economics.ending[idx],
                                       lambda cents, sub: profit_at(cents, idx[sub]))
    pushed = np.zeros(idx.size, bool)
    for graph in graphs:
        _push_up(graph, price, box.hi, economics.ending[idx], with_ending, pushed)
    return LadderOutcome(idx, price, cont, box, with_ending, merged | pushed, conflict)


def _consistent_subset(edges: Sequence[Edge], lo: IntArray, hi: IntArray
                       ) -> tuple[list[Edge], list[Edge]]:
    """Add edges one at a time, in order, keeping each one that leaves every box
    non-empty: each addition propagates only from its own ends (a worklist), and is
    rolled back when it empties a box. ``lo`` and ``hi`` are only read."""
    ends = {i for e in edges for i in (e.high, e.low)}
    low, high = {i: int(lo[i]) for i in ends}, {i: int(hi[i]) for i in ends}
    into: dict[int, list[Edge]] = {i: [] for i in ends}
    out_of: dict[int, list[Edge]] = {i: [] for i in ends}
    kept: list[Edge] = []
    dropped: list[Edge] = []
    for edge in edges:
        undo: list[tuple[dict[int, int], int, int]] = []
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


def _push_up(graph: Graph, price: IntArray, hi: IntArray, ending: IntArray,
             with_ending: npt.NDArray[np.bool_], pushed: npt.NDArray[np.bool_]) -> None:
    """Raise prices in place, lowest nodes first, until every edge holds at whole
    cents, keeping an ending where one fits. Stays inside the boxes because they were
    propagated."""
    for node in graph.order:
        need = max((e.min_high(int(price[e.low])) for e in graph.into[node]), default=0)
        if price[node] >= need:
            continue
        target = need
        if with_ending[node]:
            nicer = smallest_ending_at_least(need, int(ending[node]))
            if nicer <= hi[node]:
                target = nicer
            else:
                with_ending[node] = False
        price[node] = target
        pushed[node] = True
