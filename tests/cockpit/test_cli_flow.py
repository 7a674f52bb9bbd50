"""The analyst's path through the real commands, on SQLite and PostgreSQL:
import, match, optimize, report, review, export, history."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pricing.cli import app
from tests.support import CONFIG_DIR, run_cli
from tests.support.flow import CATALOG, OBS, SALES, XREF


@pytest.fixture
def cli(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str) -> str:
        result = runner.invoke(app, ["--db", db_url, "--config", str(CONFIG_DIR), *args])
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.stdout

    for name, text in [("catalog", CATALOG), ("xref", XREF), ("sales", SALES), ("obs", OBS)]:
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    return invoke


def test_analyst_flow(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("init")
    cli("catalog", "import", str(tmp_path / "catalog.csv"))
    cli("xref", "import", str(tmp_path / "xref.csv"))
    cli("sales", "import", str(tmp_path / "sales.csv"))
    cli("observations", "import", str(tmp_path / "obs.csv"))
    cli("match")

    matches = {m["url"]: m for m in json.loads(cli("matches", "--format", "json"))}
    assert matches["https://a.example/p/1"]["sku"] == "NL-2001"  # cross-reference
    assert matches["https://a.example/p/1"]["status"] == "auto"
    assert matches["https://a.example/p/2"]["sku"] == "NL-2002"  # GTIN
    assert matches["https://b.example/p/7"]["sku"] == "NL-2004"  # our own part number
    near_miss = matches["https://b.example/p/9"]  # one character off: a different part
    assert near_miss["status"] != "auto"

    # a person's reject wins over later automatic runs
    hose = matches["https://b.example/p/7"]["id"]
    cli("matches", "reject", str(hose), "--by", "carol", "--note", "different diameter")
    cli("match", "--all")
    rejected = json.loads(cli("matches", "--status", "rejected", "--format", "json"))
    assert [m["id"] for m in rejected] == [hose]

    out = json.loads(cli("optimize", "--format", "json"))
    by_sku = {s["sku"]: s for s in out["suggestions"]}
    assert isinstance(out["run_id"], int) and set(by_sku) == {
        "NL-2001",
        "NL-2002",
        "NL-2003",
        "NL-2004",
    }
    for s in by_sku.values():
        assert {"sku", "current_price", "suggested_price", "unit_cost", "margin", "reasons"} <= set(
            s
        )
        assert s["reasons"]["codes"] and s["reasons"]["text"]
    belt = by_sku["NL-2001"]
    # competitor reference per unit: median of the trusted matched prices (10.00 only)
    assert Decimal(belt["competitor_reference"]) == Decimal("10.00")
    # the Belts cap (1.05 x 10.00 = 10.50) is below the most one run may move (12.00 down
    # 10% = 10.80): the price goes exactly as low as max_change lets it, the cap waits
    assert Decimal(belt["suggested_price"]) == Decimal("10.80")
    assert belt["binding_constraint"] == "MAX_CHANGE_DOWN"
    assert "PRICE_INDEX_CAP_DEFERRED" in belt["reasons"]["codes"]
    hose_s = by_sku["NL-2004"]
    assert hose_s["competitor_count"] == 0  # the rejected listing does not count
    assert Decimal(hose_s["suggested_price"]) >= Decimal("7.50")  # MAP
    assert (
        by_sku["NL-2003"]["proprietary"] is True
        and by_sku["NL-2003"]["competitor_reference"] is None
    )

    cli("report", "--out", str(tmp_path / "report"))
    assert (tmp_path / "report" / "suggestions.xlsx").exists()

    cli("review", "--approve", "--sku", "NL-2001", "--by", "alice", "--why", "matches market")
    cli("review", "--override", "9.49", "--sku", "NL-2002", "--by", "alice", "--why", "promo")
    cli("review", "--reject", "--sku", "NL-2003", "--by", "alice", "--why", "hold")
    export = tmp_path / "erp.csv"
    cli("export", "--out", str(export), "--by", "bob")
    with export.open() as handle:
        exported = {r["sku"]: r for r in csv.DictReader(handle)}
    assert set(exported) == {"NL-2001", "NL-2002"}
    assert exported["NL-2002"]["price"] == "9.49" and exported["NL-2002"]["approved_by"] == "alice"
    assert Decimal(exported["NL-2001"]["price"]) == Decimal(belt["suggested_price"])

    trail = json.loads(cli("review", "--log", "--format", "json"))
    assert [(e["action"], e["by"], e["skus"]) for e in trail] == [
        ("approve", "alice", "NL-2001"),
        ("override", "alice", "NL-2002"),
        ("reject", "alice", "NL-2003"),
        ("export", "bob", str(export)),
    ]
    assert trail[1]["price"] == "9.49" and trail[1]["why"] == "promo" and trail[3]["count"] == 2

    history = json.loads(cli("history", "NL-2002", "--format", "json"))
    ours = [h for h in history if h["competitor"] == "ours"]
    # months of it: our price read from the sales history first (sold at 9.00 since
    # January), then the catalog's 9.00 and the exported override
    assert [(Decimal(h["price"]), h["title"]) for h in ours] == [
        (Decimal("9.00"), "sales history"), (Decimal("9.00"), None), (Decimal("9.49"), None)]
    assert ours[0]["observed_at"].startswith("2026-01-05")
    theirs = [h for h in history if h["competitor"] == "shopa"]
    assert len(theirs) == 1 and Decimal(theirs[0]["unit_price"]) == Decimal("8.50")
    for row in history:
        assert {"sku", "competitor", "observed_at", "price", "currency", "unit_price"} <= set(row)


def test_override_below_the_floor_is_refused(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("init")
    cli("catalog", "import", str(tmp_path / "catalog.csv"))
    cli("optimize")
    # Filters floor: 4.00 / (1 - 0.30) = 5.72
    result = run_cli(
        "review", "--override", "5.00", "--sku", "NL-2002", "--why", "clearance", db_url=db_url
    )
    assert result.returncode == 1
    assert "NL-2002: override 5.00 is below the floor 5.72" in result.stderr
    pending = json.loads(cli("review", "--sku", "NL-2002", "--format", "json"))
    assert [p["review_status"] for p in pending] == ["pending"]


def test_optimize_and_report_take_as_of(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A replayed season: competitor prices seen on 2027-03-01 count in a run made as of
    2027-03-02, and are stale (max_age_days 14) in one made as of 2027-04-01."""
    cli("init")
    cli("catalog", "import", str(tmp_path / "catalog.csv"))
    cli("xref", "import", str(tmp_path / "xref.csv"))
    obs = tmp_path / "dated.csv"
    obs.write_text(
        "competitor,url,title,price,currency,brand,part_number,observed_at\n"
        "shopa,https://a.example/p/1,Beltco V-belt,10.00,USD,Beltco,B-6PK1220,"
        "2027-03-01T08:00:00Z\n",
        encoding="utf-8",
    )
    # the importer's clock is set the same way (a price seen "in the future" is refused)
    cli("observations", "import", str(obs), "--as-of", "2027-03-01T09:00:00Z")
    cli("match")

    def belt(*args: str) -> tuple[dict[str, object], int]:
        out = json.loads(cli("optimize", "--format", "json", *args))
        return next(s for s in out["suggestions"] if s["sku"] == "NL-2001"), out["run_id"]

    fresh, fresh_run = belt("--as-of", "2027-03-02")
    assert fresh["competitor_count"] == 1 and Decimal(fresh["competitor_reference"]) == Decimal("10.00")
    stale, _ = belt("--as-of", "2027-04-01T06:00:00+02:00")
    assert stale["competitor_count"] == 0
    runs = json.loads(cli("review", "--log", "--run", str(fresh_run), "--format", "json"))
    assert runs == []  # a run made as of a date is a normal run: nothing decided yet

    report = tmp_path / "report"
    cli("report", "--run", str(fresh_run), "--out", str(report), "--as-of", "2027-03-02")
    assert (report / "suggestions.csv").is_file()

    for command in (["optimize"], ["report", "--out", str(report)]):
        bad = run_cli(*command, "--as-of", "2027-13-01", db_url=db_url)
        assert bad.returncode == 1
        assert bad.stderr.strip().splitlines() == [
            "error: --as-of: '2027-13-01' is not a date or date-time (use YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM:SS, optionally with +HH:MM)"
        ]
