"""What-if: the optimizer under a changed policy or market, on the latest inputs of the
live database, in memory; nothing is written.

A scenario is a set of changes to ``pricing.yaml`` (any key, at any level, written as
``--set`` lines or as a YAML file of the same shape), moves of competitors' prices
(``competitors: {NAME: -0.10}``) and manual price moves for a part of the catalog
(``price_change``). Both the policy in force and the scenario are run on the same
inputs, and :func:`compare` says what differs, per category: suggestions that change,
expected units, revenue and gross profit per period, and the price index.

``--set`` syntax, one change per option::

    max_change=0.05                                  # defaults.max_change
    categories.Belts.min_margin=32%                  # a dotted path into pricing.yaml
    category=Belts min_margin=0.32                   # the same, scoped
    proprietary=true max_change=0.12                 # proprietary.max_change
    category=Filters proprietary=true price_change=+5%

``price_change`` is no policy key: the scoped parts' suggested price is their current
price moved by that fraction (to the cent, never below the floor), and their expected
units and profit follow from the demand model with each part's own elasticity.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.config import POLICY_KEYS, PricingPolicy
from pricing.errors import ConfigError, PricingError
from pricing.optimizer import SuggestionResult, optimize_run
from pricing.optimizer.constraints import price_floor
from pricing.optimizer.demand import expected_units
from pricing.optimizer.inputs import PartInput
from pricing.reports.nightly import category_table
from pricing.review import ReviewError, parse_fraction
from pricing.storage import Database
from pricing.storage.models import Listing, utcnow

CENT = Decimal("0.01")
MARGIN_Q = Decimal("0.0001")
PRICE_CHANGE = "price_change"
SCOPES = ("category", "proprietary")


class WhatIfError(PricingError):
    """A scenario that cannot be run; the message names the option or file and key."""


@dataclass(frozen=True)
class PriceChange:
    """Move the current price of the parts in scope by ``change`` (a fraction)."""

    change: Decimal
    category: str | None = None
    proprietary: bool | None = None

    def covers(self, part: PartInput) -> bool:
        return ((self.category is None or part.category == self.category)
                and (self.proprietary is None or part.proprietary == self.proprietary))


@dataclass(frozen=True)
class Scenario:
    """Changes to the policy (a partial ``pricing.yaml``), competitor price moves by
    competitor name, and manual price moves."""

    policy: dict[str, Any] = field(default_factory=dict)
    competitors: dict[str, Decimal] = field(default_factory=dict)
    price_changes: tuple[PriceChange, ...] = ()
    described: tuple[str, ...] = ()

    def merged(self, other: Scenario) -> Scenario:
        return Scenario(_deep_merge(self.policy, other.policy),
                        {**self.competitors, **other.competitors},
                        self.price_changes + other.price_changes,
                        self.described + other.described)


def _deep_merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _value(text: str, what: str) -> Any:
    """A ``--set`` value: a percentage (``32%``) as a fraction, else a YAML scalar."""
    text = text.strip()
    if text.endswith("%"):
        try:
            return float(parse_fraction(text, what))
        except ReviewError as exc:
            raise WhatIfError(str(exc)) from None
    try:
        value = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        raise WhatIfError(f"{what}: not a value: {text!r}") from None
    if isinstance(value, dict | list):
        raise WhatIfError(f"{what}: a single value is expected, not {text!r}")
    return value


def _nested(path: Sequence[str], value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {path[-1]: value}
    for key in reversed(path[:-1]):
        out = {key: out}
    return out


def parse_set(text: str) -> Scenario:
    """One ``--set`` option (module docstring) as a scenario."""
    what = f"--set {text!r}"
    words = text.split()
    if not words or any("=" not in w for w in words):
        raise WhatIfError(f"{what}: write KEY=VALUE (for example max_change=0.05 or "
                          "category=Belts min_margin=0.32)")
    pairs = [tuple(w.split("=", 1)) for w in words]
    scope = {k: v for k, v in pairs if k in SCOPES}
    changes = [(k, v) for k, v in pairs if k not in SCOPES]
    if not changes:
        raise WhatIfError(f"{what}: nothing to change (only a scope)")
    category = scope.get("category")
    proprietary: bool | None = None
    if "proprietary" in scope:
        flag = scope["proprietary"].lower()
        if flag not in ("true", "false"):
            raise WhatIfError(f"{what}: proprietary must be true or false")
        proprietary = flag == "true"
    out = Scenario(described=(text,))
    for key, raw in changes:
        if key == PRICE_CHANGE:
            try:
                move = parse_fraction(raw, f"{what}: {PRICE_CHANGE}")
            except ReviewError as exc:
                raise WhatIfError(str(exc)) from None
            out = out.merged(Scenario(price_changes=(PriceChange(move, category, proprietary),)))
            continue
        if scope and "." in key:
            raise WhatIfError(f"{what}: {key}: a scoped change takes a policy key, not a path")
        if scope and key not in POLICY_KEYS:
            raise WhatIfError(f"{what}: {key}: not a policy key (known: {', '.join(POLICY_KEYS)})")
        if "." in key:
            path = key.split(".")
        elif category is not None:
            path = ["categories", category, *(["proprietary"] if proprietary else []), key]
        elif proprietary:
            path = ["proprietary", key]
        elif key in POLICY_KEYS:
            path = ["defaults", key]
        else:
            path = [key]
        if category is not None and proprietary is False:
            raise WhatIfError(f"{what}: proprietary=false cannot scope a policy key (the "
                              "policy has blocks for proprietary parts only)")
        out = out.merged(Scenario(policy=_nested(path, _value(raw, f"{what}: {key}"))))
    return out


def parse_move(competitor: str, move: str) -> Scenario:
    """``--competitor NAME --move -10%``."""
    try:
        fraction = parse_fraction(move, f"--move {move!r}")
    except ReviewError as exc:
        raise WhatIfError(str(exc)) from None
    if fraction <= -1:
        raise WhatIfError(f"--move {move!r}: a price cannot fall by 100 % or more")
    return Scenario(competitors={competitor: fraction},
                    described=(f"competitor {competitor} moves {fraction:+.1%}",))


def load_scenario(path: Path) -> Scenario:
    """A scenario file: ``policy:`` (a partial ``pricing.yaml``), ``competitors:``
    (NAME: move, as 0.05 or "-10%") and ``price_changes:`` (a list of mappings with
    ``change`` and optional ``category`` and ``proprietary``)."""
    from pricing.config import read_yaml  # one YAML reader for every file a user writes

    data = read_yaml(path)
    unknown = set(data) - {"policy", "competitors", "price_changes"}
    if unknown:
        raise WhatIfError(f"{path}: {sorted(unknown)[0]}: unknown key (known: policy, "
                          "competitors, price_changes)")
    policy = data.get("policy") or {}
    if not isinstance(policy, dict):
        raise WhatIfError(f"{path}: policy: a mapping of pricing.yaml keys is expected")
    out = Scenario(policy=policy, described=(f"scenario {path}",))
    moves = data.get("competitors") or {}
    if not isinstance(moves, dict):
        raise WhatIfError(f"{path}: competitors: a mapping of NAME: move is expected")
    for name, move in moves.items():
        out = out.merged(replace(parse_move(str(name), str(move)), described=()))
    changes = data.get("price_changes") or []
    if not isinstance(changes, list):
        raise WhatIfError(f"{path}: price_changes: a list is expected")
    for i, item in enumerate(changes):
        where = f"{path}: price_changes[{i}]"
        if not isinstance(item, dict) or "change" not in item or set(item) - {
                "change", "category", "proprietary"}:
            raise WhatIfError(f"{where}: write change (and optionally category, proprietary)")
        try:
            move = parse_fraction(str(item["change"]), f"{where}.change")
        except ReviewError as exc:
            raise WhatIfError(str(exc)) from None
        prop = item.get("proprietary")
        if prop is not None and not isinstance(prop, bool):
            raise WhatIfError(f"{where}.proprietary: true or false")
        category = item.get("category")
        out = out.merged(Scenario(price_changes=(PriceChange(
            move, None if category is None else str(category), prop),)))
    return out


def scenario_policy(policy: PricingPolicy, scenario: Scenario) -> PricingPolicy:
    """The policy in force with the scenario's changes, validated like ``pricing.yaml``
    (an error names the scenario's key)."""
    from pricing.config import validate_config

    if not scenario.policy:
        return policy
    merged = _deep_merge(policy.model_dump(mode="json", exclude_unset=True), scenario.policy)
    try:
        return validate_config(PricingPolicy, Path("scenario"), merged)
    except ConfigError as exc:
        raise WhatIfError(f"what-if policy: {exc.key}: {exc.reason}") from None


# --- running it -----------------------------------------------------------------------


def optimize_in_memory(
    session: Session, policy: PricingPolicy, as_of: dt.datetime,
    competitor_moves: Mapping[str, Decimal] | None = None,
) -> tuple[list[PartInput], list[SuggestionResult]]:
    """What ``pricing optimize`` would suggest at ``as_of``, read from ``session`` and
    kept in memory (:func:`~pricing.pipeline.optimize.run_optimizer`'s own steps)."""
    from pricing.pipeline.optimize import ladder_policy, read_inputs

    inputs, _ = read_inputs(session, policy, as_of, competitor_moves)
    run = optimize_run(inputs, policy, ladder_policy(policy))
    return inputs, list(run.table.rows)


def _moved(part: PartInput, result: SuggestionResult, change: Decimal,
           policy: PricingPolicy) -> SuggestionResult:
    """``result`` with the part's current price moved by ``change``: never below the
    floor; units and profit from the demand model at the part's elasticity."""
    resolved = policy.resolve(part.category, part.proprietary, row_min_margin=part.min_margin,
                              row_map_price=part.map_price)
    floor = price_floor(part.unit_cost, resolved).price
    price = max((part.current_price * (1 + change)).quantize(CENT, ROUND_HALF_UP), floor)
    units = float(expected_units(*(np.array([v]) for v in (
        result.expected_units_before, float(part.current_price), result.elasticity,
        float(price))))[0])
    profit = ((price - part.unit_cost) * Decimal(repr(units))).quantize(CENT, ROUND_HALF_UP)
    margin = ((price - part.unit_cost) / price).quantize(MARGIN_Q, ROUND_HALF_UP)
    return replace(result, suggested_price=price, expected_units_after=units,
                   expected_profit_after=profit, margin_after=margin,
                   binding_constraint=None, reason_codes=("WHAT_IF_PRICE_CHANGE",),
                   explanation=f"what-if: current price moved {change:+.1%}")


@dataclass(frozen=True)
class WhatIf:
    """The policy in force and the scenario on the same inputs."""

    as_of: dt.datetime
    scenario: Scenario
    before: list[SuggestionResult]
    after: list[SuggestionResult]

    def changed(self) -> list[tuple[SuggestionResult, SuggestionResult]]:
        """The suggestions whose price the scenario changes, in SKU order."""
        after = {s.sku: s for s in self.after}
        return [(b, after[b.sku]) for b in self.before
                if b.sku in after and after[b.sku].suggested_price != b.suggested_price]


def what_if(db: Database, policy: PricingPolicy, scenario: Scenario, *,
            as_of: dt.datetime | None = None) -> WhatIf:
    """Run the policy in force and the scenario on the database's latest inputs, in one
    read-only transaction that is rolled back: the database is left as it was."""
    as_of = as_of or utcnow()
    changed = scenario_policy(policy, scenario)
    with Session(db.engine) as session:
        try:
            if scenario.competitors:
                known = set(session.scalars(select(Listing.competitor).distinct()))
                for name in scenario.competitors:
                    if name not in known:
                        listed = ", ".join(sorted(known)) or "none"
                        raise WhatIfError(f"--competitor {name}: no listings from this "
                                          f"competitor (known: {listed})")
            _, before = optimize_in_memory(session, policy, as_of)
            inputs, after = optimize_in_memory(session, changed, as_of, scenario.competitors)
        finally:
            session.rollback()
    if scenario.price_changes:
        parts = {p.sku: p for p in inputs}
        moved = []
        for s in after:
            part = parts[s.sku]
            rule = next((c for c in reversed(scenario.price_changes) if c.covers(part)), None)
            moved.append(s if rule is None else _moved(part, s, rule.change, changed))
        after = moved
    return WhatIf(as_of, scenario, before, after)


def compare(result: WhatIf) -> list[dict[str, Any]]:
    """Per category, and a last row for all of them: SKUs, suggestions the scenario
    changes, and the expected units, revenue and gross profit per period and the price
    index (ours over the competitor reference, where there is one) of the suggested
    prices, under the policy in force (``*_before``) and the scenario (``*_after``)."""
    before = {c["category"]: c for c in category_table(result.before)}
    after = {c["category"]: c for c in category_table(result.after)}
    changed: dict[str, int] = {}
    for moved, _ in result.changed():
        changed[moved.category] = changed.get(moved.category, 0) + 1
    rows = []
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name, {}), after.get(name, {})
        rows.append({
            "category": name,
            "skus": a.get("skus", b.get("skus", 0)),
            "changed": changed.get(name, 0),
            "units_before": round(b.get("units_after", 0.0), 2),
            "units_after": round(a.get("units_after", 0.0), 2),
            "revenue_before": _money(b.get("revenue_after")),
            "revenue_after": _money(a.get("revenue_after")),
            "profit_before": _money(b.get("profit_after")),
            "profit_after": _money(a.get("profit_after")),
            "index_before": _index(b.get("index_after")),
            "index_after": _index(a.get("index_after")),
        })
    all_before, all_after = _total(result.before), _total(result.after)
    rows.append({
        "category": "(all)",
        "skus": len(result.after),
        "changed": sum(changed.values()),
        "units_before": round(all_before["units_after"], 2),
        "units_after": round(all_after["units_after"], 2),
        "revenue_before": _money(all_before["revenue_after"]),
        "revenue_after": _money(all_after["revenue_after"]),
        "profit_before": _money(all_before["profit_after"]),
        "profit_after": _money(all_after["profit_after"]),
        "index_before": _index(all_before["index_after"]),
        "index_after": _index(all_after["index_after"]),
    })
    return rows


def _total(rows: list[SuggestionResult]) -> dict[str, Any]:
    """:func:`category_table` over every category at once."""
    table = category_table([replace(r, category="") for r in rows])
    return table[0] if table else {"units_after": 0.0, "revenue_after": None,
                                   "profit_after": None, "index_after": None}


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, ROUND_HALF_UP)


def _index(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(MARGIN_Q, ROUND_HALF_UP)


CHANGE_COLUMNS = ["sku", "category", "current_price", "price_before", "price_after",
                  "units_before", "units_after", "profit_before", "profit_after", "why_after"]


def changed_rows(result: WhatIf) -> list[dict[str, Any]]:
    """The suggestions the scenario changes, one row each."""
    return [{
        "sku": b.sku, "category": b.category, "current_price": b.current_price,
        "price_before": b.suggested_price, "price_after": a.suggested_price,
        "units_before": round(b.expected_units_after, 2),
        "units_after": round(a.expected_units_after, 2),
        "profit_before": b.expected_profit_after, "profit_after": a.expected_profit_after,
        "why_after": " ".join(a.reason_codes),
    } for b, a in result.changed()]


COMPARE_COLUMNS = ["category", "skus", "changed", "units_before", "units_after",
                   "revenue_before", "revenue_after", "profit_before", "profit_after",
                   "index_before", "index_after"]
