"""Crawl errors by kind, as a crawl run reports them.

Every fault a crawl meets is counted under ``pricing/errors/<kind>`` in the Scrapy
stats (each occurrence: a retried 503 counts once per answer), and a page given up
on under ``pricing/lost/<kind>``. :func:`crawl_summary` turns the stats into the
figures a crawl run row keeps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest, ResponseDataLossError

ERROR_KINDS = ("http_5xx", "timeout", "429", "robots", "truncated", "parse", "network", "http_4xx")


def status_kind(status: int) -> str | None:
    if status == 429:
        return "429"
    if 500 <= status <= 599:
        return "http_5xx"
    if status == 408:
        return "timeout"
    return None


def exception_kind(exc: BaseException) -> str | None:
    """The kind of a download exception; None for a request dropped on purpose."""
    if isinstance(exc, IgnoreRequest):
        return None
    if isinstance(exc, DownloadTimeoutError | TimeoutError) or "Timeout" in type(exc).__name__:
        return "timeout"  # Scrapy's, Twisted's, asyncio's and Playwright's timeouts
    if isinstance(exc, ResponseDataLossError):
        return "truncated"
    return "network"


def crawl_summary(stats: Mapping[str, Any], now: dt.datetime | None = None) -> dict[str, Any]:
    """Requests, items, errors and lost pages by kind, and duration of one crawl."""
    errors = {
        kind: int(stats.get(f"pricing/errors/{kind}", 0))
        for kind in ERROR_KINDS
        if stats.get(f"pricing/errors/{kind}")
    }
    robots = int(stats.get("robotstxt/forbidden", 0))
    if robots:
        errors["robots"] = robots
    lost = {
        kind: int(stats.get(f"pricing/lost/{kind}", 0))
        for kind in ERROR_KINDS
        if stats.get(f"pricing/lost/{kind}")
    }
    started = stats.get("start_time")
    now = now or dt.datetime.now(dt.UTC)
    duration = (now - started).total_seconds() if isinstance(started, dt.datetime) else None
    return {
        "requests": int(stats.get("downloader/request_count", 0)),
        "responses": int(stats.get("downloader/response_count", 0)),
        "items": int(stats.get("pricing/items", 0)),
        "errors": errors,
        "lost_pages": lost,
        "retries": int(stats.get("retry/count", 0)),
        "duration_s": round(duration, 3) if duration is not None else None,
    }
