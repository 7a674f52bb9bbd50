"""Run competitor spiders from Python (``pricing crawl``, ``pricing demo``, the daemon).

Scrapy's reactor starts once per process, so one call runs every requested spider
together and returns when all have finished. Long-lived callers (the daemon) run this
in a child process.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from crawlers.logformat import use_one_line_logs
from crawlers.spiderloader import spider_class
from pricing.config import AppConfig
from pricing.logs import setup as setup_logs
from pricing.settings import Settings


@dataclass(frozen=True)
class CrawlOutcome:
    competitor: str
    run_id: int | None
    items: int
    finish_reason: str | None


def scrapy_settings(settings: Settings, log_level: str = "INFO") -> ScrapySettings:
    s = ScrapySettings()
    s.setmodule("crawlers.settings", priority="project")
    s.set("PRICING_DATABASE_URL", settings.database_url, priority="cmdline")
    s.set("PRICING_CONFIG_DIR", str(settings.config_dir), priority="cmdline")
    s.set("PRICING_CHROMIUM_PATH", str(settings.chromium_path), priority="cmdline")
    s.set("PRICING_CHROMIUM_ARGS", settings.chromium_args, priority="cmdline")
    s.set("PRICING_LOG_FORMAT", settings.log_format, priority="cmdline")
    s.set("LOG_LEVEL", log_level, priority="cmdline")
    return s


def run_crawls(
    settings: Settings,
    config: AppConfig,
    names: Sequence[str] | None = None,
    *,
    base_urls: Mapping[str, str] | None = None,
    log_level: str = "INFO",
    tracebacks: bool = False,
    observed_at: dt.datetime | None = None,
) -> list[CrawlOutcome]:
    """Crawl the named competitors (all enabled ones when none is named), blocking.

    Log records are one line each unless ``tracebacks`` (``--debug``); JSON objects
    when ``settings.log_format`` is json. ``observed_at`` stamps every price seen
    (default: the moment it was fetched); a replay sets it.
    """
    if names:
        competitors = [config.competitor(n) for n in names]
    else:
        competitors = [c for c in config.competitors if c.enabled]
    json_logs = settings.log_format == "json"
    if json_logs:  # our handler from the first line on (Scrapy's would log its banner as text)
        setup_logs("json", logging.getLevelName(log_level))
    scrapy = scrapy_settings(settings, log_level)
    scrapy.set("LOG_INSTALL_ROOT_HANDLER", not json_logs, priority="cmdline")
    if observed_at is not None:
        scrapy.set("PRICING_OBSERVED_AT", observed_at.isoformat(), priority="cmdline")
    process = CrawlerProcess(scrapy)
    crawlers = []
    for comp in competitors:
        spider = spider_class(comp, config.policy.prices_include_tax)
        crawler = process.create_crawler(spider)
        process.crawl(crawler, base_url=(base_urls or {}).get(comp.name))
        crawlers.append((comp.name, crawler))
    if not tracebacks and not json_logs:  # JSON: a traceback goes in exc_info
        use_one_line_logs(process.settings)
    process.start()
    outcomes = []
    for name, crawler in crawlers:
        stats = crawler.stats
        outcomes.append(
            CrawlOutcome(
                competitor=name,
                run_id=stats.get_value("pricing/crawl_run_id"),
                items=int(stats.get_value("pricing/items", 0)),
                finish_reason=stats.get_value("finish_reason"),
            )
        )
    return outcomes
