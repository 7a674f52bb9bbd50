"""The nightly report on SQLite and PostgreSQL: headline figures, flags a person must
act on, a small price-history chart and the competitor listings for each price change,
and the same rows in CSV and XLSX (typed numbers, frozen header, filters)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pricing import imports
from pricing.config import load_config
from pricing.pipeline.match import run_matching
from pricing.pipeline.optimize import run_optimizer
from pricing.reports.nightly import write_report
from pricing.storage import Database
from pricing.storage.models import utcnow
from tests.support import CONFIG_DIR
from tests.support.flow import CATALOG, SALES, XREF

NOW = utcnow().replace(microsecond=0)

# (competitor, url, title, price, brand, part_number, gtin, pack_qty, days ago)
PRICES = [
    # the belt NL-2001 (cost 6.00): the market sells it at 5.00, below our floor
    ("shopa", "https://a.example/p/1", "Beltco V-belt", "5.40", "Beltco", "B-6PK1220", "", 1, 70),
    ("shopa", "https://a.example/p/1", "Beltco V-belt", "5.00", "Beltco", "B-6PK1220", "", 1, 30),
    ("shopa", "https://a.example/p/1", "Beltco V-belt", "5.00", "Beltco", "B-6PK1220", "", 1, 2),
    ("shopc", "https://c.example/p/3", "Beltco belt 6PK", "5.20", "Beltco", "B 6PK1220", "", 1, 1),
    # the filter NL-2002 (9.00): a 4-pack for 28.00, 7.00 a unit
    ("shopa", "https://a.example/p/2", "Oil filter 4-pack", "30.00", "Filtrex", "FX-1", "4006381333931", 4, 50),
    ("shopa", "https://a.example/p/2", "Oil filter 4-pack", "28.00", "Filtrex", "FX-1", "4006381333931", 4, 3),
    # the hose NL-2004: matched, but last seen 40 days ago -> a stale price
    ("shopb", "https://b.example/p/7", "Radiator hose", "7.00", "Northline", "NL-2004", "", 1, 40),
]


@pytest.fixture
def report(db: Database, tmp_path: Path) -> Path:
    for name, text in [("catalog", CATALOG), ("xref", XREF), ("sales", SALES)]:
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    imports.import_catalog(db, tmp_path / "catalog.csv")
    imports.import_xrefs(db, tmp_path / "xref.csv")
    imports.import_sales(db, tmp_path / "sales.csv")
    rows = ["competitor,url,title,price,currency,brand,part_number,gtin,pack_qty,observed_at"]
    rows += [
        f"{c},{u},{t},{p},USD,{b},{pn},{g},{q},{(NOW - dt.timedelta(days=n)).isoformat()}"
        for c, u, t, p, b, pn, g, q, n in PRICES
    ]
    (tmp_path / "obs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    imports.import_observations(db, tmp_path / "obs.csv")
    config = load_config(CONFIG_DIR)
    run_matching(db, config.matching)
    run_optimizer(db, config.policy)
    return write_report(db, tmp_path / "report").parent


def _rows(html: str) -> dict[str, str]:
    """Each suggestion's table row in report.html, by SKU."""
    body = html.split("<tbody>", 1)[1]
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r"<tr>\s*<td>(NL-\d+).*?</td>.*?(?=<tr>\s*<td>NL-|</tbody>)", body, re.S)
    }


def test_flags_say_what_needs_a_person(report: Path) -> None:
    html = (report / "report.html").read_text(encoding="utf-8")
    flags = html.split('<div class="flags">', 1)[1].split("</div>", 1)[0]
    assert "1 SKUs have matched competitor listings but no fresh" in flags and "NL-2004" in flags
    assert "cannot compete at their margin floor" in flags and "NL-2001" in flags
    assert "<script" not in html and "http://" not in html.split("<body>")[0]  # no CDN


def test_each_price_change_gets_a_chart_and_its_listings(report: Path) -> None:
    html = (report / "report.html").read_text(encoding="utf-8")
    rows = _rows(html)
    with (report / "suggestions.csv").open(encoding="utf-8") as handle:
        suggestions = list(csv.DictReader(handle))
    changed = {s["sku"] for s in suggestions if s["suggested_price"] != s["current_price"]}
    assert changed and set(rows) == {s["sku"] for s in suggestions}
    for sku, row in rows.items():
        assert ('<svg xmlns="http://www.w3.org/2000/svg" class="spark"' in row) == (sku in changed)
    filter_row = rows["NL-2002"]
    assert "NL-2002" in changed and "Oil filter 4-pack" in filter_row and "7.00 USD" in filter_row
    # our line, shopa's line (two prices: a step) and the suggestion's dot
    paths = re.findall(r'<path d="([^"]+)"', filter_row)
    assert len(paths) == 2 and any("V" in p for p in paths) and "<circle" in filter_row
    assert "shopa" in filter_row.split('class="legend"')[1]


def test_csv_and_xlsx_carry_the_same_rows(report: Path) -> None:
    with (report / "suggestions.csv").open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header, *rows = list(reader)
    sheet = load_workbook(report / "suggestions.xlsx").worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == header
    assert [r[0] for r in cells[1:]] == [r[0] for r in rows]  # biggest moves first in both
    price = header.index("suggested_price")
    assert all(isinstance(r[price], float) for r in cells[1:])
    assert [round(r[price], 2) for r in cells[1:]] == [float(r[price]) for r in rows]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
    # each elasticity with its standard error and where it came from (a bare prior has
    # no standard error)
    source, se = header.index("elasticity_source"), header.index("elasticity_se")
    assert {r[source] for r in rows} <= {"prior", "pooled", "estimated"}
    assert all((r[se] == "") == (r[source] == "prior") for r in rows)
