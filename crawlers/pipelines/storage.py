"""Item pipeline: stores crawled products as observations and records the crawl run.

Items are written in small batches, each its own transaction, so a crawl killed at
any moment keeps every batch already committed and never stores one twice (the
observation key is listing + observed_at). The run row is opened when the spider
starts and closed with its counts, stats (requests, items, errors by kind, duration)
and health when it stops. A page that shows no price on purpose ("call for price") is
stored without a price and is not counted as unreadable. Quantity breaks have no
column of their own: they are kept in the run's stats, by URL.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler

from crawlers.errors import crawl_summary
from crawlers.extraction import ExtractedProduct
from crawlers.items import ProductItem
from pricing import crawlruns
from pricing.config import SuspectRules
from pricing.observations import ObservationIn, ensure_competitors, store_observations
from pricing.settings import Settings
from pricing.storage import Database
from pricing.storage.models import CrawlRun, CrawlStatus, utcnow
from pricing.tax import OnBasis, PriceBasis, price_on_basis

log = logging.getLogger(__name__)

BATCH_SIZE = 50
MAX_BREAKS_KEPT = 5000  # listings whose quantity breaks a run's stats keep


def stored_price(product: ExtractedProduct, basis: PriceBasis | None = None) -> OnBasis:
    """A crawled page's price (and list price) on the catalog's tax basis, in the
    currency's minor unit (:func:`pricing.tax.price_on_basis`)."""
    return price_on_basis(
        product.price,
        product.currency,
        includes_tax=product.price_includes_tax,
        other_basis_price=product.other_basis_price,
        list_price=product.list_price,
        basis=basis or PriceBasis(),
    )


def to_observation(
    item: ProductItem, basis: PriceBasis | None = None, stored: OnBasis | None = None
) -> ObservationIn:
    p = item.product
    stored = stored or stored_price(p, basis)
    return ObservationIn(
        competitor=item.competitor,
        url=item.url,
        title=p.title or "",
        observed_at=item.fetched_at,
        price=stored.price,
        currency=p.currency,
        brand=p.brand,
        part_number=p.mpn or p.sku,
        gtin=p.gtin,
        pack_qty=p.pack_qty or 1,
        availability=p.availability,
        list_price=stored.list_price,
        price_text=p.price_text,
        method=p.method,
    )


def _json_safe(stats: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(stats, default=str))


class StoragePipeline:
    def __init__(self, crawler: Crawler, database_url: str) -> None:
        self.crawler = crawler
        self.db = Database(database_url)
        self.buffer: list[ObservationIn] = []
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        url = crawler.settings.get("PRICING_DATABASE_URL") or Settings().database_url
        pipeline = cls(crawler, url)
        # the finish reason is only known once the spider has closed, after the pipelines
        crawler.signals.connect(pipeline.finish_run, signal=signals.spider_closed)
        return pipeline

    @property
    def competitor(self) -> str:
        assert self.crawler.spider is not None
        return str(self.crawler.spider.name)

    def open_spider(self) -> None:
        self.db.require_schema()
        with self.db.session() as session:
            spider = self.crawler.spider
            label = getattr(getattr(spider, "competitor", None), "label", self.competitor)
            ensure_competitors(session, [self.competitor], {self.competitor: label})
            self.run_id = crawlruns.start_run(session, self.competitor).id
        self.crawler.stats.set_value("pricing/crawl_run_id", self.run_id)

    def process_item(self, item: ProductItem) -> ProductItem:
        stats = self.crawler.stats
        basis = getattr(self.crawler.spider, "price_basis", None)
        product = item.product
        stored = stored_price(product, basis)
        self.buffer.append(to_observation(item, basis, stored))
        stats.inc_value("pricing/items")
        if basis is not None and basis.catalog_includes_tax is not None and product.price:
            # how the stored prices got onto the catalog's basis
            if stored.converted:
                stats.inc_value("pricing/tax/converted")
            elif stored.unconverted:
                stats.inc_value("pricing/tax/unconverted")
            elif stored.includes_tax is None:
                stats.inc_value("pricing/tax/basis_unknown")
        if product.price is None:
            if product.price_on_request:
                stats.inc_value("pricing/price_on_request")
            else:
                stats.inc_value("pricing/unparseable_price")
        if product.price_breaks:
            kept = stats.get_value("pricing/price_breaks") or {}
            if len(kept) < MAX_BREAKS_KEPT:
                kept[item.url] = [[qty, str(price)] for qty, price in product.price_breaks]
                stats.set_value("pricing/price_breaks", kept)
        if len(self.buffer) >= BATCH_SIZE:
            self._flush()
        return item

    def _flush(self) -> None:
        if not self.buffer:
            return
        with self.db.session() as session:
            store_observations(session, self.buffer, crawl_run_id=self.run_id, source="crawl")
        self.buffer.clear()

    def close_spider(self) -> None:
        self._flush()

    def finish_run(self, spider: Any, reason: str) -> None:
        if self.run_id is None:  # the run never opened (no schema); nothing to close
            return
        stats = self.crawler.stats
        items = int(stats.get_value("pricing/items", 0))
        unparseable = int(stats.get_value("pricing/unparseable_price", 0))
        summary = crawl_summary(stats.get_stats())
        stats.set_value("pricing/summary", summary)
        competitor = getattr(spider, "competitor", None)
        rules = getattr(competitor, "suspect", None) or SuspectRules()
        with self.db.session() as session:
            run = session.get(CrawlRun, self.run_id, with_for_update=True)
            assert run is not None
            if run.status != CrawlStatus.running:
                # a daemon closed it first (it lost this crawl with its node or its own
                # death, and dispatched the crawl again): its verdict stands, so the
                # same night never counts two good runs of one shop
                log.warning(
                    "crawl run %s was closed as %s meanwhile: %s", run.id, run.status, run.note
                )
                self.db.dispose()
                return
            if reason == "finished":
                previous = crawlruns.recent_good_item_counts(session, run.competitor, run.id)
                jumps = crawlruns.price_jumps(session, run.id, rules.price_jump_factor)
                stats.set_value("pricing/price_jumps", [jumps.compared, jumps.jumped])
                health = crawlruns.assess(
                    items,
                    unparseable,
                    previous,
                    jumps=jumps,
                    rules=rules,
                    lost_pages=sum(summary["lost_pages"].values()),
                )
            else:
                health = crawlruns.Health(CrawlStatus.failed, f"stopped early: {reason}")
            run.status, run.note = health.status, health.note
            run.finished_at = utcnow()
            run.items = items
            run.requests = summary["requests"]
            # pages lost to faults (after retries) and callbacks that failed
            run.errors = sum(summary["lost_pages"].values())
            run.stats = _json_safe(stats.get_stats())
        self.db.dispose()
