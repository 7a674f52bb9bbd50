"""Crawl logs a person reads: one line per event, the traceback only with ``--debug``.

Scrapy logs a refused connection or a spider error with its full traceback (40 lines
for one refused ``robots.txt``). On a terminal, in cron mail or in a daemon's child log,
the kind and message of the error are what a person acts on; the traceback is for a
developer, who asks for it with ``--debug``.
"""

from __future__ import annotations

import logging

from scrapy.settings import BaseSettings
from scrapy.utils.log import get_scrapy_root_handler


class OneLineFormatter(logging.Formatter):
    """Formats a record as one line: the exception's kind and message stand in for its
    traceback (unless the message already says it), extra lines are joined."""

    def format(self, record: logging.LogRecord) -> str:
        exc = record.exc_info[1] if record.exc_info else None
        flat = logging.makeLogRecord(record.__dict__)
        flat.exc_info = flat.exc_text = flat.stack_info = None
        line = " | ".join(part for part in super().format(flat).splitlines() if part.strip())
        if exc is not None:
            reason = " ".join(str(exc).split())
            if not reason or reason not in line:
                line += f" [{type(exc).__name__}{': ' + reason if reason else ''}]"
        return line


def use_json_logs() -> None:
    """Give Scrapy's root handler the JSON formatter (one object a line, with the
    competitor and crawl run id: :mod:`pricing.logs`)."""
    from pricing.logs import ContextFilter, json_formatter

    handler = get_scrapy_root_handler()
    if handler is None:
        return
    handler.setFormatter(json_formatter())
    if not any(isinstance(f, ContextFilter) for f in handler.filters):
        handler.addFilter(ContextFilter())


def use_one_line_logs(settings: BaseSettings) -> None:
    """Give Scrapy's console (or ``LOG_FILE``) handler the one-line formatter.

    Call after every crawler is created: Scrapy re-installs its root handler then.
    """
    handler = get_scrapy_root_handler()
    if handler is not None:
        handler.setFormatter(
            OneLineFormatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT"))
        )
