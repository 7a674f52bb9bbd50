"""What ``pricing status`` shows about the daemon: each job's schedule, next run, last
run and its health, the active daemon, and alerts waiting to go out."""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pricing.config import AppConfig
from pricing.storage import Database
from pricing.storage.models import (
    AlertEvent,
    CrawlRun,
    CrawlStatus,
    DaemonTask,
    RunStatus,
    SchedulerJob,
    SuggestionRun,
    TaskStatus,
    utcnow,
)
from scheduler.jobs import NIGHTLY_ID, crawl_id
from scheduler.lease import lease_info

STATUS_COLUMNS = ["job", "schedule", "next_run", "last_run", "status", "health", "note"]
HEALTH_RUNS = 10  # how far back ``health`` counts failures in a row
FAILED = (TaskStatus.failed, TaskStatus.timed_out, TaskStatus.interrupted)


@dataclass(frozen=True)
class _StoredJob:
    next_run: dt.datetime | None
    schedule: str | None  # as the daemon set it up ("cron 15 1 * * * (UTC)", "every 30s")


def _stored_jobs(session: Session) -> dict[str, _StoredJob]:
    """The job store as the leading daemon left it. A job's schedule is read from its
    name (see :attr:`scheduler.jobs.JobSpec.name`), which APScheduler keeps pickled."""
    jobs = {}
    for job_id, ts, state in session.execute(
        select(SchedulerJob.id, SchedulerJob.next_run_time, SchedulerJob.job_state)
    ):
        try:
            name = str(pickle.loads(state).get("name", ""))  # noqa: S301 - our own table
        except Exception:  # a job of another APScheduler version: show the config's
            name = ""
        _, sep, when = name.partition(" @ ")
        jobs[job_id] = _StoredJob(
            dt.datetime.fromtimestamp(ts, dt.UTC) if ts is not None else None,
            when if sep else None,
        )
    return jobs


def _last_task(session: Session, target: str) -> DaemonTask | None:
    return session.scalar(
        select(DaemonTask)
        .where(DaemonTask.target == target)
        .order_by(DaemonTask.id.desc())
        .limit(1)
    )


def _task_note(task: DaemonTask | None) -> str | None:
    """Mention the daemon's side only when it says more than the run does."""
    if task is None or task.status in (
        TaskStatus.running, TaskStatus.succeeded, TaskStatus.suspect, TaskStatus.failed
    ):
        return None
    return f"daemon task {task.id}: {task.status}" + (f": {task.note}" if task.note else "")


@dataclass(frozen=True)
class _Attempt:
    at: dt.datetime
    status: str
    note: str | None


def _attempts(
    session: Session, kind: str, target: str, runs: list[tuple[dt.datetime, str, str | None]]
) -> list[_Attempt]:
    """The recent runs, newest first, plus the daemon's tasks that ended without making a
    run (a crawl stopped at its time limit before Scrapy opened it, a nightly run that
    failed while matching): those count for health too."""
    attempts = [_Attempt(at, status, note) for at, status, note in runs]
    tasks = session.scalars(
        select(DaemonTask)
        .where(DaemonTask.kind == kind, DaemonTask.target == target)
        .order_by(DaemonTask.id.desc())
        .limit(HEALTH_RUNS)
    )
    for task in tasks:
        if task.status in (
            TaskStatus.running, TaskStatus.cancelled, TaskStatus.succeeded, TaskStatus.suspect
        ):
            continue
        end = task.finished_at or task.started_at
        if not any(task.started_at <= at <= end for at, _, _ in runs):
            attempts.append(_Attempt(task.started_at, task.status, task.note))
    attempts.sort(key=lambda a: a.at, reverse=True)
    return attempts[:HEALTH_RUNS]


def _health(attempts: list[_Attempt]) -> str:
    """From the newest finished attempt back: ``ok``, ``suspect``, ``failing (N in a
    row)``; ``running`` while the first attempt ever is still going; ``never run``. A run
    in progress does not hide how the previous ones went (the status column shows it)."""
    if not attempts:
        return "never run"
    finished = [a for a in attempts if a.status != TaskStatus.running]
    if not finished:
        return "running"
    attempts = finished
    head = attempts[0].status
    if head in (TaskStatus.succeeded, CrawlStatus.confirmed, RunStatus.complete):
        return "ok"
    if head == TaskStatus.suspect:
        return head
    streak = next((i for i, a in enumerate(attempts) if a.status not in FAILED), len(attempts))
    return f"failing ({streak} in a row)" if streak > 1 else "failing"


def _schedule(jobs: dict[str, _StoredJob], job_id: str, configured: str) -> str:
    stored = jobs.get(job_id)
    return stored.schedule if stored is not None and stored.schedule else configured


def status_rows(
    db: Database, config: AppConfig, now: dt.datetime | None = None
) -> list[dict[str, object]]:
    """One row per crawl job, one for the nightly job, one for the daemon, one for
    alerts; columns :data:`STATUS_COLUMNS`. Times are UTC."""
    now = now or utcnow()
    sched = config.schedules
    rows: list[dict[str, object]] = []
    with db.session() as session:
        jobs = _stored_jobs(session)
        for comp in config.competitors:
            crawl_runs = session.execute(
                select(CrawlRun.started_at, CrawlRun.status, CrawlRun.note)
                .where(CrawlRun.competitor == comp.name)
                .order_by(CrawlRun.id.desc())
                .limit(HEALTH_RUNS)
            ).all()
            attempts = _attempts(
                session, "crawl", comp.name, [(at, st, note) for at, st, note in crawl_runs]
            )
            last = attempts[0] if attempts else None
            task_note = _task_note(_last_task(session, comp.name))
            notes = list(dict.fromkeys(n for n in (last.note if last else None, task_note) if n))
            configured = sched.crawls.get(comp.name, sched.default_crawl)
            job_id = crawl_id(comp.name)
            stored = jobs.get(job_id)
            rows.append(
                {
                    "job": f"crawl {comp.name}",
                    "schedule": _schedule(jobs, job_id, configured) if comp.enabled else "disabled",
                    "next_run": stored.next_run if stored and comp.enabled else None,
                    "last_run": last.at if last else None,
                    "status": last.status if last else "never run",
                    "health": _health(attempts),
                    "note": "; ".join(notes) or None,
                }
            )
        suggestion_runs = session.execute(
            select(SuggestionRun.created_at, SuggestionRun.status, SuggestionRun.id)
            .order_by(SuggestionRun.id.desc())
            .limit(HEALTH_RUNS)
        ).all()
        attempts = _attempts(
            session,
            "nightly",
            "nightly",
            [(at, st, f"suggestion run {i}") for at, st, i in suggestion_runs],
        )
        last = attempts[0] if attempts else None
        stored = jobs.get(NIGHTLY_ID)
        rows.append(
            {
                "job": "nightly (match, optimize, report)",
                "schedule": _schedule(jobs, NIGHTLY_ID, sched.nightly),
                "next_run": stored.next_run if stored else None,
                "last_run": last.at if last else None,
                "status": last.status if last else "never run",
                "health": _health(attempts),
                "note": _task_note(_last_task(session, "nightly")) or (last.note if last else None),
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
            "health": None,
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
        "health": {"active": "ok", "lease expired": "down"}.get(status),
        "note": note,
    }
