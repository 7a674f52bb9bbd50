"""One definition of the competitor prices that count, read the same by every view.

A market where the views used to disagree: a listing in EUR (counted, converted at the
rate of the day), one out of stock (not counted), a 4-pack stated only in its title
(counted per unit), and for the proprietary part a dealer reselling it (counted) and a
will-fit alternative (a ceiling, not the reference). The optimizer's reference, market
position and the report's listings table must tell the same story, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal
from pathlib import Path

import pytest

from pricing import imports
from pricing.config import load_config
from pricing.market_position import sku_positions
from pricing.matching.units import effective_pack, unit_price
from pricing.observations import ObservationIn
from pricing.pipeline.match import run_matching
from pricing.pipeline.optimize import run_optimizer
from pricing.reports.nightly import load_report
from pricing.storage import Database
from pricing.storage.models import Suggestion, utcnow
from tests.support import CONFIG_DIR

NOW = utcnow().replace(microsecond=0)
CATALOG = """sku,part_number,description,brand,category,family,unit_cost,price,currency,pack_qty,proprietary,gtin,map_price
NL-3001,NL-3001,Oil filter spin-on,Northline,Filters,oil-filter,4.00,9.00,USD,1,false,,
NL-3002,NL-3002,Injector pump seal kit,Northline,Seals,seal-kit,20.00,60.00,USD,1,true,,
"""
# competitor, url, title, price, currency, brand, part number, pack, availability
OBS = [
    ("shopa", "https://a.example/1", "Oil filter NL-3001", "8.60", "USD", "Northline", "NL-3001", 1, "InStock"),
    ("gearhub", "https://g.example/1", "Ölfilter NL-3001", "8.00", "EUR", "Northline", "NL-3001", 1, "InStock"),
    ("shopb", "https://b.example/1", "Oil filter NL-3001", "5.00", "USD", "Northline", "NL-3001", 1, "OutOfStock"),
    ("shopc", "https://c.example/1", "Oil filter NL-3001 (pack of 4)", "33.00", "USD", "Northline", "NL-3001", 1, "InStock"),
    ("dealer", "https://d.example/1", "Injector pump seal kit NL-3002", "58.00", "USD", "Northline", "NL-3002", 1, "InStock"),
    ("willfit", "https://w.example/1", "Pump seal kit - replaces NL-3002", "30.00", "USD", "Sealco", "SC-77", 1, "InStock"),
]


@pytest.fixture
def market(db: Database, tmp_path: Path) -> Database:
    (tmp_path / "catalog.csv").write_text(CATALOG, encoding="utf-8")
    imports.import_catalog(db, tmp_path / "catalog.csv")
    seen = (NOW - dt.timedelta(days=1)).isoformat()
    rows = ["competitor,url,title,price,currency,brand,part_number,pack_qty,availability,observed_at"]
    rows += [",".join((*map(str, o), seen)) for o in OBS]
    (tmp_path / "obs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    imports.import_observations(db, tmp_path / "obs.csv")
    config = load_config(CONFIG_DIR)
    run_matching(db, config.matching)
    run_optimizer(db, config.policy)
    return db


def test_the_report_lists_exactly_the_prices_the_optimizer_counted(market: Database) -> None:
    config = load_config(CONFIG_DIR)
    eur = config.policy.fx.table("USD").rate("EUR", NOW.date())
    with market.session() as session:
        report = load_report(session, details=True, as_of=NOW)
        details = report.details
        suggestions = {s.sku: s for s in session.query(Suggestion)}
        positions = {p.sku: p for p in sku_positions(session, config.policy, as_of=NOW)}

    assert "NL-3001" in details, "the filter's price moves, so the report details it"
    listed = {li.competitor: li for li in details["NL-3001"].listings}
    # out of stock: not counted, so not listed; EUR converted; the title's 4-pack per unit
    assert set(listed) == {"shopa", "gearhub", "shopc"}
    assert listed["gearhub"].currency == "USD"
    assert listed["gearhub"].unit_price == (Decimal("8.00") * eur).quantize(Decimal("0.0001"))
    assert listed["gearhub"].original == "8.00 EUR"
    assert listed["shopc"].unit_price == Decimal("8.25") and listed["shopc"].original == "33.00 USD for 4"
    # the optimizer's reference (median) is the median of exactly those rows
    filt = suggestions["NL-3001"]
    assert filt.competitor_count == 3
    assert filt.competitor_reference == statistics.median(li.unit_price for li in listed.values()).quantize(Decimal("0.01"))
    assert positions["NL-3001"].competitors == 3
    assert positions["NL-3001"].reference == filt.competitor_reference

    # the proprietary kit: the dealer is the reference; the will-fit part a ceiling only
    kit = {li.competitor: li.relation for li in details["NL-3002"].listings}
    assert kit == {"dealer": "same", "willfit": "alternative"}
    assert suggestions["NL-3002"].competitor_count == 1
    assert suggestions["NL-3002"].competitor_reference == Decimal("58.00")
    assert positions["NL-3002"].competitors == 1
    assert positions["NL-3002"].reference == Decimal("58.00")


def test_the_stored_unit_price_follows_the_same_pack_rule() -> None:
    seen = ObservationIn("shopc", "https://c.example/1", "Oil filter (pack of 4)", NOW,
                         Decimal("33.00"), "USD")
    assert effective_pack(seen.pack_qty, seen.title) == (4, True)
    assert seen.unit_price == unit_price(Decimal("33.00"), 4) == Decimal("8.2500")
    # half-even at the fourth decimal, as every view rounds
    assert unit_price(Decimal("0.00025"), 1) == Decimal("0.0002")
