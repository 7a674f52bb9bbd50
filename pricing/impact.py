"""Impact: after prices are exported, did the sales that followed match what the model expected?

For each export, the exported SKUs' expected units come from the suggestion run that
priced them, under the optimizer's own demand model (:func:`expected_units`, at the
price actually exported, so an override counts at its price), one sales period (a
week) at a time. The actual units are the sales history's rows for the weeks that
start on or after the export's day, until the next export or :data:`WINDOW_WEEKS`
weeks, whichever comes first; weeks not yet in the sales history are not counted.
Per category and overall, a miss is ``actual / expected - 1``; a miss larger than
:data:`LARGE_MISS` either way on at least :data:`MIN_UNITS` expected units is flagged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pricing.optimizer.demand import expected_units
from pricing.storage.models import PriceExport, SalesRecord, Suggestion

WINDOW_WEEKS = 4
LARGE_MISS = Decimal("0.25")
MIN_UNITS = 20.0
OVERALL = "all categories"
Q = Decimal("0.0001")


@dataclass(frozen=True)
class Impact:
    """Expected against actual units for one category (or all) after one export."""

    category: str
    skus: int
    expected: float
    actual: float

    @property
    def miss(self) -> Decimal | None:
        if self.expected <= 0:
            return None
        return (Decimal(str(self.actual / self.expected)) - 1).quantize(Q, ROUND_HALF_UP)

    @property
    def flagged(self) -> bool:
        miss = self.miss
        return miss is not None and self.expected >= MIN_UNITS and abs(miss) > LARGE_MISS


@dataclass(frozen=True)
class ExportImpact:
    run_id: int
    exported_at: dt.datetime
    first_week: dt.date
    weeks: int  # weeks of sales measured (0: none arrived yet)
    categories: tuple[Impact, ...]
    overall: Impact

    @property
    def flagged(self) -> tuple[Impact, ...]:
        return tuple(i for i in (*self.categories, self.overall) if i.flagged)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _exported_skus(record: PriceExport) -> set[str]:
    return {row["sku"] for row in csv.DictReader(io.StringIO(record.content))}


def export_impacts(session: Session, limit: int | None = None) -> list[ExportImpact]:
    """The impact of every export (the newest ``limit``), newest first."""
    records = list(session.scalars(select(PriceExport).order_by(PriceExport.exported_at)))
    newest_sales = session.scalar(select(func.max(SalesRecord.period_start)))
    out: list[ExportImpact] = []
    for i, record in enumerate(records):
        start = _monday(record.exported_at.date())
        if record.exported_at.date() != start:
            start += dt.timedelta(days=7)  # a week already under way sold at the old price
        end = start + dt.timedelta(weeks=WINDOW_WEEKS)
        if i + 1 < len(records):
            end = min(end, _monday(records[i + 1].exported_at.date()))
        if newest_sales is not None:
            end = min(end, newest_sales + dt.timedelta(days=7))
        weeks = max(0, (end - start).days // 7)
        out.append(_impact(session, record, start, weeks))
    out.reverse()
    return out[:limit] if limit is not None else out


def _impact(session: Session, record: PriceExport, start: dt.date, weeks: int) -> ExportImpact:
    skus = _exported_skus(record)
    rows = [
        s for s in session.scalars(select(Suggestion).where(Suggestion.run_id == record.run_id))
        if s.sku in skus and s.approved_price is not None
    ]
    actual: dict[str, float] = defaultdict(float)
    if weeks and rows:
        stmt = (
            select(SalesRecord.sku, func.sum(SalesRecord.units))
            .where(
                SalesRecord.sku.in_([s.sku for s in rows]),
                SalesRecord.period_start >= start,
                SalesRecord.period_start < start + dt.timedelta(weeks=weeks),
            )
            .group_by(SalesRecord.sku)
        )
        actual.update({sku: float(units) for sku, units in session.execute(stmt)})
    per_week = (
        expected_units(
            np.array([s.expected_units_before for s in rows], dtype=float),
            np.array([float(s.current_price) for s in rows]),
            np.array([s.elasticity for s in rows], dtype=float),
            np.array([float(s.approved_price or 0) for s in rows]),
        )
        if rows
        else np.array([])
    )
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for s, expected in zip(rows, per_week, strict=True):
        groups[s.category].append((float(expected) * weeks, actual.get(s.sku, 0.0)))

    def total(name: str, pairs: list[tuple[float, float]]) -> Impact:
        return Impact(name, len(pairs), sum(e for e, _ in pairs), sum(a for _, a in pairs))

    categories = tuple(total(name, pairs) for name, pairs in sorted(groups.items()))
    everything = [pair for pairs in groups.values() for pair in pairs]
    return ExportImpact(
        record.run_id, record.exported_at, start, weeks, categories, total(OVERALL, everything)
    )
