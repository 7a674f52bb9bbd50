"""Exceptions a user sees as one clear line (the CLI prints ``str(exc)``)."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class PricingError(Exception):
    """Base class: every subclass builds a message fit to show a user as it is."""


class ConfigError(PricingError):
    """A configuration file is missing, unreadable or invalid."""

    def __init__(self, file: Path | str, key: str, reason: str) -> None:
        self.file, self.key, self.reason = str(file), key, reason
        where = f"{self.file}: {key}" if key else self.file
        super().__init__(f"{where}: {reason}")


class InputFileError(PricingError):
    """An input file (CSV) has bad rows, or cannot be read; nothing from it was stored.

    ``problems`` are ``(line, reason)``; line 0 is the file as a whole. ``total_rows``
    is 0 when the file could not be read row by row (then skipping bad rows cannot help).
    """

    def __init__(self, file: Path | str, problems: list[tuple[int, str]], total_rows: int) -> None:
        self.file, self.problems, self.total_rows = str(file), problems, total_rows
        first_line, first_reason = problems[0]
        where = f"{self.file}: line {first_line}" if first_line else self.file
        more = f" (and {len(problems) - 1} more bad rows)" if len(problems) > 1 else ""
        hint = " (use --skip-bad-rows to import the good rows)" if total_rows else ""
        super().__init__(f"{where}: {first_reason}{more}; nothing imported{hint}")


class NotFoundError(PricingError):
    """Something the user named does not exist."""


class DatabaseNotReadyError(PricingError):
    """The schema is missing or behind the code."""

    def __init__(self, url: str) -> None:
        super().__init__(f"database {url} has no current schema; run `pricing init` first")


class ExitCode(IntEnum):
    """What ``pricing`` exits with (documented in the README; cron and CI read it)."""

    OK = 0
    ERROR = 1  # any error: bad input, bad config, missing schema, unreachable database
    USAGE = 2  # bad command line (click's own code)
    CRAWL_FAILED = 3  # a named crawl failed (or never opened its run)
    CRAWL_SUSPECT = 4  # no crawl failed, but one was flagged suspect
    INTERRUPTED = 130

