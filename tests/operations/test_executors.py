"""Where crawls run: the daemon's runtime picks local child processes or Scrapyd nodes
from its options, once, and a crawl that cannot run comes back from either as a failed
result the crawl task settles without asking where it ran (``scheduler/executors.py``).

No Scrapyd node answers here: the node named is a closed port on loopback.
"""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

from sqlalchemy import select

from pricing.settings import Settings
from pricing.storage import Database
from pricing.storage.models import AlertEvent, DaemonTask
from scheduler.children import LocalExecutor
from scheduler.options import DaemonOptions
from scheduler.runtime import Runtime
from scheduler.scrapyd import ScrapydExecutor
from scheduler.tasks import run_crawl
from tests.support import CONFIG_DIR


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _runtime(db: Database, tmp_path: Path, nodes: tuple[str, ...] = ()) -> Runtime:
    settings = Settings(
        database_url=db.engine.url.render_as_string(hide_password=False), config_dir=CONFIG_DIR
    )
    options = DaemonOptions(log_dir=tmp_path / "logs", scrapyd_nodes=nodes)
    rt = Runtime(settings, options, db)
    rt.leading.set()
    return rt


def test_without_scrapyd_a_crawl_is_a_local_child_and_its_failure_is_in_its_log(
    sqlite_db: Database, tmp_path: Path
) -> None:
    rt = _runtime(sqlite_db, tmp_path)
    assert isinstance(rt.executor, LocalExecutor)
    task = DaemonTask(id=7, kind="crawl", target="nosuchshop", started_at=dt.datetime(2026, 1, 2))
    result = rt.executor.crawl(task, "nosuchshop")
    assert result is not None
    assert (result.ok, result.returncode, result.lost, result.where) == (False, 1, False, "local")
    assert "nosuchshop: no such competitor" in result.tail()
    assert (tmp_path / "logs" / "20260102-000000-crawl-nosuchshop-7.log").is_file()


def test_with_an_unreachable_scrapyd_node_the_crawl_task_fails_naming_it(
    sqlite_db: Database, tmp_path: Path
) -> None:
    node = f"http://127.0.0.1:{_closed_port()}"
    rt = _runtime(sqlite_db, tmp_path, nodes=(node,))
    assert isinstance(rt.executor, ScrapydExecutor)
    assert run_crawl(rt, "gearhub") == "failed"
    with sqlite_db.session() as session:
        task = session.scalars(select(DaemonTask)).one()
        alerts = session.scalars(select(AlertEvent)).all()
    assert (task.target, task.status, task.remote) == ("gearhub", "failed", None)
    note = task.note or ""
    assert note.startswith(f"crawl ended with code 1: scrapyd {node}: daemonstatus.json: ")
    assert "no node answered" in note
    assert [(a.kind, a.target) for a in alerts] == [("crawl_failed", "gearhub")]
    assert not (tmp_path / "logs").exists()  # nothing ran on this machine
