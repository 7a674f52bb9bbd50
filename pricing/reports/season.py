"""The report's look back over the season: impact of past exports, our market position
per category over time, competitors' recent moves, and each SKU's own price changes.

Shared by the nightly report and the web pages, so both give the same figures.
"""

from __future__ import annotations

import datetime as dt
import statistics
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.impact import ExportImpact, export_impacts
from pricing.market_position import CompetitorMoves, competitor_moves
from pricing.storage.models import OurPrice, RunStatus, Suggestion, SuggestionRun

MOVES_DAYS = 28
IMPACTS_SHOWN = 6
Q = Decimal("0.0001")
PALETTE = ("#1f5aa6", "#c1121f", "#2a9d8f", "#e76f51", "#6a4c93", "#8a6d00", "#555555")


@dataclass(frozen=True)
class PriceChanges:
    """One SKU's own price moves: when it last changed, and by how much over 30/90 days."""

    last_changed: dt.datetime | None
    change_30: Decimal | None
    change_90: Decimal | None


@dataclass(frozen=True)
class PositionChart:
    """Median price index per category at each run, as SVG polylines."""

    width: int
    height: int
    low: float
    high: float
    dates: tuple[dt.date, ...]
    lines: tuple[tuple[str, str, str, int], ...]  # (category, color, points, how many)
    table: tuple[tuple[str, tuple[Decimal | None, ...]], ...]


@dataclass
class Season:
    impacts: list[ExportImpact] = field(default_factory=list)
    position: PositionChart | None = None
    moves: list[CompetitorMoves] = field(default_factory=list)
    moves_since: dt.datetime | None = None
    changes: dict[str, PriceChanges] = field(default_factory=dict)


def load_season(session: Session, skus: list[str], as_of: dt.datetime) -> Season:
    since = as_of - dt.timedelta(days=MOVES_DAYS)
    return Season(
        impacts=export_impacts(session, limit=IMPACTS_SHOWN),
        position=position_chart(session, as_of),
        moves=[m for m in competitor_moves(session, since, as_of) if m.moved],
        moves_since=since,
        changes=price_changes(session, skus, as_of),
    )


def price_changes(session: Session, skus: list[str], as_of: dt.datetime) -> dict[str, PriceChanges]:
    """Per SKU, from our price history up to ``as_of``."""
    history: dict[str, list[tuple[dt.datetime, Decimal]]] = defaultdict(list)
    stmt = (
        select(OurPrice.sku, OurPrice.effective_at, OurPrice.price)
        .where(OurPrice.effective_at <= as_of)
        .order_by(OurPrice.sku, OurPrice.effective_at)
    )
    wanted = set(skus)
    for sku, at, price in session.execute(stmt):
        if sku in wanted:
            history[sku].append((at, price))
    out: dict[str, PriceChanges] = {}
    for sku, rows in history.items():
        changed = [rows[i][0] for i in range(1, len(rows)) if rows[i][1] != rows[i - 1][1]]
        out[sku] = PriceChanges(
            changed[-1] if changed else None,
            _change(rows, as_of - dt.timedelta(days=30)),
            _change(rows, as_of - dt.timedelta(days=90)),
        )
    return out


def _change(rows: list[tuple[dt.datetime, Decimal]], then: dt.datetime) -> Decimal | None:
    """The current (last) price against the one in force at ``then``; None before any."""
    i = bisect_right([at for at, _ in rows], then)
    if i == 0 or not rows[i - 1][1]:
        return None
    return (rows[-1][1] / rows[i - 1][1] - 1).quantize(Q, ROUND_HALF_UP)


def position_chart(
    session: Session, as_of: dt.datetime, width: int = 760, height: int = 260
) -> PositionChart | None:
    """Our median price index per category (competitive parts with a competitor
    reference, as each run saw them) over every complete run up to ``as_of``."""
    runs = list(session.execute(
        select(SuggestionRun.id, SuggestionRun.created_at)
        .where(SuggestionRun.status == RunStatus.complete, SuggestionRun.created_at <= as_of)
        .order_by(SuggestionRun.created_at)
    ))
    if len(runs) < 2:
        return None
    when = {rid: at.date() for rid, at in runs}
    indexes: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    stmt = select(
        Suggestion.run_id, Suggestion.category, Suggestion.current_price,
        Suggestion.competitor_reference,
    ).where(
        Suggestion.run_id.in_(list(when)), Suggestion.proprietary.is_(False),
        Suggestion.competitor_reference.is_not(None), Suggestion.competitor_reference > 0,
    )
    for rid, category, price, ref in session.execute(stmt):
        if ref:  # the query asks for a reference above zero
            indexes[category][rid].append(float(price / ref))
    if not indexes:
        return None
    order = [rid for rid, _ in runs]
    medians = {
        cat: [statistics.median(by_run[r]) if by_run.get(r) else None for r in order]
        for cat, by_run in sorted(indexes.items())
    }
    values = [v for series in medians.values() for v in series if v is not None]
    low, high = min(values + [1.0]) - 0.02, max(values + [1.0]) + 0.02
    left, top, right, bottom = 48, 12, width - 12, height - 28

    def xy(i: int, v: float) -> str:
        x = left + (right - left) * i / max(1, len(order) - 1)
        y = bottom - (bottom - top) * (v - low) / (high - low)
        return f"{x:.1f},{y:.1f}"

    lines = []
    for n, (cat, series) in enumerate(medians.items()):
        points = [xy(i, v) for i, v in enumerate(series) if v is not None]
        lines.append((cat, PALETTE[n % len(PALETTE)], " ".join(points), len(points)))
    table = tuple(
        (cat, tuple(None if v is None else Decimal(str(v)).quantize(Q, ROUND_HALF_UP)
                    for v in series))
        for cat, series in medians.items()
    )
    return PositionChart(
        width, height, low, high, tuple(when[r] for r in order), tuple(lines), table
    )
