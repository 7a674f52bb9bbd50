"""The web pages in a real headless Chromium (Playwright) against uvicorn on a loopback
port: log in and review, export the ERP price list, read a SKU's price chart and the
market position, and a form POST without its CSRF token is refused."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright import sync_api as playwright_api
from sqlalchemy import select

from pricing.settings import Settings
from pricing.storage import Database
from pricing.storage.models import (
    Listing,
    Match,
    OurPrice,
    Part,
    PriceObservation,
    Suggestion,
    utcnow,
)
from pricing.web.app import create_app
from pricing.web.auth import AuthConfig, hash_password
from pricing.web.server import BackgroundServer
from tests.support import CONFIG_DIR, demo_database

pytestmark = pytest.mark.browser

USER, PASSWORD = "ana", "correct horse battery"
PAYLOAD = '<img src=x onerror="alert(1)">'
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def add_history(db: Database) -> tuple[str, list[str]]:
    """Give one matched SKU three months of our prices and its competitors' prices,
    and a competitor listing whose scraped title is a script payload."""
    now = utcnow()
    with db.session() as session:
        sku = session.scalar(select(Match.sku).where(Match.status == "auto").order_by(Match.id))
        assert sku is not None
        part = session.scalar(select(Part).where(Part.sku == sku))
        assert part is not None
        for days, factor in [(90, "0.90"), (45, "0.95")]:
            session.add(
                OurPrice(
                    sku=sku,
                    effective_at=now - dt.timedelta(days=days),
                    price=(part.price * Decimal(factor)).quantize(Decimal("0.01")),
                    currency=part.currency,
                    source="test",
                )
            )
        listings = list(
            session.scalars(
                select(Listing).join(Match, Match.listing_id == Listing.id).where(Match.sku == sku)
            )
        )
        evil = Listing(
            competitor="evilshop",
            url="javascript:alert(1)",
            title=PAYLOAD,
            pack_qty=1,
            needs_match=False,
        )
        session.add(evil)
        session.flush()
        session.add(
            Match(listing_id=evil.id, sku=sku, method="manual", confidence=1.0, status="confirmed")
        )
        for listing in [*listings, evil]:
            for days, factor in [(80, "0.93"), (50, "1.04"), (20, "0.98")]:
                price = (part.price * Decimal(factor)).quantize(Decimal("0.01"))
                session.add(
                    PriceObservation(
                        listing_id=listing.id,
                        observed_at=now - dt.timedelta(days=days),
                        price=price,
                        currency=part.currency,
                        pack_qty=1,
                        unit_price=price,
                        availability="InStock",
                        source="import",
                    )
                )
        return sku, sorted({li.competitor for li in listings} | {"evilshop"})


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(tmp_path_factory, "web-browser")


@pytest.fixture(scope="module")
def chart_sku(db_url: str) -> tuple[str, list[str]]:
    db = Database(db_url)
    try:
        return add_history(db)
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def server(
    db_url: str, chart_sku: tuple[str, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackgroundServer]:
    auth = AuthConfig(users={USER: hash_password(PASSWORD)})
    app = create_app(Settings(database_url=db_url, config_dir=CONFIG_DIR), auth=auth,
                     export_dir=tmp_path_factory.mktemp("exports"))
    with BackgroundServer(app) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object, server: BackgroundServer) -> Iterator[object]:
    context = browser.new_context(base_url=server.url)  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.dialogs = dialogs
    yield tab
    context.close()
    assert dialogs == [], "a script ran in the page"


def log_in(page: object) -> None:
    page.goto("/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Log in").first.click()  # type: ignore[attr-defined]
    page.fill("input[name=username]", USER)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    playwright_api.expect(page.locator("#current-user")).to_have_text(USER)  # type: ignore[attr-defined]


def stored(db_url: str, sku: str) -> Suggestion:
    db = Database(db_url)
    try:
        with db.session() as session:
            row = session.scalar(
                select(Suggestion).where(Suggestion.sku == sku).order_by(Suggestion.run_id.desc())
            )
            assert row is not None
            return row
    finally:
        db.dispose()


def test_log_in_and_approve_a_suggestion(page: object, db_url: str) -> None:
    expect = playwright_api.expect
    log_in(page)
    row = page.locator("#suggestions tr[data-status=pending]").first  # type: ignore[attr-defined]
    sku = row.get_attribute("data-sku")
    assert sku and stored(db_url, sku).review_status == "pending"
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(f"approve: 1 suggestion(s) by {USER}")  # type: ignore[attr-defined]
    expect(page.locator(f'#suggestions tr[data-sku="{sku}"]')).to_have_attribute(  # type: ignore[attr-defined]
        "data-status", "approved"
    )
    decision = stored(db_url, sku)
    assert (decision.review_status, decision.reviewed_by) == ("approved", USER)
    assert decision.approved_price == decision.suggested_price
    latest = page.locator("#audit tbody tr").first  # type: ignore[attr-defined]
    expect(latest).to_have_attribute("data-action", "approve")
    expect(latest).to_contain_text(USER)
    expect(latest).to_contain_text(sku)


def test_override_with_a_price_and_a_reason(page: object, db_url: str) -> None:
    expect = playwright_api.expect
    log_in(page)
    row = page.locator("#suggestions tr[data-status=pending]").nth(1)  # type: ignore[attr-defined]
    sku = row.get_attribute("data-sku")
    price = stored(db_url, sku).suggested_price + Decimal("0.50")
    row.locator("input[name=price]").fill(f"{price:.2f}")
    row.locator("input[name=why]").fill("contract price")
    row.get_by_role("button", name="Override").click()
    expect(page.get_by_role("status")).to_contain_text("override: 1 suggestion(s)")  # type: ignore[attr-defined]
    decision = stored(db_url, sku)
    assert (decision.review_status, decision.reviewed_by, decision.review_note) == (
        "overridden",
        USER,
        "contract price",
    )
    assert decision.approved_price == price.quantize(Decimal("0.01"))


def test_sku_history_chart_draws_our_line_and_each_competitor(
    page: object, chart_sku: tuple[str, list[str]]
) -> None:
    sku, competitors = chart_sku
    page.goto("/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Market position").click()  # type: ignore[attr-defined]
    page.goto(f"/sku/{sku}")  # type: ignore[attr-defined]
    chart = page.locator("svg#price-chart")  # type: ignore[attr-defined]
    playwright_api.expect(chart).to_be_visible()
    ours = chart.locator("g.series.ours")
    assert ours.get_attribute("data-series") == "ours"
    assert ours.locator("circle").count() >= 3  # two back-dated prices and the current one
    drawn = chart.locator("g.series.competitor")
    assert (
        sorted(drawn.nth(i).get_attribute("data-series") for i in range(drawn.count()))
        == competitors
    )
    our_box = ours.locator("path").bounding_box()
    chart_box = chart.bounding_box()
    assert our_box is not None and chart_box is not None
    assert our_box["width"] > chart_box["width"] * 0.6  # the line spans the period
    # the scraped title is shown as text, its link is not made, and nothing ran
    assert page.get_by_text(PAYLOAD).count() >= 1  # type: ignore[attr-defined]
    assert page.locator("img").count() == 0  # type: ignore[attr-defined]
    assert page.locator("a[href^='javascript']").count() == 0  # type: ignore[attr-defined]


def test_form_post_without_the_csrf_token_is_refused(
    page: object, db_url: str, server: BackgroundServer
) -> None:
    log_in(page)
    row = page.locator("#suggestions tr[data-status=pending]").first  # type: ignore[attr-defined]
    sku = row.get_attribute("data-sku")
    row.locator("form.decide input[name=csrf_token]").evaluate("el => el.remove()")
    row.get_by_role("button", name="Reject").click()
    playwright_api.expect(page.locator(".error-message")).to_contain_text("security token")  # type: ignore[attr-defined]
    assert stored(db_url, sku).review_status == "pending"

    # the browser's cookie alone, with a forged token, changes nothing either
    resp = page.request.post(
        f"{server.url}/runs/1/review",  # type: ignore[attr-defined]
        form={"sku": sku, "action": "reject", "csrf_token": "forged"},
    )
    assert resp.status == 403
    assert stored(db_url, sku).review_status == "pending"


def test_export_downloads_the_approved_price_list(page: object, db_url: str) -> None:
    expect = playwright_api.expect
    log_in(page)
    row = page.locator("#suggestions tr[data-status=pending]").first  # type: ignore[attr-defined]
    sku = row.get_attribute("data-sku")
    row.get_by_role("button", name="Approve").click()
    expect(page.locator(f'#suggestions tr[data-sku="{sku}"]')).to_have_attribute(  # type: ignore[attr-defined]
        "data-status", "approved"
    )
    with page.expect_download() as download_info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Export approved prices").click()  # type: ignore[attr-defined]
    download = download_info.value
    assert download.suggested_filename.startswith("price-list-run")
    with open(download.path(), encoding="utf-8") as handle:
        exported = {r["sku"]: r for r in csv.DictReader(handle)}
    decision = stored(db_url, sku)
    assert Decimal(exported[sku]["price"]) == decision.approved_price
    assert exported[sku]["approved_by"] == USER
    db = Database(db_url)
    try:
        with db.session() as session:
            part = session.scalar(select(Part).where(Part.sku == sku))
            assert part is not None and part.price == decision.approved_price
    finally:
        db.dispose()
    page.reload()  # type: ignore[attr-defined]
    expect(page.locator("#export")).to_contain_text(f"by {USER}")  # type: ignore[attr-defined]


def test_market_page_shows_where_we_stand_and_who_moved(page: object) -> None:
    expect = playwright_api.expect
    page.goto("/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Market position").click()  # type: ignore[attr-defined]
    categories = page.locator("#market tbody tr[data-category]")  # type: ignore[attr-defined]
    expect(categories.first).to_be_visible()
    assert categories.count() >= 3
    moves = page.locator("#moves tbody tr[data-competitor]")  # type: ignore[attr-defined]
    assert moves.count() >= 2  # the demo's storefronts, most-moved first
    name = categories.first.get_attribute("data-category")
    categories.first.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(f"Market position: {name}")  # type: ignore[attr-defined]
    expect(page.locator("#positions tbody tr").first).to_be_visible()  # type: ignore[attr-defined]
