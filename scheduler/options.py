"""How the daemon behaves: lease timing, time limits, where reports and logs go.

Built once by ``pricing daemon`` from its options (and their ``PRICING_DAEMON_*``
environment variables) and passed in; the schedules themselves live in
``config/schedules.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pricing.errors import PricingError

HOUR = 3600.0


class DaemonOptionError(PricingError):
    """A daemon option is out of range or inconsistent with another."""

    def __init__(self, option: str, reason: str) -> None:
        self.option, self.reason = option, reason
        super().__init__(f"pricing daemon: {option}: {reason}")


@dataclass(frozen=True)
class DaemonOptions:
    """Everything about the daemon that is not a schedule. Times are in seconds."""

    lease_seconds: float = 60.0
    heartbeat_seconds: float = 15.0
    crawl_timeout: float = 3 * HOUR
    nightly_timeout: float = 2 * HOUR
    stop_timeout: float = 30.0
    kill_grace: float = 10.0
    reports_dir: Path = Path("var/reports")
    log_dir: Path = Path("var/log/daemon")
    base_urls: Mapping[str, str] = field(default_factory=dict)
    # a killed or cancelled task is run again at the next start, up to this many attempts
    max_attempts: int = 2
    # accelerated schedules for tests and trials: every N seconds instead of the crons
    crawl_every: float | None = None
    nightly_every: float | None = None
    max_workers: int = 8
    # crawl on these Scrapyd nodes instead of in local child processes
    scrapyd_nodes: tuple[str, ...] = ()
    scrapyd_project: str = "default"
    # a node silent this long about a running job has lost it: the crawl goes elsewhere
    scrapyd_lost_after: float = 60.0

    def __post_init__(self) -> None:
        for name in (
            "lease_seconds",
            "heartbeat_seconds",
            "crawl_timeout",
            "nightly_timeout",
            "stop_timeout",
            "kill_grace",
            "scrapyd_lost_after",
        ):
            if getattr(self, name) <= 0:
                raise DaemonOptionError(_flag(name), "must be greater than 0")
        if self.heartbeat_seconds * 2 > self.lease_seconds:
            raise DaemonOptionError(
                "--heartbeat",
                f"{self.heartbeat_seconds:g}s is more than half the lease "
                f"({self.lease_seconds:g}s); a slow beat would let the lease lapse",
            )
        for name in ("crawl_every", "nightly_every"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise DaemonOptionError(_flag(name), "must be greater than 0")
        if self.max_attempts < 1:
            raise DaemonOptionError("--max-attempts", "must be at least 1")
        if self.max_workers < 2:
            raise DaemonOptionError("--max-workers", "must be at least 2")

    @property
    def stale_after(self) -> float:
        """A crawl or suggestion run still ``running`` after this long is dead: nothing
        the daemon starts may live longer than its time limit plus the kill grace."""
        return max(self.crawl_timeout, self.nightly_timeout) + self.kill_grace + self.lease_seconds


def _flag(name: str) -> str:
    return "--" + name.replace("_seconds", "").replace("_", "-")
