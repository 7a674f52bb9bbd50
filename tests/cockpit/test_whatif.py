"""``pricing whatif`` (issue 19), on SQLite and PostgreSQL, on the closed-loop market.

A what-if with policy P gives the suggestions a real ``pricing optimize`` run with P
stores, and writes nothing (every table's rows, and on SQLite the file's bytes, are as
before). Competitor moves and manual price moves change what they should and nothing
else; bad scenarios stop with one line naming the key.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import hashlib
import json
import sqlite3
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy import select

from benchmarks import closed_loop as cl
from benchmarks import closed_loop_market as cm
from pricing.config import load_config
from pricing.optimizer.constraints import price_floor
from pricing.pipeline.optimize import run_optimizer
from pricing.storage import Database
from pricing.storage.models import Suggestion
from pricing.whatif import parse_move, parse_set, scenario_policy, what_if

SEED, SKUS = 11, 50
AS_OF = dt.datetime.combine(cm.week_start(1), dt.time(6), dt.UTC)


@pytest.fixture
def market(db_url: str, tmp_path: Path) -> tuple[cl.Cli, Path]:
    m = cm.make_market(SEED, SKUS, 2)
    config = cl.config_dir(m, tmp_path)
    cli = cl.Cli(db_url, config)
    cli("init")
    cli("catalog", "import", str(tmp_path / "catalog.csv"))
    cli("xref", "import", str(tmp_path / "xref.csv"))
    cli("sales", "import", str(tmp_path / "sales-history.csv"))
    cli("observations", "import", str(cl.write_observations(m, 1, tmp_path / "obs.csv")),
        "--as-of", AS_OF.isoformat())
    cli("match")
    cli("optimize", "--as-of", AS_OF.isoformat())  # a live run that what-if leaves alone
    return cli, config


def everything(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    engine = sa.create_engine(db_url)
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        out = {name: [tuple(r) for r in conn.execute(
            table.select().order_by(*table.primary_key.columns or table.columns))]
            for name, table in meta.tables.items()}
    engine.dispose()
    return out


def file_digest(db_url: str) -> str | None:
    """The SQLite database file's bytes, once every committed page is in it (the
    write-ahead log checkpointed; the shared-memory index changes on reads)."""
    if not db_url.startswith("sqlite"):
        return None
    gc.collect()  # engines the in-process commands left open
    path = Path(db_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as conn:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0
    return hashlib.sha256(path.read_bytes()).hexdigest()


SETS = ["max_change=0.05", "category=Filters min_margin=35%",
        "categories.Hoses.max_price_index=1.02", "proprietary=true elasticity_prior=-1.5"]


def test_whatif_equals_a_real_run_with_that_policy_and_writes_nothing(
        db_url: str, market: tuple[cl.Cli, Path], tmp_path: Path) -> None:
    cli, config = market
    policy = load_config(config).policy
    scenario = parse_set(SETS[0])
    for text in SETS[1:]:
        scenario = scenario.merged(parse_set(text))
    changed_policy = scenario_policy(policy, scenario)
    assert changed_policy.defaults.max_change == 0.05
    assert changed_policy.categories["Filters"].min_margin == 0.35
    assert changed_policy.categories["Hoses"].max_price_index == 1.02
    assert changed_policy.proprietary.elasticity_prior == -1.5

    rows, digest = everything(db_url), file_digest(db_url)
    db = Database(db_url)
    result = what_if(db, policy, scenario, as_of=AS_OF)
    sets = [a for s in SETS for a in ("--set", s)]
    out = json.loads(cli("whatif", *sets, "--as-of", AS_OF.isoformat(), "--format", "json",
                         "--changes"))
    # --out: the file holds what --format would print; the terminal a summary
    said = cli("whatif", *sets, "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "w.json"))
    assert said.strip() == f"what-if: {len(out['categories'])} categories written to " \
        f"{tmp_path / 'w.json'} (json)"
    assert json.loads((tmp_path / "w.json").read_text()) == out
    cli("whatif", *sets, "--as-of", AS_OF.isoformat(), "--changes", "--out",
        str(tmp_path / "changes.csv"))
    with (tmp_path / "changes.csv").open(newline="") as fh:
        changed_csv = list(csv.DictReader(fh))
    db.dispose()
    assert everything(db_url) == rows
    assert file_digest(db_url) == digest

    # the same policy as a real run: the same suggestions, figure for figure
    real = {}
    for name, p in [("before", policy), ("after", changed_policy)]:
        run = run_optimizer(db, p, as_of=AS_OF)
        with db.session() as session:
            real[name] = {s.sku: (s.suggested_price, s.expected_units_after,
                                  s.expected_profit_after, s.binding_constraint,
                                  tuple(s.reason_codes))
                          for s in session.scalars(select(Suggestion)
                                                   .where(Suggestion.run_id == run))}
    db.dispose()
    for name, mine in [("before", result.before), ("after", result.after)]:
        assert {s.sku: (s.suggested_price, pytest.approx(s.expected_units_after, rel=1e-12),
                        s.expected_profit_after, s.binding_constraint, tuple(s.reason_codes))
                for s in mine} == real[name], name
    moved = sorted(sku for sku in real["after"] if real["after"][sku][0] != real["before"][sku][0])
    assert moved and sorted(r["sku"] for r in out["changed"]) == moved
    assert sorted(r["sku"] for r in changed_csv) == moved
    total = out["categories"][-1]
    assert total["category"] == "(all)" and total["changed"] == len(moved)
    assert Decimal(total["profit_after"]) == sum(v[2] for v in real["after"].values())
    assert Decimal(total["profit_before"]) == sum(v[2] for v in real["before"].values())
    by_cat = {c["category"]: c for c in out["categories"][:-1]}
    assert sum(c["changed"] for c in by_cat.values()) == len(moved)
    assert by_cat["Filters"]["changed"] > 0


def test_competitor_and_price_moves(db_url: str, market: tuple[cl.Cli, Path]) -> None:
    cli, config = market
    policy = load_config(config).policy
    db = Database(db_url)
    cut = what_if(db, policy, parse_move("partsmart", "-10%"), as_of=AS_OF)
    before = {s.sku: s for s in cut.before}
    lower = [s for s in cut.after if s.competitor_reference != before[s.sku].competitor_reference]
    assert lower and all(s.competitor_reference < before[s.sku].competitor_reference
                         for s in lower)
    assert cut.changed()  # and the optimizer answers (directly, or through a category's
    # share guard or a proprietary part's cap against its will-fit alternatives)

    raise_ = what_if(db, policy, parse_set("category=Filters proprietary=true price_change=+5%"),
                     as_of=AS_OF)
    db.dispose()
    base = {s.sku: s for s in raise_.before}
    scoped = [s for s in raise_.after if s.category == "Filters" and s.proprietary]
    assert scoped
    for s in raise_.after:
        if s not in scoped:
            assert s == base[s.sku]
            continue
        floor = price_floor(s.unit_cost, policy.resolve("Filters", True)).price
        want = max((s.current_price * Decimal("1.05")).quantize(Decimal("0.01"), ROUND_HALF_UP),
                   floor)
        assert s.suggested_price == want
        units = base[s.sku].expected_units_before * (float(want) / float(s.current_price)) \
            ** base[s.sku].elasticity
        assert s.expected_units_after == pytest.approx(units)


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "max_chnge=0.1"], "what-if policy: max_chnge: unknown key"),
    (["--set", "max_change=2"], "what-if policy: defaults.max_change: Input should be less"),
    (["--set", "category=Belts min_margn=0.3"], "min_margn: not a policy key"),
    (["--set", "max_change"], "write KEY=VALUE"),
    (["--set", "price_change=lots"], "price_change: not a fraction or a percentage: 'lots'"),
    (["--competitor", "nobody", "--move", "-5%"], "--competitor nobody: no listings"),
    (["--competitor", "partsmart"], "give one --move for each --competitor"),
    ([], "nothing to try"),
])
def test_bad_scenarios_are_one_line(sqlite_url: str, tmp_path: Path, args: list[str],
                                    message: str) -> None:
    from tests.support import run_cli

    m = cm.make_market(SEED, 10, 2)
    config = cl.config_dir(m, tmp_path)
    cli = cl.Cli(sqlite_url, config)
    cli("init")
    cli("catalog", "import", str(tmp_path / "catalog.csv"))
    cli("xref", "import", str(tmp_path / "xref.csv"))
    cli("observations", "import", str(cl.write_observations(m, 1, tmp_path / "obs.csv")),
        "--as-of", AS_OF.isoformat())
    result = run_cli("whatif", *args, db_url=sqlite_url, config_dir=config)
    assert result.returncode == 1, result
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_a_scenario_file(sqlite_url: str, tmp_path: Path) -> None:
    from tests.support import run_cli

    m = cm.make_market(SEED, 20, 2)
    config = cl.config_dir(m, tmp_path)
    cli = cl.Cli(sqlite_url, config)
    cli("init")
    cli("catalog", "import", str(tmp_path / "catalog.csv"))
    cli("xref", "import", str(tmp_path / "xref.csv"))
    cli("observations", "import", str(cl.write_observations(m, 1, tmp_path / "obs.csv")),
        "--as-of", AS_OF.isoformat())
    cli("match")
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump({
        "policy": {"defaults": {"max_change": 0.03}},
        "competitors": {"rivet": "-10%"},
        "price_changes": [{"category": "Belts", "change": "+2%"}],
    }), encoding="utf-8")
    result = run_cli("whatif", "--scenario", str(scenario), "--as-of", AS_OF.isoformat(),
                     "--format", "csv", db_url=sqlite_url, config_dir=config)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("category,skus,changed,units_before,units_after,revenue_before")
    assert lines[-1].startswith("(all),20,")
    scenario.write_text(yaml.safe_dump({"policy": {"defaults": {"max_change": "lots"}}}),
                        encoding="utf-8")
    result = run_cli("whatif", "--scenario", str(scenario), db_url=sqlite_url,
                     config_dir=config)
    assert result.returncode == 1 and "defaults.max_change" in result.stderr
