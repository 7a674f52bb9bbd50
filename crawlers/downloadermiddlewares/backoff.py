"""Retries that wait: ``Retry-After`` honored, exponential backoff for 5xx and timeouts.

Scrapy's own RetryMiddleware retries at once and ignores ``Retry-After`` (Scrapy
2.19). This subclass replaces it:

* ``429`` and ``503`` with ``Retry-After`` (seconds or an HTTP date): the whole
  domain's download slot is held back for that long, since the server asked us to
  slow down, not just for that one page. A ``429`` has its own retry budget
  (``RETRY_RATE_LIMITED_TIMES``), as a rate limit is expected to lift. A
  ``Retry-After`` beyond ``RETRY_AFTER_MAX`` is not waited for: the page is given up.
* other retryable statuses and download errors (timeouts, dropped connections):
  the one request waits ``RETRY_BACKOFF_BASE * 2**(attempt - 1)`` seconds (at most
  ``RETRY_BACKOFF_MAX``, with jitter) before it is retried.

Every fault is counted by kind (:mod:`crawlers.errors`), and a page given up on too.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet import defer, task

from crawlers.errors import exception_kind, status_kind

log = logging.getLogger(__name__)


def parse_retry_after(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: ``120`` or an HTTP date."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 0.5)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 300.0)
        self.rate_limited_times = settings.getint("RETRY_RATE_LIMITED_TIMES", 10)
        self._paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    def _count(self, prefix: str, kind: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"pricing/{prefix}/{kind}")

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        kind = status_kind(response.status)
        if kind is not None:
            self._count("errors", kind)
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = None
        if response.status in (429, 503):
            wait = parse_retry_after(response.headers.get(b"Retry-After"))
        if wait is not None and wait > self.retry_after_max:
            log.warning("%s asks to wait %.0f s, more than RETRY_AFTER_MAX", request, wait)
            self._count("lost", kind or "http")
            return response
        retry = (
            self._retry_rate_limited(request)
            if response.status == 429
            else self._retry(request, response_status_message(response.status))
        )
        if retry is None:
            self._count("lost", kind or "http")
            return response
        if wait is None and response.status != 429:
            await self._sleep(self._backoff(retry))
        elif not self._pause_slot(request, wait if wait is not None else self._backoff(retry)):
            await self._sleep(wait if wait is not None else self._backoff(retry))
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        kind = exception_kind(exception)
        if kind is None:
            return None
        self._count("errors", kind)
        if request.meta.get("dont_retry", False) or not isinstance(
            exception, self.exceptions_to_retry
        ):
            self._count("lost", kind)
            return None
        retry = self._retry(request, exception)
        if retry is None:
            self._count("lost", kind)
            return None
        await self._sleep(self._backoff(retry))
        return retry

    def _retry_rate_limited(self, request: Request) -> Request | None:
        """A 429 retry, counted apart from the budget for errors."""
        tries = int(request.meta.get("rate_limited_times", 0)) + 1
        if tries > self.rate_limited_times:
            log.error("Gave up on %s: still rate limited after %d tries", request, tries - 1)
            return None
        retry = request.copy()
        retry.meta["rate_limited_times"] = tries
        retry.dont_filter = True
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("retry/count")
        self.crawler.stats.inc_value("retry/reason_count/429 Too Many Requests")
        return retry

    def _backoff(self, retry: Request) -> float:
        attempt = int(retry.meta.get("retry_times", retry.meta.get("rate_limited_times", 1)))
        delay = min(self.backoff_max, self.backoff_base * 2 ** max(0, attempt - 1))
        return delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            from twisted.internet import reactor

            deferred: defer.Deferred[None] = task.deferLater(reactor, seconds, lambda: None)
            await maybe_deferred_to_future(deferred)

    def _pause_slot(self, request: Request, seconds: float) -> bool:
        """Hold back every request to this domain for ``seconds``; False if we cannot.

        Scrapy has no public call for this; its downloader holds a slot back while the
        slot's ``latercall`` is pending (the same mechanism DOWNLOAD_DELAY uses).
        """
        engine = self.crawler.engine
        downloader = getattr(engine, "downloader", None)
        slots = getattr(downloader, "slots", None)
        key = str(request.meta.get("download_slot") or "")
        slot = slots.get(key) if slots is not None and key else None
        if slot is None or not hasattr(slot, "latercall") or downloader is None:
            return False
        until = time.monotonic() + seconds
        if self._paused_until.get(key, 0.0) >= until and slot.latercall is not None:
            return True
        self._paused_until[key] = until
        if slot.latercall is not None:
            slot.latercall.cancel()
        slot.latercall = call_later(seconds, downloader._latercall, slot)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("pricing/slot_paused")
        return True
