"""Nothing wrong reaches the ERP (issue 14, review and export), on SQLite and PostgreSQL.

Approval and export re-check each price against the catalog and policy in force; a run
is exported once (a database constraint), never over a newer export; the ERP file keeps
identifiers exactly; typed prices are bounded. A property test drives random sequences
of review, export, catalog re-import and optimize and checks every exported file
against the floor in force, computed here from the catalog and the policy's margins.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from pricing import imports
from pricing.cli import app
from pricing.config import load_config
from pricing.errors import PricingError
from pricing.export import export_approved
from pricing.optimizer.constraints import hard_box, part_bounds, price_floor
from pricing.optimizer.inputs import PartInput
from pricing.pipeline.optimize import run_optimizer
from pricing.review import ReviewFilter, decide, parse_price, selected
from pricing.settings import Settings
from pricing.storage import Database
from pricing.storage.models import OurPrice, Part, PriceExport, Suggestion, SuggestionRun
from pricing.web.app import create_app
from pricing.web.auth import AuthConfig
from pricing.web.server import BackgroundServer
from tests.support import CONFIG_DIR, run_cli

POLICY = load_config(CONFIG_DIR).policy
TOKEN = "export-token-0123456789abcdef"
HEADER = ("sku,part_number,description,brand,category,family,unit_cost,price,currency,"
          "pack_qty,proprietary,gtin,map_price\n")
# sku: (part_number, category, unit_cost, price, currency, map_price); Belts and Hoses
# take the default min_margin 0.25, Filters 0.30 (config/pricing.yaml)
PARTS: dict[str, tuple[str, str, str, str, str, str]] = {
    "NL-2001": ("NL-2001", "Belts", "6.00", "12.00", "USD", ""),
    "NL-2002": ("NL-2002", "Filters", "4.00", "9.00", "USD", ""),
    "NL-2004": ("NL-2004", "Hoses", "5.00", "8.00", "USD", "7.50"),
    "=ABC": ("+123", "Belts", "5.00", "10.00", "USD", ""),
    "@X-1": ("-77", "Hoses", "5.00", "10.00", "USD", ""),
}
MARGIN = {"Belts": Decimal("0.25"), "Filters": Decimal("0.30"), "Hoses": Decimal("0.25")}


def write_catalog(path: Path, changes: dict[str, dict[str, str]] | None = None) -> Path:
    lines = [HEADER]
    for sku, (number, category, cost, price, currency, map_price) in PARTS.items():
        row = {"cost": cost, "price": price, "currency": currency, "map": map_price}
        row.update((changes or {}).get(sku, {}))
        lines.append(f"{sku},{number},part {sku},Northline,{category},fam-{sku},{row['cost']},"
                     f"{row['price']},{row['currency']},1,false,,{row['map']}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def import_catalog(db: Database, folder: Path, changes: dict[str, dict[str, str]] | None = None,
                   ) -> None:
    imports.import_catalog(db, write_catalog(folder / "catalog.csv", changes))


def optimize(db: Database) -> int:
    return run_optimizer(db, POLICY)


def approve_all(db: Database, run_id: int) -> None:
    with db.session() as session:
        rows = selected(session, run_id, ReviewFilter())
        decide(session, rows, action="approve", who="alice", why="weekly", policy=POLICY)


def suggestions(db: Database, run_id: int) -> dict[str, Suggestion]:
    with db.session() as session:
        return {s.sku: s for s in session.scalars(
            select(Suggestion).where(Suggestion.run_id == run_id))}


@dataclass(frozen=True)
class Price:
    sku: str
    effective_at: object
    price: Decimal
    source: str


def history(db: Database, sku: str | None = None) -> list[Price]:
    """Our price history, as rows to compare."""
    with db.session() as session:
        stmt = select(OurPrice).order_by(OurPrice.sku, OurPrice.effective_at)
        if sku is not None:
            stmt = stmt.where(OurPrice.sku == sku)
        return [Price(h.sku, h.effective_at, h.price, h.source) for h in session.scalars(stmt)]


def read_rows(text: str) -> dict[str, dict[str, str]]:
    return {r["sku"]: r for r in csv.DictReader(io.StringIO(text))}


def cli(db: Database, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", db.url, "--config", str(CONFIG_DIR), *args])
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


@pytest.fixture
def priced(db: Database, tmp_path: Path) -> tuple[Database, int]:
    """The test catalog, one suggestion run."""
    import_catalog(db, tmp_path)
    return db, optimize(db)


# --- re-checks at approval and export -----------------------------------------------


def test_a_cost_or_map_rise_after_approval_is_left_out_and_reported(
    priced: tuple[Database, int], tmp_path: Path
) -> None:
    db, run_id = priced
    approve_all(db, run_id)
    before = history(db)
    # the belt's cost triples (floor 21.00 / 0.75 = 28.00); the hose's MAP goes to 30.00
    import_catalog(db, tmp_path, {"NL-2001": {"cost": "21.00"}, "NL-2004": {"map": "30.00"}})
    out = tmp_path / "erp.csv"
    said = cli(db, "export", "--run", str(run_id), "--out", str(out), "--by", "bob")

    exported = read_rows(out.read_text(encoding="utf-8"))
    assert set(exported) == {"NL-2002", "=ABC", "@X-1"}
    belt = suggestions(db, run_id)["NL-2001"].suggested_price.quantize(Decimal("0.01"))
    assert (f"left out NL-2001: approved price {belt} is below the floor 28.00 in force "
            "(margin floor)") in said
    assert "left out NL-2004: approved price" in said and "below the floor 30.00 in force (MAP)" in said
    assert "exported 3 approved prices to" in said and "2 left out" in said
    # neither left-out price became current or entered the history
    after = history(db)
    assert [(h.sku, h.price) for h in after if h.sku in ("NL-2001", "NL-2004")] == [
        (h.sku, h.price) for h in before if h.sku in ("NL-2001", "NL-2004")]
    trail = json.loads(cli(db, "review", "--run", str(run_id), "--log", "--format", "json"))
    export = [e for e in trail if e["action"] == "export"]
    assert len(export) == 1 and export[0]["count"] == 3 and export[0]["by"] == "bob"
    assert export[0]["why"].startswith("2 left out: NL-2001: approved price")
    with db.session() as session:
        record = session.scalar(select(PriceExport).where(PriceExport.run_id == run_id))
        assert record is not None and [e["sku"] for e in record.left_out] == ["NL-2001", "NL-2004"]


def test_approval_below_the_floor_in_force_is_refused(
    priced: tuple[Database, int], tmp_path: Path
) -> None:
    db, run_id = priced
    import_catalog(db, tmp_path, {"NL-2001": {"cost": "21.00"}, "NL-2002": {"currency": "EUR"}})
    refused = run_cli("review", "--run", str(run_id), "--approve", "--sku", "NL-2001",
                      db_url=db.url)
    assert refused.returncode == 1
    belt = suggestions(db, run_id)["NL-2001"].suggested_price.quantize(Decimal("0.01"))
    assert refused.stderr.strip().splitlines() == [
        f"error: NL-2001: suggested price {belt} is below the floor 28.00 in force "
        "(margin floor); nothing approved"]
    currency = run_cli("review", "--run", str(run_id), "--approve", "--sku", "NL-2002",
                       db_url=db.url)
    assert currency.returncode == 1
    assert ("NL-2002: the catalog's currency is now EUR; the run priced it in USD; "
            "nothing approved") in currency.stderr
    # a whole-selection approval goes through for the SKUs that pass; the two that
    # fail stay pending and are reported, one line each (one bad SKU blocks no other)
    with db.session() as session:
        done = decide(session, selected(session, run_id, ReviewFilter()), action="approve",
                      who="alice", why=None, policy=POLICY)
    assert [line.split(":")[0] for line in done.refused] == ["NL-2001", "NL-2002"]
    status = {sku: s.review_status for sku, s in suggestions(db, run_id).items()}
    assert status["NL-2001"] == status["NL-2002"] == "pending"
    assert {v for k, v in status.items() if k not in ("NL-2001", "NL-2002")} == {"approved"}
    assert done.count == len(status) - 2
    # the override path uses the same floor: 28.00 is allowed, 27.99 is not
    cli(db, "review", "--run", str(run_id), "--override", "28.00", "--sku", "NL-2001",
        "--why", "cost rise")
    with db.session() as session, pytest.raises(PricingError, match="below the floor 28.00"):
        decide(session, selected(session, run_id, ReviewFilter(skus=("NL-2001",), status=None)),
               action="override", who="alice", why="x", policy=POLICY,
               override_price=Decimal("27.99"))


def test_an_older_run_is_refused_after_a_newer_export(
    priced: tuple[Database, int], tmp_path: Path
) -> None:
    db, older = priced
    import_catalog(db, tmp_path, {"NL-2002": {"price": "8.50"}})
    newer = optimize(db)
    approve_all(db, older)
    approve_all(db, newer)
    cli(db, "export", "--run", str(newer), "--out", str(tmp_path / "new.csv"), "--by", "tester")
    prices = {p.sku: p.price for p in _parts(db)}
    stored = history(db)

    refused = run_cli("export", "--run", str(older), "--out", str(tmp_path / "old.csv"),
                      db_url=db.url)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: run {older} is older than run {newer}, exported at ")
    assert lines[0].endswith(" UTC by tester: exporting it would put older prices back "
                             "(make a new run with `pricing optimize`)")
    assert not (tmp_path / "old.csv").exists()
    assert {p.sku: p.price for p in _parts(db)} == prices and history(db) == stored
    with db.session() as session:
        assert session.scalar(select(func.count(PriceExport.id))) == 1


def _parts(db: Database) -> list[Part]:
    with db.session() as session:
        return list(session.scalars(select(Part)))


def test_exporting_the_same_run_twice_writes_history_once(
    priced: tuple[Database, int], tmp_path: Path
) -> None:
    db, run_id = priced
    approve_all(db, run_id)
    out = tmp_path / "erp.csv"
    cli(db, "export", "--run", str(run_id), "--out", str(out), "--by", "bob")
    first = out.read_bytes()
    exported = history(db)
    changed = {s.sku for s in suggestions(db, run_id).values()
               if s.suggested_price != s.current_price}
    assert changed and {h.sku for h in exported if h.source == f"export:run{run_id}"} == changed

    out.unlink()
    again = cli(db, "export", "--run", str(run_id), "--out", str(out), "--by", "carol")
    assert f"run {run_id} was already exported at" in again and "by bob" in again
    assert "nothing new written to the price history" in again
    assert out.read_bytes() == first  # the same file, written again
    assert history(db) == exported
    trail = json.loads(cli(db, "review", "--run", str(run_id), "--log", "--format", "json"))
    assert [e["by"] for e in trail if e["action"] == "export"] == ["bob"]
    # an exported run takes no more decisions: they could never reach the ERP
    with db.session() as session, pytest.raises(PricingError, match="was exported to the ERP"):
        decide(session, selected(session, run_id, ReviewFilter(status="approved")),
               action="reject", who="alice", why=None, policy=POLICY)


def test_the_erp_file_keeps_identifiers_exactly(
    priced: tuple[Database, int], tmp_path: Path
) -> None:
    db, run_id = priced
    approve_all(db, run_id)
    out = tmp_path / "erp.csv"
    cli(db, "export", "--run", str(run_id), "--out", str(out))
    text = out.read_text(encoding="utf-8")
    rows = read_rows(text)
    assert rows["=ABC"]["part_number"] == "+123" and rows["@X-1"]["part_number"] == "-77"
    assert "'" not in text
    # the report people open in a spreadsheet keeps its formula guard
    cli(db, "report", "--run", str(run_id), "--out", str(tmp_path / "report"))
    report = (tmp_path / "report" / "suggestions.csv").read_text(encoding="utf-8")
    assert "'=ABC" in report and "'@X-1" in report


# --- typed prices -------------------------------------------------------------------


BAD_PRICES = [
    ("NaN", "NaN is not a finite price"),
    ("Infinity", "Infinity is not a finite price"),
    ("1e30", "1E+30 is above the largest price allowed, 1,000,000,000"),
    ("1000000000.01", "1000000000.01 is above the largest price allowed"),
    ("-5", "-5 is not a positive price"),
    ("0", "0 is not a positive price"),
    ("0.001", "0.001 has more than two decimals"),
    ("12.345", "12.345 has more than two decimals"),
    ("twelve", "not a price: 'twelve'"),
]


@pytest.mark.parametrize(("typed", "reason"), BAD_PRICES)
def test_typed_prices_out_of_range_are_refused(typed: str, reason: str) -> None:
    with pytest.raises(PricingError) as refused:
        parse_price(typed, "--override")
    assert str(refused.value).startswith("--override: ") and reason in str(refused.value)


def test_override_nan_infinity_and_1e30_are_one_line_errors_in_the_cli(
    sqlite_db: Database, tmp_path: Path
) -> None:
    import_catalog(sqlite_db, tmp_path)
    optimize(sqlite_db)
    for typed, reason in BAD_PRICES[:3]:
        result = run_cli("review", "--override", typed, "--sku", "NL-2001", "--why", "typo",
                         db_url=sqlite_db.url)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [f"error: --override: {reason}"]
    assert parse_price("12.50", "--override") == Decimal("12.50")


# --- concurrency, through the web API -------------------------------------------------


@dataclass
class Api:
    url: str
    export_dir: Path


@pytest.fixture
def api(priced: tuple[Database, int], tmp_path: Path) -> Iterator[Api]:
    db, _ = priced
    export_dir = tmp_path / "exports"
    auth = AuthConfig(users={}, tokens={TOKEN: "ci-bot"})
    web = create_app(Settings(database_url=db.url, config_dir=CONFIG_DIR), auth=auth,
                     export_dir=export_dir)
    with BackgroundServer(web) as server:
        yield Api(server.url, export_dir)


def test_twenty_simultaneous_exports_record_one(
    priced: tuple[Database, int], api: Api
) -> None:
    db, run_id = priced
    approve_all(db, run_id)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answers: list[httpx.Response] = []
    start = threading.Barrier(20)

    def export() -> None:
        with httpx.Client(base_url=api.url, timeout=120) as client:
            start.wait()
            answers.append(client.post(f"/api/runs/{run_id}/export", headers=auth))

    threads = [threading.Thread(target=export) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers]
    assert sorted(a.headers["x-export-repeat"] for a in answers) == ["false"] + ["true"] * 19
    bodies = {a.content for a in answers}
    assert len(bodies) == 1
    rows = read_rows(bodies.pop().decode("utf-8"))
    assert set(rows) == set(PARTS)
    files = list(api.export_dir.iterdir())
    assert [f.name for f in files] == [f"price-list-run{run_id}.csv"]  # no temporary left
    assert read_rows(files[0].read_text(encoding="utf-8")) == rows
    with db.session() as session:
        assert session.scalar(select(func.count(PriceExport.id))) == 1
        written = list(session.scalars(
            select(OurPrice.sku).where(OurPrice.source == f"export:run{run_id}")))
        run = session.get(SuggestionRun, run_id)
        assert run is not None and len(run.summary["exports"]) == 1
    assert sorted(written) == sorted(set(written))  # each price at most once
    changed = {s.sku for s in suggestions(db, run_id).values()
               if s.suggested_price != s.current_price}
    assert set(written) == changed


def test_api_export_reports_left_out_prices_and_bounds_override_prices(
    priced: tuple[Database, int], api: Api, tmp_path: Path
) -> None:
    db, run_id = priced
    approve_all(db, run_id)
    import_catalog(db, tmp_path, {"NL-2001": {"cost": "21.00"}})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=api.url, timeout=60) as client:
        review = f"/api/runs/{run_id}/review"
        # refused by the request schema (422) or by the price rule (400): never a 500,
        # never a decision
        for price in ["NaN", "Infinity", "1e30", "0", "12.345"]:
            resp = client.post(review, headers=auth, json={
                "action": "override", "skus": ["NL-2002"], "price": price, "why": "x"})
            assert resp.status_code in (400, 422), (price, resp.text)
        resp = client.post(f"/api/runs/{run_id}/export",
                           headers={**auth, "Accept": "application/json"})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["already_exported"] is False and body["rows"] == len(PARTS) - 1
        assert [e["sku"] for e in body["left_out"]] == ["NL-2001"]
        assert "below the floor 28.00 in force (margin floor)" in body["left_out"][0]["reason"]
        assert "NL-2001" not in read_rows(body["content"])
        again = client.post(f"/api/runs/{run_id}/export", headers=auth)
        assert again.headers["x-export-repeat"] == "true"
        assert again.headers["x-export-left-out"] == "1"
        assert again.text == body["content"]


# --- one floor ----------------------------------------------------------------------


def _oracle_floor(cost: Decimal, margin: Decimal, map_price: Decimal | None) -> Decimal:
    """The SPEC's floor, written out: cost / (1 - min_margin) and MAP, up to the cent."""
    cent = Decimal("0.01")
    floor = (cost / (1 - margin)).quantize(cent, ROUND_CEILING)
    if map_price is not None:
        floor = max(floor, map_price.quantize(cent, ROUND_CEILING))
    return max(floor, cent)


money = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=4)


@settings(max_examples=300, deadline=None)
@given(cost=money, margin=st.sampled_from(["0", "0.1", "0.25", "0.3", "0.333", "0.9999"]),
       map_price=st.none() | money, price=money.filter(lambda p: p > 0))
def test_review_and_the_optimizer_share_one_floor(
    cost: Decimal, margin: str, map_price: Decimal | None, price: Decimal
) -> None:
    rp = POLICY.resolve("Belts", False, row_min_margin=Decimal(margin), row_map_price=map_price)
    part = PartInput(sku="S", category="Belts", family="f", proprietary=False, unit_cost=cost,
                     current_price=price, currency="USD", pack_qty=1, map_price=map_price,
                     min_margin=Decimal(margin), tier=None, competitor_unit_prices=[],
                     competitor_currency=None)
    box = hard_box(part_bounds([part], [rp], "USD"))
    floor = price_floor(cost, rp)
    assert floor.price == _oracle_floor(cost, Decimal(margin), map_price)
    assert int(box.floor[0]) == int(floor.price.scaleb(2))


# --- the property: no sequence puts a price below the floor in force into the file ---


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with the test catalog, copied for every example."""
    folder = tmp_path_factory.mktemp("template")
    db = Database(f"sqlite:///{folder / 'pricing.db'}")
    db.upgrade()
    import_catalog(db, folder)
    db.dispose()
    return folder / "pricing.db"


SKUS = sorted(PARTS)
costs = st.sampled_from(["2.00", "5.00", "6.00", "9.99", "21.00", "40.00"])
maps = st.sampled_from(["", "", "7.50", "12.00", "30.00"])
steps = st.one_of(
    st.tuples(st.just("optimize")),
    st.tuples(st.just("reimport"), st.sampled_from(SKUS), costs, maps),
    st.tuples(st.just("approve"), st.lists(st.sampled_from(SKUS), min_size=1, unique=True)),
    st.tuples(st.just("override"), st.sampled_from(SKUS),
              st.decimals(min_value=Decimal("0.01"), max_value=Decimal("80"), places=2)),
    st.tuples(st.just("export"), st.integers(min_value=0, max_value=2)),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=st.lists(steps, min_size=1, max_size=12))
def test_no_sequence_exports_a_price_below_the_floor_in_force(
    template: Path, tmp_path_factory: pytest.TempPathFactory, sequence: list[tuple[Any, ...]]
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    shutil.copyfile(template, folder / "pricing.db")
    db = Database(f"sqlite:///{folder / 'pricing.db'}")
    catalog: dict[str, dict[str, str]] = {}
    runs: list[int] = []
    try:
        for step in [("optimize",), *sequence]:
            kind = step[0]
            try:
                if kind == "optimize":
                    runs.append(optimize(db))
                elif kind == "reimport":
                    _, sku, cost, map_price = step
                    catalog[str(sku)] = {"cost": str(cost), "map": str(map_price)}
                    import_catalog(db, folder, catalog)
                elif kind in ("approve", "override") and runs:
                    skus = tuple(step[1]) if kind == "approve" else (str(step[1]),)
                    with db.session() as session:
                        rows = selected(session, runs[-1], ReviewFilter(skus=skus, status=None))
                        decide(session, rows, action=kind, who="p", why="p", policy=POLICY,
                               override_price=step[2] if kind == "override" else None)
                elif kind == "export" and runs:
                    run_id = runs[-1 - min(int(step[1]), len(runs) - 1)]
                    out = folder / f"erp-{run_id}.csv"
                    result = export_approved(db, run_id, "p", POLICY, out)
                    checked = _check_against_floor(db, out.read_text(encoding="utf-8"))
                    event(f"exported {'no' if not checked else 'some'} prices"
                          + (", again" if result.repeat else "")
                          + (", some left out" if result.left_out else ""))
                    assert result.rows == len(read_rows(result.content))
            except PricingError:
                event(f"{kind} refused")  # the property is about what does reach the file
    finally:
        db.dispose()


def _check_against_floor(db: Database, text: str) -> int:
    """How many prices the file carries, each checked against the floor in force."""
    parts = {p.sku: p for p in _parts(db)}
    rows = read_rows(text)
    for sku, row in rows.items():
        part = parts[sku]
        price = Decimal(row["price"])
        category = PARTS[sku][1]
        floor = _oracle_floor(part.unit_cost, MARGIN[category], part.map_price)
        assert price >= floor, (sku, price, floor)
        assert price == price.quantize(Decimal("0.01")) and price > 0
        assert row["part_number"] == PARTS[sku][0]
    return len(rows)
