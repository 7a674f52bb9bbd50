"""Storage and imports on SQLite and PostgreSQL: what a user loads is what is stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from pricing.errors import DatabaseNotReadyError, InputFileError
from pricing.imports import import_catalog, import_observations, import_sales, import_xrefs
from pricing.observations import ObservationIn, store_observations
from pricing.storage import Database
from pricing.storage.models import (
    CrossReference,
    Listing,
    OurPrice,
    Part,
    PriceObservation,
    SalesRecord,
)

CATALOG = """sku,part_number,description,brand,category,family,unit_cost,price,currency,pack_qty,proprietary,gtin,map_price,extra
NL-1001,NL-1001,"Oil filter, spin-on",Northline,Filters,oil-filter,4.10,9.99,USD,1,false,4006381333931,,ignored
NL-1002,NL 1002/A,Fuel filter,Northline,Filters,fuel-filter,7.5000,15.00,usd,4,true,,12.00,x
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count(db: Database, model: type) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_init_is_idempotent_and_creates_every_table(db: Database) -> None:
    db.upgrade()  # second time: nothing to do, no error
    tables = set(inspect(db.engine).get_table_names())
    assert {
        "parts",
        "cross_references",
        "sales_history",
        "competitors",
        "crawl_runs",
        "listings",
        "price_observations",
        "matches",
        "suggestion_runs",
        "suggestions",
    } <= tables
    db.require_schema()


def test_uninitialized_database_is_refused(tmp_path: Path) -> None:
    fresh = Database(f"sqlite:///{tmp_path / 'new.db'}")
    with pytest.raises(DatabaseNotReadyError, match="pricing init"):
        fresh.require_schema()


def test_catalog_import_keeps_decimals_and_updates(db: Database, tmp_path: Path) -> None:
    result = import_catalog(db, write(tmp_path, "catalog.csv", CATALOG))
    assert result.imported == 2
    with db.session() as s:
        part = s.scalar(select(Part).where(Part.sku == "NL-1002"))
        assert part is not None
        assert part.unit_cost == Decimal("7.5000") and isinstance(part.unit_cost, Decimal)
        assert part.price == Decimal("15.00") and part.currency == "USD"
        assert (
            part.pack_qty == 4 and part.proprietary is True and part.map_price == Decimal("12.00")
        )
        assert part.part_number_norm == "NL1002A"
    # a second load updates prices and adds a history row only for what changed
    import_catalog(db, write(tmp_path, "catalog2.csv", CATALOG.replace("9.99", "10.49")))
    with db.session() as s:
        prices = s.execute(
            select(OurPrice.sku, OurPrice.price).order_by(OurPrice.effective_at)
        ).all()
        assert count(db, Part) == 2
        assert [p for sku, p in prices if sku == "NL-1001"] == [Decimal("9.99"), Decimal("10.49")]
        assert [p for sku, p in prices if sku == "NL-1002"] == [Decimal("15.00")]


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(
    db: Database, tmp_path: Path
) -> None:
    bad = CATALOG + "NL-1003,NL-1003,Belt,Northline,Belts,belt,abc,5.00,USD,1,false\n"
    bad += "NL-1004,NL-1004,Belt,Northline,Belts,belt,2.00,5.00,US Dollar,1,false\n"
    path = write(tmp_path, "bad.csv", bad)
    with pytest.raises(InputFileError) as err:
        import_catalog(db, path)
    message = str(err.value)
    assert "bad.csv: line 4: unit_cost: " in message and "1 more bad rows" in message
    assert [line for line, _ in err.value.problems] == [4, 5]
    assert count(db, Part) == 0
    # asked to skip: the good rows land, the bad ones are listed
    result = import_catalog(db, path, skip_bad_rows=True)
    assert result.imported == 2 and [line for line, _ in result.skipped] == [4, 5]


def test_missing_column_names_the_column(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "sku,part_number\nA,B\n")
    with pytest.raises(
        InputFileError, match=r"c.csv: line 1: missing required columns: description"
    ):
        import_catalog(db, path)


def test_xref_and_sales_need_known_skus(db: Database, tmp_path: Path) -> None:
    import_catalog(db, write(tmp_path, "catalog.csv", CATALOG))
    xref = write(
        tmp_path,
        "x.csv",
        "competitor_brand,competitor_part_number,sku,relation\n"
        "Filtrex,FX-4471,NL-1001,\nFiltrex,FX-9999,NL-9999,equivalent\n",
    )
    with pytest.raises(InputFileError, match=r"x.csv: line 3: sku: unknown sku 'NL-9999'"):
        import_xrefs(db, xref)
    assert count(db, CrossReference) == 0
    assert import_xrefs(db, xref, skip_bad_rows=True).imported == 1
    with db.session() as s:
        x = s.scalar(select(CrossReference))
        assert x is not None and x.relation == "equivalent" and x.part_number_norm == "FX4471"

    sales = write(
        tmp_path,
        "s.csv",
        "sku,date,units,unit_price\nNL-1001,2026-01-05,3,9.99\nNL-1001,2026-01-12,0,9.99\n",
    )
    import_sales(db, sales)
    again = write(tmp_path, "s2.csv", "sku,date,units,unit_price\nNL-1001,2026-01-12,2,9.49\n")
    import_sales(db, again)  # a period imported again is an update, not a duplicate
    with db.session() as s:
        rows = s.execute(
            select(SalesRecord.period_start, SalesRecord.units).order_by(SalesRecord.period_start)
        ).all()
    assert rows == [(dt.date(2026, 1, 5), Decimal("3")), (dt.date(2026, 1, 12), Decimal("2"))]


OBS = """competitor,url,title,price,currency,brand,part_number,pack_qty,observed_at
acme,https://acme.example/p/1,"Oil filter FX-4471, pack of 4",31.96,USD,Filtrex,FX-4471,4,2026-11-01T10:00:00Z
acme,https://acme.example/p/2,<script>alert(1)</script>,12.00,EUR,,,,2026-11-01
"""


def test_observation_import_is_idempotent(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "obs.csv", OBS)
    assert import_observations(db, path).imported == 2
    import_observations(db, path)  # same file again: no duplicates
    assert count(db, PriceObservation) == 2 and count(db, Listing) == 2
    with db.session() as s:
        obs = s.scalar(select(PriceObservation).where(PriceObservation.pack_qty == 4))
        assert obs is not None
        assert obs.price == Decimal("31.96") and obs.unit_price == Decimal("7.99")
        assert obs.observed_at == dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
        title = s.scalar(select(Listing.title).where(Listing.url.endswith("/2")))
        assert title == "<script>alert(1)</script>"  # stored verbatim, escaped where shown


def test_changed_listing_is_flagged_for_rematch(db: Database) -> None:
    at = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    first = ObservationIn("acme", "https://a/1", "Belt", at, Decimal("5"), "USD", part_number="B-1")
    with db.session() as s:
        store_observations(s, [first])
        s.execute(Listing.__table__.update().values(needs_match=False))
    later = ObservationIn(
        "acme",
        "https://a/1",
        "Belt",
        at + dt.timedelta(days=1),
        Decimal("6"),
        "USD",
        part_number="B-2",
    )
    same = ObservationIn(
        "acme",
        "https://a/1",
        "Belt",
        at + dt.timedelta(days=2),
        Decimal("6"),
        "USD",
        part_number="B-2",
    )
    with db.session() as s:
        store_observations(s, [later])
        listing = s.scalar(select(Listing))
        assert listing is not None and listing.needs_match and listing.part_number == "B-2"
        listing.needs_match = False
    with db.session() as s:
        store_observations(s, [same])
        listing = s.scalar(select(Listing))
        assert listing is not None and not listing.needs_match
        assert listing.last_seen == at + dt.timedelta(days=2)
    assert count(db, PriceObservation) == 3


def test_a_failed_write_leaves_earlier_data(db: Database) -> None:
    at = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    with db.session() as s:
        store_observations(
            s, [ObservationIn("acme", "https://a/1", "Belt", at, Decimal("5"), "USD")]
        )
    with pytest.raises(RuntimeError), db.session() as s:
        store_observations(
            s, [ObservationIn("acme", "https://a/2", "Hose", at, Decimal("7"), "USD")]
        )
        raise RuntimeError("killed mid-batch")
    assert count(db, PriceObservation) == 1 and count(db, Listing) == 1


def test_bulk_store_is_idempotent_and_keeps_values(db: Database) -> None:
    """Thousands of observations take the bulk path (COPY on PostgreSQL): a re-run that
    repeats half of them adds only the new half, and values round-trip exactly."""
    start = dt.datetime(2026, 1, 1, 6, 30, tzinfo=dt.UTC)

    def batch(days: range) -> list[ObservationIn]:
        return [
            ObservationIn(f"shop{n % 3}", f"https://s{n % 3}.example/p/{n}", f"Part {n}",
                          start + dt.timedelta(days=d, microseconds=n), Decimal(f"{10 + d}.25"),
                          "EUR", pack_qty=4 if n % 2 else 1)
            for d in days for n in range(150)
        ]

    with db.session() as s:
        assert store_observations(s, batch(range(20))) == 3000
    assert count(db, PriceObservation) == 3000
    with db.session() as s:  # days 10-29: 10 already stored, 10 new
        store_observations(s, batch(range(10, 30)))
    assert count(db, PriceObservation) == 4500 and count(db, Listing) == 150
    with db.session() as s:
        obs = s.scalar(select(PriceObservation).join(Listing).where(
            Listing.url == "https://s1.example/p/1",
            PriceObservation.observed_at == start + dt.timedelta(days=29, microseconds=1)))
        assert obs is not None
        assert (obs.price, obs.unit_price, obs.pack_qty) == (Decimal("39.25"), Decimal("9.8125"), 4)
        assert obs.observed_at.tzinfo is not None
