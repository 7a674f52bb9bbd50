"""Counts what the other components cannot: exceptions in spider callbacks.

A callback that raises loses its page; the error is counted as ``parse`` beside the
download faults the retry middleware counts (:mod:`crawlers.errors`).
"""

from __future__ import annotations

from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class CrawlErrorStats:
    def __init__(self, crawler: Crawler) -> None:
        if crawler.stats is None:
            raise NotConfigured("no stats collector")
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_error, signal=signals.spider_error)
        return extension

    def spider_error(self, failure: Any, response: Any, spider: Any) -> None:
        self.stats.inc_value("pricing/errors/parse")
        self.stats.inc_value("pricing/lost/parse")
