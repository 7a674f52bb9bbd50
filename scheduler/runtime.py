"""What a running daemon shares with its jobs.

APScheduler pickles a job as a reference to a module-level function plus plain
arguments (database URL, config folder, competitor), so a job cannot carry live
objects. The daemon installs one :class:`Runtime` per process; the job functions in
:mod:`scheduler.jobs` look it up here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from pricing.settings import Settings
from pricing.storage import Database
from scheduler.children import Children
from scheduler.lease import new_holder_id
from scheduler.options import DaemonOptions


@dataclass
class Runtime:
    """The daemon's shared state: settings, options, database, children, flags."""

    settings: Settings
    options: DaemonOptions
    db: Database
    holder: str = field(default_factory=new_holder_id)
    children: Children = field(default_factory=Children)
    # set while this process holds the lease and may start work
    leading: threading.Event = field(default_factory=threading.Event)
    # set once a stop was asked for: jobs start nothing new
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def acting(self) -> bool:
        return self.leading.is_set() and not self.stopping.is_set()


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
    fresh.children.kill_grace = fresh.options.kill_grace
    fresh.leading.set()
    return fresh
