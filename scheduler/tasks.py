"""What a job does when it fires: run a crawl (through the runtime's
:class:`~scheduler.executors.CrawlExecutor`, wherever it runs) or the nightly pipeline
(a child process), journal it in ``daemon_tasks``, settle the runs it made, raise alerts.

Each task is written ``running`` before its child starts, with the highest run id at
that moment, so a daemon killed at any point leaves enough behind for the next one
to find and fail the runs it interrupted (:mod:`scheduler.recovery`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import sys
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pricing.config import load_config
from pricing.errors import ExitCode, PricingError
from pricing.logs import log_context
from pricing.storage.models import (
    CrawlRun,
    CrawlStatus,
    DaemonTask,
    SuggestionRun,
    TaskStatus,
    utcnow,
)
from scheduler.alerts import add_event, record_event
from scheduler.children import ChildResult, child_env
from scheduler.executors import JobResult, task_log_path
from scheduler.price_moves import find_moves
from scheduler.recovery import (
    COMPLETED_RUN_STATUSES,
    RETRIED_STATUSES,
    closed_outcome,
    crawl_runs,
    fail_task_runs,
)
from scheduler.runtime import Runtime

log = logging.getLogger(__name__)

WAIT_POLL_SECONDS = 1.0
# ``pricing crawl`` exit codes of a crawl that closed its runs (their status tells how)
CRAWL_CLOSED_CODES = (ExitCode.OK, ExitCode.CRAWL_FAILED, ExitCode.CRAWL_SUSPECT)
ALERT_KINDS = {
    TaskStatus.failed: "crawl_failed",
    TaskStatus.suspect: "crawl_suspect",
    TaskStatus.timed_out: "crawl_timed_out",
}


def _start_task(rt: Runtime, kind: str, target: str) -> DaemonTask:
    """Journal the task as ``running``. It is a retry (attempt 2, 3...) when the last
    task for the same target was cut short, whichever job runs it (the one-off re-run
    or the regular schedule firing at the same moment)."""
    model = CrawlRun if kind == "crawl" else SuggestionRun
    with rt.db.session() as session:
        after = session.scalar(select(func.max(model.id))) or 0
        last = session.scalar(
            select(DaemonTask)
            .where(DaemonTask.kind == kind, DaemonTask.target == target)
            .order_by(DaemonTask.id.desc())
            .limit(1)
        )
        retry = last is not None and last.status in RETRIED_STATUSES
        task = DaemonTask(
            kind=kind,
            target=target,
            attempt=last.attempt + 1 if retry and last is not None else 1,
            holder=rt.holder,
            started_at=utcnow(),
            status=TaskStatus.running,
            after_run_id=after,
        )
        session.add(task)
    return task


def _finish_task(session: Session, task: DaemonTask, status: str, note: str | None) -> None:
    row = session.get(DaemonTask, task.id)
    assert row is not None
    row.status, row.note, row.finished_at = status, note, utcnow()


def run_crawl(rt: Runtime, competitor: str) -> str | None:
    """Crawl one competitor wherever crawls run; returns the task's final status, or
    None when nothing was started (not leading, stopping, already running, gone)."""
    if not rt.acting:
        log.info("crawl %s: skipped, this daemon is not acting", competitor)
        return None
    with log_context(competitor=competitor), rt.exclusive("crawl", competitor) as claimed:
        if not claimed:
            log.warning("crawl %s: skipped, another one is still running", competitor)
            return None
        return _crawl(rt, competitor)


def _crawl(rt: Runtime, competitor: str) -> str | None:
    try:
        comp = load_config(rt.settings.config_dir).competitor(competitor)
    except PricingError as exc:
        record_event(rt.db, "crawl_failed", competitor, f"not started: {exc}")
        return TaskStatus.failed
    if not comp.enabled:
        log.info("crawl %s: skipped, disabled in config", competitor)
        return None
    task = _start_task(rt, "crawl", competitor)
    lost_on: set[str] = set()
    while True:
        result = rt.executor.crawl(task, competitor, avoid=lost_on)
        if result is None or not result.lost:
            break
        if not _settle_lost(rt, task, result):  # the crawl had closed its runs
            result = dataclasses.replace(result, returncode=0, lost=False)
            break
        lost_on.add(result.where)
        if task.attempt >= rt.options.max_attempts or not rt.acting:
            return TaskStatus.interrupted
        task = _start_task(rt, "crawl", competitor)
        log.info("crawl %s: dispatching again (attempt %d)", competitor, task.attempt)
    status, note = _settle_crawl(rt, task, result)
    log.info("crawl %s: %s%s", competitor, status, f" ({note})" if note else "")
    return status


def _settle_lost(rt: Runtime, task: DaemonTask, result: JobResult) -> bool:
    """The node lost the crawl's job: unless the crawl closed its runs before that
    (then it is settled as usual), fail the runs it left open and mark the task
    ``interrupted`` with an alert, in one transaction. True when it was so marked."""
    now = utcnow()
    with rt.db.session() as session:
        runs = crawl_runs(session, task)
        if runs and all(r.status in COMPLETED_RUN_STATUSES for r in runs):
            return False
        # only a Scrapyd node loses a crawl (a local child is never lost)
        note = f"interrupted: scrapyd node {result.where} lost the job: {result.error}"
        failed = fail_task_runs(session, task, note[:1000], now)
        note = f"{note}; {failed} run(s) marked failed"[:1000]
        _finish_task(session, task, TaskStatus.interrupted, note)
        add_event(session, "crawl_node_lost", task.target, note)
    log.warning("crawl %s: %s", task.target, note)
    return True


def _settle_crawl(
    rt: Runtime, task: DaemonTask, result: JobResult | None
) -> tuple[str, str | None]:
    """Decide how the task ended, close the runs it left open, and raise its alerts, all
    in one transaction: a daemon killed here leaves the task ``running`` (recovery
    settles it) or settled with its alerts, never half of it."""
    now = utcnow()
    with rt.db.session() as session:
        runs = crawl_runs(session, task)
        completed = bool(runs) and all(r.status in COMPLETED_RUN_STATUSES for r in runs)
        if result is None:
            status, note = TaskStatus.cancelled, "not started: the daemon is stopping"
        elif result.timed_out:
            status = TaskStatus.timed_out
            note = f"time limit of {rt.options.crawl_timeout:g}s reached; stopped by the daemon"
            for run in runs:
                if run.status in (CrawlStatus.running, CrawlStatus.failed):
                    run.status, run.note = CrawlStatus.failed, note
                    run.finished_at = run.finished_at or now
        elif result.cancelled and not (result.returncode in CRAWL_CLOSED_CODES and completed):
            status, note = TaskStatus.cancelled, "stopped: the daemon was stopping"
            fail_task_runs(session, task, note, now)
        elif result.returncode not in CRAWL_CLOSED_CODES or not runs:
            status = TaskStatus.failed
            note = f"crawl ended with code {result.returncode}: {result.tail()}"
            fail_task_runs(session, task, note[:1000], now)
        else:
            for run in runs:
                if run.status == CrawlStatus.running:
                    run.status, run.note = CrawlStatus.failed, "ended without closing"
                    run.finished_at = now
            status, note = closed_outcome(runs)
        _finish_task(session, task, status, note)
        if status in ALERT_KINDS:
            add_event(session, ALERT_KINDS[status], task.target, note or status)
        watch = rt.alerts.price_moves
        if status == TaskStatus.succeeded and watch is not None:
            session.flush()
            for move in find_moves(session, [r.id for r in runs], watch.skus, watch.threshold):
                add_event(session, "price_move", move.sku, move.summary())
    return status, note


def nightly_command(rt: Runtime) -> list[str]:
    """``pricing --config DIR nightly --reports DIR`` (the command a user can run too);
    the database URL goes in the child's environment."""
    return [
        sys.executable,
        "-m",
        "pricing",
        "--config",
        str(rt.settings.config_dir),
        "nightly",
        "--reports",
        str(rt.options.reports_dir),
    ]


def wait_for_crawls(rt: Runtime) -> bool:
    """Block while crawls run (this daemon's children, or any crawl run still marked
    running that is young enough to be alive); False once the daemon stops acting."""
    limit = rt.options.crawl_timeout + rt.options.kill_grace
    deadline = time.monotonic() + limit
    announced = False
    while time.monotonic() < deadline:
        if not rt.acting:
            return False
        local = rt.claimed("crawl")
        oldest = utcnow() - dt.timedelta(seconds=limit)
        with rt.db.session() as session:
            remote = (
                session.scalar(
                    select(func.count(CrawlRun.id)).where(
                        CrawlRun.status == CrawlStatus.running, CrawlRun.started_at > oldest
                    )
                )
                or 0
            )
        if not local and not remote:
            return True
        if not announced:
            log.info("nightly: waiting for running crawls (%d)", max(len(local), remote))
            announced = True
        rt.stopping.wait(WAIT_POLL_SECONDS)
    log.warning("nightly: crawls still running after %gs; going ahead", limit)
    return True


def run_nightly(rt: Runtime) -> str | None:
    """Match, optimize and report in a child process, after the running crawls."""
    if not rt.acting:
        log.info("nightly: skipped, this daemon is not acting")
        return None
    with rt.exclusive("nightly", "nightly") as claimed:
        if not claimed:
            log.warning("nightly: skipped, another one is still running")
            return None
        return _nightly(rt)


def _nightly(rt: Runtime) -> str | None:
    if not wait_for_crawls(rt):
        return None
    task = _start_task(rt, "nightly", "nightly")
    result = rt.children.run(
        "nightly",
        "nightly",
        nightly_command(rt),
        timeout=rt.options.nightly_timeout,
        log_path=task_log_path(rt.options.log_dir, task),
        env=child_env(rt.settings.database_url, log_format=rt.settings.log_format),
    )
    now = utcnow()
    note: str | None
    with rt.db.session() as session:
        if result is None:
            status, note = TaskStatus.cancelled, "not started: the daemon is stopping"
        elif result.ok:
            status, note = TaskStatus.succeeded, _nightly_summary(result)
        else:
            if result.timed_out:
                status = TaskStatus.timed_out
                note = f"time limit of {rt.options.nightly_timeout:g}s reached; stopped"
            elif result.cancelled:
                status, note = TaskStatus.cancelled, "stopped: the daemon was stopping"
            else:
                status = TaskStatus.failed
                note = f"exited with code {result.returncode}: {result.tail()}"
            fail_task_runs(session, task, note, now)
        _finish_task(session, task, status, note)
        if status in (TaskStatus.failed, TaskStatus.timed_out):
            add_event(session, "nightly_failed", "nightly", note or status)
    log.info("nightly: %s%s", status, f" ({note})" if note else "")
    return status


def _nightly_summary(result: ChildResult) -> str | None:
    for line in reversed(result.tail(4000).splitlines()):
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except ValueError:
                break
            return (
                f"suggestion run {data['run_id']}, {data['matched']} listings matched, "
                f"report {data['report']}"
            )
    return None
