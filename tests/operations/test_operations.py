"""Operator checks through the real CLI: version, exit codes, one-line errors."""

from __future__ import annotations

import http.server
import json
import os
import socket
import threading
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from pricing.config import load_config
from pricing.storage import Database
from pricing.storage.models import CrawlRun
from tests.support import CONFIG_DIR, ROOT, run_cli


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


def _config_with_shop(tmp_path: Path, base_url: str) -> Path:
    """The example config with one extra competitor at ``base_url``."""
    config = tmp_path / "config"
    config.mkdir()
    for source in CONFIG_DIR.glob("*.yaml"):
        (config / source.name).write_text(source.read_text())
    data = yaml.safe_load((config / "competitors.yaml").read_text())
    data["competitors"].append(
        {
            "name": "testshop",
            "display_name": "Test Shop",
            "base_url": base_url,
            "currency": "USD",
            "download_delay": 0,
            "download_timeout": 2,
            "discovery": {"mode": "listing", "start_urls": ["/c/all"], "product_links": "a.p"},
        }
    )
    (config / "competitors.yaml").write_text(yaml.safe_dump(data))
    return config


class _EmptyShop(http.server.BaseHTTPRequestHandler):
    """Answers every page with a listing that links to no product (a redesign)."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server interface
        body = b"<html><body><h1>Parts</h1><p>Coming soon</p></body></html>"
        self.send_response(404 if self.path == "/robots.txt" else 200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def empty_shop() -> Iterator[str]:
    """A shop that answers but lists no product: a suspect crawl."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EmptyShop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _latest_run(url: str) -> CrawlRun:
    db = Database(url)
    with db.session() as s:
        run = s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
        assert run is not None
        s.expunge(run)
    db.dispose()
    return run


def test_version_prints_the_installed_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"pricing {metadata.version('pricing-monitor')}"


def test_crawl_of_a_shop_refusing_every_connection_fails_in_one_line_per_error(
    tmp_path: Path, sqlite_url: str
) -> None:
    config = _config_with_shop(tmp_path, f"http://127.0.0.1:{_closed_port()}")
    assert run_cli("init", db_url=sqlite_url, config_dir=config).returncode == 0

    result = run_cli("crawl", "testshop", db_url=sqlite_url, config_dir=config, timeout=120)

    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and 'File "' not in result.stderr
    errors = result.stderr.splitlines()
    assert 0 < len(errors) <= 8, result.stderr
    assert all("Connection" in line and "refused" in line for line in errors), result.stderr
    run = _latest_run(sqlite_url)
    assert run.status == "failed" and run.items == 0
    assert "lost to errors" in (run.note or "")
    assert "failed" in result.stdout  # the run table names the outcome


def test_debug_shows_the_crawl_tracebacks(tmp_path: Path, sqlite_url: str) -> None:
    config = _config_with_shop(tmp_path, f"http://127.0.0.1:{_closed_port()}")
    assert run_cli("init", db_url=sqlite_url, config_dir=config).returncode == 0
    result = run_cli("--debug", "crawl", "testshop", db_url=sqlite_url, config_dir=config)
    assert result.returncode == 3
    assert "Traceback (most recent call last)" in result.stderr


def test_crawl_that_finds_nothing_on_a_live_shop_exits_suspect(
    tmp_path: Path, sqlite_url: str, empty_shop: str
) -> None:
    config = _config_with_shop(tmp_path, empty_shop)
    assert run_cli("init", db_url=sqlite_url, config_dir=config).returncode == 0
    result = run_cli("crawl", "testshop", db_url=sqlite_url, config_dir=config, timeout=120)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    run = _latest_run(sqlite_url)
    assert run.status == "suspect" and run.note == "found no items"


def test_unreachable_database_is_one_line_and_exit_1() -> None:
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/pricing"
    result = run_cli("crawls", db_url=url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: OperationalError:") and "--debug" in lines[0]

    debug = run_cli("--debug", "crawls", db_url=url)
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr


def test_missing_schema_is_exit_1_and_bad_usage_exit_2(sqlite_url: str) -> None:
    missing = run_cli("optimize", db_url=sqlite_url)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        f"error: database {sqlite_url} has no current schema; run `pricing init` first"
    ]
    usage = run_cli("optimize", "--format", "yaml", db_url=sqlite_url)
    assert usage.returncode == 2
    assert "Invalid value for '--format'" in usage.stderr


CATALOG = """sku,part_number,description,brand,category,family,unit_cost,price,currency,pack_qty,proprietary,gtin,map_price
NL-2001,NL-2001,V-belt 6PK1220,Northline,Belts,v-belt,6.00,12.00,USD,1,false,,
NL-2002,NL-2002,Oil filter spin-on,Northline,Filters,oil-filter,4.00,9.00,USD,1,false,4006381333931,
"""
SALES = "sku,date,units,unit_price\n" + "".join(
    f"NL-200{n},2026-{m:02d}-05,{10 + n},{p}\n"
    for n, p in [(1, "12.00"), (2, "9.00")]
    for m in range(1, 11)
)
VENDOR = """competitor,url,title,price,currency,brand,part_number,gtin,pack_qty
vendorfeed,https://a.example/p/1,Northline V-belt,10.00,USD,Northline,NL-2001,,1
vendorfeed,https://a.example/p/2,Oil filter,8.00,USD,Filtrex,FX-1,4006381333931,1
"""


def test_a_config_folder_with_only_pricing_yaml_runs_the_analyst_commands(
    tmp_path: Path, db_url: str
) -> None:
    """A team that buys competitor prices from a data vendor and never crawls."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "pricing.yaml").write_text((CONFIG_DIR / "pricing.yaml").read_text())
    for name, text in [("catalog", CATALOG), ("sales", SALES), ("vendor", VENDOR)]:
        (tmp_path / f"{name}.csv").write_text(text)

    def ok(*args: str) -> str:
        result = run_cli(*args, db_url=db_url, config_dir=config)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr == "", (args, result.stderr)  # no warning either
        return result.stdout

    ok("init")
    ok("catalog", "import", str(tmp_path / "catalog.csv"))
    ok("sales", "import", str(tmp_path / "sales.csv"))
    ok("observations", "import", str(tmp_path / "vendor.csv"))
    assert "matched 2 listings" in ok("match")
    optimized = json.loads(ok("optimize", "--format", "json"))
    assert {s["sku"] for s in optimized["suggestions"]} == {"NL-2001", "NL-2002"}
    assert {s["competitor_count"] for s in optimized["suggestions"]} == {1}
    ok("report", "--out", str(tmp_path / "report"))
    assert (tmp_path / "report" / "report.html").is_file()
    ok("review", "--approve", "--by", "ana", "--why", "vendor prices")
    ok("export", "--out", str(tmp_path / "erp.csv"), "--by", "ana")
    assert len((tmp_path / "erp.csv").read_text().splitlines()) == 3  # header + 2 prices

    crawl = run_cli("crawl", "partsdepot", db_url=db_url, config_dir=config)
    assert crawl.returncode == 1
    assert "competitors.yaml: partsdepot: no such competitor (known: none)" in crawl.stderr
    nothing = run_cli("crawl", db_url=db_url, config_dir=config)
    assert nothing.returncode == 1
    assert (
        nothing.stderr.strip()
        == f"error: {config / 'competitors.yaml'}: nothing to crawl: no enabled competitor"
    )


def test_a_schedule_for_an_unknown_competitor_is_a_warning_not_a_stop(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for source in CONFIG_DIR.glob("*.yaml"):
        (config / source.name).write_text(source.read_text())
    schedules = config / "schedules.yaml"
    schedules.write_text(schedules.read_text().replace("  gearhub:", "  nosuchshop:"))

    url = f"sqlite:///{tmp_path / 'p.db'}"
    assert run_cli("init", db_url=url, config_dir=config).returncode == 0
    result = run_cli("status", "--format", "json", db_url=url, config_dir=config)
    assert result.returncode == 0, result.stderr
    gearhub = next(r for r in json.loads(result.stdout) if r["job"] == "crawl gearhub")
    assert gearhub["schedule"] == "0 1 * * *"  # the default crawl time, not the ignored entry
    warning = f"warning: {schedules}: crawls.nosuchshop: no competitor of that name in competitors.yaml; schedule ignored"
    assert warning in result.stderr.splitlines()
    loaded = load_config(config)
    assert "nosuchshop" not in loaded.schedules.crawls
    assert loaded.schedules.crawls["partsdepot"] == "15 1 * * *"


def _big_catalog(path: Path, n: int) -> None:
    lines = [
        "sku,part_number,description,brand,category,family,unit_cost,price,currency,pack_qty,proprietary,gtin,map_price"
    ]
    lines += [
        f"T-{i:05d},T-{i:05d},Part {i},Northline,Belts,fam{i % 9},{10 + i % 13}.00,{20 + i % 17}.00,USD,1,false,,"
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("big")
    url = f"sqlite:///{tmp / 'pricing.db'}"
    _big_catalog(tmp / "catalog.csv", 300)
    assert run_cli("init", db_url=url).returncode == 0
    assert run_cli("catalog", "import", str(tmp / "catalog.csv"), db_url=url).returncode == 0
    return url


def test_a_large_table_shows_its_first_rows_and_says_how_to_get_all(big_db: str) -> None:
    result = run_cli("optimize", db_url=big_db)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    shown = [line for line in out.splitlines() if line.startswith("│ T-")]
    assert len(shown) == 50
    skus = [line.split()[1] for line in shown]
    assert skus == sorted(skus)  # the first rows, in order
    changes = int(out.split("SKUs, ")[1].split(" price changes")[0])
    assert changes > 50
    assert f"{changes} rows; the first 50 shown. All of them: --format csv or --format json" in out
    assert "suggestion run 1: 300 SKUs" in out
    assert "\x1b[" not in out  # no spinner or colour codes when piped

    full = run_cli("review", "--format", "csv", db_url=big_db)
    assert full.returncode == 0
    assert len(full.stdout.strip().splitlines()) == 301  # header + every SKU


def test_a_small_table_is_shown_whole(big_db: str) -> None:
    result = run_cli("review", "--sku", "T-00001", "--sku", "T-00002", db_url=big_db)
    assert result.returncode == 0, result.stderr
    assert len([line for line in result.stdout.splitlines() if line.startswith("│ T-")]) == 2
    assert "shown" not in result.stdout


def test_long_commands_show_progress_on_a_terminal_only(big_db: str) -> None:
    import pty
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    env |= {"TERM": "xterm", "COLUMNS": "120"}
    cmd = [sys.executable, "-m", "pricing", "--db", big_db, "match"]
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=follower, stderr=follower, env=env, cwd=ROOT)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(leader)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, screen
    assert "matching listings to SKUs" in screen  # the spinner's line
    assert "listings: nothing new" in screen

    piped = run_cli("match", db_url=big_db)
    assert "matching listings to SKUs" not in piped.stdout + piped.stderr
