"""``--out FILE`` on the listing commands: every row goes to the file (CSV or JSON,
exactly what ``--format csv|json`` prints), the terminal gets a one-line summary, and a
bad ``--out`` is refused before any work is done."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pricing.storage import Database
from pricing.storage.models import Suggestion, SuggestionRun
from tests.conftest import run_cli

SKUS = 120  # more than a table shows (50)


@pytest.fixture
def catalog_db(tmp_path: Path) -> str:
    lines = [
        "sku,part_number,description,brand,category,family,unit_cost,price,currency,"
        "pack_qty,proprietary"
    ]
    lines += [
        f"O-{i:04d},O-{i:04d},Part {i},Northline,Belts,fam{i % 7},{10 + i % 11}.00,"
        f"{20 + i % 13}.00,USD,1,{'true' if i % 5 == 0 else 'false'}"
        for i in range(SKUS)
    ]
    (tmp_path / "catalog.csv").write_text("\n".join(lines) + "\n")
    url = f"sqlite:///{tmp_path / 'pricing.db'}"
    assert run_cli("init", db_url=url).returncode == 0
    result = run_cli("catalog", "import", str(tmp_path / "catalog.csv"), db_url=url)
    assert result.returncode == 0, result.stderr
    return url


def suggestions(url: str) -> dict[str, Suggestion]:
    db = Database(url)
    with db.session() as session:
        rows = {s.sku: s for s in session.scalars(select(Suggestion))}
    db.dispose()
    return rows


def test_optimize_writes_every_suggestion_to_the_csv_file(catalog_db: str, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    result = run_cli("optimize", "--format", "csv", "--out", str(out), db_url=catalog_db)
    assert result.returncode == 0, result.stderr
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    stored = suggestions(catalog_db)
    assert len(rows) == len(stored) == SKUS
    for row in rows:
        s = stored[row["sku"]]
        assert Decimal(row["suggested_price"]) == s.suggested_price
        assert Decimal(row["current_price"]) == s.current_price
    # the terminal: the summary, not the rows
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"suggestion run 1: {SKUS} rows written to {out} (csv)"
    assert lines[1].startswith(f"suggestion run 1: {SKUS} SKUs, ")
    assert "O-0001" not in result.stdout


def test_optimize_json_file_by_its_suffix(catalog_db: str, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    result = run_cli("optimize", "--out", str(out), db_url=catalog_db)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["run_id"] == 1 and len(data["suggestions"]) == SKUS
    assert {s["sku"] for s in data["suggestions"]} == set(suggestions(catalog_db))
    assert f"{SKUS} suggestions written to {out} (json)" in result.stdout


def test_review_out_holds_exactly_what_format_csv_prints(catalog_db: str, tmp_path: Path) -> None:
    assert run_cli("optimize", "--format", "json", db_url=catalog_db).returncode == 0
    printed = run_cli("review", "--format", "csv", db_url=catalog_db)
    out = tmp_path / "pending.csv"
    result = run_cli("review", "--out", str(out), db_url=catalog_db)
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == printed.stdout
    assert len(printed.stdout.strip().splitlines()) == SKUS + 1
    assert result.stdout.strip() == (
        f"Pending suggestions, run 1: {SKUS} rows written to {out} (csv)"
    )


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("prices.txt", "choose the file's format with --format csv or --format json"),
        ("missing/prices.csv", "no folder"),
    ],
)
def test_a_bad_out_is_refused_before_the_run(
    catalog_db: str, tmp_path: Path, out: str, message: str
) -> None:
    result = run_cli("optimize", "--out", str(tmp_path / out), db_url=catalog_db)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: --out {tmp_path / out}: ") and message in line
    db = Database(catalog_db)
    with db.session() as session:
        assert session.scalar(select(func.count(SuggestionRun.id))) == 0
    db.dispose()
    assert not (tmp_path / out).exists()
