"""The daemon's jobs: one per enabled competitor's crawl, one for the nightly pipeline.

Jobs live in APScheduler's SQLAlchemy job store in the product's database, so their
next run times survive restarts and a run missed while no daemon was up is caught up
(within its misfire grace). The store pickles each job as a reference to a function
in this module plus plain arguments (database URL, config folder, competitor).

Choices, on purpose (see docs/daemon.md):

- ``coalesce=True``: after an outage, a job that missed several runs runs once.
- ``max_instances=1``: never two crawls of one shop at once (twice the load on the
  site, and two runs judged against each other), never two nightly runs.
- ``misfire_grace_time``: a crawl runs up to 4 h late (the night's prices are still
  worth having before the nightly run); the nightly run up to 3 h late (a report
  that lands mid-morning, while analysts are reviewing, does more harm than good).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pricing.config import AppConfig
from pricing.settings import Settings
from pricing.storage.db import url_without_password
from scheduler import runtime, tasks
from scheduler.options import DaemonOptions
from scheduler.recovery import Rerun

CRAWL_MISFIRE_GRACE = 4 * 3600
NIGHTLY_MISFIRE_GRACE = 3 * 3600
MISFIRE_GRACE = {"crawl": CRAWL_MISFIRE_GRACE, "nightly": NIGHTLY_MISFIRE_GRACE}
NIGHTLY_ID = "nightly"
RERUN_SUFFIX = ":rerun"


def crawl_job(db_url: str, config_dir: str, competitor: str) -> None:
    """Job entry point: crawl ``competitor`` in a child process."""
    tasks.run_crawl(runtime.current(db_url, config_dir), competitor)


def nightly_job(db_url: str, config_dir: str) -> None:
    """Job entry point: the nightly pipeline (match, optimize, report)."""
    tasks.run_nightly(runtime.current(db_url, config_dir))


def crawl_id(competitor: str) -> str:
    return f"crawl:{competitor}"


@dataclass(frozen=True)
class JobSpec:
    """A job as the configuration wants it."""

    id: str
    func: Callable[..., None]
    args: tuple[Any, ...]
    trigger: BaseTrigger
    when: str
    misfire_grace_time: int

    @property
    def name(self) -> str:
        """Readable, and the job's signature: a stored job with another name (another
        schedule) is replaced, one with the same name keeps its next run time."""
        return f"{self.id} @ {self.when}"

    def add_to(self, scheduler: BaseScheduler) -> None:
        scheduler.add_job(
            self.func,
            self.trigger,
            args=self.args,
            id=self.id,
            name=self.name,
            misfire_grace_time=self.misfire_grace_time,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )


def _trigger(
    cron: str, every: float | None, timezone: str, first_in: float
) -> tuple[BaseTrigger, str]:
    if every is not None:
        start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=first_in)
        return IntervalTrigger(seconds=every, start_date=start), f"every {every:g}s"
    return CronTrigger.from_crontab(cron, timezone=timezone), f"cron {cron} ({timezone})"


def job_specs(settings: Settings, config: AppConfig, options: DaemonOptions) -> list[JobSpec]:
    """One crawl job per enabled competitor, and the nightly job."""
    sched = config.schedules
    # stored in the job store: never the password (the daemon that runs the job uses
    # its own settings; see runtime.current)
    base = (url_without_password(settings.database_url), str(settings.config_dir))
    specs = []
    for comp in config.competitors:
        if not comp.enabled:
            continue
        cron = sched.crawls.get(comp.name, sched.default_crawl)
        trigger, when = _trigger(cron, options.crawl_every, sched.timezone, first_in=1.0)
        specs.append(
            JobSpec(
                crawl_id(comp.name),
                crawl_job,
                (*base, comp.name),
                trigger,
                when,
                CRAWL_MISFIRE_GRACE,
            )
        )
    trigger, when = _trigger(
        sched.nightly, options.nightly_every, sched.timezone, first_in=options.nightly_every or 0
    )
    specs.append(JobSpec(NIGHTLY_ID, nightly_job, base, trigger, when, NIGHTLY_MISFIRE_GRACE))
    return specs


def _is_scheduled_job(job_id: str) -> bool:
    return (job_id == NIGHTLY_ID or job_id.startswith("crawl:")) and not job_id.endswith(
        RERUN_SUFFIX
    )


def sync_jobs(scheduler: BaseScheduler, specs: list[JobSpec]) -> dict[str, int]:
    """Make the job store match the configuration: keep unchanged jobs (and so their
    next run times and misfires), replace changed ones, remove ones no longer wanted.
    Re-runs (``...:rerun``) are left alone. The scheduler must be started, paused."""
    wanted = {spec.id: spec for spec in specs}
    counts = {"kept": 0, "added": 0, "replaced": 0, "removed": 0}
    for job in scheduler.get_jobs():
        spec = wanted.get(job.id)
        if spec is None:
            if _is_scheduled_job(job.id):
                scheduler.remove_job(job.id)
                counts["removed"] += 1
            continue
        same = (
            job.func_ref == f"{spec.func.__module__}:{spec.func.__qualname__}"
            and tuple(job.args) == spec.args
            and job.name == spec.name
            and job.misfire_grace_time == spec.misfire_grace_time
        )
        if same:
            counts["kept"] += 1
            del wanted[job.id]
        else:
            counts["replaced"] += 1
    for spec in wanted.values():
        spec.add_to(scheduler)
    counts["added"] = len(wanted) - counts["replaced"]
    return counts


def add_rerun(scheduler: BaseScheduler, settings: Settings, rerun: Rerun) -> str:
    """Run an interrupted task again, once, now."""
    # stored in the job store: never the password (the daemon that runs the job uses
    # its own settings; see runtime.current)
    base = (url_without_password(settings.database_url), str(settings.config_dir))
    func: Callable[..., None]
    args: tuple[Any, ...]
    if rerun.kind == "crawl":
        job_id, func, args = crawl_id(rerun.target), crawl_job, (*base, rerun.target)
    else:
        job_id, func, args = NIGHTLY_ID, nightly_job, base
    job_id += RERUN_SUFFIX
    scheduler.add_job(
        func,
        DateTrigger(run_date=dt.datetime.now(dt.UTC)),
        args=args,
        id=job_id,
        name=f"{job_id} (attempt {rerun.attempt})",
        misfire_grace_time=MISFIRE_GRACE[rerun.kind],
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    return job_id
