"""Scraped text is untrusted: a listing title carrying markup or a spreadsheet formula
goes through import, matching, optimization and the report, and stays inert in the
HTML report, the web pages, the CSV outputs and the XLSX workbook."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from pricing.cli import app
from pricing.settings import Settings
from pricing.web.app import create_app
from pricing.web.auth import AuthConfig
from pricing.web.server import BackgroundServer
from tests.support import CONFIG_DIR
from tests.support.flow import CATALOG, SALES, XREF

MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"
FORMULAS = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]
GTIN = "4006381333931"  # our oil filter NL-2002: every listing below matches it


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


OBS = "competitor,url,title,price,currency,brand,part_number,gtin,pack_qty\n" + "".join(
    f"shop{n},https://shop{n}.example/p/{n},{_csv_cell(title)},{price},USD,Filtrex,FX-{n},{GTIN},1\n"
    for n, (title, price) in enumerate(
        [(MARKUP, "7.10")] + [(f, f"7.{20 + i}") for i, f in enumerate(FORMULAS)]
    )
)


class Tags(HTMLParser):
    """Every element and attribute name a browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


def assert_inert(html: str) -> None:
    parser = Tags()
    parser.feed(html)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert not {a for a in parser.attrs if a.startswith("on")}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Callable[..., str]]:
    """A SQLite database where NL-2002's competitors carry the payloads, optimized and
    reported; and a way to run the CLI on it."""
    folder = tmp_path_factory.mktemp("escaping")
    db_url = f"sqlite:///{folder / 'pricing.db'}"
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(app, ["--db", db_url, "--config", str(CONFIG_DIR), *args])
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.stdout

    for name, text in [("catalog", CATALOG), ("xref", XREF), ("sales", SALES), ("obs", OBS)]:
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    cli("init")
    for kind, name in [("catalog", "catalog"), ("xref", "xref"), ("sales", "sales"),
                       ("observations", "obs")]:
        cli(kind, "import", str(folder / f"{name}.csv"))
    cli("match")
    cli("optimize")
    cli("report", "--out", str(folder / "report"))
    return db_url, folder / "report", cli


def test_the_payload_reaches_the_report(world: tuple[str, Path, Callable[..., str]]) -> None:
    """Not vacuous: the titles are matched to a SKU whose price moves, so they show."""
    db_url, report, cli = world
    rows = {r["sku"]: r for r in csv.DictReader(io.StringIO(cli("optimize", "--format", "csv")))}
    assert rows["NL-2002"]["suggested_price"] != rows["NL-2002"]["current_price"]
    matches = list(csv.DictReader(io.StringIO(cli("matches", "--format", "csv"))))
    assert {m["sku"] for m in matches} == {"NL-2002"} and len(matches) == 5


def test_html_report_shows_the_markup_as_text(world: tuple[str, Path, Callable[..., str]]) -> None:
    _, report, _ = world
    html = (report / "report.html").read_text(encoding="utf-8")
    assert_inert(html)
    for formula in FORMULAS:  # shown as they are, escaped, in the competitor listings
        assert formula.replace("&", "&amp;").replace('"', "&#34;").replace("'", "&#39;") in html


def test_xlsx_cells_are_text_never_formulas(world: tuple[str, Path, Callable[..., str]]) -> None:
    _, report, _ = world
    workbook = load_workbook(report / "suggestions.xlsx")
    assert workbook.sheetnames[1] == "Competitor listings"
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    titles = [c.value for (c,) in workbook["Competitor listings"].iter_rows(min_row=2, min_col=3,
                                                                             max_col=3)]
    assert sorted(titles) == sorted([MARKUP] + ["'" + f for f in FORMULAS])
    numbers = [c.value for (c,) in workbook["Competitor listings"].iter_rows(min_row=2, min_col=5,
                                                                              max_col=5)]
    assert all(isinstance(v, float) for v in numbers)  # prices stay numbers


def test_csv_cells_are_neutralized(world: tuple[str, Path, Callable[..., str]]) -> None:
    _, _, cli = world
    for args in (("matches", "--format", "csv"), ("history", "NL-2002", "--format", "csv")):
        titles = {r["title"] for r in csv.DictReader(io.StringIO(cli(*args)))
                  if r["title"] and r.get("competitor") != "ours"}  # ours: "sales history"
        assert titles == {MARKUP} | {"'" + f for f in FORMULAS}, args
    json_titles = cli("matches", "--format", "json")  # JSON is data: the text as it was
    assert "=HYPERLINK" in json_titles and "'=HYPERLINK" not in json_titles


def test_web_pages_show_the_markup_as_text(world: tuple[str, Path, Callable[..., str]]) -> None:
    db_url, _, _ = world
    web = create_app(Settings(database_url=db_url, config_dir=CONFIG_DIR),
                     auth=AuthConfig(read="open"))
    with BackgroundServer(web) as srv, httpx.Client(base_url=srv.url, timeout=30) as client:
        for path in ("/sku/NL-2002", "/matches?status=auto"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert_inert(page.text)
        api = client.get("/api/skus/NL-2002/history").json()
        assert MARKUP in {row["title"] for row in api}
