"""How long ``pricing demo`` takes, as a new user runs it, against a one-night baseline.

Runs the real command in child processes, in this run: ``pricing demo --nights 1``
(the baseline: one crawl, one nightly run, the report) and ``pricing demo --nights N``
(default 91, the season ``make demo`` replays), and prints wall seconds for each and
the seconds each extra night costs. Target: the 91-night season in about a minute on
2 cores.

    .venv/bin/python benchmarks/bench_demo.py [--nights 91]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed_demo(nights: int, out: Path) -> float:
    cmd = [sys.executable, "-m", "pricing", "--config", str(ROOT / "config"), "demo",
           "--out", str(out), "--nights", str(nights)]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"pricing demo --nights {nights} failed:\n{result.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nights", type=int, default=91)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = timed_demo(1, Path(tmp) / "one")
        season = timed_demo(args.nights, Path(tmp) / "season")
    print(f"pricing demo --nights 1 (baseline): {base:6.1f} s")
    print(f"pricing demo --nights {args.nights}:{'':11}{season:6.1f} s")
    print(f"per extra night:                 {(season - base) / max(1, args.nights - 1):6.2f} s")


if __name__ == "__main__":
    main()
