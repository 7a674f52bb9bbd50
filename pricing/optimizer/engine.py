"""The optimizer run: parts and policy in, one suggestion per part out.

Stages, each a pure function from its own module: policy lookup and bounds
(:mod:`.constraints`), elasticities and baseline units (:mod:`.elasticity`,
:mod:`.demand`), one SciPy solve over all SKUs (:mod:`.solver`), cent rounding and
price endings (:mod:`.endings`), family ladders (:mod:`.ladders`), and reasons
(:mod:`.reasons`). Same inputs, same outputs: nothing here reads a clock, a random
source, a file or a database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pricing.optimizer import reasons as rc
from pricing.optimizer.constraints import (
    KINDS,
    SHARE_GUARD,
    SMALL_CHANGE,
    Bounds,
    apply_cap,
    hard_box,
    part_bounds,
)
from pricing.optimizer.demand import (
    SalesPanel,
    baseline_units,
    expected_units,
    packs_per_unit,
)
from pricing.optimizer.elasticity import ElasticitySettings, estimate_elasticities
from pricing.optimizer.endings import apply_endings, has_ending, parse_endings
from pricing.optimizer.evidence import LEVEL_TOL, evidence_bounds
from pricing.optimizer.guards import ShareGuard, apply_evidence, calm
from pricing.optimizer.inputs import LadderPolicy, PartInput, SalesHistory, SuggestionResult
from pricing.optimizer.ladders import (
    SkuEconomics,
    ambiguous_cells,
    build_edges,
    enforce_ladders,
    ladder_families,
    violated_families,
)
from pricing.optimizer.objective import profit
from pricing.optimizer.policy import ResolvedPolicy
from pricing.optimizer.results import Cents, SuggestionTable, margins
from pricing.optimizer.solver import round_cents, solve_bounded

if TYPE_CHECKING:  # the policy's schema imports this package (for resolve_policy)
    from pricing.config import PricingPolicy

IntArray = npt.NDArray[np.int64]

REFERENCE_Q = Decimal("0.0001")


@dataclass(frozen=True)
class OptimizationRun:
    """Suggestions in input order (as columns; ``suggestions`` gives them as rows), with
    what the solver reported (for the run summary)."""

    table: SuggestionTable
    solver_success: bool
    solver_message: str
    solver_iterations: int
    fallback_count: int
    ladder_families: int
    current_scaled: IntArray | None = None  # current prices in ten-thousandths, if exact
    ambiguous_ladder_families: tuple[str, ...] = ()  # several parts share a tier and pack

    @property
    def suggestions(self) -> list[SuggestionResult]:
        return self.table.rows

    def changed(self) -> int:
        """How many suggested prices differ from the current ones."""
        return self.table.changed(self.current_scaled)


def optimize(
    parts: Sequence[PartInput],
    policy: PricingPolicy,
    ladders: LadderPolicy | None = LadderPolicy(),
    elasticity: ElasticitySettings = ElasticitySettings(),
) -> list[SuggestionResult]:
    """One price suggestion per part, in input order. See :func:`optimize_run`."""
    return optimize_run(parts, policy, ladders, elasticity).suggestions


def optimize_run(
    parts: Sequence[PartInput],
    policy: PricingPolicy,
    ladders: LadderPolicy | None = LadderPolicy(),
    elasticity: ElasticitySettings = ElasticitySettings(),
    *,
    sales: Callable[[], Sequence[SalesHistory | None]] | None = None,
    guards: bool = True,
) -> OptimizationRun:
    """Maximize expected gross profit per part within the policy's hard constraints.

    ``ladders=None`` switches family ladders off. ``sales``, when given, supplies the
    parts' sales histories (in part order) instead of ``PartInput.sales``: it is called
    once, after the stages that do not need them (policy, bounds, ladder graph,
    endings), so a caller can still be reading them meanwhile. Raises
    :class:`~pricing.optimizer.inputs.OptimizerInputError` for a part that cannot be
    priced (non-positive current price, negative cost, ...). ``guards=False`` switches
    off the closed-loop guards (:mod:`.guards`: evidence bounds, share guard, calm
    prices), leaving the single-run optimum within the hard constraints.
    """
    if not parts:
        return OptimizationRun(SuggestionTable.empty(), True, "no parts", 0, 0, 0)
    for part in parts:
        part.check()
    resolved = _resolve_all(parts, policy)
    p0 = np.array([float(p.current_price) for p in parts])
    cost = np.array([float(p.unit_cost) for p in parts])
    packs = [p.pack_qty for p in parts]
    priors = np.array([r.elasticity_prior for r in resolved])
    pools = [(p.category, p.proprietary) for p in parts]

    bounds = part_bounds(parts, resolved, policy.base_currency)
    hard = hard_box(bounds)
    box = apply_cap(hard)
    ending = parse_endings([r.price_ending for r in resolved])
    fams = ladder_families([p.family for p in parts], [p.ladder_group for p in parts])
    tiers = [p.tier for p in parts]
    crowded_families, crowded = ambiguous_cells(fams, tiers, packs)
    # a part that shares its tier and pack with another of its family is no one's pair
    edges = (build_edges([f if i not in crowded else f"\x1e{i}" for i, f in enumerate(fams)],
                         tiers, packs, ladders) if ladders is not None else {})

    # everything above is known without the sales histories
    histories = [p.sales for p in parts] if sales is None else list(sales())
    if len(histories) != len(parts):
        raise ValueError(f"{len(histories)} sales histories for {len(parts)} parts")
    panel = SalesPanel.from_histories(histories)
    # log(anchor / cost), the markup before the optimizer's own moves, so that what it
    # sets cannot by itself make a part look less price-sensitive; NaN without a cost
    anchor = np.array([float(p.anchor_price) if p.anchor_price is not None else np.nan
                       for p in parts])
    before_moves = np.where(np.isfinite(anchor) & (anchor > 0), anchor, p0)
    markup = np.where(cost > 0, np.log(before_moves / np.where(cost > 0, cost, 1.0)), np.nan)
    est = estimate_elasticities(panel, pools, priors, elasticity, markup)
    eps = est.value
    q0 = baseline_units(panel, p0, packs, eps)

    if guards:
        evidence = evidence_bounds(
            panel, packs_per_unit(panel, p0, packs), p0, cost, anchor,
            np.array([r.step for r in resolved]),
            np.array([r.evidence_periods for r in resolved], np.int64),
            np.array([r.step_test_z for r in resolved]), eps,
            *_our_moves(parts, p0),
            np.array([p.proprietary for p in parts], np.intp))
        box = apply_evidence(box, evidence)
    lo_x, hi_x = box.lo / 100.0 / p0, box.hi / 100.0 / p0
    solution = solve_bounded(cost / p0, eps, lo_x, hi_x)
    x = solution.x
    guarded = np.zeros(len(parts), bool)
    share = ShareGuard.of(eps, q0, p0, [p.category for p in parts],
                          ~np.array([p.proprietary for p in parts], bool),
                          np.array([r.max_units_loss for r in resolved]), before_moves / p0)
    if guards:
        x, guarded = share.apply(x, cost / p0, lo_x, hi_x)
    cont = x * p0
    price = round_cents(cont, box.lo, box.hi)

    def profit_at(cents: IntArray, idx: IntArray) -> npt.NDArray[np.float64]:
        return profit(cents / 100.0, cost[idx], q0[idx], p0[idx], eps[idx])

    price, ending_ok = apply_endings(price, box.lo, box.hi, ending, profit_at)
    binding = _binding(cont, box.lo, box.hi, box.lo_kind, box.hi_kind)
    binding[guarded & (binding < 0)] = SHARE_GUARD

    ladder_moved = np.zeros(len(parts), bool)
    ladder_conflict = np.zeros(len(parts), bool)
    families: list[str] = []
    if edges:
        families = violated_families(edges, price)
        if families:
            out = enforce_ladders(families, edges, hard, cont,
                                  SkuEconomics(cost, q0, p0, eps, ending), profit_at)
            idx = out.nodes
            for name in ("lo", "hi", "lo_kind", "hi_kind", "cannot_compete", "cap_deferred"):
                getattr(box, name)[idx] = getattr(out.box, name)
            ladder_moved[idx] = out.price != price[idx]
            price[idx], cont[idx], ending_ok[idx] = out.price, out.continuous, out.ending
            bound = _binding(out.continuous, out.box.lo, out.box.hi, out.box.lo_kind,
                             out.box.hi_kind)
            binding[idx] = np.where((bound < 0) & out.held, KINDS.index("LADDER"), bound)
            ladder_conflict[idx] = out.conflict

    if guards:
        current_cents = np.round(p0 * 100.0).astype(np.int64)
        every = np.arange(len(parts))
        # a current price without the configured ending is not one to hold at
        frozen = ladder_moved | ((ending >= 0) & ~has_ending(current_cents, ending))
        held = calm(price, p0, box, profit_at(current_cents, every), profit_at(price, every),
                    np.array([r.min_change for r in resolved]),
                    np.array([r.min_change_amount for r in resolved]),
                    np.array([r.min_gain for r in resolved]), frozen)
        if edges and held.any():  # holding one part of a family must keep its ladder
            trial = np.where(held, current_cents, price)
            broken = set(violated_families(edges, trial))
            for name in broken:
                for edge in edges[name]:
                    held[[edge.high, edge.low]] = False
        if (held & guarded).any():
            # holding a part the share guard lowered would spend the volume it keeps:
            # where a category falls short, those holds are undone
            held &= ~guarded | ~share.short(np.where(held, current_cents, price) / 100.0 / p0)
        price[held] = current_cents[held]
        binding[held] = SMALL_CHANGE
        ending_ok[held] = False
    flags = (box.floor_over_step * _FLOOR_OVER | box.cannot_compete * _CANNOT
             | box.cap_deferred * _DEFERRED | ending_ok * _ENDING | ladder_moved * _MOVED
             | ladder_conflict * _CONFLICT | solution.fallback * _FALLBACK)
    suggestions = _suggestions(parts, resolved, bounds, price, binding, flags, eps, est.se,
                               est.source, q0, cost, p0)
    return OptimizationRun(
        suggestions, solution.success, solution.message, solution.iterations,
        int(solution.fallback.sum()), len(families), bounds.price_scaled,
        tuple(f.split("\x1f")[0] for f in crowded_families) if ladders is not None else ())


_FLOOR_OVER, _CANNOT, _DEFERRED, _ENDING, _MOVED, _CONFLICT, _FALLBACK = (1 << i for i in range(7))
_FLAG_CODES = (
    (_FLOOR_OVER, rc.FLOOR_ABOVE_MAX_CHANGE), (_CANNOT, rc.CANNOT_COMPETE_AT_FLOOR),
    (_DEFERRED, rc.PRICE_INDEX_CAP_DEFERRED), (_ENDING, rc.PRICE_ENDING), (_MOVED, rc.LADDER),
    (_CONFLICT, rc.LADDER_CONFLICT), (_FALLBACK, rc.SOLVER_FALLBACK),
)


def _suggestions(parts: Sequence[PartInput], resolved: Sequence[ResolvedPolicy],
                 bounds: Bounds, price: IntArray, binding: IntArray,
                 flags: IntArray, eps: npt.NDArray[np.float64], se: npt.NDArray[np.float64],
                 source: Sequence[str], q0: npt.NDArray[np.float64],
                 cost: npt.NDArray[np.float64], p0: npt.NDArray[np.float64],
                 ) -> SuggestionTable:
    """The run's results as columns: money in whole cents and ten-thousandths over
    arrays, reason codes and sentence templates shared by the suggestions they fit."""
    units_after = expected_units(q0, p0, eps, price / 100.0)
    profit_before = Cents.round_half_up((p0 - cost) * q0)
    profit_after = Cents.round_half_up((price / 100.0 - cost) * units_after)
    current = [p.current_price for p in parts]
    unit_cost = [p.unit_cost for p in parts]
    cost_s, price_s = bounds.cost_scaled, bounds.price_scaled
    suggested_s = price * 100
    margin_before = margins(price_s, cost_s, current, unit_cost)
    margin_after = margins(suggested_s if cost_s is not None else None, cost_s,
                           [Decimal(c).scaleb(-2) for c in price.tolist()]
                           if cost_s is None else [], unit_cost)
    proprietary = [p.proprietary for p in parts]
    basis = np.select(
        [np.array(proprietary, bool), np.array(bounds.currency_mismatch, bool),
         np.array([p.call_for_price for p in parts], bool),
         np.array(bounds.competitor_count) == 0],
        [Basis.PROPRIETARY, Basis.CURRENCY_MISMATCH, Basis.CALL_FOR_PRICE,
         Basis.NO_COMPETITOR_PRICE], Basis.COMPETITORS).tolist()
    move = (np.sign(suggested_s - price_s) if price_s is not None else np.array(
        [(Decimal(c).scaleb(-2) > p) - (Decimal(c).scaleb(-2) < p)
         for c, p in zip(price.tolist(), current, strict=True)])).tolist()

    code_cache: dict[tuple[int, int, int, bool, str], tuple[str, ...]] = {}
    templates: dict[tuple[Any, ...], str] = {}
    reason_codes = []
    explanation = []
    eps_list, binding_list = eps.tolist(), binding.tolist()
    sugg_cents = price.tolist()
    suggested = Cents.of_prices(price)
    suggested_text = suggested.texts(grouped=True)
    before_text = profit_before.texts(grouped=True)
    after_text = profit_after.texts(grouped=True)
    for i, (part, rp, reference, bits) in enumerate(zip(
            parts, resolved, bounds.reference_pack, flags.tolist(), strict=True)):
        bind, e = binding_list[i], eps_list[i]
        key = (bind, bits, basis[i], e >= -1.0, source[i])
        codes = code_cache.get(key)
        if codes is None:
            codes = code_cache[key] = _codes(*key)
        reason_codes.append(codes)
        has_reference = reference is not None
        words_key = (key, id(rp), part.currency, move[i], has_reference)
        template = templates.get(words_key)
        if template is None:
            template = templates[words_key] = rc.template(rc.Wording(
                part.currency, move[i], KINDS[bind] if bind >= 0 else None, codes,
                rp.min_margin, rp.max_change, rp.max_price_index, rp.competitor_reference,
                has_reference, source[i], rp.price_ending))
        cur = current[i]
        explanation.append(template.format(
            current=f"{cur:,.2f}",
            suggested=suggested_text[i],
            change=_change(sugg_cents[i], cur, price_s, i) if move[i] else 0,
            elasticity=e,
            reference=f"{reference:,.2f}" if has_reference else "",
            profit_before=before_text[i],
            profit_after=after_text[i]))
    return SuggestionTable(
        sku=[p.sku for p in parts],
        category=[p.category for p in parts],
        proprietary=proprietary,
        current_price=current,
        suggested_price=suggested,
        unit_cost=unit_cost,
        margin_before=margin_before,
        margin_after=margin_after,
        competitor_reference=[reference.quantize(REFERENCE_Q, ROUND_HALF_UP)
                              if reference is not None else None
                              for reference in bounds.reference_pack],
        competitor_count=list(bounds.competitor_count),
        elasticity=eps,
        elasticity_se=np.where(np.isfinite(se), se, np.nan),
        elasticity_source=list(source),
        expected_units_before=q0,
        expected_units_after=units_after,
        expected_profit_before=profit_before,
        expected_profit_after=profit_after,
        binding=binding,
        reason_codes=reason_codes,
        explanation=explanation,
    )


def _change(cents: int, current: Decimal, current_scaled: IntArray | None, i: int) -> float:
    """The move in percent of the current price (exact quotient, then float)."""
    if current_scaled is not None:
        base = int(current_scaled[i])
        return (cents * 100 - base) / base * 100
    return float((Decimal(cents).scaleb(-2) - current) / current) * 100


_Moves = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64],
               npt.NDArray[np.float64]]


def _our_moves(parts: Sequence[PartInput], p0: npt.NDArray[np.float64]) -> _Moves:
    """From our remembered prices (``previous_prices`` and the current one): the price
    we last moved from; the lowest price a rise was taken back to (``a -> b -> a``, b
    above a) and that rise's ``b``; the highest price a cut was taken back to."""
    n = len(parts)
    moved_from, back, above, given = (np.full(n, np.nan) for _ in range(4))
    for i, part in enumerate(parts):
        if not part.previous_prices:
            continue
        seq = [float(q) for q in reversed(part.previous_prices)] + [float(p0[i])]
        moved_from[i] = seq[-2]
        for x, y, z in zip(seq, seq[1:], seq[2:], strict=False):
            if abs(z / x - 1.0) > LEVEL_TOL:
                continue
            if y > x and not x >= back[i]:  # NaN compares False: the first one counts
                back[i], above[i] = x, y
            elif y < x and not x <= given[i]:
                given[i] = x
    return moved_from, back, above, given


def _resolve_all(parts: Sequence[PartInput], policy: PricingPolicy) -> list[ResolvedPolicy]:
    cache: dict[tuple[str, bool, Decimal | None, Decimal | None], ResolvedPolicy] = {}
    out = []
    for p in parts:
        key = (p.category, p.proprietary, p.min_margin, p.map_price)
        rp = cache.get(key)
        if rp is None:
            rp = cache[key] = policy.resolve(
                p.category, p.proprietary, row_min_margin=p.min_margin, row_map_price=p.map_price)
        out.append(rp)
    return out


def _binding(cont: npt.NDArray[np.float64], lo: IntArray, hi: IntArray,
             lo_kind: npt.NDArray[np.int8], hi_kind: npt.NDArray[np.int8]) -> IntArray:
    """Index into KINDS of the bound the continuous optimum sits on, or -1 (interior).
    A box of one price is bound by its lower end, the stronger constraint."""
    tol = 1e-9 * np.maximum(cont, 1e-2)
    at_lo = (lo == hi) | (cont <= lo / 100.0 + tol)
    at_hi = cont >= hi / 100.0 - tol
    return np.where(at_lo, lo_kind, np.where(at_hi, hi_kind, -1)).astype(np.int64)


class Basis(IntEnum):
    """What a SKU's price is set against, as far as the reason codes tell."""

    PROPRIETARY = 0  # only we make it: no competitor reference
    CURRENCY_MISMATCH = 1  # competitor prices only in another currency
    NO_COMPETITOR_PRICE = 2
    COMPETITORS = 3  # priced against competitors
    CALL_FOR_PRICE = 4  # competitors list it without a price


_BASIS_CODES = {Basis.PROPRIETARY: rc.PROPRIETARY, Basis.CURRENCY_MISMATCH: rc.CURRENCY_MISMATCH,
                Basis.NO_COMPETITOR_PRICE: rc.NO_COMPETITOR_PRICE,
                Basis.CALL_FOR_PRICE: rc.CALL_FOR_PRICE}


def _codes(binding: int, bits: int, basis: int, inelastic: bool, source: str
           ) -> tuple[str, ...]:
    """Reason codes in a fixed order: the binding constraint (or PROFIT_OPTIMUM), then
    conditions, then what the price is set against (:class:`Basis`), then where the
    elasticity came from."""
    bound = KINDS[binding] if binding >= 0 else rc.PROFIT_OPTIMUM
    flagged = [code for bit, code in _FLAG_CODES if bits & bit]
    codes = [bound]
    if rc.LADDER in flagged and bound != rc.LADDER:
        codes.append(rc.LADDER)
    codes += [c for c in flagged if c in (
        rc.FLOOR_ABOVE_MAX_CHANGE, rc.CANNOT_COMPETE_AT_FLOOR, rc.PRICE_INDEX_CAP_DEFERRED)]
    if basis in _BASIS_CODES:
        codes.append(_BASIS_CODES[Basis(basis)])
    if inelastic and bound in (rc.MAX_CHANGE_UP, rc.PRICE_INDEX_CAP):
        codes.append(rc.INELASTIC_DEMAND)
    codes += [c for c in flagged if c in (rc.PRICE_ENDING, rc.LADDER_CONFLICT,
                                          rc.SOLVER_FALLBACK)]
    codes.append(rc.ELASTICITY_CODES[source])
    return tuple(codes)



