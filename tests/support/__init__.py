"""What the tests share besides fixtures: paths, the CLI in a child process, the crawl
exit check. Test modules import from here, never from another test module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from pricing.storage import Database

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "config"
DATA_DIR = ROOT / "tests" / "data"  # labelled sets and saved pages (tests/data/README.md)
SAMPLE_PAGES = DATA_DIR / "sample_pages"
PG_ADMIN_URL = os.environ.get(
    "PRICING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def run_cli(
    *args: str,
    db_url: str | None = None,
    config_dir: Path = CONFIG_DIR,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run the real ``pricing`` command in a child process, as a user would."""
    cmd = [sys.executable, "-m", "pricing", "--config", str(config_dir)]
    if db_url:
        cmd += ["--db", db_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    return subprocess.run(
        cmd + list(args), capture_output=True, text=True, timeout=timeout, cwd=cwd or ROOT, env=env
    )


def check_crawl_exit(
    result: subprocess.CompletedProcess[str], db_url: str, names: Sequence[str]
) -> None:
    """``pricing crawl`` exits 0 when every named crawl succeeded, 3 when one failed and 4
    when one was flagged suspect (and none failed); its output is never a traceback."""
    import sqlalchemy.orm

    from pricing.storage.models import CrawlRun

    engine = Database(db_url).engine
    with sqlalchemy.orm.Session(engine) as session:
        latest = sa.select(sa.func.max(CrawlRun.id)).group_by(CrawlRun.competitor)
        if names:
            latest = latest.where(CrawlRun.competitor.in_(names))
        statuses = set(session.scalars(sa.select(CrawlRun.status).where(CrawlRun.id.in_(latest))))
    engine.dispose()
    expected = 3 if "failed" in statuses else 4 if "suspect" in statuses else 0
    output = result.stdout[-2000:] + result.stderr[-4000:]
    assert result.returncode == expected, (statuses, output)
    assert "Traceback" not in result.stderr, output


def demo_database(factory: pytest.TempPathFactory, name: str) -> str:
    """A private copy of a demo database, built once per test session.

    Built by ``pricing demo`` in a child process: Scrapy's reactor runs once per
    process and would clash with Playwright's event loop in browser tests.
    """
    built = factory.getbasetemp() / "web-demo" / "pricing.db"
    if not built.exists():
        result = run_cli("demo", "--out", str(built.parent), "--nights", "1", timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
    copy = factory.mktemp(name) / "pricing.db"
    shutil.copyfile(built, copy)
    return f"sqlite:///{copy}"
