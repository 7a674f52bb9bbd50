"""The optimizer's sales read: a helper process on the second core for large histories
gives exactly what reading in the optimizer's own process gives, on both backends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import insert, select

from pricing.config import PricingPolicy
from pricing.optimizer import SalesHistory
from pricing.pipeline import sales as sales_module
from pricing.pipeline.optimize import run_optimizer
from pricing.pipeline.sales import SalesPrefetch, read_sales
from pricing.storage import Database
from pricing.storage.models import Part, SalesRecord, Suggestion

AS_OF = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
START = dt.date(2024, 1, 1)


def _fill(db: Database, skus: int = 6, weeks: int = 30) -> None:
    """Parts and weekly sales, inserted out of date order, prices with four places, a
    week without sales, one SKU without history."""
    rng = np.random.default_rng(3)
    parts, sales = [], []
    for i in range(skus):
        sku = f"S{i:02d}"
        parts.append({
            "sku": sku, "part_number": sku, "part_number_norm": sku, "description": "part",
            "brand": "Acme", "category": "Filters", "family": sku,
            "unit_cost": Decimal("4.00"), "price": Decimal("10.00"), "currency": "USD",
            "pack_qty": 1, "proprietary": False, "updated_at": AS_OF})
        if i == skus - 1:
            continue
        for w in rng.permutation(weeks).tolist():
            price = Decimal(f"{10 * float(np.exp(rng.normal(0, 0.1))):.4f}")
            units = 0 if w == 7 else int(rng.poisson(20 * (float(price) / 10) ** -2))
            sales.append({"sku": sku, "period_start": START + dt.timedelta(weeks=w),
                          "units": units, "unit_price": price})
    with db.session() as session:
        session.execute(insert(Part), parts)
        session.execute(insert(SalesRecord), sales)


def _same(a: dict[str, SalesHistory], b: dict[str, SalesHistory]) -> None:
    assert list(a) == list(b)
    for sku in a:
        np.testing.assert_array_equal(a[sku].units, b[sku].units)
        np.testing.assert_array_equal(a[sku].unit_price, b[sku].unit_price)


def test_the_helper_reads_what_this_process_reads(db: Database) -> None:
    _fill(db)
    with db.session() as session:
        here = read_sales(session)
        with SalesPrefetch(db, min_rows=1) as prefetch:
            assert prefetch.in_helper
            helped = prefetch.result(session)
    _same(helped, here)
    assert len(here) == 5 and all(len(h.units) == 30 for h in here.values())
    # oldest first, whatever order the rows were inserted in, and each value exactly the
    # stored one (PostgreSQL sends them as binary floats)
    with db.session() as session:
        stored = session.execute(
            select(SalesRecord.sku, SalesRecord.units, SalesRecord.unit_price)
            .order_by(SalesRecord.sku, SalesRecord.period_start)).all()
    for sku, history in here.items():
        rows = [(units, price) for s, units, price in stored if s == sku]
        assert history.units.tolist() == [float(units) for units, _ in rows]
        assert history.unit_price.tolist() == [float(price) for _, price in rows]
    assert here["S00"].units[7] == 0.0


def test_small_histories_and_in_memory_databases_are_read_here(
    sqlite_db: Database,
) -> None:
    _fill(sqlite_db)
    with sqlite_db.session() as session, SalesPrefetch(sqlite_db, min_rows=10_000) as prefetch:
        assert not prefetch.in_helper
        _same(prefetch.result(session), read_sales(session))
    memory = Database("sqlite://")
    memory.upgrade()
    _fill(memory)
    with memory.session() as session, SalesPrefetch(memory, min_rows=1) as prefetch:
        assert not prefetch.in_helper  # a second process cannot see this database
        assert len(prefetch.result(session)) == 5


def test_a_failing_helper_says_so(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(sqlite_db)
    monkeypatch.setattr(sales_module, "_queries", lambda conn: (
        "SELECT sku, count(*) FROM sales_history GROUP BY sku", "SELECT no_such_column"))
    failed = pytest.raises(RuntimeError, match="sales reader process failed.*no_such_column")
    with sqlite_db.session() as session, SalesPrefetch(sqlite_db, min_rows=1) as prefetch, failed:
        prefetch.result(session)


def test_a_run_is_the_same_with_and_without_the_helper(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(db, skus=12, weeks=60)
    policy = PricingPolicy()
    from_helper: list[int] = []  # arrays the run received from a helper process
    read = sales_module.SalesArrays.read

    def spy(cls: type, data: bytes) -> sales_module.SalesArrays:
        from_helper.append(len(data))
        return read(data)

    monkeypatch.setattr(sales_module.SalesArrays, "read", classmethod(spy))
    runs = []
    for threshold in (10**9, 1):
        monkeypatch.setattr(sales_module, "HELPER_MIN_ROWS", threshold)
        runs.append(run_optimizer(db, policy, as_of=AS_OF))
        assert len(from_helper) == (threshold == 1)  # the second run used the helper
    with db.session() as session:
        got = [
            session.execute(
                select(Suggestion.sku, Suggestion.suggested_price, Suggestion.elasticity,
                       Suggestion.elasticity_source, Suggestion.explanation)
                .where(Suggestion.run_id == run).order_by(Suggestion.sku)).all()
            for run in runs
        ]
    assert got[0] == got[1]
    # each SKU's own history moved its estimate away from the category's
    assert len({row.elasticity for row in got[0][:-1]}) == 11
