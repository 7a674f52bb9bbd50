"""Log output for the long-running commands (``pricing daemon``, ``pricing crawl`` and
the daemon's children): readable text lines, or one JSON object a line for log
collectors (``--log-format json``, env ``PRICING_LOG_FORMAT=json``).

A JSON line carries ``time`` (ISO 8601, UTC), ``level``, ``logger`` and ``message``,
plus the context known where it was logged: ``competitor`` and ``run_id`` inside a
crawl (taken from Scrapy's ``spider``), and whatever :func:`log_context` set for the
work in progress (the daemon's ``competitor``, ``task_id`` and ``attempt``). The
formatting is python-json-logger's: it serializes any ``extra`` field, dates and
exceptions (the traceback goes in ``exc_info``), so a line never breaks in two.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from pricing.errors import PricingError

LOG_FORMATS = ("text", "json")
LOG_FORMAT_ENV = "PRICING_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# the fields of the work in progress, per thread (each daemon job runs in its own)
_context: ContextVar[dict[str, Any]] = ContextVar("pricing_log_context", default={})  # noqa: B039


class LogFormatError(PricingError):
    def __init__(self, value: str) -> None:
        super().__init__(
            f"--log-format / {LOG_FORMAT_ENV}: {value!r} is not one of {', '.join(LOG_FORMATS)}"
        )


def check_format(value: str) -> str:
    """``value`` lower-cased if it names a log format, else :class:`LogFormatError`."""
    fmt = value.strip().lower()
    if fmt not in LOG_FORMATS:
        raise LogFormatError(value)
    return fmt


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to every record logged in this thread until the block ends."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Puts the context fields on each record: :func:`log_context`'s, and for Scrapy's
    records about a spider its competitor and crawl run id."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        spider = getattr(record, "spider", None)
        if spider is not None:
            if not hasattr(record, "competitor"):
                record.competitor = getattr(spider, "name", None)
            crawler = getattr(spider, "crawler", None)
            stats = getattr(crawler, "stats", None)
            run_id = stats.get_value("pricing/crawl_run_id") if stats is not None else None
            if run_id is not None and not hasattr(record, "run_id"):
                record.run_id = run_id
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time, level, logger, message and the extra fields
    (live Scrapy objects passed as ``extra`` are left out, their names are kept)."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        reserved_attrs=[*RESERVED_ATTRS, "spider", "crawler", "response", "request", "failure"],
        json_default=_plain,
        json_ensure_ascii=False,
    )


def _plain(value: Any) -> Any:
    """JSON for what ``json`` cannot write: dates in ISO 8601, anything else (a decimal,
    an item, a live object) as its text, never expanded (Scrapy's items can be deep)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def formatter(fmt: str) -> logging.Formatter:
    return json_formatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def setup(fmt: str, level: int = logging.INFO) -> None:
    """Log to stderr in ``fmt`` (text or json), replacing any handler already set."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)  # Scrapy resets the root logger's level when it starts
    handler.setFormatter(formatter(check_format(fmt)))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
