"""The configuration a user edits: the example set works, mistakes are named precisely."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from pricing.config import PricingPolicy, load_config
from pricing.errors import ConfigError
from tests.conftest import CONFIG_DIR, run_cli


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    return target


def test_example_config_loads() -> None:
    config = load_config(CONFIG_DIR)
    assert {c.name for c in config.competitors} >= {"partsdepot", "gearhub"}
    assert config.policy.defaults.min_margin == 0.25
    assert config.policy.defaults.competitor_reference == "median"


def _edit(config_dir: Path, name: str, old: str, new: str) -> None:
    path = config_dir / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "pricing.yaml",
            "  max_change: 0.10",
            "  max_chnage: 0.10",
            r"pricing.yaml: defaults.max_chnage: unknown key",
        ),
        (
            "pricing.yaml",
            "  min_margin: 0.25",
            "  min_margin: lots",
            r"pricing.yaml: defaults.min_margin: Input should be a valid number",
        ),
        (
            "pricing.yaml",
            "competitor_reference: median",
            "competitor_reference: mean",
            r"pricing.yaml: defaults.competitor_reference: Input should be 'min' or 'median'",
        ),
        (
            "schedules.yaml",
            'nightly: "30 4 * * *"',
            'nightly: "61 4 * * *"',
            r"schedules.yaml: nightly: .*invalid cron expression '61 4 \* \* \*'",
        ),
        ("pricing.yaml", "defaults:", "defaults: [", r"pricing.yaml: line \d+: not valid YAML"),
        (
            "pricing.yaml",
            "      2025-07-01: 1.17",
            "      2025-13-01: 1.17",
            r"pricing.yaml: line 19: not valid YAML: invalid date '2025-13-01'",
        ),
    ],
)
def test_bad_config_names_file_key_and_reason(
    config_dir: Path, file: str, old: str, new: str, expected: str
) -> None:
    _edit(config_dir, file, old, new)
    with pytest.raises(ConfigError, match=expected):
        load_config(config_dir)


def test_invalid_selector_names_the_competitor(config_dir: Path) -> None:
    text = (config_dir / "competitors.yaml").read_text()
    import yaml

    data = yaml.safe_load(text)
    data["competitors"][0]["selectors"]["price"] = "div[[price"
    (config_dir / "competitors.yaml").write_text(yaml.safe_dump(data))
    name = data["competitors"][0]["name"]
    with pytest.raises(
        ConfigError,
        match=rf"competitors.yaml: competitors\[{name}\].selectors.price: .*invalid selector",
    ):
        load_config(config_dir)


def test_bad_config_stops_the_command_with_one_line(config_dir: Path) -> None:
    _edit(config_dir, "pricing.yaml", "  max_change: 0.10", "  max_change: -1")
    result = run_cli("status", config_dir=config_dir, db_url="sqlite:///:memory:")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "pricing.yaml: defaults.max_change" in lines[0] and "Traceback" not in result.stderr


POLICY = PricingPolicy.model_validate(
    {
        "defaults": {
            "min_margin": 0.25,
            "max_change": 0.10,
            "elasticity_prior": -2.0,
            "price_ending": ".99",
        },
        "proprietary": {"max_change": 0.08, "elasticity_prior": -1.2},
        "categories": {
            "Filters": {
                "min_margin": 0.30,
                "price_ending": None,
                "proprietary": {"elasticity_prior": -0.9},
            },
        },
    }
)


@pytest.mark.parametrize(
    ("category", "proprietary", "row_margin", "expected"),
    [
        (
            "Belts",
            False,
            None,
            {
                "min_margin": 0.25,
                "max_change": 0.10,
                "elasticity_prior": -2.0,
                "price_ending": ".99",
            },
        ),
        ("Belts", True, None, {"min_margin": 0.25, "max_change": 0.08, "elasticity_prior": -1.2}),
        (
            "Filters",
            False,
            None,
            {
                "min_margin": 0.30,
                "max_change": 0.10,
                "elasticity_prior": -2.0,
                "price_ending": None,
            },
        ),
        ("Filters", True, None, {"min_margin": 0.30, "max_change": 0.08, "elasticity_prior": -0.9}),
        ("Filters", True, Decimal("0.4"), {"min_margin": 0.40}),
    ],
)
def test_policy_lookup_order(
    category: str, proprietary: bool, row_margin: Decimal | None, expected: dict[str, object]
) -> None:
    resolved = POLICY.resolve(category, proprietary, row_min_margin=row_margin)
    for key, value in expected.items():
        assert getattr(resolved, key) == value, key
