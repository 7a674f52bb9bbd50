"""The closed-loop guards through the commands, on SQLite and PostgreSQL: what the
pipeline reads about our own moves (the catalog's anchor price, the prices we moved
from) reaches the optimizer, so that approving and exporting night after night with
no new sales moves each price once at most; "call for price" listings are flagged as
such; the catalog's list_price is a ceiling."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from pricing.cli import app
from pricing.observations import ObservationIn, store_observations
from pricing.storage import Database
from pricing.storage.models import utcnow
from tests.support import CONFIG_DIR
from tests.support.flow import CATALOG, OBS, SALES, XREF


def _cli(db_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str) -> str:
        result = runner.invoke(app, ["--db", db_url, "--config", str(CONFIG_DIR), *args])
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.stdout

    return invoke


def _setup(cli, tmp_path: Path, catalog: str = CATALOG) -> None:  # type: ignore[no-untyped-def]
    for name, text in [("catalog", catalog), ("xref", XREF), ("sales", SALES), ("obs", OBS)]:
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    cli("init")
    cli("catalog", "import", str(tmp_path / "catalog.csv"))
    cli("xref", "import", str(tmp_path / "xref.csv"))
    cli("sales", "import", str(tmp_path / "sales.csv"))
    cli("observations", "import", str(tmp_path / "obs.csv"))
    cli("match")


def test_nights_without_new_sales_move_each_price_once(db_url: str, tmp_path: Path) -> None:
    cli = _cli(db_url)
    _setup(cli, tmp_path)
    paths: dict[str, list[str]] = {}
    later_moves: list[dict[str, object]] = []
    for night in range(5):
        out = json.loads(cli("optimize", "--format", "json"))
        for s in out["suggestions"]:
            path = paths.setdefault(s["sku"], [s["current_price"]])
            if s["suggested_price"] != s["current_price"]:
                path.append(s["suggested_price"])
                if len(path) > 2:
                    later_moves.append(s)
        cli("review", "--run", str(out["run_id"]), "--approve", "--by", "night", "--why", "loop")
        cli("export", "--run", str(out["run_id"]), "--out", str(tmp_path / f"e{night}.csv"),
            "--by", "night")
    # the proprietary alternator (inelastic prior, no cap): one step, then it holds
    alternator = paths["NL-2003"]
    assert len(alternator) == 2, alternator
    assert float(alternator[1]) <= float(alternator[0]) * 1.08 + 0.005
    # any further move is one a hard rule forces (a competitive cap reached step by step)
    hard = ("MARGIN_FLOOR", "MAP_FLOOR", "PRICE_INDEX_CAP", "MAX_CHANGE_DOWN")
    for s in later_moves:
        codes = s["reasons"]["codes"]  # type: ignore[index]
        assert codes[0] in hard and (codes[0] != "MAX_CHANGE_DOWN" or {
            "PRICE_INDEX_CAP_DEFERRED", "CANNOT_COMPETE_AT_FLOOR"} & set(codes)), s
    # and says why it holds
    last = json.loads(cli("optimize", "--format", "json"))
    held = {s["sku"]: s for s in last["suggestions"]}["NL-2003"]
    assert held["suggested_price"] == held["current_price"]
    assert "HOLD_FOR_EVIDENCE" in json.dumps(held)


def test_call_for_price_is_its_own_flag(db_url: str, tmp_path: Path) -> None:
    cli = _cli(db_url)
    _setup(cli, tmp_path)
    db = Database(db_url)
    try:
        with db.session() as session:
            store_observations(session, [ObservationIn(
                "shopd", "https://d.example/p/hose", "Northline NL-2004 radiator hose",
                utcnow() - dt.timedelta(hours=1), None, "USD", brand="Northline",
                part_number="NL-2004")])
    finally:
        db.dispose()
    cli("match")
    # the hose's other listing is rejected: only the call-for-price one is left
    matches = json.loads(cli("matches", "--format", "json"))
    for m in matches:
        if m["sku"] == "NL-2004" and m["url"] != "https://d.example/p/hose":
            cli("matches", "reject", str(m["id"]), "--by", "carol", "--note", "test")
    out = json.loads(cli("optimize", "--format", "json"))
    hose = {s["sku"]: s for s in out["suggestions"]}["NL-2004"]
    text = json.dumps(hose)
    assert "CALL_FOR_PRICE" in text and "NO_COMPETITOR_PRICE" not in text
    report = tmp_path / "report"
    cli("report", "--out", str(report))
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "call for price" in html
    # units and price index per category, before and after; a glossary of the codes used
    assert "By category" in html and "expected units per period" in html
    for category in ("Belts", "Filters", "Electrical", "Hoses"):
        assert f"<td>{category}</td>" in html
    assert "<dt>CALL_FOR_PRICE</dt>" in html and "<dt>PROPRIETARY</dt>" in html


def test_list_price_is_a_ceiling(db_url: str, tmp_path: Path) -> None:
    cli = _cli(db_url)
    lines = CATALOG.strip().splitlines()
    catalog = "\n".join([lines[0] + ",list_price"] + [
        line + (",152.00" if line.startswith("NL-2003") else ",") for line in lines[1:]]) + "\n"
    _setup(cli, tmp_path, catalog)
    out = json.loads(cli("optimize", "--format", "json"))
    alternator = {s["sku"]: s for s in out["suggestions"]}["NL-2003"]
    # Electrical prices end in .99 (config/pricing.yaml): the highest such price under it
    assert float(alternator["suggested_price"]) == 151.99
    assert alternator["reasons"]["codes"][0] == "LIST_PRICE"


def test_dealers_cap_a_proprietary_part_its_alternatives_do_not(db_url: str,
                                                                tmp_path: Path) -> None:
    """The alternator NL-2003 (proprietary, 150.00): a dealer resells it (our brand, our
    number: relation same) at 140.00, and a competitor's part "replaces NL-2003"
    (relation alternative) at 90.00. The dealer caps it; the alternative does not."""
    cli = _cli(db_url)
    _setup(cli, tmp_path)
    (tmp_path / "more.csv").write_text(
        "competitor,url,title,price,currency,brand,part_number,pack_qty\n"
        "dealer1,https://dealer.example/NL-2003,Northline NL-2003 alternator,140.00,USD,"
        "Northline,NL-2003,1\n"
        "shopz,https://z.example/p/55,Alternator 120A - replaces NL-2003,90.00,USD,"
        "Zapco,ZP-5501,1\n", encoding="utf-8")
    cli("observations", "import", str(tmp_path / "more.csv"))
    cli("match")
    matches = {m["url"]: m for m in json.loads(cli("matches", "--format", "json"))}
    assert matches["https://dealer.example/NL-2003"]["relation"] == "same"
    assert matches["https://z.example/p/55"]["relation"] == "alternative"
    out = json.loads(cli("optimize", "--format", "json"))
    alternator = {s["sku"]: s for s in out["suggestions"]}["NL-2003"]
    # 1.10 x 140.00 = 154.00, with the Electrical .99 ending: 153.99 (not 90 x 1.1)
    assert float(alternator["suggested_price"]) == 153.99
    assert alternator["reasons"]["codes"][0] == "RESELLER_CAP"
