"""A replayed season: ``pricing demo --nights N`` as a new user runs it, what it prints,
the history it leaves, the impact of its exports, and the report and web pages as a
person sees them in a real Chromium (screenshots saved under the test's tmp_path)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api as playwright_api
from sqlalchemy import func, select

from pricing.impact import export_impacts
from pricing.settings import Settings
from pricing.storage import Database
from pricing.storage.models import (
    Listing,
    Match,
    OurPrice,
    Part,
    PriceExport,
    PriceObservation,
    Suggestion,
    SuggestionRun,
)
from pricing.web.app import create_app
from pricing.web.server import BackgroundServer
from tests.conftest import CONFIG_DIR, run_cli

pytestmark = pytest.mark.slow

NIGHTS = 21
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One replay for the whole module: three weeks, priced weekly (the default)."""
    out = tmp_path_factory.mktemp("season") / "demo"
    result = run_cli("demo", "--out", str(out), "--nights", str(NIGHTS), timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out, result.stdout


@pytest.fixture(scope="module")
def db(demo: tuple[Path, str]) -> Iterator[Database]:
    database = Database(f"sqlite:///{demo[0] / 'pricing.db'}")
    yield database
    database.dispose()


def test_demo_prints_counts_and_commands_that_work(demo: tuple[Path, str]) -> None:
    out, stdout = demo
    text = " ".join(stdout.split())  # the console wraps long lines
    assert f"replayed {NIGHTS} nights" in text
    for word in ("crawls", "price observations", "suggestion runs", "approved", "exported",
                 "pending review"):
        assert word in text, word
    assert Path(re.search(r"report: (\S+)", text).group(1)) == out / "report" / "report.html"  # type: ignore[union-attr]
    found = re.search(r"pricing --db (\S+) history (\S+)", text)
    assert found, text
    url, sku = found.groups()
    assert url == f"sqlite:///{(out / 'pricing.db').resolve()}"
    assert f"pricing --db {url} serve" in text
    # the printed command, exactly as printed, from another folder
    result = run_cli("history", sku, "--format", "json", db_url=url, cwd=out.parent)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    ours = [r for r in rows if r["competitor"] == "ours"]
    theirs = [r for r in rows if r["competitor"] != "ours"]
    assert theirs, "the demo's history shows no competitor"
    # our price over months: from the two years of sales history, then the exports
    first = dt.datetime.fromisoformat(ours[0]["observed_at"])
    last = dt.datetime.fromisoformat(ours[-1]["observed_at"])
    assert (last - first).days > 180, ours
    assert any(r["title"] == "sales history" for r in ours)


def test_the_season_is_dated_by_simulated_nights(db: Database) -> None:
    with db.session() as s:
        days = {
            at.date() for at in s.scalars(select(PriceObservation.observed_at).distinct())
        }
        runs = s.scalars(select(SuggestionRun).order_by(SuggestionRun.id)).all()
        exports = s.scalars(select(PriceExport).order_by(PriceExport.run_id)).all()
        exported_prices = s.scalar(
            select(func.count()).select_from(OurPrice).where(OurPrice.source.like("export:%"))
        )
        last = runs[-1]
        statuses = dict(
            s.execute(
                select(Suggestion.review_status, func.count())
                .where(Suggestion.run_id == last.id,
                       Suggestion.suggested_price != Suggestion.current_price)
                .group_by(Suggestion.review_status)
            ).all()
        )
    assert len(days) == NIGHTS
    assert max(days) < dt.date.today()
    assert [r.created_at.date() for r in runs] == sorted({r.created_at.date() for r in runs})
    assert len(runs) == 4  # nights 0, 7, 14 and the last one
    assert exports and {e.exported_at.date() for e in exports} <= days
    assert exported_prices and exported_prices >= sum(e.rows for e in exports) // 2
    # the last run waits for the analyst: small moves approved, the rest pending
    assert last.id not in {e.run_id for e in exports}
    assert statuses.get("approved", 0) > 0 and statuses.get("pending", 0) > 0, statuses


def test_the_price_war_shows_in_the_observations(db: Database) -> None:
    """Parts Depot cuts its filters from day 5 (demo_market.season): most of its filter
    listings end the season well below where they started; its other parts do not."""
    with db.session() as s:
        stmt = (
            select(Part.category, PriceObservation.listing_id, PriceObservation.unit_price)
            .join(Listing, Listing.id == PriceObservation.listing_id)
            .join(Match, Match.listing_id == Listing.id)
            .join(Part, Part.sku == Match.sku)
            .where(Listing.competitor == "partsdepot", PriceObservation.unit_price.is_not(None))
            .order_by(PriceObservation.observed_at)
        )
        first: dict[int, float] = {}
        last: dict[int, tuple[str, float]] = {}
        for category, lid, price in s.execute(stmt):
            first.setdefault(lid, float(price))
            last[lid] = (category, float(price))

    def share_cut(filters: bool) -> tuple[int, float]:
        ids = [lid for lid, (cat, _) in last.items() if (cat == "Filters") == filters]
        cut = sum(1 for lid in ids if last[lid][1] < first[lid] * 0.95)
        return len(ids), cut / len(ids)

    n, share = share_cut(True)
    assert n >= 10 and share > 0.6, (n, share)
    n_other, share_other = share_cut(False)
    assert n_other >= 10 and share_other < 0.3, (n_other, share_other)


def test_impact_compares_sales_after_exports_with_the_model(db: Database) -> None:
    with db.session() as s:
        impacts = export_impacts(s)
    measured = [e for e in impacts if e.weeks]
    assert measured, [(e.run_id, e.weeks) for e in impacts]
    e = measured[0]
    assert e.overall.expected > 0 and e.overall.actual > 0
    assert e.overall.skus == sum(c.skus for c in e.categories)
    assert abs(e.overall.expected - sum(c.expected for c in e.categories)) < 1e-6
    assert e.overall.miss is not None and abs(e.overall.miss) < 1  # the same order of size


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright_api.Browser]:
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _shot(page: playwright_api.Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size > 10_000  # a real picture, not a blank page


def test_report_in_chromium(
    demo: tuple[Path, str], browser: playwright_api.Browser, tmp_path: Path
) -> None:
    out, _ = demo
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto((out / "report" / "report.html").resolve().as_uri())
    _shot(page, tmp_path / "report.png")
    expect = playwright_api.expect
    expect(page.get_by_role("heading", name="Market position over time")).to_be_visible()
    lines = page.locator("svg.position polyline.series")
    assert lines.count() >= 4  # a line per category
    points = [int(lines.nth(i).get_attribute("data-points") or 0) for i in range(lines.count())]
    assert max(points) == 4, points  # one point per run
    # the charts of single SKUs: daily competitor prices over three weeks
    paths = page.locator("svg.spark path")
    assert paths.count() > 20
    steps = max(  # a step line: each V is a price change
        (paths.nth(i).get_attribute("d") or "").count("V") for i in range(min(paths.count(), 200))
    )
    assert steps >= 3, steps
    moves = page.locator("table.moves")
    expect(moves).to_be_visible()
    expect(moves).to_contain_text("partsdepot")
    expect(page.locator("table.impact")).to_contain_text("all categories")
    expect(page.locator("td.review.approved").first).to_be_visible()
    expect(page.locator("td.review.pending").first).to_be_visible()
    expect(page.locator(".changed").first).to_contain_text("changed")
    page.get_by_role("heading", name="Reason codes").scroll_into_view_if_needed()
    _shot(page, tmp_path / "report-glossary.png")
    page.close()


def test_web_pages_in_chromium(
    demo: tuple[Path, str], browser: playwright_api.Browser, tmp_path: Path
) -> None:
    out, stdout = demo
    url = f"sqlite:///{(out / 'pricing.db').resolve()}"
    sku = re.search(r"history (\S+)", " ".join(stdout.split())).group(1)  # type: ignore[union-attr]
    app = create_app(Settings(database_url=url, config_dir=CONFIG_DIR),
                     export_dir=tmp_path / "exports")
    expect = playwright_api.expect
    with BackgroundServer(app) as server:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, base_url=server.url)
        page.goto("/")
        expect(page.locator("#suggestions")).to_be_visible()
        expect(page.locator("#suggestions tr[data-status=approved]").first).to_be_attached()
        expect(page.locator("#suggestions tr[data-status=pending]").first).to_be_attached()
        _shot(page, tmp_path / "web-report.png")

        page.goto("/impact")
        expect(page.get_by_role("heading", name="Impact of exports")).to_be_visible()
        expect(page.locator("#impact tr.overall").first).to_contain_text("all categories")
        assert page.locator("svg.position polyline.series").count() >= 4
        _shot(page, tmp_path / "web-impact.png")

        page.goto(f"/sku/{sku}")
        chart = page.locator("svg").first
        expect(chart).to_be_visible()
        _shot(page, tmp_path / "web-sku.png")

        page.goto("/market")
        expect(page.locator("#market")).to_be_visible()
        _shot(page, tmp_path / "web-market.png")
        page.close()
