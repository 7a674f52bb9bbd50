"""The one spider class: finds a competitor's product pages the way its config says.

Discovery is either listing pages (product links plus a next-page link) or sitemaps.
Every product page goes through :func:`crawlers.extraction.extract_product`, the same
cascade ``pricing extract`` uses. Pages that need JavaScript are fetched through
scrapy-playwright with the system Chromium (``PRICING_CHROMIUM_PATH``, default
``/usr/bin/chromium``) when the competitor's ``render_js`` is set (product pages only:
sitemaps and listings are plain HTTP). A page whose HTML stops short (no closing tags)
is fetched once more, then read only if its price survived.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urlparse

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.sitemap import Sitemap

from crawlers.extraction import extract_product
from crawlers.items import ProductItem
from pricing.config import Competitor
from pricing.errors import PricingError
from pricing.selectors import is_xpath
from pricing.settings import Settings
from pricing.tax import PriceBasis

_DEFAULT_RETRY_EXCEPTIONS = [
    "scrapy.exceptions.CannotResolveHostError",
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    OSError,
]
# Flags a sandboxed, offline machine needs: no background calls home, no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class BrowserNotFoundError(PricingError):
    """The configured Chromium is not there: a JavaScript storefront cannot be read."""

    def __init__(self, path: str, competitor: str) -> None:
        super().__init__(
            f"PRICING_CHROMIUM_PATH: {path}: no such executable (competitor {competitor} "
            "renders JavaScript; install Debian's chromium or point PRICING_CHROMIUM_PATH at one)"
        )


def launch_options(settings: BaseSettings, competitor: Competitor) -> dict[str, Any]:
    """scrapy-playwright's PLAYWRIGHT_LAUNCH_OPTIONS: headless Chromium from
    ``PRICING_CHROMIUM_PATH`` with :data:`CHROMIUM_ARGS` plus ``PRICING_CHROMIUM_ARGS``.

    Both are Scrapy settings when the runner passes them, else the environment (as with
    Scrapy's own CLI under Scrapyd), else :class:`pricing.settings.Settings` defaults.
    """
    defaults = Settings()
    path = str(settings.get("PRICING_CHROMIUM_PATH") or defaults.chromium_path)
    extra = settings.get("PRICING_CHROMIUM_ARGS")
    if extra is None:
        extra = defaults.chromium_args
    if not os.access(path, os.X_OK) or os.path.isdir(path):
        raise BrowserNotFoundError(path, competitor.name)
    return {
        "executable_path": path,
        "headless": True,
        "args": [*CHROMIUM_ARGS, *shlex.split(extra)],
    }


# What a browser need not load to show prices: kept off the wire to save time.
_SKIPPED_RESOURCES = frozenset({"image", "media", "font", "stylesheet"})
_TAIL = 2048


def skip_resource(request: Any) -> bool:
    """scrapy-playwright's PLAYWRIGHT_ABORT_REQUEST: drop images, fonts, media, CSS."""
    return bool(request.resource_type in _SKIPPED_RESOURCES)


def looks_truncated(response: Response) -> bool:
    """An HTML page that neither closes ``body`` nor ``html`` was cut off in transit."""
    content_type = (response.headers.get(b"Content-Type") or b"").lower()
    if b"html" not in content_type:
        return False
    tail = response.body[-_TAIL:].lower()
    return b"</html" not in tail and b"</body" not in tail


def _select_all(response: Response, selector: str) -> list[str]:
    """Links matched by a CSS or XPath selector (href attributes or text)."""
    nodes = response.xpath(selector) if is_xpath(selector) else response.css(selector)
    values = []
    for node in nodes:
        href = node.attrib.get("href") if hasattr(node, "attrib") else None
        value = href or node.get()
        if value:
            values.append(value.strip())
    return values


class CompetitorSpider(scrapy.Spider):
    competitor: ClassVar[Competitor]
    catalog_includes_tax: ClassVar[bool | None] = None

    def __init__(self, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = (base_url or self.competitor.base_url).rstrip("/")
        self.allowed_domains = [urlparse(self.base_url).hostname or ""]
        self._product_pattern = (
            re.compile(self.competitor.discovery.product_url_pattern)
            if self.competitor.discovery.product_url_pattern
            else None
        )
        self._seen_products: set[str] = set()

    @staticmethod
    def settings_for(competitor: Competitor) -> dict[str, Any]:
        """Per-competitor politeness and, where needed, the browser download handler."""
        settings: dict[str, Any] = {
            "DOWNLOAD_DELAY": competitor.download_delay,
            # AutoThrottle starts at the configured delay and keeps about `concurrency`
            # requests in flight, slowing down as the shop's latency grows
            "AUTOTHROTTLE_START_DELAY": max(competitor.download_delay, 0.05),
            "AUTOTHROTTLE_TARGET_CONCURRENCY": float(competitor.concurrency),
            "CONCURRENT_REQUESTS_PER_DOMAIN": competitor.concurrency,
            "DOWNLOAD_TIMEOUT": competitor.download_timeout,
        }
        if competitor.render_js:
            handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
            settings |= {
                "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
                "PLAYWRIGHT_BROWSER_TYPE": "chromium",
                "PLAYWRIGHT_MAX_CONTEXTS": 1,
                "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max(2, competitor.concurrency),
                "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": competitor.download_timeout * 1000,
                "PLAYWRIGHT_ABORT_REQUEST": skip_resource,
                "RETRY_EXCEPTIONS": [
                    *_DEFAULT_RETRY_EXCEPTIONS,
                    "playwright._impl._errors.TimeoutError",
                    "playwright._impl._errors.Error",
                ],
            }
        return settings

    @property
    def price_basis(self) -> PriceBasis:
        """How this competitor's prices are put on the catalog's tax basis at storage."""
        return PriceBasis(
            self.catalog_includes_tax,
            self.competitor.prices_include_tax,
            self.competitor.tax_rate,
        )

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if cls.competitor.render_js:
            settings.set(
                "PLAYWRIGHT_LAUNCH_OPTIONS", launch_options(settings, cls.competitor), "spider"
            )

    @classmethod
    def handles_request(cls, request: scrapy.Request) -> bool:
        return urlparse(request.url).netloc == urlparse(cls.competitor.base_url).netloc

    def _url(self, path: str) -> str:
        return self.competitor.absolute(path, self.base_url)

    async def start(self) -> AsyncIterator[Any]:
        discovery = self.competitor.discovery
        if discovery.mode == "sitemap":
            for path in discovery.sitemap_urls:
                yield scrapy.Request(self._url(path), callback=self.parse_sitemap)
        else:
            for path in discovery.start_urls:
                yield scrapy.Request(self._url(path), callback=self.parse_listing)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        discovery = self.competitor.discovery
        assert discovery.product_links is not None  # the config model guarantees it
        for href in _select_all(response, discovery.product_links):
            yield self._product_request(response.urljoin(href))
        if discovery.next_page:
            for href in _select_all(response, discovery.next_page)[:1]:
                yield response.follow(href, callback=self.parse_listing)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            loc = entry.get("loc", "").strip()
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(response.urljoin(loc), callback=self.parse_sitemap)
            elif self._product_pattern is None or self._product_pattern.search(loc):
                yield self._product_request(response.urljoin(loc))

    def _observed_at(self) -> dt.datetime:
        """Now, or the moment ``PRICING_OBSERVED_AT`` (ISO 8601) names: a replayed season
        (``pricing demo --nights``) stamps what it crawls with the simulated date."""
        fixed = self.settings.get("PRICING_OBSERVED_AT")
        return dt.datetime.fromisoformat(fixed) if fixed else dt.datetime.now(dt.UTC)

    def _product_request(self, url: str) -> scrapy.Request:
        meta: dict[str, Any] = {}
        if self.competitor.render_js:
            from scrapy_playwright.page import PageMethod

            wait_for = self.competitor.wait_for
            if wait_for:
                target = f"xpath={wait_for}" if is_xpath(wait_for) else wait_for
                waits = [PageMethod("wait_for_selector", target, state="attached")]
            else:
                waits = [PageMethod("wait_for_load_state", "networkidle")]
            meta = {"playwright": True, "playwright_page_methods": waits}
            if wait_for:  # the element says when the page is ready; no need to await "load"
                meta["playwright_page_goto_kwargs"] = {"wait_until": "domcontentloaded"}
        return scrapy.Request(url, callback=self.parse_product, meta=meta)

    def parse_product(self, response: Response) -> Iterator[ProductItem | scrapy.Request]:
        if response.url in self._seen_products:
            return
        stats = self.crawler.stats
        assert stats is not None
        truncated = looks_truncated(response)
        if truncated:
            stats.inc_value("pricing/errors/truncated")
            assert response.request is not None
            retry = get_retry_request(
                response.request, spider=self, reason="truncated_html", max_retry_times=1
            )
            if retry is not None:
                yield retry
                return
        self._seen_products.add(response.url)
        product = extract_product(
            response.body,
            response.url,
            selectors=self.competitor.selectors,
            default_currency=self.competitor.currency,
        )
        if truncated and product.price is None:
            stats.inc_value("pricing/lost/truncated")
            return
        if product.title is None and product.price is None:
            stats.inc_value("pricing/not_a_product_page")
            return
        yield ProductItem(
            competitor=self.competitor.name,
            url=response.url,
            fetched_at=self._observed_at(),
            product=product,
        )
