"""A simulated market priced through the commands an analyst runs, on SQLite and
PostgreSQL: `catalog import`, `observations import`, `sales import`, `match`,
`optimize --format json`. The suggestions must be exactly the ones the optimizer makes
from the same market in memory (so the simulator's profit figures hold for the real
path), and earn what the simulator says they should."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from pricing.cli import app
from pricing.optimizer import optimize
from tests.support import CONFIG_DIR
from tests.support import simulator as sim

STEP = 1.0  # a wide step limit, where the elasticities decide most
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _files(market: sim.Market, folder: Path) -> None:
    """The market as the CSV files a user would import: competitor listings carry the
    part number and the pack our SKU is sold in, seen yesterday by one to four shops."""
    catalog, observations, sales = [], [], []
    for part in market.parts:
        catalog.append([
            part.sku, part.sku, f"{part.category} part {part.sku}", "Acme", part.category,
            part.family, part.unit_cost, part.current_price, part.currency, part.pack_qty,
            str(part.proprietary).lower(), part.map_price or "", part.min_margin or ""])
        for j, unit in enumerate(part.competitor_unit_prices):
            observations.append([
                f"shop{j}", f"https://shop{j}.example/p/{part.sku}", f"Acme {part.sku}",
                unit * part.pack_qty, "USD", "Acme", part.sku, part.pack_qty,
                (NOW - dt.timedelta(days=1)).isoformat()])
        assert part.sales is not None and part.sales.period_start is not None
        for day, units, price in zip(part.sales.period_start, part.sales.units,
                                     part.sales.unit_price, strict=True):
            sales.append([part.sku, day.isoformat(), int(units), f"{price:.4f}"])
    _write_csv(folder / "catalog.csv",
               ["sku", "part_number", "description", "brand", "category", "family",
                "unit_cost", "price", "currency", "pack_qty", "proprietary", "map_price",
                "min_margin"], catalog)
    _write_csv(folder / "observations.csv",
               ["competitor", "url", "title", "price", "currency", "brand", "part_number",
                "pack_qty", "observed_at"], observations)
    _write_csv(folder / "sales.csv", ["sku", "date", "units", "unit_price"], sales)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """The shipped config with the simulated market's policy."""
    out = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, out)
    path = out / "pricing.yaml"
    pricing = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings = sim.policy_settings(STEP)
    pricing["defaults"].update(settings["defaults"])
    pricing["proprietary"] = settings["proprietary"]
    pricing["categories"] = settings["categories"]
    path.write_text(yaml.safe_dump(pricing), encoding="utf-8")
    return out


def test_the_commands_price_a_simulated_market_as_the_optimizer_does(
        db_url: str, tmp_path: Path, config_dir: Path) -> None:
    market = sim.make_market(31, 300, varied=True, history=True,
                             policy=sim.wide_policy(STEP), eps_sd=0.45, price_sd=0.5)
    _files(market, tmp_path)
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(app, ["--db", db_url, "--config", str(config_dir), *args])
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.stdout

    cli("init")
    cli("catalog", "import", str(tmp_path / "catalog.csv"))
    cli("observations", "import", str(tmp_path / "observations.csv"))
    cli("sales", "import", str(tmp_path / "sales.csv"))
    cli("match")
    result = json.loads(cli("optimize", "--format", "json"))

    got = {s["sku"]: s for s in result["suggestions"]}
    assert len(got) == len(market.parts)
    expected = optimize(market.parts, market.policy)
    listings = sum(len(p.competitor_unit_prices) for p in market.parts)
    assert sum(s["competitor_count"] for s in got.values()) == listings  # every one matched
    for want in expected:
        row = got[want.sku]
        assert Decimal(row["suggested_price"]) == want.suggested_price, want.sku
        assert Decimal(row["change"]) == want.suggested_price - want.current_price
        assert float(row["change_pct"]) == pytest.approx(
            float(Decimal(row["change"]) / want.current_price), abs=5e-5)
        assert row["elasticity_source"] == want.elasticity_source, want.sku
        assert row["elasticity"] == pytest.approx(want.elasticity, abs=1e-9), want.sku

    # what the simulator's judge makes of the prices the command suggested
    prices = np.array([float(got[p.sku]["suggested_price"]) for p in market.parts])
    scores = sim.judge(market, expected)
    share = sim.true_profit(market, prices) / sim.true_profit(market, sim.best_prices(market))
    assert share == pytest.approx(scores.optimizer)
    assert share > max(scores.shares[rule] for rule in sim.RULES) + 0.02
    assert scores.violations == []
