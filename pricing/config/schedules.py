"""``schedules.yaml``: when the daemon runs what."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from pricing.config.files import _Strict


def _check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {value!r}: {exc}") from None
    return value


Cron = Annotated[str, AfterValidator(_check_cron)]


class Schedules(_Strict):
    timezone: str = "UTC"
    default_crawl: Cron = "0 1 * * *"
    crawls: dict[str, Cron] = Field(default_factory=dict)
    nightly: Cron = "30 4 * * *"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value
