"""The daemon's child processes: the nightly run, and each crawl when crawls run on
this machine (:class:`LocalExecutor`, the :class:`~scheduler.executors.CrawlExecutor`
used without ``--scrapyd``), is its own process.

Scrapy's reactor cannot restart inside a process, and a child can be given a time
limit and stopped without touching the daemon. Children run in their own session (a
terminal's Ctrl-C reaches only the daemon, which decides what to stop) and die with the
daemon (:mod:`scheduler.supervised`). Output goes to one log file per child.

Secrets never go on a child's command line, where ``ps`` shows them to every user of
the machine: the database URL (which may hold a password) reaches the child in its
environment (:func:`child_env`), readable only by the same user.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pricing.settings import Settings
from pricing.storage.models import DaemonTask
from scheduler.executors import CrawlExecutor, JobResult, task_log_path
from scheduler.options import DaemonOptions

log = logging.getLogger(__name__)

TAIL_BYTES = 4000
DATABASE_URL_ENV = "PRICING_DATABASE_URL"
LOG_FORMAT_ENV = "PRICING_LOG_FORMAT"


def child_env(
    database_url: str, base: Mapping[str, str] | None = None, *, log_format: str | None = None
) -> dict[str, str]:
    """The environment for a child: this process's (or ``base``) plus the database URL
    as ``PRICING_DATABASE_URL``, which ``pricing`` (crawls and ``pricing nightly``) reads, and
    the daemon's log format as ``PRICING_LOG_FORMAT``."""
    env = dict(os.environ if base is None else base)
    env[DATABASE_URL_ENV] = database_url
    if log_format is not None:
        env[LOG_FORMAT_ENV] = log_format
    return env


@dataclass(frozen=True)
class ChildResult(JobResult):
    """How a child ended; its output is in ``log_path``."""

    log_path: Path

    @property
    def where(self) -> str:
        return "local"

    def tail(self, max_chars: int = 600) -> str:
        """The end of the child's output: where its error message is."""
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(max(0, self.log_path.stat().st_size - TAIL_BYTES))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return ""
        lines = [line for line in text.splitlines() if line.strip()]
        return "\n".join(lines[-8:])[-max_chars:]


@dataclass
class _Child:
    kind: str
    target: str
    proc: subprocess.Popen[bytes]
    cancelled: bool = False


class Children:
    """Runs children with a time limit; can stop them all (shutdown, lost lease)."""

    def __init__(self, kill_grace: float = 10.0) -> None:
        self.kill_grace = kill_grace
        self._lock = threading.Lock()
        self._running: dict[int, _Child] = {}
        self._closed = False

    def run(
        self,
        kind: str,
        target: str,
        command: Sequence[str],
        *,
        timeout: float,
        log_path: Path,
        env: Mapping[str, str] | None = None,
    ) -> ChildResult | None:
        """Run ``command`` to its end or its time limit (then stop it); blocking.
        ``env`` (default: this process's) carries what must not be in ``command``.

        Returns None, starting nothing, once :meth:`close` has been called."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        wrapped = [
            sys.executable,
            "-m",
            "scheduler.supervised",
            str(os.getpid()),
            "--",
            *command,
        ]
        started = time.monotonic()
        with self._lock:
            if self._closed:
                return None
            with log_path.open("ab") as out:
                proc = subprocess.Popen(
                    wrapped,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env=None if env is None else dict(env),
                )
            child = _Child(kind, target, proc)
            self._running[proc.pid] = child
        log.info("%s %s: started process %d (log %s)", kind, target, proc.pid, log_path)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            log.warning(
                "%s %s: time limit of %gs reached; stopping process %d",
                kind,
                target,
                timeout,
                proc.pid,
            )
            self._stop(proc)
        finally:
            with self._lock:
                self._running.pop(proc.pid, None)
        return ChildResult(
            returncode=proc.returncode,
            timed_out=timed_out,
            cancelled=child.cancelled,
            seconds=time.monotonic() - started,
            log_path=log_path,
        )

    def _stop(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGTERM (Scrapy closes the spider and records the run), then SIGKILL."""
        _signal(proc, signal.SIGTERM, group=False)
        try:
            proc.wait(timeout=self.kill_grace)
        except subprocess.TimeoutExpired:
            self.kill(proc)

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the child and anything it started (a browser, say)."""
        _signal(proc, signal.SIGKILL, group=True)
        proc.wait()

    def running(self, kind: str | None = None) -> list[tuple[str, str]]:
        """``(kind, target)`` of every running child, or only those of one kind."""
        with self._lock:
            return [
                (c.kind, c.target) for c in self._running.values() if kind is None or c.kind == kind
            ]

    def close(self) -> None:
        """Start no more children (shutdown or lost lease)."""
        with self._lock:
            self._closed = True

    def reopen(self) -> None:
        with self._lock:
            self._closed = False

    def terminate(self, kind: str | None = None) -> int:
        """Ask children to stop (SIGTERM); returns how many were asked."""
        with self._lock:
            chosen = [c for c in self._running.values() if kind is None or c.kind == kind]
            for child in chosen:
                child.cancelled = True
                _signal(child.proc, signal.SIGTERM, group=False)
        return len(chosen)

    def kill_all(self) -> int:
        """SIGKILL every child now; returns how many there were."""
        with self._lock:
            chosen = list(self._running.values())
            for child in chosen:
                child.cancelled = True
                _signal(child.proc, signal.SIGKILL, group=True)
        return len(chosen)


def crawl_command(config_dir: Path, competitor: str, base_url: str | None = None) -> list[str]:
    """``python -m pricing --config DIR crawl NAME [--base-url NAME=URL]``; the database
    URL goes in the child's environment (:func:`child_env`)."""
    command = [sys.executable, "-m", "pricing", "--config", str(config_dir), "crawl", competitor]
    if base_url is not None:
        command += ["--base-url", f"{competitor}={base_url}"]
    return command


class LocalExecutor(CrawlExecutor):
    """Each crawl is ``pricing crawl NAME`` in a child process of its own, with the
    crawl time limit; its output goes to the task's log file in ``log_dir``."""

    def __init__(self, settings: Settings, options: DaemonOptions) -> None:
        self.settings = settings
        self.options = options
        self.children = Children(options.kill_grace)

    def crawl(
        self, task: DaemonTask, competitor: str, avoid: Collection[str] = ()
    ) -> ChildResult | None:
        """``avoid`` is ignored: a child on this machine is never lost."""
        return self.children.run(
            "crawl",
            competitor,
            crawl_command(
                self.settings.config_dir, competitor, self.options.base_urls.get(competitor)
            ),
            timeout=self.options.crawl_timeout,
            log_path=task_log_path(self.options.log_dir, task),
            env=child_env(self.settings.database_url, log_format=self.settings.log_format),
        )

    def close(self) -> None:
        self.children.close()

    def reopen(self) -> None:
        self.children.reopen()

    def stop(self) -> int:
        return self.children.terminate("crawl")

    def kill(self) -> int:
        return self.children.kill_all()


def _signal(proc: subprocess.Popen[bytes], sig: signal.Signals, *, group: bool) -> None:
    try:
        if group:
            os.killpg(proc.pid, sig)  # the child leads its own session and group
        else:
            proc.send_signal(sig)
    except ProcessLookupError:
        pass
