"""The closed-loop guards and configured ceilings (issue 13), one rule at a time, on
the in-memory optimizer: evidence bounds, hold, step back, calm prices, share guard,
max_markup / list_price / max_rise, and explanations that match their numbers."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from pricing.config import PricingPolicy
from pricing.optimizer import PartInput, SalesHistory, SuggestionResult, optimize
from tests.support import simulator as sim

D = Decimal
POLICY = PricingPolicy.model_validate({
    "defaults": {"min_margin": 0.25, "max_change": 0.10, "max_price_index": 1.10,
                 "competitor_reference": "median", "elasticity_prior": -2.0},
    "proprietary": {"max_change": 0.08, "elasticity_prior": -0.6},
})


def part(**kw: Any) -> PartInput:
    base: dict[str, Any] = dict(
        sku="P1", category="Filters", family="fam-P1", proprietary=True, unit_cost=D("10.00"),
        current_price=D("20.00"), currency="USD", pack_qty=1)
    base.update(kw)
    return PartInput(**base)


def one(p: PartInput, policy: PricingPolicy = POLICY) -> SuggestionResult:
    (result,) = optimize([p], policy)
    return result


def weeks(*levels: tuple[float, int, float]) -> SalesHistory:
    """A weekly history: (price, weeks, units a week) per level, oldest first."""
    prices = [p for p, n, _ in levels for _ in range(n)]
    units = [u for _, n, u in levels for _ in range(n)]
    return SalesHistory(None, units, prices)


def test_inelastic_part_explores_one_step_then_holds_until_sales_come_in() -> None:
    """|eps| < 1 has no finite optimum: without the guards the price would rise by the
    full step every night. With them: one step beyond the evidence, then a hold."""
    history = weeks((20.0, 12, 30.0))
    first = one(part(sales=history))
    assert first.suggested_price == D("21.60")  # +8 %, the proprietary step
    assert first.binding_constraint in ("MAX_CHANGE_UP", "EVIDENCE_RANGE")
    # approved and exported, no new sales yet: the price holds
    second = one(part(sales=history, current_price=D("21.60"), anchor_price=D("20.00"),
                      previous_prices=(D("20.00"),)))
    assert second.suggested_price == D("21.60")
    assert second.binding_constraint == "HOLD_FOR_EVIDENCE"
    assert "HOLD_FOR_EVIDENCE" in second.reason_codes
    # a week of sales at 21.60 that earned more: the next step is allowed
    later = weeks((20.0, 12, 30.0), (21.6, 1, 29.0))
    third = one(part(sales=later, current_price=D("21.60"), anchor_price=D("20.00"),
                     previous_prices=(D("20.00"),)))
    assert third.suggested_price == D("23.32")


def test_a_step_that_lost_profit_is_taken_back_and_not_retried() -> None:
    # 20 -> 21.60 and sales fell from 30 to 12 a week: clearly less profit
    history = weeks((20.0, 12, 30.0), (21.6, 2, 12.0))
    back = one(part(sales=history, current_price=D("21.60"), anchor_price=D("20.00"),
                    previous_prices=(D("20.00"),)))
    assert back.suggested_price == D("20.00")
    assert back.binding_constraint == "STEP_BACK"
    assert "earned less" in back.explanation
    # back at 20.00 (our prices read 20 -> 21.60 -> 20): no second try yet
    after = weeks((20.0, 12, 30.0), (21.6, 2, 12.0), (20.0, 2, 30.0))
    held = one(part(sales=after, current_price=D("20.00"), anchor_price=D("20.00"),
                    previous_prices=(D("21.60"), D("20.00"))))
    assert held.suggested_price == D("20.00")
    # the same part whose price history shows no such move is free to explore again
    free = one(part(sales=after, current_price=D("20.00"), anchor_price=D("20.00")))
    assert free.suggested_price > D("20.00")


def test_a_doubtful_step_holds_for_more_data() -> None:
    # a little less profit after the step, within the noise of 1 week: hold, not back
    history = weeks((20.0, 12, 30.0), (21.6, 1, 25.0))
    r = one(part(sales=history, current_price=D("21.60"), anchor_price=D("20.00"),
                 previous_prices=(D("20.00"),)))
    assert r.suggested_price == D("21.60")
    assert r.binding_constraint == "HOLD_FOR_EVIDENCE"


def test_a_step_still_in_doubt_stands_but_climbs_no_further() -> None:
    """A little less profit for four weeks, never clearly: the step is not taken back
    (a step back is remembered, so it needs clear evidence), and the price does not
    climb past it either."""
    history = weeks((20.0, 12, 30.0), (21.6, 4, 24.0))
    r = one(part(sales=history, current_price=D("21.60"), anchor_price=D("20.00"),
                 previous_prices=(D("20.00"),)))
    assert r.suggested_price == D("21.60")
    assert r.binding_constraint == "HOLD_FOR_EVIDENCE"


def test_a_part_that_sells_nothing_is_not_raised_on_no_evidence() -> None:
    """Zero sales before and after a step: nothing says the step did no harm, so the
    price climbs no further (it would otherwise ratchet: a part that sells nothing
    loses no measured profit)."""
    history = weeks((20.0, 12, 0.0), (21.6, 3, 0.0))
    r = one(part(sales=history, current_price=D("21.60"), anchor_price=D("20.00"),
                 previous_prices=(D("20.00"),)))
    assert r.suggested_price <= D("21.60")


def test_hard_rules_still_move_a_held_price() -> None:
    """A hold never keeps a price below a floor that rose meanwhile."""
    history = weeks((20.0, 12, 30.0))
    r = one(part(sales=history, current_price=D("21.60"), anchor_price=D("20.00"),
                 previous_prices=(D("20.00"),), unit_cost=D("17.00")))
    assert r.suggested_price == D("22.67")  # 17 / (1 - 0.25), rounded up
    assert r.binding_constraint == "MARGIN_FLOOR"


def test_small_moves_hold_unless_forced() -> None:
    # competitive part near its optimum: the best move is under 1 %: keep the price
    p = part(proprietary=False, category="Hoses", unit_cost=D("10.10"), current_price=D("20.00"))
    r = one(p)
    assert r.suggested_price == D("20.00")
    assert r.binding_constraint == "SMALL_CHANGE"
    assert r.reason_codes[0] == "SMALL_CHANGE"
    off = PricingPolicy.model_validate(
        {**POLICY.model_dump(), "defaults": {**POLICY.defaults.model_dump(), "min_change": 0,
                                             "min_change_amount": 0, "min_gain": 0}})
    assert one(p, off).suggested_price == D("20.20")
    # a competitive cap just below the current price moves it however small the step
    forced = one(replace(p, competitor_unit_prices=(D("18.10"),)))
    assert forced.suggested_price == D("19.91")
    assert forced.binding_constraint == "PRICE_INDEX_CAP"


@pytest.mark.parametrize(("kw", "policy_keys", "code", "price"), [
    ({}, {"max_markup": 2.1}, "MAX_MARKUP", D("21.00")),
    ({"list_price": D("20.90")}, {}, "LIST_PRICE", D("20.90")),
    ({"window_price": D("19.00")}, {"max_rise": 0.12}, "RISE_LIMIT", D("21.28")),
])
def test_configured_ceilings_bind_and_say_so(kw: dict[str, Any], policy_keys: dict[str, Any],
                                            code: str, price: Decimal) -> None:
    policy = PricingPolicy.model_validate(
        {**POLICY.model_dump(), "proprietary": {**POLICY.proprietary.model_dump(
            exclude_none=True), **policy_keys}})
    r = one(part(sales=weeks((20.0, 12, 30.0)), **kw), policy)
    assert r.suggested_price == price
    assert r.binding_constraint == code
    assert r.reason_codes[0] == code
    # a ceiling below the floor loses to the floor
    low = one(part(sales=weeks((20.0, 12, 30.0)), unit_cost=D("19.00"), **kw), policy)
    assert low.suggested_price >= D("25.34")


def test_share_guard_keeps_the_categorys_volume() -> None:
    """Twenty competitive parts the model would all raise 10 %: the category's volume
    (units at today's prices) falls at most max_units_loss (3 %) under the model."""
    parts = [part(sku=f"C{i}", family=f"f{i}", proprietary=False, category="Belts",
                  unit_cost=D("14.00"), current_price=D("20.00") + D(i) / 10)
             for i in range(20)]
    results = optimize(parts, POLICY)
    before = sum(float(r.current_price) * r.expected_units_before for r in results)
    after = sum(float(r.current_price) * r.expected_units_after for r in results)
    assert after >= 0.97 * before - 1e-6
    unguarded = PricingPolicy.model_validate(
        {**POLICY.model_dump(), "defaults": {**POLICY.defaults.model_dump(),
                                             "max_units_loss": 1.0}})
    free = optimize(parts, unguarded)
    assert sum(float(r.current_price) * r.expected_units_after for r in free) < 0.9 * before


HARD = {"MARGIN_FLOOR", "MAP_FLOOR", "MAX_CHANGE_DOWN", "MAX_CHANGE_UP", "PRICE_INDEX_CAP",
        "LADDER", "MAX_MARKUP", "LIST_PRICE", "RISE_LIMIT"}


def test_sixty_nights_without_new_sales_never_ratchet_or_flip_flop() -> None:
    """The demo replayed: every suggestion approved, no new sales. Beyond what hard
    rules force (a part far above its competitive cap walks down to it step by step),
    each part moves at most once, never reverses, and never by less than the minimum."""
    market = sim.make_market(11, 300, varied=True, history=True)
    parts = list(market.parts)
    anchors = {p.sku: p.current_price for p in parts}
    paths: dict[str, list[Decimal]] = {p.sku: [p.current_price] for p in parts}
    free_moves: dict[str, int] = dict.fromkeys(paths, 0)
    for _ in range(60):
        results = optimize(parts, market.policy)
        moved = []
        for p, r in zip(parts, results, strict=True):
            if r.suggested_price != p.current_price:
                paths[p.sku].append(r.suggested_price)
                forced = r.binding_constraint in HARD and (
                    "CANNOT_COMPETE_AT_FLOOR" in r.reason_codes
                    or "PRICE_INDEX_CAP_DEFERRED" in r.reason_codes
                    or r.binding_constraint != r.reason_codes[0]
                    or r.binding_constraint in HARD - {"MAX_CHANGE_DOWN", "MAX_CHANGE_UP"})
                free_moves[p.sku] += not forced
                if not forced:  # a move of our own choosing is never a tiny one
                    assert abs(r.suggested_price - p.current_price) >= min(
                        D("0.05"), p.current_price * D("0.01")), r.explanation
            moved.append(replace(p, current_price=r.suggested_price,
                                 anchor_price=anchors[p.sku],
                                 previous_prices=tuple(reversed(paths[p.sku][-3:-1]))))
        parts = moved
    assert max(free_moves.values()) <= 1
    assert sum(len(path) > 1 for path in paths.values()) > 30  # the optimizer did move
    for sku, path in paths.items():
        moves = np.sign(np.diff([float(x) for x in path]))
        assert not (moves[1:] * moves[:-1] < 0).any(), (sku, path)


def test_every_sentence_matches_its_numbers() -> None:
    """Over a simulated run: a sentence that says a price earns more has more expected
    profit; a suggestion that lowers expected profit is bound by a hard rule and says
    which; no sentence says 'to keep the ladder' and 'could not be kept' at once."""
    market = sim.make_market(5, 800, varied=True, history=True)
    results = optimize(market.parts, market.policy)
    hard = {"MARGIN_FLOOR", "MAP_FLOOR", "MAX_CHANGE_DOWN", "MAX_CHANGE_UP",
            "PRICE_INDEX_CAP", "LADDER", "MAX_MARKUP", "LIST_PRICE", "RISE_LIMIT",
            "STEP_BACK", "SHARE_GUARD"}
    for r in results:
        if "earns more" in r.explanation:
            assert r.expected_profit_after >= r.expected_profit_before, r.explanation
        if r.expected_profit_after < r.expected_profit_before:
            # a hard rule, or the policy's price ending (the nearest allowed ending)
            assert r.binding_constraint in hard or (
                "PRICE_ENDING" in r.reason_codes and "ending in" in r.explanation
            ), r.explanation
        assert not ("to keep the family's price ladder" in r.explanation
                    and "could not be kept" in r.explanation), r.explanation
        if r.suggested_price == r.current_price:
            assert r.explanation.startswith("Keep at")


def test_resellers_cap_a_proprietary_part_and_alternatives_only_when_asked() -> None:
    history = weeks((20.0, 12, 30.0))
    resold = one(part(sales=history, competitor_unit_prices=(D("19.00"), D("20.00"))))
    assert resold.suggested_price == D("21.45")  # 1.10 x the resellers' median 19.50
    assert resold.binding_constraint == "RESELLER_CAP"
    assert "dealers who resell" in resold.explanation
    # a will-fit alternative is no cap by default ...
    alt = part(sales=history, alternative_unit_prices=(D("18.00"),))
    assert one(alt).suggested_price == D("21.60")
    # ... and one where the team sets max_alternative_index
    policy = PricingPolicy.model_validate(
        {**POLICY.model_dump(), "proprietary": {**POLICY.proprietary.model_dump(
            exclude_none=True), "max_alternative_index": 1.15}})
    capped = one(alt, policy)
    assert capped.suggested_price == D("20.70")
    assert capped.binding_constraint == "ALTERNATIVE_CAP"
