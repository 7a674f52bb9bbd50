"""A ``pricing daemon`` child process for the daemon and scale-out tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support import ROOT

PYTHON = sys.executable
LEASE = ["--lease", "3", "--heartbeat", "0.5"]


def clean_env() -> dict[str, str]:
    """This environment without the ``PRICING_`` settings, so a child reads only what
    the test gives it."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}


class Daemon:
    """One ``python -m pricing daemon`` child process, its output in a log file."""

    def __init__(self, db_url: str, config: Path, work: Path, *args: str) -> None:
        self.log = work / f"daemon-{time.monotonic_ns()}.log"
        cmd = [PYTHON, "-m", "pricing", "--db", db_url, "--config", str(config), "daemon"]
        cmd += [*LEASE, "--kill-grace", "2", "--stop-timeout", "20"]
        cmd += ["--reports", str(work / "reports"), "--log-dir", str(work / "logs"), *args]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=clean_env()
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 40) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
