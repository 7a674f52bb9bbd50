"""The category manager's questions, on SQLite and PostgreSQL: where we stand against
the market per category, and which competitors moved their prices most over a period
(``pricing market-position``, ``pricing competitor-moves``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pricing import imports
from pricing.cli import app
from pricing.config import load_config
from pricing.market_position import competitor_moves, market_position
from pricing.observations import ObservationIn, store_observations
from pricing.pipeline.match import run_matching
from pricing.storage import Database
from pricing.storage.models import CrawlRun, utcnow
from tests.support import CONFIG_DIR
from tests.support.flow import CATALOG, XREF

NOW = utcnow().replace(microsecond=0)


def days_ago(n: int) -> str:
    return (NOW - dt.timedelta(days=n)).isoformat()


# (competitor, url, title, price, brand, part_number, gtin, pack_qty, days ago)
PRICES = [
    # the belt NL-2001 (12.00): cross-referenced at shopa and shopc; median 11.00 -> above
    ("shopa", "https://a.example/p/1", "Beltco V-belt", "10.00", "Beltco", "B-6PK1220", "", 1, 40),
    ("shopa", "https://a.example/p/1", "Beltco V-belt", "11.00", "Beltco", "B-6PK1220", "", 1, 20),
    ("shopc", "https://c.example/p/3", "Beltco belt", "12.00", "Beltco", "B 6PK1220", "", 1, 25),
    ("shopc", "https://c.example/p/3", "Beltco belt", "11.00", "Beltco", "B 6PK1220", "", 1, 1),
    ("shopa", "https://a.example/p/1", "Beltco V-belt", "11.00", "Beltco", "B-6PK1220", "", 1, 1),
    # the filter NL-2002 (9.00) by GTIN, a 4-pack at 36.00: 9.00 a unit -> at the market
    ("shopa", "https://a.example/p/2", "Oil filter", "36.00", "Filtrex", "FX-1", "4006381333931", 4, 40),
    ("shopa", "https://a.example/p/2", "Oil filter", "36.00", "Filtrex", "FX-1", "4006381333931", 4, 5),
    # the hose NL-2004 (8.00) by our part number at 10.00 -> below; moved down 10%
    ("shopb", "https://b.example/p/7", "Radiator hose", "10.00", "Northline", "NL-2004", "", 1, 60),
    ("shopb", "https://b.example/p/7", "Radiator hose", "9.00", "Northline", "NL-2004", "", 1, 2),
    ("shopb", "https://b.example/p/7", "Radiator hose", "10.00", "Northline", "NL-2004", "", 1, 1),
]


@pytest.fixture
def market(db: Database, tmp_path: Path) -> Database:
    for name, text in [("catalog", CATALOG), ("xref", XREF)]:
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    imports.import_catalog(db, tmp_path / "catalog.csv")
    imports.import_xrefs(db, tmp_path / "xref.csv")
    rows = ["competitor,url,title,price,currency,brand,part_number,gtin,pack_qty,observed_at"]
    rows += [f"{c},{u},{t},{p},USD,{b},{pn},{g},{q},{days_ago(n)}"
             for c, u, t, p, b, pn, g, q, n in PRICES]
    (tmp_path / "obs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    imports.import_observations(db, tmp_path / "obs.csv")
    run_matching(db, load_config(CONFIG_DIR).matching)
    # a suspect crawl saw the filter at 50.00: it must move nothing
    with db.session() as session:
        run = CrawlRun(competitor="shopa", status="suspect", note="far fewer items")
        session.add(run)
        session.flush()
        store_observations(session, [ObservationIn(
            "shopa", "https://a.example/p/2", "Oil filter", NOW - dt.timedelta(hours=3),
            Decimal("200.00"), "USD", brand="Filtrex", part_number="FX-1",
            gtin="4006381333931", pack_qty=4)], crawl_run_id=run.id)
    return db


def test_market_position_counts_skus_above_at_and_below(market: Database) -> None:
    policy = load_config(CONFIG_DIR).policy
    with market.session() as session:
        cats = {c.category: c for c in market_position(session, policy)}
        skus = {p.sku: p for c in cats.values() for p in c.items}
    assert skus["NL-2001"].reference == Decimal("11.0000") and skus["NL-2001"].position == "above"
    assert skus["NL-2002"].index == Decimal("1.0000") and skus["NL-2002"].position == "at"
    assert skus["NL-2004"].index == Decimal("0.8000") and skus["NL-2004"].position == "below"
    assert skus["NL-2003"].position == "none"  # proprietary: nobody sells it
    assert (cats["Belts"].above, cats["Filters"].at, cats["Hoses"].below) == (1, 1, 1)
    assert cats["Electrical"].compared == 0 and cats["Electrical"].without_reference == 1
    assert cats["Belts"].median_index == Decimal("1.0909")


def test_market_position_converts_other_currencies_like_the_optimizer(market: Database) -> None:
    """A shop pricing the hose NL-2004 in EUR counts, converted at the shipped config's
    rate for the day it was seen (1.08): median of 10.00 and 9.00 EUR x 1.08 = 9.72."""
    config = load_config(CONFIG_DIR)
    with market.session() as session:
        store_observations(session, [ObservationIn(
            "shopd", "https://d.example/p/9", "Kühlerschlauch", NOW - dt.timedelta(hours=2),
            Decimal("9.00"), "EUR", brand="Northline", part_number="NL-2004")])
    run_matching(market, config.matching)
    with market.session() as session:
        skus = {p.sku: p for c in market_position(session, config.policy) for p in c.items}
    assert skus["NL-2004"].competitors == 2
    assert skus["NL-2004"].reference == Decimal("9.8600")
    assert skus["NL-2004"].index == Decimal("0.8114")


def test_competitor_moves_rank_who_moved_most(market: Database) -> None:
    with market.session() as session:
        moves = competitor_moves(session, NOW - dt.timedelta(days=30), NOW)
    by_name = {m.competitor: m for m in moves}
    assert [m.competitor for m in moves] == ["shopa", "shopc", "shopb"]
    shopa = by_name["shopa"]
    # the belt 10.00 (before the period) -> 11.00; the filter steady, its suspect price ignored
    assert (shopa.listings, shopa.moved, shopa.skus_moved, shopa.up, shopa.down) == (2, 1, 1, 1, 0)
    assert shopa.median_change == Decimal("0.1000") and shopa.largest_sku == "NL-2001"
    shopb = by_name["shopb"]  # 10.00 -> 9.00 -> 10.00: back where it started
    assert (shopb.moved, shopb.price_changes, shopb.net_change) == (0, 2, Decimal("0.0000"))
    assert shopa.price_changes == 1  # 11.00 inside the period; 10.00 came before it
    shopc = by_name["shopc"]  # first seen inside the period at 12.00, now 11.00
    assert (shopc.moved, shopc.down, shopc.median_change) == (1, 1, Decimal("-0.0833"))

    with market.session() as session:
        recent = {m.competitor: m for m in competitor_moves(session, NOW - dt.timedelta(hours=36))}
    assert recent["shopb"].up == 1 and recent["shopb"].median_change == Decimal("0.1111")
    with market.session() as session:
        belts = competitor_moves(session, NOW - dt.timedelta(days=30), category="Belts")
    assert {m.competitor for m in belts} == {"shopa", "shopc"}


@pytest.fixture
def cli(market: Database) -> Callable[..., str]:
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", market.url, "--config", str(CONFIG_DIR), *args])
        assert result.exit_code == code, (args, result.output, result.exception)
        # `pricing` prints a PricingError as one line; the runner hands it back instead
        return result.stdout if code == 0 else f"{result.output}{result.exception}"

    return invoke


def test_cli_answers_as_table_csv_and_json(cli: Callable[..., str]) -> None:
    cats = {c["category"]: c for c in json.loads(cli("market-position", "--format", "json"))}
    assert cats["Hoses"]["below"] == 1 and cats["Hoses"]["median_index"] == "0.8000"
    assert cats["Belts"]["coverage"] == 1.0
    skus = list(csv.DictReader(io.StringIO(
        cli("market-position", "--category", "Filters", "--skus", "--format", "csv"))))
    assert [(s["sku"], s["position"], s["index"]) for s in skus] == [("NL-2002", "at", "1.0000")]
    assert "Market position by category" in cli("market-position")

    since = (NOW - dt.timedelta(days=30)).date().isoformat()
    moves = json.loads(cli("competitor-moves", "--since", since, "--format", "json"))
    assert [m["competitor"] for m in moves] == ["shopa", "shopc", "shopb"]
    assert moves[0]["median_change"] == "0.1000"
    rows = list(csv.DictReader(io.StringIO(
        cli("competitor-moves", "--since", since, "--listings", "--format", "csv"))))
    # a fall is a number in the CSV, not a neutralized formula
    assert [(r["competitor"], r["sku"], r["change"]) for r in rows] == [
        ("shopa", "NL-2001", "0.1000"), ("shopc", "NL-2001", "-0.0833")]
    assert "Competitor moves" in cli("competitor-moves", "--since", since)
    assert "no category 'Nope'" in cli("market-position", "--category", "Nope", code=1)
