"""Bulk reads column by column give exactly what SQLAlchemy gives, on both backends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert, select

from pricing.storage import Database
from pricing.storage.columns import read_columns
from pricing.storage.models import Listing, Part, PriceObservation

AS_OF = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def _fill(db: Database) -> None:
    with db.session() as session:
        session.execute(insert(Part), [
            {"sku": f"S{i}", "part_number": f"P-{i}", "part_number_norm": f"P{i}",
             "description": "O'Brien's \"filter\"", "brand": "Acme", "category": "Filters", "family": f"F{i}",
             "unit_cost": Decimal("3.1415") + i, "price": Decimal("9.99") * (i + 1),
             "currency": "USD", "pack_qty": 1 + i % 3, "proprietary": i % 2 == 0,
             "map_price": Decimal("7.5") if i % 4 == 0 else None, "updated_at": AS_OF}
            for i in range(12)])
        session.execute(insert(Listing), [
            {"id": 1, "competitor": "shop", "url": "https://shop/1", "title": "t",
             "pack_qty": 1, "first_seen": AS_OF, "last_seen": AS_OF, "needs_match": False}])
        session.execute(insert(PriceObservation), [
            {"listing_id": 1, "observed_at": AS_OF - dt.timedelta(days=d, microseconds=d),
             "price": Decimal("12.3456") if d % 2 else None, "currency": "EUR", "pack_qty": 2,
             "unit_price": Decimal("6.1728"), "availability": "InStock", "source": "import"}
            for d in range(6)])


def test_columns_equal_sqlalchemy_rows(db: Database) -> None:
    _fill(db)
    statements = [
        select(Part.sku, Part.unit_cost, Part.price, Part.proprietary, Part.map_price,
               Part.pack_qty, Part.description, Part.updated_at)
        .where(Part.sku.in_(["S1", "S4", "S8", "S11", "nope"]))
        .order_by(Part.sku),
        select(PriceObservation.observed_at, PriceObservation.price, PriceObservation.currency)
        .where(PriceObservation.observed_at >= AS_OF - dt.timedelta(days=3, microseconds=3))
        .order_by(PriceObservation.observed_at),
        select(Part.sku).where(Part.category == "none"),
    ]
    with db.session() as session:
        conn = session.connection()
        for stmt in statements:
            expected = [tuple(row) for row in conn.execute(stmt).all()]
            got = list(zip(*read_columns(conn, stmt), strict=True))
            assert got == expected
            # the same types, not only equal values (Decimal places, aware datetimes, bools)
            assert [tuple(map(repr, r)) for r in got] == [tuple(map(repr, r)) for r in expected]
        cost = read_columns(conn, statements[0])[1]
        assert cost == [Decimal("4.1415"), Decimal("14.1415"), Decimal("7.1415"),
                        Decimal("11.1415")]
        times = read_columns(conn, statements[1])[0]
        assert len(times) == 4 and all(t.tzinfo is not None for t in times)
        assert read_columns(conn, statements[2]) == [[]]
