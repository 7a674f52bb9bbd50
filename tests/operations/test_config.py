"""The configuration a user edits: the example set works, mistakes are named precisely."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pricing.config import PricingPolicy, load_config
from pricing.errors import ConfigError
from tests.support import CONFIG_DIR, run_cli


@pytest.fixture
def config_dir(config_copy: Path) -> Path:
    return config_copy


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


# --- files that are not a valid YAML mapping: one line naming the file -------------------

DEEP = "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 60))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "pricing.yaml: the file is empty; write its settings (or {} for the built-in "
              "defaults)"),
        (b"# all commented out\n#defaults:\n#  min_margin: 0.25\n",
         "pricing.yaml: the file is empty; write its settings (or {} for the built-in "
         "defaults)"),
        (b"- min_margin: 0.25\n",
         "pricing.yaml: the file must be a mapping of keys to values, not a list"),
        (b"just words\n", "pricing.yaml: the file must be a mapping of keys to values, "
                          "not a string"),
        (b"defaults:\n  min_margin: 0.25\n  max_change: 0.1\n  min_margin: 0.30\n",
         "pricing.yaml: defaults.min_margin: key written twice (lines 2 and 4)"),
        (b"defaults:\n  min_margin: 0.25\ndefaults:\n  max_change: 0.1\n",
         "pricing.yaml: defaults: key written twice (lines 1 and 3)"),
        (b"categories:\n  Filters:\n    proprietary:\n      max_change: 0.1\n"
         b"      max_change: 0.2\n",
         "pricing.yaml: categories.Filters.proprietary.max_change: key written twice "
         "(lines 4 and 5)"),
        (b"defaults: {min_margin: 0.25, min_margin: 0.3}\n",
         "pricing.yaml: defaults.min_margin: key written twice (lines 1 and 1)"),
        (b"base_currency: USD\n# Caf\xe9 prices\n",
         "pricing.yaml: line 2: not UTF-8 (byte 0xE9 at column 6); save it as UTF-8"),
        (DEEP.encode(), "pricing.yaml: line 40: not valid YAML: nested more than 40 levels deep"),
        (b"a: " + b"[" * 100_000 + b"\n",
         "pricing.yaml: line 1: not valid YAML: nested more than 40 levels deep"),
    ],
    ids=["empty", "comments", "list", "string", "dup", "dup-top", "dup-deep", "dup-flow",
         "latin1", "deep", "brackets"],
)
def test_unusable_config_file_is_one_line(config_dir: Path, content: bytes, expected: str) -> None:
    (config_dir / "pricing.yaml").write_bytes(content)
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert str(err.value) == f"{config_dir / expected}"


def test_merge_keys_are_overrides_not_duplicates(config_dir: Path) -> None:
    (config_dir / "pricing.yaml").write_text(
        "defaults: &base\n  min_margin: 0.25\n"
        "categories:\n  Filters:\n    <<: *base\n    min_margin: 0.30\n"
    )
    policy = load_config(config_dir).policy
    assert policy.categories["Filters"].min_margin == 0.30


def test_duplicate_key_in_a_named_list_item(config_dir: Path) -> None:
    path = config_dir / "competitors.yaml"
    text = path.read_text()
    first = text.index("    concurrency: 4\n")
    path.write_text(text[:first] + "    concurrency: 4\n    concurrency: 8\n"
                    + text[first + len("    concurrency: 4\n"):])
    line = text[:first].count("\n") + 1
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert str(err.value) == (
        f"{path}: competitors[partsdepot].concurrency: key written twice "
        f"(lines {line} and {line + 1})"
    )


def test_unreadable_config_file(config_dir: Path) -> None:
    (config_dir / "schedules.yaml").unlink()
    (config_dir / "schedules.yaml").mkdir()
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert str(err.value) == f"{config_dir / 'schedules.yaml'}: not a file"


def test_empty_policy_stops_the_command(config_dir: Path, tmp_path: Path) -> None:
    """An emptied pricing.yaml must not run on the built-in defaults (category floors
    gone): `pricing optimize` stops with one line."""
    (config_dir / "pricing.yaml").write_text("")
    db_url = f"sqlite:///{tmp_path / 'p.db'}"
    assert run_cli("init", db_url=db_url, config_dir=config_dir).returncode == 0
    result = run_cli("optimize", db_url=db_url, config_dir=config_dir)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {config_dir / 'pricing.yaml'}: the file is empty; write its settings "
        "(or {} for the built-in defaults)"
    ]
