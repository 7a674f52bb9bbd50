"""The standard Alembic commands from the repository root, on SQLite and PostgreSQL.

``alembic check`` is the CI guard against drift between the models and the migrations.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from pricing.storage import Database
from tests.support import ROOT, run_cli

ALEMBIC = str(Path(sys.executable).with_name("alembic"))


def alembic(*args: str, db_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    env["PRICING_DATABASE_URL"] = db_url
    return subprocess.run(
        [ALEMBIC, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_alembic_upgrade_head_then_check_from_the_repo_root(db_url: str) -> None:
    upgraded = alembic("upgrade", "head", db_url=db_url)
    assert upgraded.returncode == 0, upgraded.stderr

    checked = alembic("check", db_url=db_url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No new upgrade operations detected" in checked.stdout

    current = alembic("current", db_url=db_url)
    assert current.returncode == 0 and "(head)" in current.stdout
    listed = run_cli("crawls", db_url=db_url)  # the CLI takes the schema as its own
    assert listed.returncode == 0, listed.stderr


def test_alembic_check_reports_drift(db_url: str) -> None:
    assert run_cli("init", db_url=db_url).returncode == 0
    engine = Database(db_url).engine
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_sales_history_series"))
    engine.dispose()

    checked = alembic("check", db_url=db_url)
    assert checked.returncode != 0
    assert "New upgrade operations detected" in checked.stdout + checked.stderr
