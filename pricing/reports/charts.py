"""Price history as chart geometry, drawn server-side as inline SVG by a template:
the web's full chart of one SKU, and the report's small one per suggested SKU.

Each series (our price, then each competitor) is a step line: a price holds from the
moment it was seen until the next observation, and the last one until the chart's
end. Prices are per unit, so a competitor's 4-pack compares with our single part.
Only prices in the chart's currency are drawn; the page says how many were left out.
This module computes numbers only; every piece of text reaches the SVG through the
autoescaping template.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pricing.history import OURS, HistoryRow

PALETTE = ("#d9480f", "#2b8a3e", "#7048e8", "#c2255c", "#1098ad", "#e67700", "#5c940d")
OUR_COLOR = "#1c3d6e"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Series:
    name: str
    ours: bool
    color: str
    path: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything the SVG template needs, in pixels."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    currency: str
    series: tuple[Series, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    left_out: int


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _y_range(values: Sequence[float]) -> tuple[float, float, float]:
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        pad = max(abs(hi) * 0.1, 0.5)
        lo, hi = lo - pad, hi + pad
    step = _nice_step(hi - lo)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def _time_label(moment: dt.datetime, span: dt.timedelta) -> str:
    if span > dt.timedelta(days=2):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%m-%d %H:%M")


def price_chart(
    rows: Sequence[HistoryRow],
    currency: str,
    *,
    until: dt.datetime | None = None,
    width: int = 760,
    height: int = 300,
) -> Chart | None:
    """Chart geometry for history rows, or None when there is nothing to draw."""
    usable = [r for r in rows if r.currency in (None, currency)]
    if not usable:
        return None
    left, top, right, bottom = 64, 16, width - 16, height - 36
    start = min(r.observed_at for r in usable)
    end = max([r.observed_at for r in usable] + ([until] if until else []))
    if end - start < dt.timedelta(minutes=1):
        start, end = start - dt.timedelta(hours=12), end + dt.timedelta(hours=12)
    span = end - start
    y_lo, y_hi, y_step = _y_range([float(r.unit_price) for r in usable])

    def px(moment: dt.datetime) -> float:
        return round(left + (right - left) * ((moment - start) / span), 1)

    def py(value: Decimal | float) -> float:
        return round(bottom - (bottom - top) * (float(value) - y_lo) / (y_hi - y_lo), 1)

    names = [OURS] + sorted({r.competitor for r in usable if r.competitor != OURS})
    series = []
    for i, name in enumerate(n for n in names if any(r.competitor == n for r in usable)):
        own = sorted((r for r in usable if r.competitor == name), key=lambda r: r.observed_at)
        points = tuple(
            Point(
                px(r.observed_at),
                py(r.unit_price),
                f"{name}: {r.unit_price:.2f} {currency} per unit, {r.observed_at:%Y-%m-%d %H:%M}",
            )
            for r in own
        )
        steps = [f"M{points[0].x},{points[0].y}"]
        for point in points[1:]:
            steps.append(f"H{point.x}V{point.y}")
        steps.append(f"H{right}")
        ours = name == OURS
        color = OUR_COLOR if ours else PALETTE[(i - 1) % len(PALETTE)]
        series.append(Series(name, ours, color, "".join(steps), points))

    x_ticks = tuple(
        Tick(px(start + span * k / 4), _time_label(start + span * k / 4, span)) for k in range(5)
    )
    count = round((y_hi - y_lo) / y_step)
    y_ticks = tuple(
        Tick(py(y_lo + k * y_step), f"{y_lo + k * y_step:,.2f}") for k in range(count + 1)
    )
    return Chart(
        width,
        height,
        left,
        top,
        right,
        bottom,
        currency,
        tuple(series),
        x_ticks,
        y_ticks,
        len(rows) - len(usable),
    )


@dataclass(frozen=True)
class Spark:
    """A small step chart of unit prices: our line, each competitor's, and a dot for the
    suggested price at the right edge. ``lines`` are (name, ours, color, SVG path)."""

    width: int
    height: int
    lines: tuple[tuple[str, bool, str, str], ...]
    suggested: Point | None
    low: Decimal
    high: Decimal


def sparkline(
    series: Mapping[str, Sequence[tuple[dt.datetime, Decimal]]],
    start: dt.datetime,
    end: dt.datetime,
    *,
    suggested: Decimal | None = None,
    width: int = 180,
    height: int = 44,
) -> Spark | None:
    """Geometry for ``series`` (name -> time-ordered unit prices; :data:`OURS` for ours)
    over ``[start, end]``; a price seen before ``start`` holds from the left edge. When
    every price is younger than the window, the chart starts at the first one (at least
    a day back), so a new SKU's lines are drawn rather than squeezed into the edge."""
    values = [v for points in series.values() for _, v in points]
    if suggested is not None:
        values.append(suggested)
    if not values:
        return None
    first = min((points[0][0] for points in series.values() if points), default=start)
    start = max(start, min(first, end - dt.timedelta(days=1)))
    pad = 3
    lo, hi = min(values), max(values)
    span_y = float(hi - lo) or max(float(hi) * 0.1, 0.01)
    base = float(lo) if hi != lo else float(lo) - span_y / 2
    span_t = (end - start).total_seconds() or 1.0

    def px(moment: dt.datetime) -> float:
        t = min(max((moment - start).total_seconds(), 0.0), span_t)
        return round(pad + (width - 2 * pad) * t / span_t, 1)

    def py(value: Decimal) -> float:
        return round(height - pad - (height - 2 * pad) * (float(value) - base) / span_y, 1)

    names = ([OURS] if OURS in series else []) + sorted(n for n in series if n != OURS)
    lines = []
    for i, name in enumerate(names):
        points = series[name]
        if not points:
            continue
        steps = [f"M{px(points[0][0])},{py(points[0][1])}"]
        steps += [f"H{px(at)}V{py(v)}" for at, v in points[1:]]
        steps.append(f"H{width - pad}")
        ours = name == OURS
        lines.append((name, ours, OUR_COLOR if ours else PALETTE[i % len(PALETTE)], "".join(steps)))
    dot = None
    if suggested is not None:
        dot = Point(width - pad, py(suggested), f"suggested: {suggested:.2f} per unit")
    return Spark(width, height, tuple(lines), dot, lo, hi)
