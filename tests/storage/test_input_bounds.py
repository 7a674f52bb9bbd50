"""Every input is bounded: what the importers and `pricing optimize` refuse or skip, and
how they say so, through the real `pricing` command on SQLite and PostgreSQL.

A refused file is one line on stderr, ``FILE: line N: column: reason``, the same on
both backends, and nothing already stored is lost.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pricing.cli import main
from pricing.storage import Database
from tests.support import CONFIG_DIR, run_cli

HEADER = (
    "sku,part_number,description,brand,category,family,unit_cost,price,currency,pack_qty,"
    "proprietary,gtin,map_price,min_margin\n"
)
CATALOG = HEADER + (
    "NL-1,NL-1,V-belt 6PK1220,Northline,Belts,v-belt,6.00,12.00,USD,1,false,,,\n"
    "NL-2,NL-2,Oil filter,Northline,Filters,oil-filter,4.00,9.00,USD,1,false,,,\n"
    "NL-3,NL-3,Alternator 120A,Northline,Electrical,alternator,80.00,150.00,USD,1,true,,,\n"
)
XREF_HEADER = "competitor_brand,competitor_part_number,sku,relation\n"
SALES_HEADER = "sku,date,units,unit_price\n"
OBS_HEADER = "competitor,url,title,price,currency,brand,part_number,pack_qty,observed_at\n"
TABLES = (
    "parts",
    "our_prices",
    "cross_references",
    "sales_history",
    "listings",
    "price_observations",
)


class Cli:
    """The `pricing` entry point run in this process (``main()``, as the console script
    runs it), on one database: exit code, stdout and stderr."""

    def __init__(
        self,
        db_url: str,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
        config_dir: Path = CONFIG_DIR,
    ) -> None:
        self.db_url, self.capsys, self.monkeypatch = db_url, capsys, monkeypatch
        self.config_dir = config_dir

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.monkeypatch.setattr(
            sys, "argv", ["pricing", "--db", self.db_url, "--config", str(self.config_dir), *args]
        )
        self.capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert code == 0, (args, out, err)
        return out

    def refused(self, *args: str) -> str:
        """The one line a refused command prints (without the ``error: `` prefix)."""
        code, out, err = self(*args)
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 1 and len(lines) == 1, (args, out, err)
        assert lines[0].startswith("error: "), err
        return lines[0].removeprefix("error: ")


@pytest.fixture
def cli(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Cli:
    for name in [k for k in os.environ if k.startswith("PRICING_")]:
        monkeypatch.delenv(name)
    runner = Cli(db_url, capsys, monkeypatch)
    runner.ok("init")
    runner.ok("catalog", "import", str(write(tmp_path, "base.csv", CATALOG)))
    return runner


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def stored(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables imports write, for "nothing was lost or added"."""
    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            meta = sa.MetaData()
            meta.reflect(conn, only=TABLES)
            return {
                name: sorted(
                    tuple(map(str, row)) for row in conn.execute(sa.select(meta.tables[name]))
                )
                for name in TABLES
            }
    finally:
        db.dispose()


def catalog_row(**cells: str) -> str:
    row = {
        "sku": "NL-9",
        "part_number": "NL-9",
        "description": "Belt",
        "brand": "Northline",
        "category": "Belts",
        "family": "v-belt",
        "unit_cost": "6.00",
        "price": "12.00",
        "currency": "USD",
        "pack_qty": "1",
        "proprietary": "false",
        "gtin": "",
        "map_price": "",
        "min_margin": "",
    } | cells
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row.values())
    return HEADER + out.getvalue()


LONG = "X" * 100

# (command, file text, the reason after "FILE: line 2: ")
REFUSED = [
    (
        "catalog",
        catalog_row(price="0.00001"),
        "price: more than 4 decimal places (storage would round it) (got '0.00001')",
    ),
    ("catalog", catalog_row(unit_cost="0"), "unit_cost: Input should be greater than 0 (got '0')"),
    (
        "catalog",
        catalog_row(unit_cost="-1"),
        "unit_cost: Input should be greater than 0 (got '-1')",
    ),
    ("catalog", catalog_row(price="1e9"), "price: Input should be less than 100000000 (got '1e9')"),
    ("catalog", catalog_row(price="NaN"), "price: Input should be a finite number (got 'NaN')"),
    (
        "catalog",
        catalog_row(price="Infinity"),
        "price: Input should be a finite number (got 'Infinity')",
    ),
    (
        "catalog",
        catalog_row(map_price="1e308"),
        "map_price: Input should be less than 100000000 (got '1e308')",
    ),
    (
        "catalog",
        catalog_row(pack_qty="0"),
        "pack_qty: Input should be greater than or equal to 1 (got '0')",
    ),
    (
        "catalog",
        catalog_row(pack_qty="2.5"),
        "pack_qty: Input should be a valid integer, unable to parse string as an integer "
        "(got '2.5')",
    ),
    (
        "catalog",
        catalog_row(pack_qty="100001"),
        "pack_qty: Input should be less than or equal to 100000 (got '100001')",
    ),
    ("catalog", catalog_row(min_margin="1"), "min_margin: Input should be less than 1 (got '1')"),
    (
        "catalog",
        catalog_row(min_margin="0.12345"),
        "min_margin: more than 4 decimal places (storage would round it) (got '0.12345')",
    ),
    (
        "catalog",
        catalog_row(sku=LONG),
        f"sku: String should have at most 64 characters (got {LONG[:40]!r})",
    ),
    (
        "catalog",
        catalog_row(brand="B" * 129),
        f"brand: String should have at most 128 characters (got {'B' * 40!r})",
    ),
    (
        "catalog",
        catalog_row(sku="NL\x00-9"),
        "sku: control character U+0000 at character 3 is not allowed (got 'NL\\x00-9')",
    ),
    (
        "catalog",
        catalog_row(description="Belt\x1b[31m"),
        "description: control character U+001B at character 5 is not allowed (got 'Belt\\x1b[31m')",
    ),
    (
        "catalog",
        catalog_row(gtin="1" * 20),
        f"gtin: not a valid GTIN, and longer than 14 characters (got {'1' * 20!r})",
    ),
    ("sales", SALES_HEADER + "NL-1,,1,12.00\n", "date: required, but the cell is blank"),
    (
        "sales",
        SALES_HEADER + "NL-1,2026-01-05\n",
        "units: missing (the row has fewer cells than the header)",
    ),
    (
        "sales",
        SALES_HEADER + "NL-1,2026-01-05,1e308,12.00\n",
        "units: Input should be less than 1000000 (got '1e308')",
    ),
    (
        "sales",
        SALES_HEADER + "NL-1,2026-01-05,-1,12.00\n",
        "units: Input should be greater than or equal to 0 (got '-1')",
    ),
    (
        "sales",
        SALES_HEADER + "NL-1,2026-01-05,NaN,12.00\n",
        "units: Input should be a finite number (got 'NaN')",
    ),
    (
        "sales",
        SALES_HEADER + "NL-1,2026-01-05,1.0001,12.00\n",
        "units: more than 3 decimal places (storage would round it) (got '1.0001')",
    ),
    (
        "sales",
        SALES_HEADER + "NL-1,2026-02-30,1,12.00\n",
        "date: Input should be a valid date or datetime, day value is outside expected range "
        "(got '2026-02-30')",
    ),
    (
        "xref",
        XREF_HEADER + f"Beltco,B-1,{LONG},\n",
        f"sku: String should have at most 64 characters (got {LONG[:40]!r})",
    ),
    (
        "xref",
        XREF_HEADER + "Beltco\x7f,B-1,NL-1,\n",
        "competitor_brand: control character U+007F at character 7 is not allowed "
        "(got 'Beltco\\x7f')",
    ),
    (
        "xref",
        XREF_HEADER + "Beltco,B-1,NL-1,cousin\n",
        "relation: Input should be 'equivalent', 'superseded' or 'kit' (got 'cousin')",
    ),
    (
        "observations",
        OBS_HEADER + "shopa,https://a.example/1,Belt,0.00001,USD,,,1,\n",
        "price: more than 4 decimal places (storage would round it) (got '0.00001')",
    ),
    (
        "observations",
        OBS_HEADER + f"shopa,https://a.example/{'p' * 1100},Belt,1,USD,,,1,\n",
        "url: String should have at most 1024 characters (got 'https://a.example/pppppppppppppppppppppp')",
    ),
    (
        "observations",
        OBS_HEADER + f"{'s' * 65},https://a.example/1,Belt,1,USD,,,1,\n",
        f"competitor: String should have at most 64 characters (got {'s' * 40!r})",
    ),
    (
        "observations",
        OBS_HEADER + "shopa,https://a.example/1,Belt,1,USD,,,1,2026-13-01\n",
        "observed_at: Input should be a valid datetime or date, month value is outside expected "
        "range of 1-12 (got '2026-13-01')",
    ),
]


@pytest.mark.parametrize(
    ("command", "text", "reason"),
    REFUSED,
    ids=[f"{c}-{r.split(':')[0]}-{i}" for i, (c, _, r) in enumerate(REFUSED)],
)
def test_out_of_bounds_value_is_refused_with_one_line(
    cli: Cli, db_url: str, tmp_path: Path, command: str, text: str, reason: str
) -> None:
    before = stored(db_url)
    path = write(tmp_path, "in.csv", text)
    message = cli.refused(command, "import", str(path))
    # the same expected line on both backends: validation happens before any write
    assert message == (
        f"{path}: line 2: {reason}; nothing imported (use --skip-bad-rows to import the good rows)"
    )
    assert stored(db_url) == before


def test_good_rows_at_the_bounds_are_stored_exactly(cli: Cli, db_url: str, tmp_path: Path) -> None:
    cli.ok(
        "catalog",
        "import",
        str(
            write(
                tmp_path,
                "edge.csv",
                catalog_row(
                    sku="S" * 64,
                    price="99999999.9999",
                    unit_cost="0.0001",
                    min_margin="0.9999",
                    pack_qty="100000",
                    description="two\tlines\nof text",
                ),
            )
        ),
    )
    cli.ok(
        "sales",
        "import",
        str(
            write(
                tmp_path,
                "s.csv",
                SALES_HEADER + f"{'S' * 64},2026-01-05,999999.999,99999999.9999\n",
            )
        ),
    )
    with Database(db_url).engine.connect() as conn:
        part = conn.execute(
            sa.text(
                "select price, unit_cost, min_margin, pack_qty, description from parts "
                "where sku = :s"
            ),
            {"s": "S" * 64},
        ).one()
        units = conn.execute(sa.text("select units from sales_history")).scalar_one()
    assert Decimal(str(part[0])) == Decimal("99999999.9999")
    assert Decimal(str(part[1])) == Decimal("0.0001") and Decimal(str(part[2])) == Decimal("0.9999")
    assert part[3] == 100000 and part[4] == "two\tlines\nof text"
    assert Decimal(str(units)) == Decimal("999999.999")


def test_line_numbers_are_physical_lines(cli: Cli, db_url: str, tmp_path: Path) -> None:
    """A quoted cell over three lines and a blank line do not shift later line numbers; a
    Latin-1 byte on line 3000 is reported on line 3000 with its column."""
    rows = [
        HEADER.rstrip("\n"),
        'NL-5,NL-5,"Belt,\nwith a note\nover three lines",N,Belts,b,1,2,USD,1,false,,,',
        "",
    ]
    rows += [f"NL-{n},NL-{n},Belt,N,Belts,b,1,2,USD,1,false,,," for n in range(100, 2100)]
    rows += [f"NL-{n},NL-{n},Belt,N,Belts,b,1,2,USD,1,false,,," for n in range(2100, 3100)]
    assert len(rows) == 3003
    # the header is line 1, the quoted cell lines 2-4, the blank line 5: rows[i] is on
    # line i + 3
    rows[2497] = "NL-BAD,NL-BAD,Belt,N,Belts,b,abc,2,USD,1,false,,,"
    text = "\n".join(rows) + "\n"
    path = write(tmp_path, "c.csv", text)
    assert cli.refused("catalog", "import", str(path)) == (
        f"{path}: line 2500: unit_cost: Input should be a valid decimal (got 'abc'); "
        "nothing imported (use --skip-bad-rows to import the good rows)"
    )
    lines = text.encode().split(b"\n")
    lines[2999] = lines[2999].replace(b"Belt", "Bélt".encode("latin-1"))  # physical line 3000
    latin = write(tmp_path, "latin.csv", b"\n".join(lines))
    column = lines[2999].index(b"\xe9") + 1
    before = stored(db_url)
    assert cli.refused("catalog", "import", str(latin)) == (
        f"{latin}: line 3000: not UTF-8 (byte 0xE9 at column {column}); "
        "save it as UTF-8; nothing imported"
    )
    assert stored(db_url) == before


def test_file_level_problems_are_one_line(cli: Cli, tmp_path: Path) -> None:
    assert cli.refused("catalog", "import", str(tmp_path)) == (
        f"{tmp_path}: cannot read file: Is a directory; nothing imported"
    )
    missing = tmp_path / "nope.csv"
    assert cli.refused("sales", "import", str(missing)) == (
        f"{missing}: cannot read file: No such file or directory; nothing imported"
    )
    empty = write(tmp_path, "empty.csv", "")
    assert cli.refused("catalog", "import", str(empty)) == (
        f"{empty}: line 1: empty file: no header row; nothing imported"
    )
    twice = write(tmp_path, "twice.csv", "sku,date,units,unit_price,units\nNL-1,2026-01-05,1,2,3\n")
    assert cli.refused("sales", "import", str(twice)) == (
        f"{twice}: line 1: units: column appears twice in the header; nothing imported"
    )


DUPLICATES = [
    (
        "catalog",
        HEADER + "NL-7,NL-7,Belt,N,Belts,b,1,2,USD,1,false,,,\n"
        "NL-8,NL-8,Belt,N,Belts,b,1,2,USD,1,false,,,\n"
        "NL-7,NL-7,Belt,N,Belts,b,1,2.50,USD,1,false,,,\n",
        "sku",
    ),
    (
        "xref",
        XREF_HEADER + "Beltco,B 6PK1220,NL-1,\nBeltco,B 6PK1221,NL-1,\nBELTCO,B-6PK1220,NL-1,kit\n",
        "competitor_brand, competitor_part_number, sku",
    ),
    (
        "sales",
        SALES_HEADER + "NL-1,2026-01-05,3,12.00\nNL-1,2026-01-12,3,12.00\n"
        "NL-1,2026-01-05,4,11.00\n",
        "sku, date",
    ),
    (
        "observations",
        OBS_HEADER + "shopa,https://a.example/1,Belt,10,USD,,,1,2026-11-01T10:00:00Z\n"
        "shopa,https://a.example/2,Belt,10,USD,,,1,2026-11-01T10:00:00Z\n"
        "shopa,https://a.example/1,Belt,11,USD,,,1,2026-11-01T11:00:00+01:00\n",
        "competitor, url, observed_at",
    ),
]


@pytest.mark.parametrize(("command", "text", "key"), DUPLICATES, ids=[d[0] for d in DUPLICATES])
def test_duplicate_keys_in_one_file(
    cli: Cli, db_url: str, tmp_path: Path, command: str, text: str, key: str
) -> None:
    """Lines 2 and 4 share a key: an error naming both lines; skipped, both are left out
    (neither can be trusted), counted and reported, and line 3 is imported."""
    before = stored(db_url)
    path = write(tmp_path, "dup.csv", text)
    assert cli.refused(command, "import", str(path)) == (
        f"{path}: line 2: {key}: duplicate key, also on line 4 (and 1 more bad rows); "
        "nothing imported (use --skip-bad-rows to import the good rows)"
    )
    assert stored(db_url) == before
    code, out, err = cli(command, "import", str(path), "--skip-bad-rows")
    assert code == 0 and f"imported 1 rows from {path}" in out
    assert err.splitlines() == [
        f"{path}: line 2: skipped: {key}: duplicate key, also on line 4",
        f"{path}: line 4: skipped: {key}: duplicate key, also on line 2",
        f"{path}: 2 bad rows skipped",
    ]
    after = stored(db_url)
    added = {t: len(after[t]) - len(before[t]) for t in TABLES}
    expected = {
        "catalog": {"parts": 1, "our_prices": 1},
        "xref": {"cross_references": 1},
        "sales": {"sales_history": 1},
        "observations": {"listings": 1, "price_observations": 1},
    }[command]
    assert {t: n for t, n in added.items() if n} == expected


def test_future_observations_are_refused(cli: Cli, db_url: str, tmp_path: Path) -> None:
    """Replayed with --as-of: an hour of clock skew past it is accepted, more is not."""
    skewed = write(
        tmp_path,
        "skew.csv",
        OBS_HEADER
        + "shopa,https://a.example/1,Belt,10,USD,,,1,2026-11-01T12:59:59Z\n"
        + "shopa,https://a.example/2,Belt,10,USD,,,1,2026-11-01T13:00:01Z\n",
    )
    before = stored(db_url)
    assert cli.refused("observations", "import", str(skewed), "--as-of", "2026-11-01T12:00") == (
        f"{skewed}: line 3: observed_at: 2026-11-01T13:00:01+00:00 is in the future (more than "
        "1 hour after 2026-11-01T12:00:00+00:00); nothing imported "
        "(use --skip-bad-rows to import the good rows)"
    )
    assert stored(db_url) == before
    out = cli.ok(
        "observations", "import", str(skewed), "--as-of", "2026-11-01T12:00", "--skip-bad-rows"
    )
    assert "imported 1 rows" in out
    assert len(stored(db_url)["price_observations"]) == 1


def test_future_observation_message_with_now(cli: Cli, db_url: str, tmp_path: Path) -> None:
    path = write(
        tmp_path, "obs.csv", OBS_HEADER + "shopa,https://a.example/2,Belt,10,USD,,,1,2099-01-01\n"
    )
    message = cli.refused("observations", "import", str(path))
    assert message.startswith(
        f"{path}: line 2: observed_at: 2099-01-01T00:00:00+00:00 is in the future (more than "
        "1 hour after 20"
    )
    assert stored(db_url)["price_observations"] == []


def test_the_run_sees_no_price_observed_after_its_as_of(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    """Replaying 6 November, a price observed on 10 November does not count yet."""
    first = write(
        tmp_path,
        "o1.csv",
        OBS_HEADER + "shopa,https://a.example/1,Belt,10.00,USD,Northline,NL-1,1,2026-11-01\n",
    )
    later = write(
        tmp_path,
        "o2.csv",
        OBS_HEADER + "shopa,https://a.example/1,Belt,11.50,USD,Northline,NL-1,1,2026-11-10\n",
    )
    cli.ok("observations", "import", str(first), "--as-of", "2026-11-05")
    cli.ok("observations", "import", str(later), "--as-of", "2026-11-10")
    cli.ok("match")

    def reference(as_of: str) -> Decimal:
        out = json.loads(cli.ok("optimize", "--format", "json", "--as-of", as_of))
        belt = next(s for s in out["suggestions"] if s["sku"] == "NL-1")
        return Decimal(belt["competitor_reference"])

    assert reference("2026-11-06") == Decimal("10.00")
    assert reference("2026-11-11") == Decimal("11.50")


def test_one_bad_sku_never_stops_the_run(cli: Cli, db_url: str, tmp_path: Path) -> None:
    """A part stored before the bounds (current price 0, and a sales history with 1e308
    units) is skipped or priced without that history; the run goes on and says so."""
    cli.ok(
        "sales",
        "import",
        str(
            write(
                tmp_path,
                "s.csv",
                SALES_HEADER
                + "".join(
                    f"NL-{n},2026-{m:02d}-05,{10 + m},{p}\n"
                    for n, p in [(2, "9.00"), (3, "150.00")]
                    for m in range(1, 9)
                ),
            )
        ),
    )
    db = Database(db_url)
    with db.engine.begin() as conn:
        conn.execute(sa.text("update parts set price = 0 where sku = 'NL-1'"))
        conn.execute(
            sa.text(
                "update sales_history set units = 99999999999 "
                "where sku = 'NL-3' and period_start = '2026-03-05'"
            )
        )
    db.dispose()
    code, out, err = cli("optimize", "--format", "json")
    assert code == 0, err
    run = json.loads(out)
    assert sorted(s["sku"] for s in run["suggestions"]) == ["NL-2", "NL-3"]
    assert run["summary"]["skipped"] == 1
    assert run["summary"]["skipped_skus"] == [
        {"sku": "NL-1", "reason": "current price 0.0000 is not positive"}
    ]
    assert [s["sku"] for s in run["summary"]["sales_left_out"]] == ["NL-3"]
    nl3 = next(s for s in run["suggestions"] if s["sku"] == "NL-3")
    assert nl3["elasticity_source"] == "prior"
    lines = err.splitlines()
    assert lines[0] == "skipped: SKU NL-1: current price 0.0000 is not positive"
    assert lines[1].startswith("SKU NL-3: sales history left out: a period has units 1e+11")
    assert lines[2] == "1 SKUs skipped"
    # the table view says it too, each note on one line
    code, out, err = cli("optimize")
    assert code == 0 and "note: 1 SKUs skipped: they cannot be priced as stored" in out


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30", "1900-01-01", "9999-12-31", ""])
def test_bad_as_of_is_one_line(cli: Cli, tmp_path: Path, value: str) -> None:
    path = write(tmp_path, "o.csv", OBS_HEADER)
    for args in (["optimize"], ["observations", "import", str(path)]):
        message = cli.refused(*args, "--as-of", value)
        assert message.startswith(f"--as-of: {value!r} is ")


def test_refused_import_through_the_console_script(sqlite_url: str, tmp_path: Path) -> None:
    """The installed entry point in a child process: one line, exit 1, no traceback."""
    assert run_cli("init", db_url=sqlite_url).returncode == 0
    path = write(tmp_path, "c.csv", catalog_row(price="0.00001"))
    result = run_cli("catalog", "import", str(path), db_url=sqlite_url)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {path}: line 2: price: more than 4 decimal places (storage would round it) "
        "(got '0.00001'); nothing imported (use --skip-bad-rows to import the good rows)"
    ]
