"""The optimizer: each hard constraint and each conflict in the SPEC's order, endings,
rounding, ladders, determinism, and profit on the simulated market (tests/support/simulator.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from pricing.config import PricingPolicy
from pricing.optimizer import (
    REASON_CODES,
    LadderPolicy,
    OptimizerInputError,
    PartInput,
    SalesHistory,
    SuggestionResult,
    optimize,
    optimize_run,
)
from pricing.optimizer import solver as solver_module
from tests.support import simulator as sim

D = Decimal
# Each hard constraint on its own: the calm-price rules (min_change, min_gain) and the
# share guard (max_units_loss), which would hold back some of these moves, are tested
# in tests/optimizer/test_guards.py.
POLICY = PricingPolicy.model_validate({
    "defaults": {"min_margin": 0.25, "max_change": 0.10, "max_price_index": 1.10,
                 "competitor_reference": "median", "elasticity_prior": -2.0,
                 "min_change": 0, "min_change_amount": 0, "min_gain": 0,
                 "max_units_loss": 1.0},
    "proprietary": {"max_change": 0.08, "elasticity_prior": -1.2},
    "categories": {
        "Filters": {"min_margin": 0.30, "proprietary": {"elasticity_prior": -0.9}},
        "Belts": {"competitor_reference": "min"},
        "Electrical": {"price_ending": ".99"},
    },
})


def part(**kw: Any) -> PartInput:
    base: dict[str, Any] = dict(
        sku="A1", category="Hoses", family="fam-A1", proprietary=False, unit_cost=D("10.00"),
        current_price=D("20.00"), currency="USD", pack_qty=1)
    base.update(kw)
    return PartInput(**base)


def one(p: PartInput, policy: PricingPolicy = POLICY) -> SuggestionResult:
    (result,) = optimize([p], policy)
    return result


# --- one constraint at a time -------------------------------------------------------------


def test_interior_profit_optimum_is_the_lerner_price() -> None:
    # eps -2: p* = c * eps / (1 + eps) = 2c = 20.40, inside 18.00..22.00
    r = one(part(unit_cost=D("10.20")))
    assert r.suggested_price == D("20.40")
    assert r.binding_constraint is None
    assert r.reason_codes[0] == "PROFIT_OPTIMUM"
    assert "NO_COMPETITOR_PRICE" in r.reason_codes and "ELASTICITY_PRIOR" in r.reason_codes


def test_margin_floor_binds_and_rounds_up() -> None:
    # eps -5: optimum 1.25 c = 9.375 is below the floor 7.50 / 0.7 = 10.714.. -> 10.72
    elastic = POLICY.model_copy(update={"defaults": POLICY.defaults.model_copy(
        update={"elasticity_prior": -5.0})})
    r = one(part(category="Filters", unit_cost=D("7.5"), current_price=D("11.00")), elastic)
    assert r.suggested_price == D("10.72")
    assert r.binding_constraint == "MARGIN_FLOOR"
    assert (r.suggested_price - D("7.5")) / r.suggested_price >= D("0.30")
    assert r.margin_after == D("0.3004")


def test_row_min_margin_overrides_the_policy() -> None:
    # 10 / 0.65 = 15.3846 -> 15.39, above the step limit 13.00 * 1.1 = 14.30
    r = one(part(unit_cost=D("10"), current_price=D("13.00"), min_margin=D("0.35")))
    assert r.suggested_price == D("15.39")
    assert r.binding_constraint == "MARGIN_FLOOR"
    assert one(part(unit_cost=D("10"), current_price=D("13.00"))).suggested_price == D("14.30")


def test_floor_above_the_max_change_band_wins() -> None:
    # floor 9 / 0.75 = 12.00 is a 20 % step from 10.00: the floor comes first
    r = one(part(unit_cost=D("9"), current_price=D("10.00")))
    assert r.suggested_price == D("12.00")
    assert r.binding_constraint == "MARGIN_FLOOR"
    assert "FLOOR_ABOVE_MAX_CHANGE" in r.reason_codes
    assert "bigger step" in r.explanation


def test_map_floor_binds_and_rounds_sub_cent_map_up() -> None:
    r = one(part(unit_cost=D("5"), current_price=D("12.50"), map_price=D("12.3450")))
    # optimum 10.00, step floor 11.25, MAP 12.345 -> 12.35 (never below MAP)
    assert r.suggested_price == D("12.35")
    assert r.binding_constraint == "MAP_FLOOR"


def test_map_above_max_change_band_wins() -> None:
    r = one(part(unit_cost=D("5"), current_price=D("10.00"), map_price=D("13.00")))
    assert r.suggested_price == D("13.00")
    assert r.binding_constraint == "MAP_FLOOR"
    assert "FLOOR_ABOVE_MAX_CHANGE" in r.reason_codes


@pytest.mark.parametrize(("cost", "expected", "binding"), [
    ("14.00", "22.00", "MAX_CHANGE_UP"),  # optimum 28.00
    ("6.00", "18.00", "MAX_CHANGE_DOWN"),  # optimum 12.00
])
def test_max_change_limits_the_step(cost: str, expected: str, binding: str) -> None:
    r = one(part(unit_cost=D(cost)))
    assert r.suggested_price == D(expected)
    assert r.binding_constraint == binding


def test_max_change_band_rounds_inward_on_odd_prices() -> None:
    # 19.99 * 1.1 = 21.989 -> 21.98 (never 21.99), 19.99 * 0.9 = 17.991 -> 18.00
    up = one(part(unit_cost=D("14.00"), current_price=D("19.99")))
    down = one(part(unit_cost=D("6.00"), current_price=D("19.99")))
    assert up.suggested_price == D("21.98")
    assert down.suggested_price == D("18.00")


def test_price_index_cap_binds_per_pack() -> None:
    # pack of 4, competitor median 5.00 a unit -> cap 1.10 * 5.00 * 4 = 22.00 < optimum 24.00
    r = one(part(unit_cost=D("12.00"), current_price=D("22.00"), pack_qty=4,
                 competitor_unit_prices=[D("4.00"), D("5.00"), D("7.00")]))
    assert r.suggested_price == D("22.00")
    assert r.binding_constraint == "PRICE_INDEX_CAP"
    assert r.competitor_reference == D("20.0000") and r.competitor_count == 3


def test_competitor_reference_min_and_even_median() -> None:
    belts = one(part(category="Belts", unit_cost=D("12.00"), current_price=D("22.00"),
                     competitor_unit_prices=[D("21.00"), D("19.00"), D("30.00")]))
    assert belts.competitor_reference == D("19.0000")
    assert belts.suggested_price == D("20.90")  # 1.10 * 19.00
    even = one(part(unit_cost=D("12.00"), current_price=D("22.00"),
                    competitor_unit_prices=[D("19.00"), D("20.00"), D("21.00"), D("30.00")]))
    assert even.competitor_reference == D("20.5000")
    assert even.suggested_price == D("22.55")


def test_cap_below_floor_cannot_compete() -> None:
    # floor 13.34, competitor cap 1.1 * 10 = 11.00: stay at the floor, say why
    r = one(part(unit_cost=D("10.00"), current_price=D("14.00"),
                 competitor_unit_prices=[D("10.00")]))
    assert r.suggested_price == D("13.34")
    assert r.binding_constraint == "MARGIN_FLOOR"
    assert "CANNOT_COMPETE_AT_FLOOR" in r.reason_codes
    assert "cannot compete" in r.explanation


def test_cap_below_floor_and_far_away_moves_by_max_change_only() -> None:
    r = one(part(unit_cost=D("5.00"), current_price=D("30.00"),
                 competitor_unit_prices=[D("5.00")]))
    assert r.suggested_price == D("27.00")
    assert r.binding_constraint == "MAX_CHANGE_DOWN"
    assert "CANNOT_COMPETE_AT_FLOOR" in r.reason_codes


def test_cap_below_step_band_is_deferred_to_later_runs() -> None:
    # floor 6.67, step floor 18.00, cap 1.1 * 12 = 13.20: max_change comes before the index
    r = one(part(unit_cost=D("5.00"), current_price=D("20.00"),
                 competitor_unit_prices=[D("12.00")]))
    assert r.suggested_price == D("18.00")
    assert r.binding_constraint == "MAX_CHANGE_DOWN"
    assert "PRICE_INDEX_CAP_DEFERRED" in r.reason_codes


def test_proprietary_uses_its_own_policy_and_only_resellers_cap_it() -> None:
    p = part(category="Filters", proprietary=True, unit_cost=D("5.00"), current_price=D("20.00"))
    r = one(p)
    # Filters proprietary prior -0.9 (inelastic): highest allowed price, own 8 % step
    assert r.suggested_price == D("21.60")
    assert r.binding_constraint == "MAX_CHANGE_UP"
    assert r.competitor_reference is None and r.competitor_count == 0
    assert r.elasticity == -0.9
    assert {"PROPRIETARY", "INELASTIC_DEMAND"} <= set(r.reason_codes)
    # a dealer resells it at 8.00: the reseller cap (8.80) pulls it down by its own
    # step (8 %, not the competitive parts' 10 %), and says why
    resold = one(replace(p, competitor_unit_prices=[D("8.00")]))
    assert resold.suggested_price == D("18.40")
    assert resold.binding_constraint == "MAX_CHANGE_DOWN"
    assert "PRICE_INDEX_CAP_DEFERRED" in resold.reason_codes
    assert "toward the competitive price" in resold.explanation
    competitive = one(replace(p, proprietary=False, competitor_unit_prices=[D("8.00")]))
    assert competitive.suggested_price == D("18.00")


def test_competitor_prices_in_another_currency_are_not_compared() -> None:
    r = one(part(currency="EUR", unit_cost=D("14.00"), competitor_unit_prices=[D("10.00")]))
    assert r.suggested_price == D("22.00")
    assert "CURRENCY_MISMATCH" in r.reason_codes and r.competitor_reference is None


# --- endings and rounding -----------------------------------------------------------------


def test_price_ending_is_applied_inside_the_bounds() -> None:
    r = one(part(category="Electrical", unit_cost=D("10.20")))  # optimum 20.40
    assert r.suggested_price in (D("19.99"), D("20.99"))
    assert "PRICE_ENDING" in r.reason_codes and "ending in .99" in r.explanation


def test_price_ending_never_breaks_the_floor() -> None:
    # floor 9 / 0.75 = 12.00 forces exactly 12.00; 11.99 would break it, 12.99 the box
    r = one(part(category="Electrical", unit_cost=D("9"), current_price=D("10.00")))
    assert r.suggested_price == D("12.00")
    assert "PRICE_ENDING" not in r.reason_codes


def test_price_ending_respects_cap_and_step() -> None:
    # cap 1.1 * 18.50 = 20.35 binds; 19.99 is the nearest ending below it
    r = one(part(category="Electrical", unit_cost=D("12.00"), current_price=D("20.00"),
                 competitor_unit_prices=[D("18.50")]))
    assert r.suggested_price == D("19.99")
    assert r.suggested_price <= D("20.35")


def test_rounding_never_breaks_a_bound() -> None:
    rng = np.random.default_rng(7)
    parts = []
    for i in range(400):
        cost = D(str(round(float(rng.uniform(0.5, 300)), 4)))
        price = D(str(round(float(cost) * float(rng.uniform(0.9, 2.5)), 4)))
        comps = [D(str(round(float(price) * float(rng.uniform(0.6, 1.2)), 4)))
                 for _ in range(int(rng.integers(0, 3)))]
        parts.append(part(
            sku=f"R{i}", family=f"R{i}", category=["Hoses", "Filters", "Belts", "Electrical"][i % 4],
            proprietary=bool(i % 5 == 0), unit_cost=cost, current_price=price,
            pack_qty=int(rng.choice([1, 2, 3, 12])),
            min_margin=D("0.3333") if i % 7 == 0 else None,
            map_price=D(str(round(float(price) * 0.97, 4))) if i % 11 == 0 else None,
            competitor_unit_prices=comps))
    market = sim.Market(parts, POLICY, np.full(len(parts), -2.0), np.ones(len(parts)))
    assert sim.violations(market, optimize(parts, POLICY)) == []


def _random_parts(n: int, seed: int) -> list[PartInput]:
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(n):
        cost = D(str(round(float(rng.uniform(0.5, 300)), 4)))
        price = D(str(round(float(cost) * float(rng.uniform(0.7, 2.5)), 4)))
        parts.append(part(
            sku=f"R{i}", family=f"F{i // 2}", tier=("genuine", "economy")[i % 2],
            category=["Hoses", "Filters", "Belts", "Electrical"][i % 4],
            proprietary=bool(i % 5 == 0), unit_cost=cost, current_price=price,
            min_margin=D("0.3333") if i % 7 == 0 else None,
            map_price=D(str(round(float(price) * 0.97, 4))) if i % 11 == 0 else None,
            competitor_unit_prices=[D(str(round(float(price) * float(rng.uniform(0.6, 1.2)), 4)))
                                    for _ in range(int(rng.integers(0, 3)))]))
    return parts


@pytest.mark.parametrize("odd", [
    {"unit_cost": D("10.00001")},  # finer than the stored ten-thousandths
    {"current_price": D("20.000005")},
    {"current_price": D("250000000.00"), "unit_cost": D("100000000.00")},  # past int64 care
])
def test_amounts_outside_the_fast_path_give_the_same_suggestions(odd: dict[str, Any]) -> None:
    """Bounds, margins and moves are computed over whole ten-thousandths in int64 when
    every amount fits, else one by one in Decimal: one odd part sends the whole run the
    slow way, and every other part's suggestion must come out exactly the same."""
    parts = _random_parts(300, seed=4)
    fast = optimize(parts, POLICY)
    slow = optimize([*parts, part(sku="ODD", family="ODD", **odd)], POLICY)
    assert slow[:-1] == fast
    assert slow[-1].suggested_price > 0


def test_sales_supplied_later_give_the_same_run() -> None:
    """The database run hands the sales histories over only when the optimizer asks
    (after its sales-free stages): the suggestions are those of histories on the parts."""
    rng = np.random.default_rng(9)
    parts = _random_parts(200, seed=8)
    histories = [
        SalesHistory(None, rng.poisson(20, 60).astype(float),
                     float(p.current_price) * np.exp(rng.normal(0, 0.08, 60)))
        if i % 3 else None
        for i, p in enumerate(parts)
    ]
    on_parts = optimize_run([replace(p, sales=h) for p, h in zip(parts, histories, strict=True)],
                            POLICY)
    calls = []
    later = optimize_run(parts, POLICY, sales=lambda: calls.append(1) or histories)
    assert calls == [1]
    assert later.suggestions == on_parts.suggestions
    assert {r.elasticity_source for r in later.suggestions} >= {"estimated", "pooled"}
    with pytest.raises(ValueError, match="199 sales histories for 200 parts"):
        optimize_run(parts, POLICY, sales=lambda: histories[1:])


def test_scaled_amounts() -> None:
    from pricing.optimizer.constraints import scaled

    assert scaled([D("1.23"), D("-0.0001"), D("0"), D("99999999.9999")]).tolist() == [
        12300, -1, 0, 999999999999]
    assert scaled([D("1.00001")]) is None
    assert scaled([D("100000000.0001")]) is None
    assert scaled([D("1E+40")]) is None
    assert scaled([]).tolist() == []


# --- ladders -------------------------------------------------------------------------------


def _family(genuine_cost: str, economy_cost: str, **kw: Any) -> list[PartInput]:
    return [
        part(sku="G", family="F", tier="genuine", unit_cost=D(genuine_cost), **kw),
        part(sku="E", family="F", tier="economy", unit_cost=D(economy_cost), **kw),
    ]


def test_tier_ladder_holds_and_is_the_joint_optimum() -> None:
    # alone: genuine 2 * 8 = 16 -> 18.00 (max down), economy 2 * 10.5 = 21 -> 21.00
    parts = _family("8.00", "10.50")
    alone = optimize(parts, POLICY, ladders=None)
    assert alone[0].suggested_price < alone[1].suggested_price
    g, e = optimize(parts, POLICY)
    assert g.suggested_price >= e.suggested_price
    assert "LADDER" in g.reason_codes or "LADDER" in e.reason_codes
    # brute force over every pair of whole-cent prices the policy allows
    grid = np.arange(1800, 2201) / 100.0
    pg, pe = np.meshgrid(grid, grid, indexing="ij")
    gain = (pg - 8.0) * (pg / 20) ** -2 + (pe - 10.5) * (pe / 20) ** -2
    gain[pg < pe] = -np.inf
    best = gain.max()
    ours = (float(g.suggested_price) - 8) * (float(g.suggested_price) / 20) ** -2 + (
        float(e.suggested_price) - 10.5) * (float(e.suggested_price) / 20) ** -2
    assert ours >= best - 1e-4


def test_tier_ratio_is_kept_exactly() -> None:
    """genuine >= 1.15 x 1.10 (reman missing) x economy. Both branches are reached: a
    family that can keep the ratio within its steps keeps it exactly, with no conflict
    flagged; one that cannot (both at 20.00: 22.00 < 1.265 x 18.00) says so."""
    ladder = LadderPolicy(ratios=(1.15, 1.10))
    ratio = D("1.15") * D("1.10")
    # genuine 25.00 (22.50..27.50), economy 20.00 (18.00..22.00): alone they would
    # break the ratio (genuine falls to 22.50, economy rises to 21.00)
    parts = [replace(p, current_price=D(c)) for p, c in zip(_family("8.00", "10.50"),
                                                            ("25.00", "20.00"), strict=True)]
    alone = optimize(parts, POLICY, ladders=None)
    assert alone[0].suggested_price < ratio * alone[1].suggested_price
    g, e = optimize(parts, POLICY, ladders=ladder)
    assert g.suggested_price >= ratio * e.suggested_price
    assert "LADDER_CONFLICT" not in g.reason_codes + e.reason_codes
    # the impossible family: flagged, and each price still within its own limits
    g, e = optimize(_family("8.00", "10.50"), POLICY, ladders=ladder)
    assert g.suggested_price < ratio * e.suggested_price
    assert "LADDER_CONFLICT" in g.reason_codes
    assert D("18.00") <= e.suggested_price and g.suggested_price <= D("22.00")


def test_larger_pack_never_costs_more_per_unit() -> None:
    single = part(sku="P1", family="F", tier="genuine", unit_cost=D("3.00"), current_price=D("10"))
    four = part(sku="P4", family="F", tier="genuine", unit_cost=D("30.00"),
                current_price=D("40.00"), pack_qty=4)
    alone = optimize([single, four], POLICY, ladders=None)
    assert alone[1].suggested_price / 4 > alone[0].suggested_price  # broken without ladders
    r1, r4 = optimize([single, four], POLICY)
    assert r4.suggested_price / 4 <= r1.suggested_price


def test_ladder_conflict_with_the_floor_keeps_the_floor() -> None:
    # economy's floor (12 / 0.75 = 16.00) sits above anything genuine may charge (<= 11.00)
    parts = [part(sku="G", family="F", tier="genuine", unit_cost=D("2.00"), current_price=D("10")),
             part(sku="E", family="F", tier="economy", unit_cost=D("12.00"),
                  current_price=D("15.00"))]
    g, e = optimize(parts, POLICY)
    assert e.suggested_price >= D("16.00")
    assert g.suggested_price <= D("11.00")
    assert "LADDER_CONFLICT" in g.reason_codes and "LADDER_CONFLICT" in e.reason_codes


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ladder_market_has_no_violations(seed: int) -> None:
    market = sim.make_ladder_market(seed, 150)
    for ladder, ratios in ((LadderPolicy(), (1.0, 1.0)), (LadderPolicy(ratios=(1.1, 1.15)),
                                                         (1.1, 1.15))):
        results = optimize(market.parts, market.policy, ladders=ladder)
        assert sim.violations(market, results) == []
        assert sim.ladder_violations(market, results, ratios) == []


# --- run-level behaviour --------------------------------------------------------------------


def test_same_inputs_same_outputs() -> None:
    market = sim.make_market(11, 600, varied=True, history=True)
    first = [r.as_dict() for r in optimize(market.parts, market.policy)]
    second = [r.as_dict() for r in optimize(list(market.parts), market.policy)]
    assert first == second


def test_solver_failure_falls_back_deterministically(monkeypatch: pytest.MonkeyPatch) -> None:
    market = sim.make_market(5, 300)
    normal = optimize(market.parts, market.policy)

    def failing(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        result.success, result.message = False, "forced failure"
        return result

    real = solver_module.minimize
    monkeypatch.setattr(solver_module, "minimize", failing)
    run = optimize_run(market.parts, market.policy)
    assert not run.solver_success and run.fallback_count > 0
    assert any("SOLVER_FALLBACK" in r.reason_codes for r in run.suggestions)
    same = sum(a.suggested_price == b.suggested_price for a, b in zip(
        normal, run.suggestions, strict=True))
    assert same >= 0.99 * len(normal)  # at most a cent of rounding apart elsewhere
    assert sim.violations(market, run.suggestions) == []


def test_suggestions_are_complete_and_json_ready() -> None:
    market = sim.make_market(3, 200, history=True)
    for r in optimize(market.parts, market.policy):
        row = json.loads(json.dumps(r.as_dict()))
        assert row["suggested_price"] == str(r.suggested_price)
        assert set(r.reason_codes) <= set(REASON_CODES)
        assert r.elasticity_source in ("prior", "estimated", "pooled")
        assert r.explanation.endswith(".") and ". " not in r.explanation
        assert r.margin_after == ((r.suggested_price - r.unit_cost) / r.suggested_price
                                  ).quantize(D("0.0001"))
        expected = r.expected_units_before * (float(r.suggested_price) / float(
            r.current_price)) ** r.elasticity
        assert r.expected_units_after == pytest.approx(expected)


def test_bad_input_is_reported_with_the_sku() -> None:
    with pytest.raises(OptimizerInputError, match="B7"):
        optimize([part(sku="B7", current_price=D("0"))], POLICY)
    assert optimize([], POLICY) == []


# --- profit on the simulated market --------------------------------------------------------


def _learned_and_priors(market: sim.Market) -> sim.Scores:
    """The optimizer with the market's sales histories, and without them."""
    return sim.judge(market, optimize(market.parts, market.policy),
                     optimize([replace(p, sales=None) for p in market.parts], market.policy))


@pytest.mark.parametrize("seed", [101, 202, 303])
def test_profit_with_true_priors_is_near_the_best_allowed(seed: int) -> None:
    market = sim.make_market(seed, 1500)
    scores = sim.judge(market, optimize(market.parts, market.policy))
    assert scores.violations == []
    assert scores.optimizer >= 0.995
    for rule in sim.RULES:
        assert scores.optimizer > scores.shares[rule]


@pytest.mark.parametrize(("seed", "lumpy"), [(404, False), (505, False), (606, True)])
def test_learned_elasticities_beat_the_priors(seed: int, lumpy: bool) -> None:
    """Poisson weekly sales: learning beats the priors. Lumpy B2B sales (gamma-Poisson,
    shape 1): about neutral, never more than 0.2 % of profit below the priors."""
    scores = _learned_and_priors(
        sim.make_market(seed, 1500, varied=True, history=True, lumpy=lumpy))
    assert scores.violations == []
    assert scores.optimizer >= 0.99
    assert scores.optimizer > scores.shares["priors only"] - (0.002 if lumpy else 0.0)
    for rule in sim.RULES:
        assert scores.optimizer > scores.shares[rule]


@pytest.mark.parametrize("seed", [21, 24])
def test_far_off_prices_with_a_wide_step_limit_learn_to_97_percent(seed: int) -> None:
    """A harder market: today's prices far from the best (log sd 0.5), elasticities
    scattered around the priors (sd 0.45) and a 100 % step limit. Keeping today's prices
    earns 91-93 % of the best, cost-plus 83-86 %, the priors alone about 95 %; learned
    elasticities (two years of weekly sales, and the markup line) over 97.5 %
    (simulator runs: 97.8 %; 97.0-97.2 % without the markup line)."""
    scores = _learned_and_priors(sim.make_market(
        seed, 1500, varied=True, history=True, policy=sim.wide_policy(1.0), eps_sd=0.45,
        price_sd=0.5))
    assert scores.violations == []
    assert scores.optimizer >= 0.975
    assert scores.optimizer >= scores.shares["priors only"] + 0.02
    for rule in sim.RULES:
        assert scores.optimizer > scores.shares[rule] + 0.03


def test_learning_matters_more_when_prices_may_move_further() -> None:
    """With a 30 % step limit the elasticity decides more: learned beats the priors by
    at least half a point of profit (simulator runs: 99.1-99.2 % against 98.0-98.4 %)."""
    scores = _learned_and_priors(
        sim.make_market(707, 1500, varied=True, history=True, policy=sim.wide_policy(0.3)))
    assert scores.violations == []
    assert scores.optimizer >= 0.985
    assert scores.optimizer >= scores.shares["priors only"] + 0.005
