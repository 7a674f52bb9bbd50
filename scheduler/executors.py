"""Where the daemon's crawls run: one interface, two places.

A :class:`CrawlExecutor` runs the crawl of one competitor, journalled as one
``daemon_tasks`` row, and reports how it ended as a :class:`JobResult`. The task code
(:mod:`scheduler.tasks`) decides what the ending means (the task's status, its note,
its alerts) and never asks where the crawl ran; the daemon (:mod:`scheduler.daemon`)
uses the executor's hooks to stop crawls on shutdown or on a lost lease.

- :class:`~scheduler.children.LocalExecutor`: a child process on this machine
  (``pricing crawl NAME``), one log file per crawl.
- :class:`~scheduler.scrapyd.ScrapydExecutor`: a job on the least busy Scrapyd node
  (``pricing daemon --scrapyd URL``), recorded on the task row; a node can lose the
  job, and the crawl is then dispatched again elsewhere.

:func:`scheduler.runtime.executor_for` picks one from the daemon's options, once. The
nightly run is always a local child (:class:`~scheduler.children.Children`).
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from pricing.storage.models import DaemonTask


@dataclass(frozen=True)
class JobResult(ABC):
    """How a crawl (or the nightly run) ended, wherever it ran.

    ``cancelled``: stopped by the daemon (shutdown, lost lease). ``lost``: the machine it
    ran on lost it (a Scrapyd node killed or restarted), so it ended without saying how.
    ``error``: why it failed outside its own output (a node out of reach, a lost job).
    """

    returncode: int
    timed_out: bool
    cancelled: bool
    seconds: float
    _: dataclasses.KW_ONLY
    lost: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.cancelled

    @property
    @abstractmethod
    def where(self) -> str:
        """Where it ran: ``local``, or the URL of the Scrapyd node."""

    @abstractmethod
    def tail(self, max_chars: int = 600) -> str:
        """The end of its output, where its error message is (or where to find it)."""


class CrawlExecutor(ABC):
    """Runs the daemon's crawls, locally or on Scrapyd nodes; safe to use from the
    scheduler's worker threads at once."""

    @abstractmethod
    def crawl(
        self, task: DaemonTask, competitor: str, avoid: Collection[str] = ()
    ) -> JobResult | None:
        """Run the crawl of ``competitor``, journalled as ``task``, to its end, its time
        limit or a stop; blocking. ``avoid``: where earlier attempts of this crawl were
        lost (:attr:`JobResult.where`). None when nothing was started (the daemon is
        stopping, or does not hold the lease)."""

    @abstractmethod
    def close(self) -> None:
        """Start no more crawls (shutdown or lost lease)."""

    @abstractmethod
    def reopen(self) -> None:
        """Start crawls again (the lease is held again)."""

    @abstractmethod
    def stop(self) -> int:
        """Ask running crawls to stop (Scrapy closes the spider and records the run);
        returns how many were asked."""

    @abstractmethod
    def kill(self) -> int:
        """Stop running crawls at once; returns how many were killed."""


def task_log_path(log_dir: Path, task: DaemonTask) -> Path:
    """The log file of a task run on this machine: ``LOG_DIR/<start>-<kind>-<target>-<id>.log``."""
    stamp = task.started_at.strftime("%Y%m%d-%H%M%S")
    return log_dir / f"{stamp}-{task.kind}-{task.target}-{task.id}.log"
