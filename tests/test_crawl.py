"""Crawling through the real Scrapy engine against the demo storefronts on local ports.

Each crawl runs as ``pricing crawl`` in a child process, as an operator runs it; the
storefronts run in this process and know the truth to compare with.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from demo_market import DemoMarket
from pricing.config import load_config
from pricing.crawlruns import assess
from pricing.pipeline.optimize import trusted_competitor_prices
from pricing.storage import Database
from pricing.storage.models import CrawlRun, Listing, Match, PriceObservation
from tests.conftest import CONFIG_DIR, ROOT, run_cli


@pytest.fixture(scope="module")
def market() -> Iterator[DemoMarket]:
    with DemoMarket() as running:
        yield running


def crawl(db_url: str, market: DemoMarket, *names: str, config_dir: Path = CONFIG_DIR) -> None:
    overrides = [arg for n in names for arg in ("--base-url", f"{n}={market.base_urls[n]}")]
    result = run_cli("crawl", *names, *overrides, db_url=db_url, config_dir=config_dir)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


@pytest.fixture
def crawl_db(sqlite_url: str) -> Iterator[Database]:
    assert run_cli("init", db_url=sqlite_url).returncode == 0
    db = Database(sqlite_url)
    yield db
    db.dispose()


def test_scrapy_list_shows_one_spider_per_competitor() -> None:
    env = {**os.environ, "PRICING_CONFIG_DIR": str(CONFIG_DIR)}
    scrapy = Path(sys.executable).with_name("scrapy")
    result = subprocess.run(
        [str(scrapy), "list"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == sorted(c.name for c in load_config(CONFIG_DIR).competitors)


@pytest.mark.parametrize("competitor", ["partsdepot", "gearhub"])
def test_crawl_stores_every_product_at_its_price(
    crawl_db: Database, market: DemoMarket, competitor: str
) -> None:
    crawl(crawl_db.url, market, competitor)
    truth = {t.url.rsplit("/", 1)[-1]: t for t in market.ground_truth(competitor)}
    with crawl_db.session() as s:
        run = s.scalar(select(CrawlRun))
        assert run is not None and run.competitor == competitor
        assert run.status == "succeeded", run.note
        assert run.items == len(truth) and run.requests >= len(truth)
        assert run.finished_at is not None and run.stats.get("finish_reason") == "finished"
        seen = s.execute(select(Listing, PriceObservation).join(PriceObservation)).all()
    assert len(seen) == len(truth)
    for listing, obs in seen:
        expected = truth[listing.url.rsplit("/", 1)[-1]]
        assert obs.price == expected.price, listing.url
        assert obs.currency == expected.currency
        assert obs.availability == expected.availability
        assert listing.pack_qty == expected.pack_qty
        assert obs.unit_price == (expected.price / expected.pack_qty).quantize(Decimal("0.0001"))
        assert listing.part_number == expected.part_number
        assert obs.crawl_run_id == run.id


def test_recrawl_adds_history_not_duplicates(crawl_db: Database, market: DemoMarket) -> None:
    crawl(crawl_db.url, market, "gearhub")
    market.day = market.world.anchor + dt.timedelta(days=1)
    try:
        crawl(crawl_db.url, market, "gearhub")
    finally:
        market.day = market.world.anchor
    n = len(market.ground_truth("gearhub"))
    with crawl_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Listing)) == n
        assert s.scalar(select(func.count()).select_from(PriceObservation)) == 2 * n
        runs = s.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [r.status for r in runs] == ["succeeded", "succeeded"]


def test_a_broken_selector_makes_the_run_suspect_until_confirmed(
    crawl_db: Database, market: DemoMarket, tmp_path: Path
) -> None:
    crawl(crawl_db.url, market, "partsdepot")
    # the shop "redesigns" its listing pages: our next-page selector finds nothing, so
    # the crawl only sees the first page (the price cascade would survive a price-only
    # redesign through its visible-page fallback)
    redesigned = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, redesigned)
    data = yaml.safe_load((redesigned / "competitors.yaml").read_text())
    for comp in data["competitors"]:
        if comp["name"] == "partsdepot":
            comp["discovery"]["next_page"] = "nav.pager-after-redesign a::attr(href)"
    (redesigned / "competitors.yaml").write_text(yaml.safe_dump(data))
    crawl(crawl_db.url, market, "partsdepot", config_dir=redesigned)

    with crawl_db.session() as s:
        good, bad = s.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert good.status == "succeeded" and bad.status == "suspect"
        assert bad.items < good.items / 2 and "recent good runs found" in (bad.note or "")
        # match every listing by hand so only the run's health decides what counts
        for listing in s.scalars(select(Listing)):
            s.add(
                Match(
                    listing_id=listing.id,
                    sku="X",
                    method="manual",
                    confidence=1.0,
                    status="confirmed",
                )
            )
    listed = run_cli("crawls", "--format", "json", db_url=crawl_db.url)
    assert '"status": "suspect"' in listed.stdout

    def used_run_ids() -> set[int | None]:
        """The crawl runs whose observations the optimizer would use."""
        with crawl_db.session() as s:
            prices = trusted_competitor_prices(s, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
            return {
                s.scalar(
                    select(PriceObservation.crawl_run_id).where(
                        PriceObservation.listing_id == cp.listing_id,
                        PriceObservation.observed_at == cp.observed_at,
                    )
                )
                for cps in prices.values()
                for cp in cps
            }

    assert used_run_ids() == {good.id}
    assert run_cli("crawls", "confirm", str(bad.id), db_url=crawl_db.url).returncode == 0
    with crawl_db.session() as s:
        assert s.get(CrawlRun, bad.id).status == "confirmed"  # type: ignore[union-attr]
    assert used_run_ids() == {good.id, bad.id}  # the confirmed run's newer prices now count


@pytest.mark.parametrize(
    ("items", "unparseable", "previous", "status"),
    [
        (200, 0, [210, 205, 200], "succeeded"),
        (90, 0, [210, 205, 200], "suspect"),  # far fewer items than usual
        (200, 60, [200], "suspect"),  # many prices unreadable
        (200, 10, [], "succeeded"),  # first run: nothing to compare with
        (0, 0, [], "suspect"),
    ],
)
def test_suspect_rule(items: int, unparseable: int, previous: list[int], status: str) -> None:
    assert assess(items, unparseable, previous).status == status
