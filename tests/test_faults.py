"""Crawls that survive faults and report them, against the fault-injecting demo shop.

Fleet Store sits behind a rate limiter and, on demand, answers 5xx, hangs past the
download timeout, cuts pages short, or goes live with a redesign that breaks our
selectors. The crawl is the real ``pricing crawl`` in a child process; the shop's
request log shows what the crawler really did.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from demo_market import DemoMarket
from demo_market.faults import bucket
from pricing.competitor_prices import trusted_competitor_prices
from pricing.storage import Database
from pricing.storage.models import CrawlRun, Listing, Match, PriceObservation
from tests.conftest import CONFIG_DIR, check_crawl_exit, run_cli

pytestmark = pytest.mark.slow
SHOP = "fleetstore"


@pytest.fixture(scope="module")
def market() -> Iterator[DemoMarket]:
    with DemoMarket(names=[SHOP]) as running:
        yield running


@pytest.fixture(scope="module")
def short_timeout_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped config with a 1 s download timeout for the faulty shop."""
    config = tmp_path_factory.mktemp("config")
    for source in CONFIG_DIR.glob("*.yaml"):
        (config / source.name).write_text(source.read_text())
    data = yaml.safe_load((config / "competitors.yaml").read_text())
    for comp in data["competitors"]:
        if comp["name"] == SHOP:
            comp["download_timeout"] = 1
            comp["concurrency"] = 4
    (config / "competitors.yaml").write_text(yaml.safe_dump(data))
    return config


def crawl(db: Database, market: DemoMarket, config_dir: Path = CONFIG_DIR) -> CrawlRun:
    market.clear_request_log(SHOP)
    result = run_cli(
        "crawl", SHOP, "--base-url", f"{SHOP}={market.base_urls[SHOP]}",
        db_url=db.url, config_dir=config_dir,
    )  # fmt: skip
    check_crawl_exit(result, db.url, [SHOP])
    with db.session() as s:
        run = s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
        assert run is not None
        s.expunge(run)
    return run


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'pricing.db'}"
    assert run_cli("init", db_url=url).returncode == 0
    database = Database(url)
    yield database
    database.dispose()


def stored_urls(db: Database, run_id: int) -> set[str]:
    with db.session() as s:
        return set(
            s.scalars(
                select(Listing.url)
                .join(PriceObservation)
                .where(PriceObservation.crawl_run_id == run_id)
            )
        )


def test_rate_limit_retry_after_is_obeyed_and_the_crawl_completes(
    db: Database, market: DemoMarket
) -> None:
    market.set_faults(SHOP, "ratelimit")
    try:
        run = crawl(db, market)
    finally:
        market.set_faults(SHOP)
    log = market.request_log(SHOP)
    limited = [r for r in log if r.status == 429]
    assert limited, "the strict limit was never reached"
    for refused in limited:  # Retry-After: 1 -> no retry of that page within a second
        again = [r for r in log if r.path == refused.path and r.at > refused.at]
        assert again and again[0].at - refused.at >= 0.95, refused.path
    assert run.status == "succeeded" and run.items == len(market.ground_truth(SHOP))
    assert run.stats["pricing/summary"]["errors"]["429"] == len(limited)
    assert stored_urls(db, run.id) == {t.url for t in market.ground_truth(SHOP)}


def test_5xx_timeouts_and_truncated_pages_are_retried_then_recorded(
    db: Database, market: DemoMarket, short_timeout_config: Path
) -> None:
    market.set_faults(SHOP, "5xx", "slow", "truncated")
    try:
        run = crawl(db, market, short_timeout_config)
    finally:
        market.set_faults(SHOP)
    truth = {t.url for t in market.ground_truth(SHOP)}
    base = market.base_urls[SHOP]
    by_bucket: dict[int, set[str]] = defaultdict(set)
    for url in truth:
        by_bucket[bucket(url.removeprefix(base))].add(url)
    broken = by_bucket[0] | by_bucket[3] | by_bucket[5] | by_bucket[6]  # permanent faults
    transient = by_bucket[1] | by_bucket[2] | by_bucket[4]  # fail once, then answer
    assert broken and transient
    stored = stored_urls(db, run.id)
    assert stored == truth - broken  # every transient fault was retried successfully
    attempts: dict[str, int] = defaultdict(int)
    for record in market.request_log(SHOP):
        attempts[base + record.path] += 1
    for url in by_bucket[0]:  # the permanent 500s: first try plus RETRY_TIMES retries
        assert attempts[url] == 4, url
    summary = run.stats["pricing/summary"]
    assert run.stats["finish_reason"] == "finished"
    assert {"http_5xx", "timeout", "truncated"} <= set(summary["errors"])
    assert summary["lost_pages"]["http_5xx"] == len(by_bucket[0])
    assert summary["lost_pages"]["timeout"] == len(by_bucket[3])
    assert summary["lost_pages"]["truncated"] == len(by_bucket[5] | by_bucket[6])
    assert run.errors == len(broken)


def used_run_ids(db: Database) -> set[int | None]:
    """The crawl runs whose observations the optimizer would use."""
    with db.session() as s:
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


def test_a_redesign_makes_the_run_suspect_until_confirmed(db: Database, market: DemoMarket) -> None:
    good = crawl(db, market)
    assert good.status == "succeeded"
    market.set_faults(SHOP, "redesign")
    try:
        bad = crawl(db, market)
    finally:
        market.set_faults(SHOP)
    assert bad.status == "suspect" and "recent good runs found" in (bad.note or "")
    assert 0 < bad.items < good.items / 2
    with db.session() as s:  # match every listing by hand: only run health decides
        for listing in s.scalars(select(Listing)):
            s.add(Match(listing_id=listing.id, sku="X", method="manual", confidence=1.0,
                        status="confirmed"))  # fmt: skip
    assert used_run_ids(db) == {good.id}
    assert run_cli("crawls", "confirm", str(bad.id), db_url=db.url).returncode == 0
    assert used_run_ids(db) == {good.id, bad.id}
