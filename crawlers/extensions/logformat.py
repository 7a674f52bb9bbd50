"""JSON log lines for a crawl when its settings ask for them (``PRICING_LOG_FORMAT =
json``): ``pricing crawl --log-format json``, the daemon's children, and crawls the daemon
schedules on Scrapyd nodes (the setting travels with the job)."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawlers.logformat import use_json_logs


class JsonLogs:
    """Switches Scrapy's log handler to JSON lines; off unless the setting says json."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if str(crawler.settings.get("PRICING_LOG_FORMAT", "text")).lower() != "json":
            raise NotConfigured
        use_json_logs()
        return cls()
