"""Price ladders from pricing.yaml: validated, passed to the optimizer, and kept by
every suggestion run (tier ratios and packs), through the real optimize step."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from pricing.config import PricingPolicy, validate_config
from pricing.errors import ConfigError
from pricing.optimizer import LadderPolicy, PartInput, optimize
from pricing.pipeline.optimize import ladder_policy, run_optimizer
from pricing.storage import Database
from pricing.storage.models import Part, Suggestion, SuggestionRun

D = Decimal


def test_default_ladders_are_genuine_reman_economy_at_par() -> None:
    assert ladder_policy(PricingPolicy()) == LadderPolicy(
        tiers=("genuine", "reman", "economy"), ratios=(1.0, 1.0), packs=True)


def test_ratios_by_tier_name_fill_in_par_for_the_rest() -> None:
    cfg = PricingPolicy.model_validate(
        {"ladders": {"tiers": ["OEM", "Premium", "Value"], "ratios": {"oem": 1.25},
                     "packs": False}})
    assert ladder_policy(cfg) == LadderPolicy(("OEM", "Premium", "Value"), (1.25, 1.0), False)
    assert ladder_policy(PricingPolicy.model_validate({"ladders": {"enabled": False}})) is None


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("ladders: {ratios: {genuine: 0.9}}", "ladders.ratios.genuine", "greater than or equal to 1"),
        ("ladders: {ratios: {premium: 1.1}}", "ladders", "not one of the tiers"),
        ("ladders: {ratios: {economy: 1.1}}", "ladders", "lowest tier"),
        ("ladders: {tiers: [genuine, Genuine]}", "ladders", "listed twice"),
        ("ladders: {ratios: {genuine: abc}}", "ladders.ratios.genuine", "number"),
        ("ladders: {steps: 3}", "ladders.steps", "unknown key"),
    ],
)
def test_bad_ladder_config_names_file_key_and_reason(text: str, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate_config(PricingPolicy, Path("config/pricing.yaml"), yaml.safe_load(text))
    message = str(err.value)
    assert "pricing.yaml" in message and key in message and reason in message


def test_shipped_config_has_valid_ladders() -> None:
    from pricing.config import load_config
    from tests.conftest import CONFIG_DIR

    policy = load_config(CONFIG_DIR).policy
    assert ladder_policy(policy) is not None


# --- through the optimize step ------------------------------------------------------


def _add(session: Any, sku: str, tier: str | None, cost: str, price: str, pack: int = 1,
         family: str = "F") -> None:
    session.add(Part(sku=sku, part_number=sku, part_number_norm=sku, description=sku,
                     brand="Acme", category="Hoses", family=family, unit_cost=D(cost),
                     price=D(price), currency="USD", pack_qty=pack, proprietary=False,
                     tier=tier))


def _suggested(db: Database, run_id: int) -> dict[str, Decimal]:
    with db.session() as s:
        return {r.sku: r.suggested_price for r in s.query(Suggestion).filter_by(run_id=run_id)}


def test_configured_tier_ratio_holds_in_a_suggestion_run(db: Database) -> None:
    # alone the economy part (dearer cost) would end above genuine and reman
    with db.session() as s:
        _add(s, "G", "genuine", "8.00", "20.00")
        _add(s, "R", "reman", "9.00", "20.00")
        _add(s, "E", "economy", "10.50", "20.00")
    policy = PricingPolicy.model_validate(
        {"ladders": {"ratios": {"genuine": 1.10, "reman": 1.05}}})
    prices = _suggested(db, run_optimizer(db, policy))
    assert prices["G"] * 100 >= D("1.10") * prices["R"] * 100
    assert prices["R"] >= D("1.05") * prices["E"]
    off = PricingPolicy.model_validate({"ladders": {"enabled": False}})
    alone = _suggested(db, run_optimizer(db, off))
    assert alone["E"] > alone["G"]  # the ladder did the work


def test_larger_pack_never_costs_more_per_unit_in_a_run(sqlite_db: Database) -> None:
    with sqlite_db.session() as s:
        _add(s, "P1", "genuine", "3.00", "10.00")
        _add(s, "P4", "genuine", "30.00", "40.00", pack=4)
    prices = _suggested(sqlite_db, run_optimizer(sqlite_db, PricingPolicy()))
    assert prices["P4"] / 4 <= prices["P1"]
    no_packs = PricingPolicy.model_validate({"ladders": {"packs": False}})
    alone = _suggested(sqlite_db, run_optimizer(sqlite_db, no_packs))
    assert alone["P4"] / 4 > alone["P1"]


def test_custom_tier_names_from_config() -> None:
    def p(sku: str, tier: str, cost: str) -> PartInput:
        return PartInput(sku=sku, category="Hoses", family="F", proprietary=False,
                         unit_cost=D(cost), current_price=D("20.00"), currency="USD",
                         pack_qty=1, tier=tier)

    policy = PricingPolicy.model_validate(
        {"ladders": {"tiers": ["oem", "aftermarket"], "ratios": {"oem": 1.2}}})
    oem, am = optimize([p("O", "OEM", "8.00"), p("A", "Aftermarket", "10.50")], policy,
                       ladders=ladder_policy(policy))
    assert oem.suggested_price >= D("1.2") * am.suggested_price or (
        "LADDER_CONFLICT" in oem.reason_codes)
    assert "LADDER" in oem.reason_codes + am.reason_codes


def test_a_product_line_is_laddered_only_on_its_real_pairs(db: Database) -> None:
    """One family, ten genuine parts and three economy parts, all packs of one: which
    genuine part is which economy part's equivalent is unknown, so none is laddered and
    the run names the family; the catalog's ladder_group pairs G0/E0 and G1/E1, and
    exactly those keep the ladder."""
    with db.session() as s:
        for k in range(10):
            _add(s, f"G{k}", "genuine", "8.00", "20.00", family="LINE")
        for k in range(3):
            _add(s, f"E{k}", "economy", "10.50", "20.00", family="LINE")
    run_id = run_optimizer(db, PricingPolicy())
    prices = _suggested(db, run_id)
    with db.session() as s:
        summary = s.get(SuggestionRun, run_id).summary  # type: ignore[union-attr]
        codes = {r.sku: r.reason_codes for r in s.query(Suggestion).filter_by(run_id=run_id)}
    assert summary["ladder_families_ambiguous"] == ["LINE"]
    assert not any("LADDER" in c for c in codes.values())
    assert prices["E0"] > prices["G0"]  # unladdered: each at its own optimum
    with db.session() as s:
        for k in range(2):
            for sku in (f"G{k}", f"E{k}"):
                s.query(Part).filter_by(sku=sku).update({"ladder_group": f"app-{k}"})
    prices = _suggested(db, run_optimizer(db, PricingPolicy()))
    for k in range(2):
        assert prices[f"G{k}"] >= prices[f"E{k}"]
    assert prices["E2"] > prices["G2"]  # still no one's pair
