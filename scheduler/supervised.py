"""``python -m scheduler.supervised PARENT_PID -- COMMAND...``: run a child that dies with
the daemon.

On Linux the kernel sends the child SIGKILL when the daemon thread that started it
dies (``prctl(PR_SET_PDEATHSIG)``, which survives ``exec``), so a daemon killed with
``kill -9`` leaves no unsupervised crawl behind to race the next daemon. The next
daemon marks the killed child's run failed. Elsewhere the command simply runs.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write("usage: python -m scheduler.supervised PARENT_PID -- COMMAND...\n")
        raise SystemExit(2)
    parent, command = int(argv[0]), argv[2:]
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the daemon died before prctl took effect
            raise SystemExit(137)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
