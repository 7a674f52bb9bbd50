"""The browser for JavaScript storefronts is configurable: ``PRICING_CHROMIUM_PATH`` and
``PRICING_CHROMIUM_ARGS``, through the real ``pricing crawl`` and a real Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from demo_market import DemoMarket
from pricing.storage import Database
from pricing.storage.models import CrawlRun
from tests.support import CONFIG_DIR, ROOT, run_cli

pytestmark = pytest.mark.browser
SHOP = "quickfit"  # the demo's JavaScript shop: no price without rendering


def crawl_with(
    env_extra: dict[str, str], db_url: str, market: DemoMarket
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")} | env_extra
    cmd = [sys.executable, "-m", "pricing", "--config", str(CONFIG_DIR), "--db", db_url,
           "crawl", SHOP, "--base-url", f"{SHOP}={market.base_urls[SHOP]}"]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)


def test_a_missing_browser_is_one_line_naming_the_setting(
    tmp_path: Path, sqlite_url: str, market: DemoMarket
) -> None:
    assert run_cli("init", db_url=sqlite_url).returncode == 0
    missing = tmp_path / "no-such-chromium"
    result = crawl_with({"PRICING_CHROMIUM_PATH": str(missing)}, sqlite_url, market)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: PRICING_CHROMIUM_PATH: {missing}: no such executable (competitor {SHOP} "
        "renders JavaScript; install Debian's chromium or point PRICING_CHROMIUM_PATH at one)"
    ]


def test_the_configured_browser_and_flags_render_the_shop(
    tmp_path: Path, sqlite_url: str, market: DemoMarket
) -> None:
    assert run_cli("init", db_url=sqlite_url).returncode == 0
    calls = tmp_path / "calls.txt"
    wrapper = tmp_path / "my-chromium"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec /usr/bin/chromium "$@"\n')
    wrapper.chmod(0o755)

    result = crawl_with(
        {
            "PRICING_CHROMIUM_PATH": str(wrapper),
            "PRICING_CHROMIUM_ARGS": "--lang=de-DE --window-size=1280,900",
        },
        sqlite_url,
        market,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    launched = calls.read_text()
    assert "--lang=de-DE" in launched and "--window-size=1280,900" in launched
    assert "--headless" in launched and "--no-sandbox" in launched  # the defaults stay
    db = Database(sqlite_url)
    with db.session() as s:
        run = s.scalars(select(CrawlRun).where(CrawlRun.competitor == SHOP)).one()
        assert run.status == "succeeded" and run.items > 0
    db.dispose()
