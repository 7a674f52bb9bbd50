"""Imports of large files: streamed in bounded memory, checked as a whole, stored all or
nothing, on SQLite and PostgreSQL, through the real ``pricing`` command.

The fast path (:mod:`pricing.imports.reader`) must give exactly what the row models
give: the first tests hold it to that, cell by cell, on the forms users write.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pricing import imports
from pricing.errors import InputFileError
from pricing.imports import import_catalog, reader
from pricing.imports.reader import BATCH_ROWS, CsvRows
from pricing.imports.rows import (
    CATALOG_FAST,
    OBSERVATION_FAST,
    SALES_FAST,
    CatalogRow,
    ObservationRow,
    SalesRow,
    reason,
)
from pricing.imports.steps import NotPlain
from pricing.storage import Database
from pricing.storage.models import CompetitorRecord, Listing, PriceObservation, SalesRecord
from tests.support import ROOT, run_cli

SKUS = 200
START = dt.date(2024, 1, 1)


def _canon(value: Any) -> Any:
    """A value as a user would see it stored: decimals by their text (12.50 is not
    12.5 in ``price_text``), datetimes by their moment and offset."""
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    if isinstance(value, dt.datetime):
        return ("datetime", value.isoformat())
    return (type(value).__name__, value)


def _read(path: Path, model: Any, fast: dict[str, Any] | None) -> tuple[list[Any], list[Any]]:
    good, bad = [], []
    for batch, batch_bad in CsvRows(path, model, reason, fast=fast):
        good += [tuple(_canon(v) for v in row) for row in batch]
        bad += batch_bad
    return good, bad


def _one_row_files(folder: Path, header: Sequence[str], base: dict[str, str],
                   variants: dict[str, Sequence[str]]) -> list[Path]:
    """One file per variant cell: ``base`` with that column's cell replaced."""
    folder.mkdir()
    files = []
    for column, cells in variants.items():
        for n, cell in enumerate(cells):
            row = {**base, column: cell}
            path = folder / f"{column}-{n}.csv"
            text = ",".join(header) + "\n" + ",".join(_quote(row.get(h, "")) for h in header)
            path.write_text(text + "\n", encoding="utf-8")
            files.append(path)
    return files


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def _agree(files: list[Path], model: Any, fast: dict[str, Any],
           monkeypatch: pytest.MonkeyPatch) -> int:
    """Each file read with and without the fast path gives the same rows and errors;
    returns how many files the fast path took."""
    taken = 0
    fast_path = CsvRows._fast

    def counting(*args: Any) -> Any:
        nonlocal taken
        rows = fast_path(*args)
        taken += 1
        return rows

    monkeypatch.setattr(CsvRows, "_fast", staticmethod(counting))
    for path in files:
        assert _read(path, model, fast) == _read(path, model, None), path.read_text()
    return taken


SALES_HEADER = ["sku", "date", "units", "unit_price"]
SALES_VARIANTS = {
    "sku": ["SKU-1", " SKU-1 ", "", "A" * 64, "A" * 65, "SKU\x07", "ÄÖÜ-ß", "\u3000X\u3000"],
    "date": ["2025-01-06", "2025-02-30", "2025-1-6", "20250106", " 2025-01-06", "2025-01-06T00:00"],
    "units": ["0", "12", "12.5", "12.500", "12.5000", "0012", "999999.999", "1000000", "-1",
              "1e3", "NaN", " 3", "3.", ".5", "1_000"],
    "unit_price": ["12.50", "0", "0.0001", "0.00001", "12.50000", "99999999.9999",
                   "100000000", "1E+2", "Infinity", "+5", "٣"],
}
OBS_HEADER = ["competitor", "url", "title", "price", "currency", "brand", "part_number",
              "gtin", "pack_qty", "availability", "observed_at"]
OBS_VARIANTS = {
    "title": ["Oil filter", "Oil\tfilter\nline two", "bell\x07", "  padded  ", "x" * 1001],
    "currency": ["EUR", "eur", " usd ", "EURO", "E1R", "ÉUR"],
    "pack_qty": ["", "1", "0", "007", "100000", "100001", "2.0", " 3 ", "-1"],
    "observed_at": ["", "2025-01-01T06:00:00Z", "2025-01-01T06:00:00+00:00",
                    "2025-01-01 06:00:00.5+02:00", "2025-01-01T06:00:00", "2025-01-01",
                    "2025-01-01T06:00", "2025-01-01T25:00:00", "2025-01-01T06:00:00.1234567",
                    "1735711200", "2025-01-01t06:00:00z"],
    "brand": ["", "Acme", "A" * 129],
    "gtin": ["", "4006381333931", "400638133393100"],
    "price": ["19.99", "19.990", "0", "1,5"],
}
CATALOG_HEADER = list(CatalogRow.model_fields)
CATALOG_VARIANTS = {
    "proprietary": ["true", "false", "True", "FALSE", " true", "yes", "1", "0", ""],
    "min_margin": ["", "0", "0.25", "0.2500", "0.25000", "0.12345", "1", "1.0", ".3"],
    "map_price": ["", "10", "0", "10.00001"],
    "gtin": ["", "4006381333931", "4006-3813-3393-1", "40063813339310000", "ABC"],
    "part_number": ["PN-1", "p/n 1 ß", "X" * 128, ""],
}


def test_fast_path_gives_what_the_models_give(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    sales = _one_row_files(tmp_path / "s", SALES_HEADER,
                           {"sku": "SKU-1", "date": "2025-01-06", "units": "3",
                            "unit_price": "12.50"}, SALES_VARIANTS)
    obs = _one_row_files(tmp_path / "o", OBS_HEADER,
                         {"competitor": "alpha", "url": "https://a.example/1", "title": "Filter",
                          "price": "19.99", "currency": "EUR"}, OBS_VARIANTS)
    catalog = _one_row_files(tmp_path / "c", CATALOG_HEADER,
                             {"sku": "SKU-1", "part_number": "PN-1", "description": "Filter",
                              "brand": "Acme", "category": "Filters", "family": "Oil",
                              "unit_cost": "5", "price": "12.50", "currency": "EUR",
                              "pack_qty": "1", "proprietary": "false"}, CATALOG_VARIANTS)
    taken = (_agree(sales, SalesRow, SALES_FAST, monkeypatch)
             + _agree(obs, ObservationRow, OBSERVATION_FAST, monkeypatch)
             + _agree(catalog, CatalogRow, CATALOG_FAST, monkeypatch))
    # the comparison means something only if plain rows did take the fast path
    assert taken >= 40, taken


def test_fast_columns_refuse_what_they_cannot_vouch_for() -> None:
    money = reader.decimal(8, 4, positive=True)
    assert money(["12.50", "0.0001"]) == [Decimal("12.50"), Decimal("0.0001")]
    for cells in (["0"], ["0.00001"], ["1e3"], [" 1"], ["100000000"]):
        with pytest.raises(Exception):  # noqa: B017,PT011 - any refusal hands over
            money(cells)


def test_rows_keep_their_lines_across_batches(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch is read in one call: where a quoted cell breaks over lines (\\n, \\r\\n
    or \\r) or a blank line is left out, the rows after it keep their physical lines,
    within a batch and across batches; an unreadable row names its line."""
    monkeypatch.setattr(reader, "BATCH_ROWS", 2)
    text = ('competitor,url,title,price,currency\r\n'
            'a,u1,Belt,1.00,EUR\r\n'             # line 2
            'a,u2,"Belt\nB",1.00,EUR\r\n'         # lines 3-4
            '\r\n'                               # line 5, blank
            ' , , , \r\n'                         # line 6, blank cells
            'a,u3,"Belt\r\nC\rC",1.00,EUR\r\n'   # lines 7-9
            'a,u4,Belt,1.00,EUR\n')               # line 10
    path = tmp_path / "obs.csv"
    path.write_bytes(text.encode())
    rows = [(row[0], row[3]) for batch, _ in
            CsvRows(path, ObservationRow, reason, fast=OBSERVATION_FAST) for row in batch]
    assert rows == [(2, "Belt"), (3, "Belt\nB"), (7, "Belt\r\nC\rC"), (10, "Belt")]
    path.write_bytes(text.replace("u4,", "u" * 200_000 + ",").encode())  # a cell too large
    with pytest.raises(InputFileError) as error:
        list(CsvRows(path, ObservationRow, reason, fast=OBSERVATION_FAST))
    assert str(error.value).startswith(f"{path}: line 10: unreadable CSV: field larger than")


# --- large files through the command ---------------------------------------------------


def _catalog(path: Path, skus: int = SKUS) -> Path:
    lines = ["sku,part_number,description,brand,category,family,unit_cost,price,currency,"
             "pack_qty,proprietary"]
    lines += [f"SKU{i:05d},PN-{i:05d},Filter {i},Acme,Filters,Oil,5.00,12.50,EUR,1,false"
              for i in range(skus)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _sales_lines(rows: int, price: str = "12.50") -> list[str]:
    """``rows`` sales rows over the catalog's SKUs, period after period."""
    out = []
    for n in range(rows):
        day = START + dt.timedelta(days=n // SKUS)
        out.append(f"SKU{n % SKUS:05d},{day.isoformat()},{n % 97},{price}")
    return out


def _write(path: Path, header: str, lines: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _prepared(db_url: str, tmp_path: Path) -> Database:
    db = Database(db_url)
    db.upgrade()
    import_catalog(db, _catalog(tmp_path / "catalog.csv"))
    return db


def _sales_summary(db: Database) -> tuple[int, Decimal, Decimal]:
    with db.engine.connect() as conn:
        return tuple(conn.execute(sa.select(  # type: ignore[return-value]
            sa.func.count(), sa.func.sum(SalesRecord.units), sa.func.sum(SalesRecord.unit_price)
        )).one())


def test_a_large_sales_file_imports_completely(db_url: str, tmp_path: Path) -> None:
    db = _prepared(db_url, tmp_path)
    rows = 60_000
    lines = _sales_lines(rows)
    path = _write(tmp_path / "sales.csv", "sku,date,units,unit_price", lines)
    result = run_cli("sales", "import", str(path), db_url=db_url)
    assert result.returncode == 0, result.stderr
    assert f"imported {rows} rows" in result.stdout
    count, units, prices = _sales_summary(db)
    assert count == rows
    assert units == sum(n % 97 for n in range(rows))
    assert prices == Decimal("12.50") * rows
    with db.engine.connect() as conn:
        last = conn.execute(sa.select(SalesRecord.units, SalesRecord.unit_price).where(
            SalesRecord.sku == f"SKU{(rows - 1) % SKUS:05d}",
            SalesRecord.period_start == START + dt.timedelta(days=(rows - 1) // SKUS),
        )).one()
    assert last == ((rows - 1) % 97, Decimal("12.50"))
    db.dispose()


def test_a_large_observations_file_imports_completely(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    db.upgrade()
    listings, days = 1_000, 30
    lines = []
    for day in range(days):
        at = dt.datetime(2025, 3, 1, 6, tzinfo=dt.UTC) + dt.timedelta(days=day)
        for i in range(listings):
            title = f"Filter {i}" if day < days - 1 else f"Filter {i} (new)"
            lines.append(f"alpha,https://alpha.example/p/{i},{title},{10 + day}.50,EUR,Acme,"
                         f"PN-{i},{1 + i % 2},InStock,{at.isoformat()}")
    header = "competitor,url,title,price,currency,brand,part_number,pack_qty,availability,observed_at"
    path = _write(tmp_path / "obs.csv", header, lines)
    result = run_cli("observations", "import", str(path), "--as-of", "2025-06-01",
                     db_url=db_url)
    assert result.returncode == 0, result.stderr
    assert f"imported {listings * days} rows" in result.stdout
    with db.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(PriceObservation)) == 30_000
        listing = conn.execute(sa.select(Listing).where(
            Listing.url == "https://alpha.example/p/7")).one()
        # the latest sighting names the listing; it was first and last seen then
        assert listing.title == "Filter 7 (new)" and listing.pack_qty == 2
        assert listing.last_seen == dt.datetime(2025, 3, 30, 6, tzinfo=dt.UTC)
        prices = conn.execute(
            sa.select(PriceObservation.price_text, PriceObservation.unit_price)
            .where(PriceObservation.listing_id == listing.id)
            .order_by(PriceObservation.observed_at)
        ).all()
    assert len(prices) == days
    assert prices[0] == ("10.50", Decimal("5.25"))
    db.dispose()


def test_a_bad_row_at_the_end_stores_nothing(db_url: str, tmp_path: Path) -> None:
    db = _prepared(db_url, tmp_path)
    first = _write(tmp_path / "first.csv", "sku,date,units,unit_price", _sales_lines(2 * SKUS))
    assert run_cli("sales", "import", str(first), db_url=db_url).returncode == 0
    before = _sales_summary(db)
    # the same periods at another price (an update), new periods, then one bad row
    lines = _sales_lines(30_000, price="9.99") + ["SKU00001,2030-01-01,1,0.00001"]
    path = _write(tmp_path / "sales.csv", "sku,date,units,unit_price", lines)
    result = run_cli("sales", "import", str(path), db_url=db_url)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {path}: line {len(lines) + 1}: unit_price: more than 4 decimal places (storage would "
        "round it) (got '0.00001'); nothing imported (use --skip-bad-rows to import the good "
        "rows)"
    )
    assert _sales_summary(db) == before
    db.dispose()


def test_duplicates_across_batches_are_caught(db_url: str, tmp_path: Path) -> None:
    db = _prepared(db_url, tmp_path)
    lines = _sales_lines(3 * BATCH_ROWS)
    far = 2 * BATCH_ROWS + 17
    lines[far] = lines[1]  # the second row's key again, two batches later
    path = _write(tmp_path / "sales.csv", "sku,date,units,unit_price", lines)
    result = run_cli("sales", "import", str(path), db_url=db_url)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {path}: line 3: sku, date: duplicate key, also on line {far + 2} (and 1 more bad "
        "rows); nothing imported (use --skip-bad-rows to import the good rows)"
    )
    assert _sales_summary(db)[0] == 0
    skipped = run_cli("sales", "import", str(path), "--skip-bad-rows", db_url=db_url)
    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stderr.splitlines() == [
        f"{path}: line 3: skipped: sku, date: duplicate key, also on line {far + 2}",
        f"{path}: line {far + 2}: skipped: sku, date: duplicate key, also on line 3",
        f"{path}: 2 bad rows skipped",
    ]
    assert f"imported {len(lines) - 2} rows" in skipped.stdout
    assert _sales_summary(db)[0] == len(lines) - 2
    db.dispose()


# --- memory ------------------------------------------------------------------------------


def _peak_rss_mib(db_url: str, *args: str) -> float:
    """Run ``pricing`` in a child process; its own peak resident memory (from wait4)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    cmd = [sys.executable, "-m", "pricing", "--db", db_url, *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    err = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, err.decode()
    return usage.ru_maxrss / 1024


@pytest.mark.parametrize("kind", ["sales", "observations"])
def test_memory_does_not_grow_with_the_file(db_url: str, tmp_path: Path, kind: str) -> None:
    """Ten times the rows, about the same peak memory (before streaming, 50,000 sales
    rows took 150 MB and 200,000 took 320 MB)."""
    db = _prepared(db_url, tmp_path)
    db.dispose()
    files = []
    for name, rows in (("small", 15_000), ("large", 150_000)):
        if kind == "sales":
            files.append(_write(tmp_path / f"{name}.csv", "sku,date,units,unit_price",
                                _sales_lines(rows)))
        else:
            files.append(_write(tmp_path / f"{name}.csv", OBS_FILE_HEADER,
                                _obs_lines(1_500, rows // 1_500)))
    rss_small = _peak_rss_mib(db_url, kind, "import", str(files[0]))
    rss_large = _peak_rss_mib(db_url, kind, "import", str(files[1]))
    assert rss_large < rss_small * 1.25, (rss_small, rss_large)


# --- the direct path (PostgreSQL sales): exactly what the staged path gives --------------


def _outcome(run: Any, db: Database, path: Path, skip: bool) -> tuple[Any, ...]:
    """What a user sees of one import: its result or its error, and the stored rows."""
    try:
        result = run(db, path, skip_bad_rows=skip)
        said: tuple[Any, ...] = ("imported", result.imported, tuple(result.skipped))
    except InputFileError as exc:
        said = ("error", str(exc))
    with db.engine.connect() as conn:
        stored = conn.execute(sa.select(
            SalesRecord.sku, SalesRecord.period_start, SalesRecord.units, SalesRecord.unit_price
        ).order_by(SalesRecord.sku, SalesRecord.period_start)).all()
    return said, tuple(stored)


def test_the_direct_sales_path_gives_what_the_staged_path_gives(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # small chunks, and fewer SKUs remembered than the file has: a small file crosses
    # their edges
    monkeypatch.setattr(imports, "_SALES_CHUNK_ROWS", 700)
    monkeypatch.setattr(imports, "_SKUS_KEPT", SKUS - 50)
    db = _prepared(pg_url, tmp_path)
    header = "sku,date,units,unit_price"
    stored = _sales_lines(2 * SKUS)
    clean = _sales_lines(3 * BATCH_ROWS)[2 * SKUS:]  # new periods, over several batches
    later_clash = clean[:BATCH_ROWS + 5] + [stored[3].replace("12.50", "8.00")]
    twice = clean[:2 * BATCH_ROWS] + [clean[7]]
    unknown = [*clean, "SKU99999,2024-01-01,3,1.00"]
    bad_row = [*clean[:BATCH_ROWS + 1], "SKU00001,2030-01-01,1,0.00001"]
    reimport = [line.replace("12.50", "9.99") for line in stored]
    cases = {  # name: (lines, skip bad rows, the direct path takes it)
        "clean": (clean, False, True),
        "a stored key in the first batch": (reimport, False, False),
        "a stored key later": (later_clash, False, False),
        "a key twice in the file": (twice, False, False),
        "twice, skipping": (twice, True, False),
        "an unknown sku": (unknown, False, False),
        "an unknown sku, skipping": (unknown, True, False),
        "a bad row": (bad_row, False, False),
        "a bad row, skipping": (bad_row, True, True),
    }
    first = _write(tmp_path / "stored.csv", header, stored)
    for name, (lines, skip, direct) in cases.items():
        path = _write(tmp_path / "sales.csv", header, lines)
        outcomes = []
        for run in (imports.import_sales, imports._import_sales_staged):
            with db.engine.begin() as conn:
                conn.execute(sa.delete(SalesRecord))
            imports.import_sales(db, first)
            outcomes.append(_outcome(run, db, path, skip))
        assert outcomes[0] == outcomes[1], name
        with db.engine.begin() as conn:
            conn.execute(sa.delete(SalesRecord))
        imports.import_sales(db, first)
        try:
            imports._import_sales_direct(db, path, skip_bad_rows=skip)
            took = True
        except NotPlain:
            took = False
        assert took == direct, name
    assert outcomes[0][0][0] == "imported"  # the last case stored its good rows
    db.dispose()


def test_the_title_cache_gives_the_unit_prices_of_the_one_rule_and_stays_bounded() -> None:
    from pricing import observations
    from pricing.matching.units import effective_pack, unit_price

    titles = ["Oil filter (pack of 4)", "Brake pads x2", "Socket Set, 24 pc", "Filter 6204",
              "Spark plug 4-pack", "VE 25 Stk"]
    cache: dict[str, int | None] = {}
    for price, pack in [(Decimal("19.99"), 1), (Decimal("7.01"), 3), (Decimal("0.0001"), 1)]:
        for title in titles * 2:  # the second time from the cache
            assert observations.observed_unit_price(price, pack, title, cache) == unit_price(
                price, effective_pack(pack, title)[0]), (price, pack, title)
    assert observations.observed_unit_price(Decimal("10"), 1, "Oil filter (pack of 4)",
                                            cache) == Decimal("2.5000")
    many = {f"title {n}": None for n in range(observations.TITLE_CACHE)}
    observations.observed_unit_price(Decimal("1"), 1, "one more", many)
    assert len(many) == 1  # emptied when full, then the new title
    # a batch at a time, as an import reads them: the same values, to the last digit
    prices = [Decimal("19.99"), Decimal("7.01"), Decimal("0.0001"), Decimal("12")]
    for packs in ([1, 1, 1, 1], [1, 3, 1, 2]):
        for batch in (titles[:4], ["Filter"] * 4, ["Oil filter", "Oil filter", "Belt", ""]):
            by_row = [observations.observed_unit_price(*row) for row in
                      zip(prices, packs, batch, strict=True)]
            by_column = observations.observed_unit_prices(prices, packs, batch, {})
            assert [str(v) for v in by_column] == [str(v) for v in by_row], (packs, batch)


# --- the direct path (PostgreSQL observations): exactly what the staged path gives --------

OBS_FILE_HEADER = ("competitor,url,title,price,currency,brand,part_number,gtin,pack_qty,"
                   "availability,observed_at")


def _obs_lines(listings: int, days: int, start: int = 0) -> list[str]:
    """Each of ``listings`` listings seen once a day for ``days`` days from day
    ``start``: the pack only in some titles, the title changing on the last day for
    some, no brand or availability for others, a backslash in one availability."""
    out = []
    for day in range(start, start + days):
        at = dt.datetime(2025, 3, 1, 6, tzinfo=dt.UTC) + dt.timedelta(days=day)
        for i in range(listings):
            title = f"Filter {i} (pack of 4)" if i % 5 == 0 else f"Filter {i}"
            if i % 3 == 0 and day == start + days - 1:
                title += " new"
            brand = "" if i % 7 == 0 else "Acme"
            availability = "" if i % 4 == 0 else ("In\\Stock" if i == 6 else "InStock")
            out.append(f"{'alpha' if i % 2 else 'bravo'},https://shop.example/p/{i},{title},"
                       f"{10 + day}.5{i % 10},eur,{brand},PN-{i},,{1 + (i % 6 == 1)},"
                       f"{availability},{at.isoformat()}")
    return out


def _observations_outcome(run: Any, db: Database, path: Path, skip: bool) -> tuple[Any, ...]:
    """What a user sees of one observations import: its result or its error, and every
    stored listing, observation and competitor."""
    try:
        result = run(db, path, skip_bad_rows=skip, as_of=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
        said: tuple[Any, ...] = ("imported", result.imported, tuple(result.skipped))
    except InputFileError as exc:
        said = ("error", str(exc))
    with db.engine.connect() as conn:
        listings = conn.execute(sa.select(
            Listing.competitor, Listing.url, Listing.title, Listing.brand, Listing.part_number,
            Listing.gtin, Listing.pack_qty, Listing.first_seen, Listing.last_seen,
            Listing.needs_match,
        ).order_by(Listing.competitor, Listing.url)).all()
        observations = conn.execute(sa.select(
            Listing.competitor, Listing.url, PriceObservation.observed_at,
            PriceObservation.crawl_run_id, PriceObservation.price, PriceObservation.price_text,
            PriceObservation.currency, PriceObservation.list_price, PriceObservation.pack_qty,
            PriceObservation.unit_price, PriceObservation.availability, PriceObservation.method,
            PriceObservation.source,
        ).join(Listing, Listing.id == PriceObservation.listing_id).order_by(
            Listing.competitor, Listing.url, PriceObservation.observed_at)).all()
        competitors = conn.scalars(sa.select(CompetitorRecord.name).order_by(
            CompetitorRecord.name)).all()
    return said, tuple(listings), tuple(observations), tuple(competitors)


@pytest.mark.parametrize("kept", [40, 100_000], ids=["listings held in part", "all held"])
def test_the_direct_observations_path_gives_what_the_staged_path_gives(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: int) -> None:
    from pricing.imports import observations, observations_direct

    # small batches and chunks, so that a small file crosses their edges; listings
    # (ids, latest sightings) held in memory at most ``kept``
    monkeypatch.setattr(observations_direct, "_FIRST_CHUNK_ROWS", 50)
    monkeypatch.setattr(observations_direct, "_CHUNK_ROWS", 170)
    monkeypatch.setattr(observations_direct, "_LISTINGS_KEPT", kept)
    monkeypatch.setattr(reader, "BATCH_ROWS", 60)
    db = Database(pg_url)
    db.upgrade()
    stored = _obs_lines(30, 2)  # listings and prices stored before, matched since
    clean = _obs_lines(90, 6, start=2)  # the stored listings, more of them, later days
    shuffled = clean[::-1]  # latest first: the last day's titles must still win
    earlier = _obs_lines(60, 2, start=-4)  # before what is stored: last seen stays
    no_time = [line.rsplit(",", 1)[0] + "," for line in clean[:90]]  # seen at --as-of
    later_clash = [*clean, stored[5]]
    twice = [*clean, clean[7]]
    bad_row = [*clean[:300], clean[300].replace(",eur,", ",euros,"), *clean[301:]]
    future = [*clean, clean[0].replace("2025-03-03T06", "2030-01-01T06")]
    cases = {  # name: (lines, skip bad rows, the direct path takes it)
        "clean": (clean, False, True),
        "in reverse time order": (shuffled, False, True),
        "days before the stored ones": (earlier, False, True),
        "rows without a time": (no_time, False, True),
        "a re-import": (stored, False, False),
        "a stored sighting later": (later_clash, False, False),
        "a sighting twice in the file": (twice, False, False),
        "twice, skipping": (twice, True, False),
        "a bad row": (bad_row, False, False),
        "a bad row, skipping": (bad_row, True, True),
        "a future row": (future, False, False),
        "a future row, skipping": (future, True, True),
    }
    first = _write(tmp_path / "stored.csv", OBS_FILE_HEADER, stored)

    def reset() -> None:
        with db.engine.begin() as conn:
            conn.execute(sa.delete(PriceObservation))
            conn.execute(sa.delete(Listing))
            conn.execute(sa.delete(CompetitorRecord))
        observations.import_staged(db, first, dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
        with db.engine.begin() as conn:  # matched since: a changed listing is flagged again
            conn.execute(sa.update(Listing).values(needs_match=False))

    for name, (lines, skip, direct) in cases.items():
        path = _write(tmp_path / "obs.csv", OBS_FILE_HEADER, lines)
        outcomes = []
        for run in (observations.import_observations, observations.import_staged):
            reset()
            outcomes.append(_observations_outcome(run, db, path, skip))
        assert outcomes[0] == outcomes[1], name
        reset()
        try:
            observations_direct.import_direct(db, path, dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
                                              skip_bad_rows=skip)
            took = True
        except NotPlain:
            took = False
        assert took == direct, name
    said, listings, prices, _ = outcomes[0]
    assert said[0] == "imported"  # the last case stored its good rows
    assert len(prices) > len(stored) and any(not row[-1] for row in listings)
    db.dispose()
