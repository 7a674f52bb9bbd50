"""What a running daemon shares with its jobs.

APScheduler pickles a job as a reference to a module-level function plus plain
arguments (database URL, config folder, competitor), so a job cannot carry live
objects. The daemon installs one :class:`Runtime` per process; the job functions in
:mod:`scheduler.jobs` look it up here. The runtime picks where crawls run, once, from the
options (:func:`executor_for`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pricing.settings import Settings
from pricing.storage import Database
from scheduler.alerts import AlertsConfig
from scheduler.children import Children, LocalExecutor
from scheduler.executors import CrawlExecutor
from scheduler.lease import new_holder_id
from scheduler.options import DaemonOptions
from scheduler.scrapyd import ScrapydExecutor


def executor_for(
    settings: Settings, options: DaemonOptions, db: Database, acting: Callable[[], bool]
) -> CrawlExecutor:
    """Where crawls run: on the Scrapyd nodes of the options, else in local children.
    ``acting`` tells a running crawl whether the daemon still wants it."""
    if options.scrapyd_nodes:
        return ScrapydExecutor(settings, options, db, acting)
    return LocalExecutor(settings, options)


@dataclass
class Runtime:
    """The daemon's shared state: settings, options, database, where crawls run, the
    nightly's child process, flags."""

    settings: Settings
    options: DaemonOptions
    db: Database
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    holder: str = field(default_factory=new_holder_id)
    # set while this process holds the lease and may start work
    leading: threading.Event = field(default_factory=threading.Event)
    # set once a stop was asked for: jobs start nothing new
    stopping: threading.Event = field(default_factory=threading.Event)
    executor: CrawlExecutor = field(init=False)
    # the nightly run's child process (it runs on this machine wherever crawls run)
    children: Children = field(init=False)

    _busy: set[tuple[str, str]] = field(default_factory=set, init=False, repr=False)
    _busy_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.executor = executor_for(self.settings, self.options, self.db, lambda: self.acting)
        self.children = Children(self.options.kill_grace)

    @property
    def acting(self) -> bool:
        return self.leading.is_set() and not self.stopping.is_set()

    def claimed(self, kind: str | None = None) -> list[tuple[str, str]]:
        """``(kind, target)`` of the work jobs of this process are doing right now."""
        with self._busy_lock:
            return [item for item in self._busy if kind is None or item[0] == kind]

    @contextmanager
    def exclusive(self, kind: str, target: str) -> Iterator[bool]:
        """Claim ``(kind, target)`` for the duration; yields False when another job of
        this process holds it (the scheduled job and a re-run may fire together)."""
        with self._busy_lock:
            claimed = (kind, target) not in self._busy
            self._busy.add((kind, target))
        try:
            yield claimed
        finally:
            if claimed:
                with self._busy_lock:
                    self._busy.discard((kind, target))


_lock = threading.Lock()
_current: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    """Make ``runtime`` the one jobs in this process use (None: uninstall)."""
    global _current
    with _lock:
        _current = runtime


def current(db_url: str, config_dir: str) -> Runtime:
    """The installed runtime (every job in a daemon's store belongs to its database);
    outside a daemon (a job called by hand, a test) a fresh one with default options
    that acts at once."""
    with _lock:
        runtime = _current
    if runtime is not None:
        return runtime
    settings = Settings(database_url=db_url, config_dir=Path(config_dir))
    fresh = Runtime(settings, DaemonOptions(), Database(db_url))
    fresh.leading.set()
    return fresh
