"""The declared dependency floors are enough: ``scripts/min_deps_smoke.sh`` installs
every runtime dependency at its floor into a fresh virtualenv and runs the demo and a
few offline test files with them.

It downloads from PyPI and takes several minutes, so it runs only when asked:
``PRICING_MIN_DEPS=1 pytest tests/operations/test_min_deps.py`` (or the script directly).
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("PRICING_MIN_DEPS") != "1",
        reason="opt-in (PRICING_MIN_DEPS=1): installs the dependency floors from PyPI",
    ),
]


@pytest.mark.timeout(1800)
def test_the_declared_floors_run_the_demo_and_the_offline_tests() -> None:
    result = subprocess.run(
        ["bash", "scripts/min_deps_smoke.sh"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "min_deps_smoke: ok" in result.stdout
    assert "scrapy==2.19" in result.stdout.lower() and "scipy==1.15" in result.stdout.lower()
