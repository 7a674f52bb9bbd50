"""Crawling through the real Scrapy engine against the demo storefronts on local ports,
and the suspect-run rules.

Each crawl runs as ``pricing crawl`` in a child process, as an operator runs it; the
storefronts run in this process and know the truth to compare with. Every shop's
prices against its truth: ``test_storefronts.py``; faults: ``test_faults.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from email.utils import format_datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from crawlers.downloadermiddlewares.backoff import parse_retry_after
from demo_market import DemoMarket
from pricing.competitor_prices import trusted_competitor_prices
from pricing.config import SuspectRules, load_config
from pricing.crawlruns import PriceJumps, assess, price_jumps, start_run
from pricing.observations import ObservationIn, store_observations
from pricing.storage import Database
from pricing.storage.models import CrawlRun, Listing, Match, PriceObservation
from tests.conftest import CONFIG_DIR, ROOT, check_crawl_exit, run_cli


@pytest.fixture(scope="module")
def market() -> Iterator[DemoMarket]:
    with DemoMarket() as running:
        yield running


def crawl(db_url: str, market: DemoMarket, *names: str, config_dir: Path = CONFIG_DIR) -> None:
    overrides = [arg for n in names for arg in ("--base-url", f"{n}={market.base_urls[n]}")]
    result = run_cli("crawl", *names, *overrides, db_url=db_url, config_dir=config_dir)
    check_crawl_exit(result, db_url, names)


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
    ("items", "unparseable", "previous", "jumps", "status"),
    [
        (200, 0, [210, 205, 200], None, "succeeded"),
        (90, 0, [210, 205, 200], None, "suspect"),  # far fewer items than usual
        (200, 60, [200], None, "suspect"),  # many prices unreadable
        (200, 10, [], None, "succeeded"),  # first run: nothing to compare with
        (0, 0, [], None, "suspect"),
        (200, 0, [200], PriceJumps(180, 40), "suspect"),  # 22% of known prices jumped
        (200, 0, [200], PriceJumps(180, 10), "succeeded"),  # 5.5%: a few real repricings
        (20, 0, [20], PriceJumps(10, 2), "succeeded"),  # too few to call it a pattern
        (20, 0, [20], PriceJumps(10, 3), "suspect"),
    ],
)
def test_suspect_rule(
    items: int, unparseable: int, previous: list[int], jumps: PriceJumps | None, status: str
) -> None:
    assert assess(items, unparseable, previous, jumps=jumps).status == status


def test_suspect_thresholds_are_per_competitor() -> None:
    lenient = SuspectRules(max_unreadable_share=0.5, max_jump_share=0.5)
    assert assess(200, 60, [200], rules=lenient).status == "succeeded"
    assert assess(200, 0, [200], jumps=PriceJumps(180, 40), rules=lenient).status == "succeeded"
    assert "changed price by more than x3" in (
        assess(200, 0, [200], jumps=PriceJumps(180, 40, ("listing 1: 9.99 -> 999 USD",))).note or ""
    )


def _observe(db: Database, run_id: int, day: int, prices: list[Decimal | None]) -> None:
    at = dt.datetime(2026, 3, day, 2, tzinfo=dt.UTC)
    rows = [
        ObservationIn("shop", f"https://shop.example/p/{i}", f"Part {i}", at, price, "USD")
        for i, price in enumerate(prices)
    ]
    with db.session() as s:
        store_observations(s, rows, crawl_run_id=run_id)


def _run(db: Database, status: str) -> int:
    with db.session() as s:
        run = start_run(s, "shop")
        run.status = status
        return run.id


def test_price_jumps_compare_with_the_previous_trusted_price(db: Database) -> None:
    base = [Decimal("10.00")] * 20
    good = _run(db, "succeeded")
    _observe(db, good, 1, base)
    # a glitch: prices read in cents on 5 of 20 listings, one price gone
    glitch = _run(db, "running")
    _observe(db, glitch, 2, [Decimal("1000.00")] * 5 + base[5:19] + [None])
    with db.session() as s:
        jumps = price_jumps(s, glitch, 3.0)
    assert (jumps.compared, jumps.jumped) == (19, 5)
    assert jumps.examples[0].endswith("10 -> 1000 USD")
    assert assess(20, 1, [20], jumps=jumps).status == "suspect"
    with db.session() as s:  # the suspect run is no baseline: the next run compares to day 1
        s.get(CrawlRun, glitch).status = "suspect"  # type: ignore[union-attr]
    later = _run(db, "running")
    _observe(db, later, 3, [Decimal("10.40")] * 20)  # ordinary repricing
    with db.session() as s:
        assert price_jumps(s, later, 3.0) == PriceJumps(20, 0)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after(b"120") == 120.0
    assert parse_retry_after(" 3 ") == 3.0
    when = format_datetime(now + dt.timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(when, now=now.timestamp()) == pytest.approx(90)
    assert parse_retry_after(format_datetime(now, usegmt=True), now=now.timestamp() + 5) == 0
    assert parse_retry_after(b"soon") is None and parse_retry_after(None) is None
