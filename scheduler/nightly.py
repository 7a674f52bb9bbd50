"""The nightly pipeline: match new listings, optimize, auto-approve, write the report.

The daemon runs it as ``pricing --config DIR nightly --reports DIR`` in a child process,
like a crawl, so it has a time limit and can be stopped; the database URL comes in
``PRICING_DATABASE_URL`` (not ``--db``, which ``ps`` would show). The demo season calls
:func:`run_nightly` for each simulated night.
The report goes to ``REPORTS/<date>/`` (the date in the schedules' time zone); a
second run on the same day replaces that day's files. ``pricing nightly`` prints one
JSON line with what it did.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from pricing.config import AppConfig
from pricing.storage import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NightlyResult:
    matched: int
    match_statuses: dict[str, int]
    run_id: int
    report: Path | None
    auto_approved: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "matched": self.matched,
            "match_statuses": self.match_statuses,
            "run_id": self.run_id,
            "auto_approved": self.auto_approved,
            "report": str(self.report) if self.report else None,
        }


def report_dir(reports: Path, config: AppConfig, now: dt.datetime | None = None) -> Path:
    """``REPORTS/<YYYY-MM-DD>`` for today in the schedules' time zone."""
    tz = ZoneInfo(config.schedules.timezone)
    return reports / (now or dt.datetime.now(tz)).astimezone(tz).date().isoformat()


def run_nightly(
    db: Database,
    config: AppConfig,
    reports: Path | None,
    *,
    as_of: dt.datetime | None = None,
) -> NightlyResult:
    """Match, optimize, apply the auto-approval rules and report, in this process.

    ``as_of`` is the run's moment (default now): a replayed season (``pricing demo``)
    runs each simulated night at its own date. ``reports`` None skips the report.
    """
    from pricing.autoapprove import run_auto_approval
    from pricing.pipeline.match import run_matching
    from pricing.pipeline.optimize import run_optimizer
    from pricing.reports.nightly import write_report

    summary = run_matching(db, config.matching)
    log.info("matched %d listings: %s", summary.considered, summary.by_status)
    run_id = run_optimizer(db, config.policy, as_of=as_of)
    log.info("suggestion run %d complete", run_id)
    approved = run_auto_approval(db, run_id, config.policy)
    log.info("auto-approval: %d suggestions approved %s", approved.count,
             approved.as_json()["by_rule"])
    if reports is None:
        return NightlyResult(summary.considered, summary.by_status, run_id, None, approved.count)
    report = write_report(db, report_dir(reports, config, as_of), run_id, as_of=as_of)
    log.info("report written: %s", report)
    return NightlyResult(summary.considered, summary.by_status, run_id, report, approved.count)
