"""The deployment kit (compose.yaml, deploy/systemd, Dockerfile) without a container
runtime: every command the files run is a real command of this product, with options
it accepts, and the units pass ``systemd-analyze verify`` where it is installed."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT

BIN = Path(sys.executable).parent
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _accepts(command: list[str]) -> None:
    """``command`` names a real program and (for ``pricing``) a real subcommand whose
    options all exist: the same words with ``--help`` are accepted."""
    program, *args = command
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    if program == "pricing":
        result = subprocess.run(
            [sys.executable, "-m", "pricing", *args, "--help"],
            capture_output=True, text=True, timeout=60, cwd=ROOT, env=env,
        )  # fmt: skip
        assert result.returncode == 0, (command, result.stderr)
        subcommand = next(a for a in args if not a.startswith("-"))
        assert f" {subcommand} " in result.stdout.splitlines()[0] + " ", result.stdout[:300]
    else:
        assert (BIN / program).is_file() or shutil.which(program), f"{program}: not installed"


def test_compose_runs_postgres_init_two_daemons_web_and_a_scrapyd_node() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "init", "daemon-a", "daemon-b", "web", "scrapyd"}
    assert services["init"]["command"] == ["pricing", "init"]
    assert services["init"]["restart"] == "no"
    assert services["init"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("daemon-a", "daemon-b", "web", "scrapyd"):
        assert services[name]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    daemons = [services[n]["command"] for n in ("daemon-a", "daemon-b")]
    assert daemons[0] == daemons[1] and daemons[0][:2] == ["pricing", "daemon"]
    assert "http://scrapyd:6800" in daemons[0]
    url = services["web"]["environment"]["PRICING_DATABASE_URL"]
    assert url == services["daemon-a"]["environment"]["PRICING_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://pricing:") and url.endswith(
        "@postgres:5432/pricing"
    )
    health = " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in health


@pytest.mark.parametrize("service", ["init", "daemon-a", "daemon-b", "web", "scrapyd"])
def test_every_compose_command_is_a_real_command(service: str) -> None:
    _accepts(_compose()["services"][service]["command"])


def test_the_scrapyd_node_starts_where_scrapy_cfg_names_the_project() -> None:
    services = _compose()["services"]
    assert services["scrapyd"]["working_dir"] == "/app"
    assert "default" in (ROOT / "scrapy.cfg").read_text()
    daemon = services["daemon-a"]["command"]
    assert daemon[daemon.index("--scrapyd-project") + 1] == "default"
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = [line for line in dockerfile.splitlines() if line.startswith("COPY ")]
    assert "WORKDIR /app" in dockerfile and any("scrapy.cfg" in line for line in copied)
    assert "chromium" in dockerfile


def _exec_start(unit: Path) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(unit)
    return shlex.split(parser["Service"]["ExecStart"])


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_every_unit_runs_a_real_command(unit: Path) -> None:
    program, *args = _exec_start(unit)
    assert program.startswith("/opt/pricing/venv/bin/")
    _accepts([Path(program).name, *args])


def test_units_cover_init_daemon_web_and_scrapyd() -> None:
    assert {u.name for u in UNITS} == {
        "pricing-init.service",
        "pricing-daemon.service",
        "pricing-web.service",
        "pricing-scrapyd.service",
    }


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    """Verified with the paths of this machine: this venv for /opt/pricing/venv, the
    example environment file, existing working directories."""
    for unit in UNITS:
        text = unit.read_text()
        text = text.replace("/opt/pricing/venv/bin/", f"{BIN}/")
        text = text.replace("/etc/pricing/pricing.env", str(ROOT / "deploy/systemd/pricing.env"))
        text = text.replace("WorkingDirectory=/opt/pricing/src", f"WorkingDirectory={ROOT}")
        text = text.replace("WorkingDirectory=/var/lib/pricing", f"WorkingDirectory={tmp_path}")
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Unknown" not in result.stderr and "not executable" not in result.stderr
