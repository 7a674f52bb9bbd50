"""What ``pricing status`` shows about the daemon: each job's schedule, next run, last
run and its health, the active daemon, and alerts waiting to go out."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pricing.config import AppConfig
from pricing.storage import Database
from pricing.storage.models import (
    AlertEvent,
    CrawlRun,
    DaemonTask,
    SchedulerJob,
    SuggestionRun,
    utcnow,
)
from scheduler.jobs import NIGHTLY_ID, crawl_id
from scheduler.lease import lease_info

STATUS_COLUMNS = ["job", "schedule", "next_run", "last_run", "status", "note"]


def _next_runs(session: Session) -> dict[str, dt.datetime | None]:
    return {
        job_id: dt.datetime.fromtimestamp(ts, dt.UTC) if ts is not None else None
        for job_id, ts in session.execute(select(SchedulerJob.id, SchedulerJob.next_run_time))
    }


def _last_task(session: Session, target: str) -> DaemonTask | None:
    return session.scalar(
        select(DaemonTask)
        .where(DaemonTask.target == target)
        .order_by(DaemonTask.id.desc())
        .limit(1)
    )


def _task_note(task: DaemonTask | None) -> str | None:
    """Mention the daemon's side only when it says more than the run does."""
    if task is None or task.status in ("running", "succeeded", "suspect", "failed"):
        return None
    return f"daemon task {task.id}: {task.status}" + (f": {task.note}" if task.note else "")


def status_rows(
    db: Database, config: AppConfig, now: dt.datetime | None = None
) -> list[dict[str, object]]:
    """One row per crawl job, one for the nightly job, one for the daemon, one for
    alerts; columns :data:`STATUS_COLUMNS`. Times are UTC."""
    now = now or utcnow()
    sched = config.schedules
    rows: list[dict[str, object]] = []
    with db.session() as session:
        next_runs = _next_runs(session)
        for comp in config.competitors:
            last = session.scalar(
                select(CrawlRun)
                .where(CrawlRun.competitor == comp.name)
                .order_by(CrawlRun.id.desc())
                .limit(1)
            )
            notes = [
                n
                for n in (last.note if last else None, _task_note(_last_task(session, comp.name)))
                if n
            ]
            rows.append(
                {
                    "job": f"crawl {comp.name}",
                    "schedule": sched.crawls.get(comp.name, sched.default_crawl)
                    if comp.enabled
                    else "disabled",
                    "next_run": next_runs.get(crawl_id(comp.name)),
                    "last_run": last.started_at if last else None,
                    "status": last.status if last else "never run",
                    "note": "; ".join(notes) or None,
                }
            )
        last_run = session.scalar(select(SuggestionRun).order_by(SuggestionRun.id.desc()).limit(1))
        rows.append(
            {
                "job": "nightly (match, optimize, report)",
                "schedule": sched.nightly,
                "next_run": next_runs.get(NIGHTLY_ID),
                "last_run": last_run.created_at if last_run else None,
                "status": last_run.status if last_run else "never run",
                "note": _task_note(_last_task(session, "nightly")),
            }
        )
        pending = (
            session.scalar(select(func.count(AlertEvent.id)).where(AlertEvent.sent_at.is_(None)))
            or 0
        )
        last_sent = session.scalar(select(func.max(AlertEvent.sent_at)))
    rows.append(_daemon_row(db, now))
    rows.append(
        {
            "job": "alerts",
            "schedule": None,
            "next_run": None,
            "last_run": last_sent,
            "status": f"{pending} pending" if pending else "none pending",
            "note": None,
        }
    )
    return rows


def _daemon_row(db: Database, now: dt.datetime) -> dict[str, object]:
    info = lease_info(db)
    if info is None:
        status, note, last = "never run", None, None
    elif info.active(now):
        status = "active"
        note = (
            f"{info.holder} (term {info.term}, lease until {info.expires_at:%Y-%m-%d %H:%M:%S} UTC)"
        )
        last = info.renewed_at
    else:
        status = "stopped" if info.holder is None else "lease expired"
        note = f"last holder {info.holder}" if info.holder else None
        last = info.renewed_at
    return {
        "job": "daemon",
        "schedule": None,
        "next_run": None,
        "last_run": last,
        "status": status,
        "note": note,
    }
