"""Every demo storefront crawled through the real Scrapy engine, checked against its truth.

One demo market serves the module; each crawl is ``pricing crawl`` in a child process
(Scrapy's reactor and Playwright want a process of their own). The JavaScript shop is
rendered by the system Chromium, and shown to give no prices at all without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from demo_market import DemoMarket, ListingTruth
from pricing.storage import Database
from pricing.storage.models import CrawlRun, Listing, PriceObservation
from tests.support import CONFIG_DIR, check_crawl_exit, run_cli

pytestmark = pytest.mark.slow
SERVER_RENDERED = ("partsdepot", "gearhub", "tradesupply", "fleetstore")


def _crawl(db_url: str, market: DemoMarket, names: tuple[str, ...], config_dir: Path) -> None:
    overrides = [arg for n in names for arg in ("--base-url", f"{n}={market.base_urls[n]}")]
    result = run_cli("crawl", *names, *overrides, db_url=db_url, config_dir=config_dir)
    check_crawl_exit(result, db_url, names)


def _fresh_db(tmp: Path) -> Database:
    url = f"sqlite:///{tmp / 'pricing.db'}"
    assert run_cli("init", db_url=url).returncode == 0
    return Database(url)


@pytest.fixture(scope="module")
def server_rendered(
    market: DemoMarket, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """The four shops that need no browser, crawled together once."""
    db = _fresh_db(tmp_path_factory.mktemp("shops"))
    _crawl(db.url, market, SERVER_RENDERED, CONFIG_DIR)
    yield db
    db.dispose()


def _stored(
    db: Database, competitor: str
) -> tuple[CrawlRun, dict[str, tuple[Listing, PriceObservation]]]:
    with db.session() as s:
        run = s.scalar(select(CrawlRun).where(CrawlRun.competitor == competitor))
        assert run is not None
        rows = s.execute(
            select(Listing, PriceObservation)
            .join(PriceObservation)
            .where(Listing.competitor == competitor)
        ).all()
        s.expunge_all()
    return run, {listing.url: (listing, obs) for listing, obs in rows}


def _check_against_truth(
    run: CrawlRun, stored: dict[str, tuple[Listing, PriceObservation]], truth: list[ListingTruth]
) -> None:
    assert run.status == "succeeded", run.note
    assert run.items == len(truth) and set(stored) == {t.url for t in truth}
    for expected in truth:
        listing, obs = stored[expected.url]
        assert obs.price == expected.price, expected.url
        assert obs.currency == expected.currency, expected.url
        assert obs.list_price == expected.list_price, expected.url
        assert obs.availability == expected.availability, expected.url
        assert listing.pack_qty == expected.pack_qty, expected.url
        assert listing.part_number == expected.part_number, expected.url
        if expected.price is not None:
            assert obs.unit_price == (expected.price / expected.pack_qty).quantize(
                Decimal("0.0001")
            )


@pytest.mark.parametrize("competitor", SERVER_RENDERED)
def test_server_rendered_shops_are_stored_at_their_true_prices(
    server_rendered: Database, market: DemoMarket, competitor: str
) -> None:
    run, stored = _stored(server_rendered, competitor)
    _check_against_truth(run, stored, market.ground_truth(competitor))
    summary = run.stats["pricing/summary"]
    assert summary["items"] == run.items and summary["requests"] == run.requests
    assert summary["duration_s"] > 0 and summary["lost_pages"] == {}


def test_euro_shop_prices_read_from_comma_decimals(
    server_rendered: Database, market: DemoMarket
) -> None:
    truth = market.ground_truth("gearhub")
    assert {t.currency for t in truth} == {"EUR"}
    page = market.storefronts["gearhub"].product_page(
        next(p for p in market.world.shops["gearhub"].products if p.slug in truth[0].url), ""
    )
    assert f"{truth[0].price:.2f}".replace(".", ",") + "\u00a0€" in page  # as a German shop
    _, stored = _stored(server_rendered, "gearhub")
    assert {obs.currency for _, obs in stored.values()} == {"EUR"}


def test_b2b_shop_call_for_price_and_quantity_breaks(
    server_rendered: Database, market: DemoMarket
) -> None:
    truth = market.ground_truth("tradesupply")
    quote_only = [t for t in truth if t.price is None]
    assert quote_only and any(t.pack_qty > 1 for t in truth)
    run, stored = _stored(server_rendered, "tradesupply")
    for t in quote_only:  # no price, and not 0
        assert stored[t.url][1].price is None and stored[t.url][1].unit_price is None
    # "call for price" is not an unreadable price: the run is healthy
    assert run.status == "succeeded"
    assert run.stats["pricing/price_on_request"] == len(quote_only)
    assert "pricing/unparseable_price" not in run.stats
    # the breaks are kept in the run's stats; the observation is the first break
    breaks = run.stats["pricing/price_breaks"]
    for t in truth:
        if t.price is None:
            assert t.url not in breaks
            continue
        assert breaks[t.url] == [[qty, str(price)] for qty, price in t.price_breaks]
        assert t.price_breaks[0] == (1, t.price)


def test_robots_disallowed_links_are_never_fetched(
    server_rendered: Database, market: DemoMarket
) -> None:
    log = market.request_log("fleetstore")
    assert log and all(r.user_agent.startswith("PricingMonitorBot") for r in log)
    assert not [r.path for r in log if r.path.startswith(("/print/", "/compare"))]
    run, _ = _stored(server_rendered, "fleetstore")
    assert run.stats["pricing/summary"]["errors"]["robots"] > 0


def test_javascript_shop_is_rendered_in_chromium(market: DemoMarket, tmp_path: Path) -> None:
    db = _fresh_db(tmp_path)
    _crawl(db.url, market, ("quickfit",), CONFIG_DIR)
    run, stored = _stored(db, "quickfit")
    _check_against_truth(run, stored, market.ground_truth("quickfit"))
    # the prices came from the XHR endpoint the page's script called
    assert any(r.path.startswith("/api/products/") for r in market.request_log("quickfit"))
    db.dispose()


def test_javascript_shop_without_rendering_shows_no_price(
    market: DemoMarket, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for source in CONFIG_DIR.glob("*.yaml"):
        (config / source.name).write_text(source.read_text())
    data = yaml.safe_load((config / "competitors.yaml").read_text())
    for comp in data["competitors"]:
        if comp["name"] == "quickfit":
            comp["render_js"] = False
    (config / "competitors.yaml").write_text(yaml.safe_dump(data))
    db = _fresh_db(tmp_path)
    _crawl(db.url, market, ("quickfit",), config)
    run, stored = _stored(db, "quickfit")
    assert stored and all(obs.price is None for _, obs in stored.values())
    assert run.status == "suspect" and "no readable price" in (run.note or "")
    db.dispose()
