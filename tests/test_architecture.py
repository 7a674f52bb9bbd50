"""The import contract of docs/architecture.md, checked on every test run.

``lint-imports`` (import-linter) reads the contracts in ``pyproject.toml``: only the CLI
reaches the crawlers, the scheduler and the demo market; the optimizer, the matcher and
page extraction stay pure; the application's layers import downwards only. A broken
contract fails here with import-linter's own report of the offending import chain.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contract_is_kept() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is a declared dev dependency: pip install -e '.[dev]'"
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    # every contract in pyproject.toml was read and checked
    assert "Contracts: 4 kept, 0 broken." in done.stdout, done.stdout
