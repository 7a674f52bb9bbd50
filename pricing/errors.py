"""Exceptions a user sees as one clear line (the CLI prints ``str(exc)``)."""

from __future__ import annotations

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
    """An input file (CSV) has bad rows; nothing from it was stored."""

    def __init__(self, file: Path | str, problems: list[tuple[int, str]], total_rows: int) -> None:
        self.file, self.problems, self.total_rows = str(file), problems, total_rows
        first_line, first_reason = problems[0]
        more = f" (and {len(problems) - 1} more bad rows)" if len(problems) > 1 else ""
        super().__init__(
            f"{self.file}: line {first_line}: {first_reason}{more}; nothing imported "
            "(use --skip-bad-rows to import the good rows)"
        )


class NotFoundError(PricingError):
    """Something the user named does not exist."""


class DatabaseNotReadyError(PricingError):
    """The schema is missing or behind the code."""

    def __init__(self, url: str) -> None:
        super().__init__(f"database {url} has no current schema; run `pricing init` first")
