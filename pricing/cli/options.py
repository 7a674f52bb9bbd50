"""Options shared by several commands, parsed here so a bad value is one clear line."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from pricing.cli.output import Format
from pricing.errors import PricingError
from pricing.logs import check_format
from pricing.settings import Settings

AS_OF_RANGE = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(2200, 1, 1, tzinfo=dt.UTC))

FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]
ByOpt = Annotated[str, typer.Option("--by", help="Who decides (default: your login).")]

AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATETIME",
        help="Act as if it were this moment: YYYY-MM-DD or an ISO 8601 date-time "
        "(UTC unless it has an offset). Default: now.",
    ),
]


LogFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--log-format",
        metavar="text|json",
        envvar="PRICING_LOG_FORMAT",
        show_envvar=True,
        help="Log lines on stderr as text, or as one JSON object a line (time, level, "
        "logger, message, competitor, run_id...).",
    ),
]


def with_log_format(settings: Settings, value: str | None) -> Settings:
    """The settings with ``--log-format`` applied (checked: one clear line if bad)."""
    return settings.model_copy(update={"log_format": check_format(value or settings.log_format)})


def parse_as_of(text: str | None) -> dt.datetime | None:
    """``--as-of`` as an aware UTC datetime (None when not given)."""
    if text is None:
        return None
    value = text.strip()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise PricingError(
            f"--as-of: {text!r} is not a date or date-time (use YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM:SS, optionally with +HH:MM)"
        ) from None
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    low, high = AS_OF_RANGE
    if not low <= moment < high:
        raise PricingError(
            f"--as-of: {text!r} is out of range (from {low:%Y-%m-%d} to before {high:%Y-%m-%d})"
        )
    return moment.astimezone(dt.UTC)
