"""Auto-approval rules (issue 19), on the simulated closed-loop market.

On SQLite and PostgreSQL: the nightly step approves what a rule allows, records the
rule in the audit trail, ``pricing review --rule`` and the other filters find it, and the
export still re-checks it. Over a simulated season (nightly optimize, auto-approval and
export, SQLite): whatever rules a team writes and whatever a person decided first, no
auto-approval breaks a rule's limit, touches a person's decision, or approves a
suggestion a hard constraint bound or a flag marks; checked against the rules' meaning
written out here, not the module's own functions.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from benchmarks import closed_loop as cl
from benchmarks import closed_loop_market as cm
from pricing.autoapprove import auto_approve, run_auto_approval
from pricing.config import AutoApproveRule, PricingPolicy, load_config
from pricing.errors import ConfigError, PricingError
from pricing.review import decide, decision_log
from pricing.storage import Database
from pricing.storage.models import Match, Suggestion
from tests.support import ROOT

SEED, SKUS, WEEKS = 7, 60, 4
HARD = {"MARGIN_FLOOR", "MAP_FLOOR", "MAX_CHANGE_DOWN", "MAX_CHANGE_UP", "PRICE_INDEX_CAP",
        "LADDER", "MAX_MARKUP", "LIST_PRICE", "RISE_LIMIT", "RESELLER_CAP", "ALTERNATIVE_CAP"}
FLAGS = {"FLOOR_ABOVE_MAX_CHANGE", "CANNOT_COMPETE_AT_FLOOR", "PRICE_INDEX_CAP_DEFERRED",
         "NO_COMPETITOR_PRICE", "CURRENCY_MISMATCH", "LADDER_CONFLICT", "SOLVER_FALLBACK",
         "CALL_FOR_PRICE"}
NIGHTLY_RULES = [
    {"name": "small-moves", "max_change": 0.04, "min_gain": 0.0},
    {"name": "proprietary-up", "max_change": 0.08, "direction": "up", "proprietary": True,
     "min_gain": 0.5},
]


def as_of(t: int) -> str:
    return dt.datetime.combine(cm.week_start(t), dt.time(6), dt.UTC).isoformat()


def market_config(m: cm.Market, folder: Path, rules: list[dict[str, object]]) -> Path:
    """The closed-loop market's config folder, with ``auto_approve`` rules."""
    config = cl.config_dir(m, folder)
    policy = yaml.safe_load((config / "pricing.yaml").read_text(encoding="utf-8"))
    policy["auto_approve"] = rules
    (config / "pricing.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    return config


def first_week(folder: Path, db_url: str, rules: list[dict[str, object]]
               ) -> tuple[cl.Cli, Path, int]:
    """Set up the market and make week 1's suggestion run; returns the CLI, the config
    folder and the run."""
    m = cm.make_market(SEED, SKUS, WEEKS)
    config = market_config(m, folder, rules)
    cli = cl.Cli(db_url, config)
    cli("init")
    cli("catalog", "import", str(folder / "catalog.csv"))
    cli("xref", "import", str(folder / "xref.csv"))
    cli("sales", "import", str(folder / "sales-history.csv"))
    cli("observations", "import", str(cl.write_observations(m, 1, folder / "obs.csv")),
        "--as-of", as_of(1))
    cli("match")
    run = json.loads(cli("optimize", "--format", "json", "--as-of", as_of(1)))["run_id"]
    return cli, config, int(run)


def statuses(db: Database, run: int) -> dict[str, Suggestion]:
    with db.session() as session:
        return {s.sku: s for s in session.scalars(
            select(Suggestion).where(Suggestion.run_id == run))}


def test_nightly_rules_approve_within_limits_and_the_trail_names_the_rule(
        db_url: str, tmp_path: Path) -> None:
    cli, config, run = first_week(tmp_path, db_url, NIGHTLY_RULES)
    policy = load_config(config).policy
    db = Database(db_url)
    before = statuses(db, run)
    summary = run_auto_approval(db, run, policy)
    after = statuses(db, run)
    approved = {sku for sku, s in after.items() if s.review_status == "approved"}
    print("auto-approved", summary.as_json())
    assert approved and summary.count == len(approved)
    assert set(summary.approved) <= {"small-moves", "proprietary-up"}
    for sku in approved:
        s = before[sku]
        move = abs(s.suggested_price / s.current_price - 1)
        assert s.suggested_price != s.current_price
        assert after[sku].approved_price == s.suggested_price
        assert after[sku].reviewed_by == "auto-approval"
        rule = next(name for name, skus in summary.approved.items() if sku in skus)
        assert after[sku].review_note == f"auto-approval rule {rule}"
        assert move <= (Decimal("0.04") if rule == "small-moves" else Decimal("0.08"))
        assert s.binding_constraint not in HARD and not set(s.reason_codes) & FLAGS
    with db.session() as session:
        trail = decision_log(session, run)
    assert {e["rule"] for e in trail} == set(summary.approved)
    assert all(e["by"] == "auto-approval" and e["action"] == "approve" for e in trail)

    # review finds them by rule and by size of change and gain
    for name, skus in summary.approved.items():
        listed = json.loads(cli("review", "--run", str(run), "--rule", name, "--format", "json"))
        assert sorted(r["sku"] for r in listed) == sorted(skus)
    small = json.loads(cli("review", "--run", str(run), "--max-change", "2%", "--format", "json"))
    assert small and all(abs(Decimal(r["change_pct"])) <= Decimal("0.02") for r in small)
    assert all(r["review_status"] == "pending" for r in small)
    gain = json.loads(cli("review", "--run", str(run), "--min-gain", "1.5", "--min-change",
                          "0.05", "--format", "json"))
    assert all(Decimal(r["expected_gain"]) >= Decimal("1.5")
               and abs(Decimal(r["change_pct"])) >= Decimal("0.05") for r in gain)

    # the report says which rule approved how many
    cli("report", "--run", str(run), "--out", str(tmp_path / "report"))
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert f"<b>{summary.count}</b>approved by auto-approval rules" in html
    with (tmp_path / "report" / "suggestions.csv").open(newline="", encoding="utf-8") as f:
        notes = {r["sku"]: r["review_note"] for r in csv.DictReader(f)}
    assert {sku for sku, note in notes.items() if note.startswith("auto-approval rule")} \
        == approved

    # a person undoes one rule's work; the export still re-checks what is left
    first_rule = next(iter(summary.approved))
    cli("review", "--run", str(run), "--rule", first_rule, "--reject", "--why", "not today")
    assert not json.loads(cli("review", "--run", str(run), "--rule", first_rule,
                              "--format", "json"))
    out = tmp_path / "price-list.csv"
    cli("export", "--run", str(run), "--out", str(out))
    with out.open(newline="", encoding="utf-8") as f:
        exported = {r["sku"] for r in csv.DictReader(f)}
    assert exported == approved - set(summary.approved[first_rule])
    db.dispose()


def test_bad_rules_stop_with_the_key(tmp_path: Path) -> None:
    for rules, key, reason in [
        ([{"name": "a", "max_change": 0.05}, {"name": "a", "max_change": 0.02}],
         "auto_approve", "appears twice"),
        ([{"name": "a", "max_change": 0.05, "min_gian": 1}], "auto_approve[a].min_gian",
         "unknown key"),
        ([{"name": "a"}], "auto_approve[a].max_change", "Field required"),
        ([{"name": "a", "max_change": 0.05, "min_gain": -1}], "auto_approve[a].min_gain",
         "greater than or equal to 0"),
        ([{"name": "a", "max_change": 0.05, "relations": ["equal"]}],
         "auto_approve[a].relations[0]", "'same', 'alternative' or 'kit'"),
    ]:
        (tmp_path / "pricing.yaml").write_text(yaml.safe_dump({"auto_approve": rules}),
                                               encoding="utf-8")
        with pytest.raises(ConfigError) as info:
            load_config(tmp_path)
        assert f"pricing.yaml: {key}: " in str(info.value) and reason in str(info.value), info.value


# --- the property: over a simulated season -------------------------------------------


@dataclass(frozen=True)
class Season:
    snapshots: list[tuple[Path, int]]  # each night's database before approval, and its run
    policy: PricingPolicy
    approved: int  # what the nightly rules approved over the season


def _backup(url_path: Path, to: Path) -> None:
    src, dst = sqlite3.connect(url_path), sqlite3.connect(to)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Season]:
    """``WEEKS`` nights of the closed loop: observations, last week's sales, match,
    optimize, the nightly auto-approval (:data:`NIGHTLY_RULES`), export; each night's
    database is kept as it was right after the optimizer."""
    folder = tmp_path_factory.mktemp("season")
    path = folder / "pricing.db"
    url = f"sqlite:///{path}"
    m = cm.make_market(SEED, SKUS, WEEKS)
    cli, config, run = first_week(folder, url, NIGHTLY_RULES)
    policy = load_config(config).policy
    db = Database(url)
    prices = m.p0.copy()
    index = {sku: i for i, sku in enumerate(m.sku)}
    rng = np.random.default_rng([SEED, 19])
    snapshots, approved = [], 0
    for t in range(1, WEEKS + 1):
        if t > 1:
            week = folder / f"week{t}"
            week.mkdir()
            cli("observations", "import", str(cl.write_observations(m, t, week / "obs.csv")),
                "--as-of", as_of(t))
            units = rng.poisson(cm.expected_units(m, prices, t - 1))
            cli("sales", "import", str(cl.write_sales(m, t - 1, prices, units,
                                                      week / "sales.csv")))
            cli("match")
            run = int(json.loads(cli("optimize", "--format", "json", "--as-of", as_of(t)))
                      ["run_id"])
        snapshot = folder / f"night{t}.db"
        _backup(path, snapshot)
        snapshots.append((snapshot, run))
        approved += run_auto_approval(db, run, policy).count
        out = folder / f"price-list-{t}.csv"
        cli("export", "--run", str(run), "--out", str(out))
        with out.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                prices[index[row["sku"]]] = float(row["price"])
    db.dispose()
    yield Season(snapshots, policy, approved)


CATEGORIES = sorted(cm.CATEGORIES)
rules_strategy = st.lists(
    st.builds(
        dict,
        max_change=st.sampled_from([0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.2, 1.0]),
        direction=st.sampled_from(["any", "up", "down"]),
        min_gain=st.sampled_from(["0", "0.01", "0.5", "2", "10"]),
        categories=st.none() | st.lists(st.sampled_from(CATEGORIES), min_size=1, unique=True),
        proprietary=st.none() | st.booleans(),
        min_competitors=st.integers(0, 4),
        min_confidence=st.none() | st.sampled_from([0.5, 0.8, 0.95, 1.0]),
        relations=st.none() | st.lists(st.sampled_from(["same", "alternative", "kit"]),
                                       min_size=1, unique=True),
    ),
    min_size=1, max_size=3,
).map(lambda items: [AutoApproveRule(name=f"r{i}", **item) for i, item in enumerate(items)])


def _limits_hold(rule: AutoApproveRule, s: Suggestion, matches: list[tuple[float, str, str]]
                 ) -> bool:
    """The rule's meaning, written out: every limit it sets holds for ``s`` (its state
    before approval) and its matches (confidence, status, relation)."""
    move = (s.suggested_price - s.current_price) / s.current_price
    confidences = [1.0 if status == "confirmed" else c for c, status, _ in matches]
    return (abs(move) <= Decimal(str(rule.max_change))
            and (rule.direction != "up" or move > 0) and (rule.direction != "down" or move < 0)
            and s.expected_profit_after - s.expected_profit_before >= rule.min_gain
            and (rule.categories is None or s.category in rule.categories)
            and (rule.proprietary is None or s.proprietary == rule.proprietary)
            and s.competitor_count >= rule.min_competitors
            and (rule.min_confidence is None or all(c >= rule.min_confidence
                                                    for c in confidences))
            and (rule.relations is None or all(r in rule.relations for _, _, r in matches)))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    rules=rules_strategy,
    night=st.integers(0, WEEKS - 1),
    people=st.lists(st.tuples(st.integers(0, SKUS - 1),
                              st.sampled_from(["approve", "reject", "override"])), max_size=8),
    tweaks=st.lists(st.tuples(st.integers(0, 10_000), st.floats(0.3, 1.0),
                              st.sampled_from(["same", "alternative", "kit"]),
                              st.sampled_from(["auto", "confirmed"])), max_size=12),
)
def test_auto_approval_never_approves_what_the_rules_exclude(
        season: Season, rules: list[AutoApproveRule], night: int,
        people: list[tuple[int, str]], tweaks: list[tuple[int, float, str, str]]) -> None:
    path, run = season.snapshots[night]
    db = Database(f"sqlite:///{path}")
    with Session(db.engine) as session:
        try:
            rows = {s.sku: s for s in session.scalars(
                select(Suggestion).where(Suggestion.run_id == run).order_by(Suggestion.sku))}
            skus = sorted(rows)
            # a person decided some first: their decisions stand
            for i, action in people:
                s = rows[skus[i]]
                with contextlib.suppress(PricingError):  # a price that fails the re-check
                    decide(session, [s], action=action, who="alice", why="mine",
                           policy=season.policy,
                           override_price=s.current_price if action == "override" else None)
            # matches of other confidence, status and relation
            match_ids = list(session.scalars(select(Match.id).where(Match.sku.is_not(None))
                                             .order_by(Match.id)))
            for k, confidence, relation, status in tweaks:
                session.execute(update(Match).where(Match.id == match_ids[k % len(match_ids)])
                                .values(confidence=confidence, relation=relation,
                                        status=status))
            session.flush()
            before = {sku: (s.review_status, s.approved_price, s.reviewed_by)
                      for sku, s in rows.items()}
            matches: dict[str, list[tuple[float, str, str]]] = {}
            for sku, confidence, status, relation in session.execute(
                    select(Match.sku, Match.confidence, Match.status, Match.relation)
                    .where(Match.status.in_(["auto", "confirmed"]))):
                matches.setdefault(sku, []).append((confidence, status, relation))

            summary = auto_approve(session, run, rules, season.policy)
            session.flush()
            by_rule = {sku: name for name, names in summary.approved.items() for sku in names}
            event(f"approved {'none' if not by_rule else 'some'}")
            for sku, s in rows.items():
                if sku not in by_rule:
                    assert (s.review_status, s.approved_price, s.reviewed_by) == before[sku]
                    continue
                status, _, _ = before[sku]
                assert status == "pending"  # never a person's decision, never an override
                assert s.review_status == "approved" and s.reviewed_by == "auto-approval"
                assert s.approved_price == s.suggested_price != s.current_price
                assert s.binding_constraint not in HARD and not set(s.reason_codes) & HARD
                assert not set(s.reason_codes) & FLAGS
                rule = next(r for r in rules if r.name == by_rule[sku])
                assert _limits_hold(rule, s, matches.get(sku, [])), (rule, sku)
                # and it is the first rule that holds
                earlier = rules[:rules.index(rule)]
                assert not any(_limits_hold(r, s, matches.get(sku, [])) for r in earlier)
        finally:
            session.rollback()
    db.dispose()


def test_the_season_approved_something(season: Season) -> None:
    """Not vacuous: the nightly rules approved suggestions during the season."""
    assert season.approved > 0


def test_the_nightly_pipeline_applies_the_rules(tmp_path: Path) -> None:
    """``pricing nightly`` (what the daemon runs): match, optimize, the rules, report;
    its JSON line counts what the rules approved."""
    import os
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'pricing.db'}"
    m = cm.make_market(SEED, SKUS, WEEKS)
    config = market_config(m, tmp_path, [{"name": "any-small", "max_change": 0.1}])
    cli = cl.Cli(url, config)
    cli("init")
    for kind, name in [("catalog", "catalog.csv"), ("xref", "xref.csv"),
                       ("sales", "sales-history.csv")]:
        cli(kind, "import", str(tmp_path / name))
    # last night's competitor prices, seen an hour ago (the nightly run prices "now")
    seen = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    obs = cl.write_observations(m, 1, tmp_path / "obs.csv")
    with obs.open(newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    with obs.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows({**row, "observed_at": seen} for row in table)
    cli("observations", "import", str(obs))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    result = subprocess.run(
        [sys.executable, "-m", "pricing", "--config", str(config), "nightly",
         "--reports", str(tmp_path / "reports")],
        capture_output=True, text=True, timeout=300, env={**env, "PRICING_DATABASE_URL": url},
        cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    db = Database(url)
    rows = statuses(db, out["run_id"])
    db.dispose()
    approved = [s for s in rows.values() if s.reviewed_by == "auto-approval"]
    assert out["auto_approved"] == len(approved) > 0
    assert all(s.review_note == "auto-approval rule any-small" for s in approved)
    html = Path(out["report"]).read_text(encoding="utf-8")
    assert f"<b>{len(approved)}</b>approved by auto-approval rules" in html
