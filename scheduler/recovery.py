"""Cleaning up after a daemon that died: done by each new leader before it schedules.

A daemon killed mid-crawl (or mid-nightly) leaves its task ``running`` in
``daemon_tasks`` and its crawl run or suggestion run ``running`` too. Its children
died with it (:mod:`scheduler.supervised`), so the new leader marks those runs
``failed`` and the task ``interrupted`` and raises an alert, in one transaction;
observations already committed stay, and a ``failed`` suggestion run is never reported
or reviewed. Interrupted and cancelled
tasks recent enough are handed back to be run again, up to ``max_attempts``.

A run left ``running`` by something else (a ``pricing crawl`` killed by hand) is
marked failed once it is older than anything the daemon would let live.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pricing.storage import Database
from pricing.storage.models import (
    CrawlRun,
    CrawlStatus,
    DaemonTask,
    RunStatus,
    SuggestionRun,
    TaskStatus,
    utcnow,
)
from scheduler.alerts import add_event

log = logging.getLogger(__name__)

# a task that ended so is run again at the next start
RETRIED_STATUSES = (TaskStatus.interrupted, TaskStatus.cancelled)
# a crawl run in one of these has been closed by its own crawl process
COMPLETED_RUN_STATUSES = (CrawlStatus.succeeded, CrawlStatus.suspect, CrawlStatus.failed)


@dataclass(frozen=True)
class Rerun:
    """A task to run again now: ``kind`` crawl (``target`` the competitor) or nightly."""

    kind: str
    target: str
    attempt: int


@dataclass(frozen=True)
class Recovery:
    interrupted: list[DaemonTask]
    stale_runs: int
    reruns: list[Rerun]


def fail_task_runs(session: Session, task: DaemonTask, note: str, now: dt.datetime) -> int:
    """Mark the runs this task made that are still ``running`` as failed."""
    if task.kind == "crawl":
        stmt = (
            update(CrawlRun)
            .where(
                CrawlRun.competitor == task.target,
                CrawlRun.id > task.after_run_id,
                CrawlRun.status == CrawlStatus.running,
            )
            .values(status=CrawlStatus.failed, finished_at=now, note=note)
        )
    else:
        stmt = (
            update(SuggestionRun)
            .where(
                SuggestionRun.id > task.after_run_id,
                SuggestionRun.status == RunStatus.running,
            )
            .values(status=RunStatus.failed, finished_at=now)
        )
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def crawl_runs(session: Session, task: DaemonTask) -> list[CrawlRun]:
    """The crawl runs a crawl task made (the competitor's, newer than the task)."""
    return list(
        session.scalars(
            select(CrawlRun)
            .where(CrawlRun.competitor == task.target, CrawlRun.id > task.after_run_id)
            .order_by(CrawlRun.id)
        )
    )


def closed_outcome(runs: list[CrawlRun]) -> tuple[TaskStatus, str]:
    """A crawl task's status and note from the runs its crawl closed itself: the worst
    of them (failed, suspect, else succeeded)."""
    statuses = {r.status for r in runs}
    worst = (TaskStatus.failed, TaskStatus.suspect)
    status = next((s for s in worst if s in statuses), TaskStatus.succeeded)
    note = "; ".join(
        f"run {r.id}: {r.items} items" + (f", {r.note}" if r.note else "") for r in runs
    )
    return status, note


def _closed_by_its_crawl(session: Session, task: DaemonTask, now: dt.datetime) -> bool:
    """A Scrapyd crawl outlives its daemon: if it closed all its runs by itself, the
    task is settled from them (and not run again)."""
    if task.kind != "crawl" or not task.remote:
        return False
    runs = crawl_runs(session, task)
    if not runs or any(r.status not in COMPLETED_RUN_STATUSES for r in runs):
        return False
    status, note = closed_outcome(runs)
    task.status, task.finished_at = status, now
    task.note = f"{note} (finished after its daemon {task.holder} stopped)"[:1000]
    if status in (TaskStatus.failed, TaskStatus.suspect):
        add_event(session, f"crawl_{status}", task.target, task.note)
    log.warning(
        "task %d (crawl %s) ended %s after its daemon stopped", task.id, task.target, status
    )
    return True


def recover(
    db: Database,
    holder: str,
    *,
    stale_after: float,
    rerun_within: dict[str, float],
    max_attempts: int,
    now: dt.datetime | None = None,
) -> Recovery:
    """Fail what dead daemons left running; say which tasks to run again.

    ``rerun_within`` maps a task kind to how old (seconds) an interrupted or cancelled
    task may be and still be re-run (the misfire grace of its schedule)."""
    now = now or utcnow()
    with db.session() as session:
        interrupted = list(
            session.scalars(
                select(DaemonTask)
                .where(DaemonTask.status == TaskStatus.running, DaemonTask.holder != holder)
                .order_by(DaemonTask.id)
            )
        )
        settled = [task for task in interrupted if _closed_by_its_crawl(session, task, now)]
        interrupted = [task for task in interrupted if task not in settled]
        for task in interrupted:
            note = f"interrupted: the daemon running it ({task.holder}) stopped"
            runs = fail_task_runs(session, task, note, now)
            task.status, task.finished_at = TaskStatus.interrupted, now
            task.note = f"{note}; {runs} run(s) marked failed"
            add_event(session, "task_interrupted", task.target, task.note)
            log.warning(
                "task %d (%s %s) was interrupted; %d run(s) marked failed",
                task.id,
                task.kind,
                task.target,
                runs,
            )
        oldest = now - dt.timedelta(seconds=stale_after)
        stale = session.execute(
            update(CrawlRun)
            .where(CrawlRun.status == CrawlStatus.running, CrawlRun.started_at < oldest)
            .values(
                status=CrawlStatus.failed,
                finished_at=now,
                note="stale: still running long after any time limit; marked failed",
            )
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        stale += session.execute(
            update(SuggestionRun)
            .where(SuggestionRun.status == RunStatus.running, SuggestionRun.created_at < oldest)
            .values(status=RunStatus.failed, finished_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        reruns = _reruns(session, now, rerun_within, max_attempts)
    if stale:
        log.warning("%d stale running run(s) marked failed", stale)
    return Recovery(interrupted, int(stale), reruns)


def _reruns(
    session: Session, now: dt.datetime, within: dict[str, float], max_attempts: int
) -> list[Rerun]:
    """The latest task of each target, if it was cut short recently and may try again."""
    horizon = now - dt.timedelta(seconds=max(within.values(), default=0))
    recent = session.scalars(
        select(DaemonTask).where(DaemonTask.started_at >= horizon).order_by(DaemonTask.id)
    )
    latest: dict[tuple[str, str], DaemonTask] = {}
    for task in recent:
        latest[(task.kind, task.target)] = task
    reruns = []
    for (kind, target), task in latest.items():
        young = task.started_at >= now - dt.timedelta(seconds=within.get(kind, 0))
        if task.status in RETRIED_STATUSES and young and task.attempt < max_attempts:
            reruns.append(Rerun(kind, target, task.attempt + 1))
    return reruns
