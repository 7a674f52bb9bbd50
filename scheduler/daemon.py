"""``pricing daemon``: leader election, the scheduler while leading, a clean stop.

A daemon starts as a standby and polls the lease (:mod:`scheduler.lease`). Once it
holds it, it cleans up after any daemon that died (:mod:`scheduler.recovery`), brings
the job store in line with ``config/schedules.yaml`` (:mod:`scheduler.jobs`), and runs
APScheduler's background scheduler; its main thread beats the lease's heartbeat and
sends due alerts. Losing the lease (the database unreachable for longer than the
lease, or another daemon took it) stops all work at once and returns to standby.

SIGTERM or SIGINT: start nothing new, ask running crawls to stop (Scrapy closes the
spider and records the run as stopped), let a running nightly run finish, kill what is
still running after ``stop_timeout``, release the lease, exit 0. A second signal skips
the wait. Crawls are stopped through the hooks of the runtime's crawl executor (local
children or Scrapyd jobs: :mod:`scheduler.executors`), the nightly run as a child.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING

from pricing.config import AppConfig
from pricing.settings import Settings
from pricing.storage import Database
from scheduler import runtime
from scheduler.alerts import AlertsConfig, Channel, Notifier
from scheduler.jobs import MISFIRE_GRACE, add_rerun, job_specs, sync_jobs
from scheduler.lease import Lease, lease_info
from scheduler.options import DaemonOptions
from scheduler.recovery import recover
from scheduler.runtime import Runtime
from scheduler.scrapyd import stop_orphan

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1


class Daemon:
    """One daemon process: standby until it holds the lease, then the scheduler."""

    def __init__(
        self,
        settings: Settings,
        config: AppConfig,
        options: DaemonOptions,
        *,
        alerts: AlertsConfig | None = None,
        channels: list[Channel] | None = None,
    ) -> None:
        self.config = config
        self.options = options
        alerts = alerts or AlertsConfig()
        self.rt = Runtime(settings, options, Database(settings.database_url), alerts)
        self.lease = Lease(self.rt.db, self.rt.holder, options.lease_seconds)
        self.notifier = Notifier(self.rt.db, alerts, channels)
        self._signals = 0

    @property
    def holder(self) -> str:
        return self.rt.holder

    # --- signals ------------------------------------------------------------------

    def request_stop(self) -> None:
        """What SIGTERM does: safe from a signal handler (it only counts)."""
        self._signals += 1

    @property
    def stop_requested(self) -> bool:
        return self._signals > 0

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.request_stop()

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

    def _sleep(self, seconds: float, until: Callable[[], bool] | None = None) -> None:
        """Sleep in short steps, waking early on a stop request (or ``until()``)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.stop_requested:
            if until is not None and until():
                return
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    # --- the life of a daemon -----------------------------------------------------

    def run(self) -> int:
        """Run until stopped by a signal (or :meth:`request_stop`); returns 0."""
        self.rt.db.require_schema()
        runtime.install(self.rt)
        previous = self._install_signals()
        log.info(
            "daemon %s starting (lease %gs, heartbeat %gs)",
            self.holder,
            self.options.lease_seconds,
            self.options.heartbeat_seconds,
        )
        announced = False
        try:
            while not self.stop_requested:
                if self._try_acquire():
                    self._lead()
                    announced = False
                    continue
                if not announced:
                    info = lease_info(self.rt.db)
                    log.info(
                        "standby: the lease is held by %s until %s",
                        info.holder if info else "?",
                        info.expires_at if info else "?",
                    )
                    announced = True
                self._sleep(self.options.heartbeat_seconds)
        finally:
            self.lease.release()
            runtime.install(None)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.rt.db.dispose()
        log.info("daemon %s stopped", self.holder)
        return 0

    def _try_acquire(self) -> bool:
        try:
            return self.lease.try_acquire()
        except Exception as exc:  # database down: stay standby and try again
            log.warning("could not reach the lease: %s", exc)
            return False

    def _lead(self) -> None:
        """Act while we hold the lease; return on a stop request or when it is lost."""
        log.info("leading: daemon %s holds the lease (term %s)", self.holder, self.lease.term)
        scheduler: BackgroundScheduler | None = None
        lost = False
        try:
            scheduler = self._start_scheduler()
            self.rt.leading.set()
            scheduler.resume()
            lost = not self._heartbeat()
            if lost:
                log.error("lost the lease; stopping all work and going back to standby")
        except Exception:  # e.g. the database went away while taking over
            log.exception("error while leading; giving the lease up and standing by")
            lost = True
        finally:
            self.rt.leading.clear()
            if scheduler is not None and lost:
                self._drop_everything(scheduler)
            elif scheduler is not None:
                self._wind_down(scheduler)
        if lost:
            self.lease.release()
            self._sleep(self.options.lease_seconds)

    def _start_scheduler(self) -> BackgroundScheduler:
        """Clean up after dead daemons, then a paused scheduler with the jobs in place."""
        self.rt.executor.reopen()
        self.rt.children.reopen()
        self.rt.stopping.clear()
        recovered = recover(
            self.rt.db,
            self.holder,
            stale_after=self.options.stale_after,
            rerun_within={k: float(v) for k, v in MISFIRE_GRACE.items()},
            max_attempts=self.options.max_attempts,
        )
        for task in recovered.interrupted:  # whichever executor this daemon uses
            stop_orphan(task, self.options.kill_grace)
        scheduler = self._build_scheduler()
        scheduler.start(paused=True)
        try:
            counts = sync_jobs(scheduler, job_specs(self.rt.settings, self.config, self.options))
            for rerun in recovered.reruns:
                log.info("re-running %s", add_rerun(scheduler, self.rt.settings, rerun))
        except Exception:
            scheduler.shutdown(wait=False)
            raise
        log.info("jobs: %s", ", ".join(f"{n} {k}" for k, n in counts.items()))
        for job in scheduler.get_jobs():
            log.info("job %s: next run %s", job.name, job.next_run_time)
        return scheduler

    def _heartbeat(self) -> bool:
        """Renew the lease and send due alerts until a stop is asked for (True) or the
        lease is lost (False)."""
        while not self.stop_requested:
            self._sleep(self.options.heartbeat_seconds)
            if self.stop_requested:
                break
            if not self.lease.renew():
                return False
            self._flush_alerts()
        return True

    def _build_scheduler(self) -> BackgroundScheduler:
        scheduler = _Scheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.rt.db.engine)},
            executors={"default": ThreadPoolExecutor(self.options.max_workers)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=self.config.schedules.timezone,
        )
        scheduler.add_listener(_log_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        return scheduler

    def _drop_everything(self, scheduler: BackgroundScheduler) -> None:
        """Lost the lease: another daemon may act now, so stop at once."""
        self.rt.executor.close()
        self.rt.children.close()
        scheduler.shutdown(wait=False)
        killed = self.rt.executor.kill() + self.rt.children.kill_all()
        if killed:
            log.warning("killed %d running child process(es)", killed)

    def _wind_down(self, scheduler: BackgroundScheduler) -> None:
        """A stop was asked for: finish or cancel running work, still holding the lease."""
        self.rt.stopping.set()
        scheduler.pause()
        self.rt.executor.close()
        self.rt.children.close()
        asked = self.rt.executor.stop()
        running = self.rt.claimed()
        if running:
            log.info(
                "stopping: asked %d crawl(s) to stop; waiting up to %gs for %s",
                asked,
                self.options.stop_timeout,
                ", ".join(f"{k} {t}" for k, t in running),
            )
        deadline = time.monotonic() + self.options.stop_timeout
        next_beat = time.monotonic() + self.options.heartbeat_seconds
        while self.rt.claimed() and time.monotonic() < deadline and self._signals < 2:
            time.sleep(POLL_SECONDS)
            if time.monotonic() >= next_beat:
                next_beat += self.options.heartbeat_seconds
                self.lease.renew()
        if self.rt.executor.kill() + self.rt.children.kill_all():
            log.warning("stopping: killed the work still running")
        scheduler.shutdown(wait=True)
        self._flush_alerts()

    def _flush_alerts(self) -> None:
        try:
            self.notifier.flush()
        except Exception as exc:  # alerts must never take the daemon down
            log.error("could not send alerts: %s", exc)


class _Scheduler(BackgroundScheduler):
    """APScheduler's background scheduler, minus a shutdown race: its thread can wake
    from its timed wait after ``shutdown()`` set the state to stopped, and would then
    process due jobs (advancing their stored next run time) although the executor is
    gone, so a job due at that very moment would be lost instead of caught up."""

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        return super()._process_jobs()


def _log_job_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning(
            "job %s missed its run at %s (no daemon, or later than its misfire grace)",
            event.job_id,
            event.scheduled_run_time,
        )
    else:  # APScheduler's executor has logged the traceback already
        log.error("job %s failed: %r", event.job_id, event.exception)
