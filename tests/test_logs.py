"""JSON log lines (``--log-format json``, ``PRICING_LOG_FORMAT=json``) as a log collector
reads them: real ``pricing crawl`` and ``pricing daemon`` processes against the demo
market; every line they write to stderr (and every line of the daemon's child logs) is
one JSON object with the time, level, logger and message, and the competitor and crawl
run where known."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from demo_market import DemoMarket
from pricing.storage import Database
from pricing.storage.models import CrawlRun, DaemonTask
from tests.conftest import CONFIG_DIR, ROOT

PYTHON = sys.executable
FIELDS = {"time", "level", "logger", "message"}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    return env | extra


def json_lines(text: str, where: str) -> list[dict[str, Any]]:
    """Every line of ``text`` as a JSON object with the four fixed fields."""
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"{where} line {number} is not JSON: {line[:300]!r}") from None
        assert isinstance(record, dict) and record.keys() >= FIELDS, (where, number, line)
        records.append(record)
    assert records, f"{where}: no log lines"
    return records


def test_crawl_logs_one_json_object_a_line(sqlite_url: str) -> None:
    Database(sqlite_url).upgrade()
    with DemoMarket(names=["gearhub"], faults={"gearhub": ["5xx"]}) as market:
        result = subprocess.run(
            [PYTHON, "-m", "pricing", "--db", sqlite_url, "--config", str(CONFIG_DIR)]
            + ["crawl", "gearhub", "--log-format", "json"]
            + ["--base-url", f"gearhub={market.base_urls['gearhub']}"],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
            env=_env(),
        )
    records = json_lines(result.stderr, "pricing crawl stderr")
    db = Database(sqlite_url)
    with db.session() as session:
        run = session.scalars(select(CrawlRun)).one()
    db.dispose()
    assert result.returncode in (0, 4), result.stderr[-2000:]
    assert result.stdout == ""  # the runs are log records, not a table
    # pages lost to the shop's 500s are errors, each saying which crawl it belongs to
    errors = [r for r in records if r["level"] == "ERROR"]
    assert errors and all(
        r["competitor"] == "gearhub" and r["run_id"] == run.id and "500" in r["message"]
        for r in errors
    )
    summary = [r for r in records if r["logger"] == "pricing.crawl"]
    assert len(summary) == 1
    assert summary[0]["run_id"] == run.id and summary[0]["status"] == run.status
    assert summary[0]["items"] == run.items > 0
    assert records[0]["time"].endswith("+00:00")


def test_bad_log_format_is_one_line(sqlite_url: str) -> None:
    Database(sqlite_url).upgrade()
    result = subprocess.run(
        [PYTHON, "-m", "pricing", "--db", sqlite_url, "crawl", "gearhub"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=_env(PRICING_LOG_FORMAT="xml"),
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: --log-format / PRICING_LOG_FORMAT: 'xml' is not one of text, json"
    )


def test_daemon_and_its_children_log_json_from_the_environment(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = Database(sqlite_url)
    db.upgrade()
    with DemoMarket(names=["gearhub"]) as market:
        config = tmp_path / "config"
        config.mkdir()
        for path in CONFIG_DIR.glob("*.yaml"):
            if path.name != "alerts.yaml":
                (config / path.name).write_text(path.read_text())
        data = yaml.safe_load((CONFIG_DIR / "competitors.yaml").read_text())
        for comp in data["competitors"]:
            comp["enabled"] = comp["name"] == "gearhub"
        (config / "competitors.yaml").write_text(yaml.safe_dump(data))
        log_dir = tmp_path / "logs"
        daemon = subprocess.Popen(
            [PYTHON, "-m", "pricing", "--db", sqlite_url, "--config", str(config), "daemon"]
            + ["--lease", "3", "--heartbeat", "0.5", "--crawl-every", "600"]
            + ["--nightly-every", "3600", "--log-dir", str(log_dir)]
            + ["--reports", str(tmp_path / "reports")]
            + ["--base-url", f"gearhub={market.base_urls['gearhub']}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=_env(PRICING_LOG_FORMAT="json"),
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with db.session() as session:
                    task = session.scalar(select(DaemonTask).where(DaemonTask.status != "running"))
                if task is not None:
                    break
                time.sleep(0.2)
            daemon.send_signal(signal.SIGTERM)
            out, err = daemon.communicate(timeout=60)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait(10)
    db.dispose()
    assert task is not None and task.status == "succeeded", task and task.note
    assert daemon.returncode == 0 and out == ""
    records = json_lines(err, "pricing daemon stderr")
    assert any(r["message"].startswith("leading: daemon") for r in records)
    crawl_lines = [r for r in records if r["logger"] == "scheduler.tasks"]
    assert crawl_lines and all(r.get("competitor") == "gearhub" for r in crawl_lines)
    (child_log,) = log_dir.glob("*-crawl-gearhub-*.log")
    child = json_lines(child_log.read_text(), str(child_log))
    assert any(r.get("run_id") and r.get("competitor") == "gearhub" for r in child)
