"""Match relations end to end, on SQLite and PostgreSQL: `pricing match` tells our part
resold (`same`) from a competitor's part that replaces ours (`alternative`) and a kit,
`pricing matches` shows the relation and the evidence, filters on it, and a person can
correct it; the migration gives existing matches their relation."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from pricing.cli import app
from pricing.storage.db import make_engine, upgrade
from tests.support import CONFIG_DIR

CATALOG = """sku,part_number,description,brand,category,family,unit_cost,price,currency,pack_qty,proprietary,gtin,superseded_by,tier
SL-1,RE464325,"Shaft seal, crankshaft front, 80x100x10 mm",John Deere,Seals,seal,6.00,18.50,USD,1,false,,,
OF-1,RE504836,"Engine oil filter, spin-on",John Deere,Filters,oil,7.00,21.90,USD,1,false,,,
FF-1,RE533910,"Fuel filter element, 5075E, 5085E",John Deere,Filters,fuel,12.00,34.00,USD,1,false,,,
KT-1,TB-3021K,"Timing belt kit with tensioner",Acme,Belts,kit,38.00,89.00,USD,1,false,,,
"""
XREF = """competitor_brand,competitor_part_number,sku,relation
Baldwin,B7322,OF-1,equivalent
Gates,K015603XS,KT-1,kit
"""
# url suffix -> (title, brand, part_number)
LISTINGS = {
    "dealer": ("John Deere RE504836 oil filter", "John Deere", "RE504836"),
    "xref": ("Baldwin B7322 lube filter", "Baldwin", "B7322"),
    "kit": ("Gates timing belt kit K015603XS", "Gates", "K015603XS"),
    "replaces": ("Replacement shaft seal - replaces RE464325", "Corteco", "12019837B"),
    "ersetzt": ("Ölfilter ersetzt RE504836", "Hengst", "H17W02"),
    "twin": ("Shaft seal - replaces RE464326", "Corteco", "12019900B"),
    "fits-model": ("Fuel filter fits John Deere 5075E", "", ""),
    "compatible": ("Oil filter compatible with RE504836", "", ""),
}
# url suffix -> (sku, status, relation)
EXPECTED = {
    "dealer": ("OF-1", "auto", "same"),
    "xref": ("OF-1", "auto", "alternative"),
    "kit": ("KT-1", "auto", "kit"),
    "replaces": ("SL-1", "auto", "alternative"),
    "ersetzt": ("OF-1", "auto", "alternative"),
    "twin": (None, "unmatched", None),
    "compatible": ("OF-1", "needs_review", "alternative"),
}


def _observations() -> str:
    now = dt.datetime.now(dt.UTC).isoformat()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["competitor", "url", "title", "price", "currency", "brand", "part_number",
                "pack_qty", "observed_at"])
    for key, (title, brand, pn) in LISTINGS.items():
        w.writerow(["shop", f"https://shop.example/{key}", title, "10.00", "USD", brand, pn,
                    "", now])
    return out.getvalue()


def test_relations_through_the_cli(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()

    def cli(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", db_url, "--config", str(CONFIG_DIR), *args])
        assert result.exit_code == code, (args, result.output, result.exception)
        return result.output

    for name, text in (("catalog", CATALOG), ("xref", XREF), ("obs", _observations())):
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    cli("init")
    cli("catalog", "import", str(tmp_path / "catalog.csv"))
    cli("xref", "import", str(tmp_path / "xref.csv"))
    cli("observations", "import", str(tmp_path / "obs.csv"))
    assert f"matched {len(LISTINGS)} listings" in cli("match")

    rows = json.loads(cli("matches", "--format", "json"))
    by_key = {r["url"].rsplit("/", 1)[1]: r for r in rows}
    got = {k: (r["sku"], r["status"], r["relation"]) for k, r in by_key.items()}
    # a machine the part fits is no part number: at most a reviewed title similarity
    assert by_key["fits-model"]["status"] != "auto" and by_key["fits-model"]["method"] in (
        "none", "fuzzy")
    del got["fits-model"]
    assert got == EXPECTED
    # the evidence quotes what a person checks on the page
    assert by_key["replaces"]["evidence"] == 'title: "replaces RE464325"'
    assert by_key["replaces"]["method"] == "replaces"
    assert by_key["ersetzt"]["evidence"] == 'title: "ersetzt RE504836"'
    assert by_key["xref"]["evidence"] == "cross-reference Baldwin B7322 (equivalent)"
    assert "RE504836" in by_key["dealer"]["evidence"]
    assert "differs by one character from RE464325" in by_key["twin"]["note"]

    alternatives = json.loads(cli("matches", "--relation", "alternative", "--format", "json"))
    assert sorted(r["url"].rsplit("/", 1)[1] for r in alternatives) == [
        "compatible", "ersetzt", "replaces", "xref"]
    kits = list(csv.DictReader(io.StringIO(cli("matches", "--relation", "kit", "--format", "csv"))))
    assert [(r["sku"], r["relation"]) for r in kits] == [("KT-1", "kit")]
    lines = cli("matches", "--format", "csv").splitlines()
    header = next(csv.reader([lines[0]]))
    assert header[header.index("sku") + 1] == "relation" and "evidence" in header
    bad = cli("matches", "--relation", "cousin", code=2)
    assert "cousin" in bad

    # a person corrects the relation; later runs keep it
    review_id = by_key["compatible"]["id"]
    cli("matches", "confirm", str(review_id), "--relation", "alternative", "--by", "ana")
    cli("match", "--all")
    after = {r["id"]: r for r in json.loads(cli("matches", "--format", "json"))}
    assert (after[review_id]["status"], after[review_id]["relation"]) == (
        "confirmed", "alternative")


def test_migration_gives_existing_matches_a_relation(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0004")
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        for i, (sku, method, note) in enumerate(
            [("A", "part_number", None), ("B", "xref", None), ("C", "xref", "kit: Gates K1"),
             (None, "none", None), ("D", "manual", "checked")], start=1
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO listings (id, competitor, url, title, pack_qty, first_seen,"
                    " last_seen, needs_match) VALUES (:i, 's', :u, 't', 1, :n, :n, :f)"
                ),
                {"i": i, "u": f"https://s.example/{i}", "n": now, "f": False},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO matches (listing_id, sku, method, confidence, status, note,"
                    " updated_at) VALUES (:i, :s, :m, 0.9, 'auto', :note, :n)"
                ),
                {"i": i, "s": sku, "m": method, "note": note, "n": now},
            )
    upgrade(engine, "head")
    with engine.connect() as conn:
        got = dict(conn.execute(sa.text("SELECT listing_id, relation FROM matches")).all())
    assert got == {1: "same", 2: "alternative", 3: "kit", 4: None, 5: "same"}
    engine.dispose()
