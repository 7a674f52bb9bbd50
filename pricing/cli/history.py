"""The category manager's questions: a SKU's price history, where we stand against the
market, which competitors moved their prices."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from pricing.cli.context import get
from pricing.cli.options import FormatOpt
from pricing.cli.output import Format, OutOpt, emit
from pricing.errors import PricingError
from pricing.history import sku_history

CategoryOpt = Annotated[str | None, typer.Option("--category", help="Only this category.")]

POSITION_COLUMNS = [
    "category",
    "skus",
    "compared",
    "coverage",
    "below",
    "at",
    "above",
    "without_reference",
    "median_index",
    "min_index",
    "max_index",
]
SKU_POSITION_COLUMNS = [
    "sku",
    "description",
    "category",
    "proprietary",
    "price",
    "currency",
    "pack_qty",
    "competitors",
    "reference",
    "index",
    "position",
]
MOVES_COLUMNS = [
    "competitor",
    "listings",
    "moved",
    "skus_moved",
    "price_changes",
    "up",
    "down",
    "median_change",
    "mean_change",
    "net_change",
    "largest_change",
    "largest_sku",
]
LISTING_MOVE_COLUMNS = [
    "competitor",
    "sku",
    "title",
    "currency",
    "start_price",
    "end_price",
    "change",
    "start_at",
    "end_at",
]


def history(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="Internal SKU.")],
    competitor: Annotated[
        str | None,
        typer.Option("--competitor", help="Only this competitor ('ours' for our price)."),
    ] = None,
    since: Annotated[
        dt.datetime | None,
        typer.Option("--since", formats=["%Y-%m-%d"], help="From this date."),
    ] = None,
    fmt: FormatOpt = Format.json,
    out: OutOpt = None,
) -> None:
    """Our price and every matched competitor's price for a SKU over time."""
    with get(ctx).db.session() as session:
        rows = sku_history(
            session, sku, competitor=competitor, since=since.date() if since else None
        )
    columns = [
        "sku",
        "competitor",
        "observed_at",
        "price",
        "currency",
        "unit_price",
        "pack_qty",
        "url",
        "title",
    ]
    emit([r.as_json() for r in rows], fmt, columns, title=f"Price history of {sku}", out=out)


def market_position_cmd(
    ctx: typer.Context,
    category: CategoryOpt = None,
    skus: Annotated[
        bool, typer.Option("--skus", help="One row per SKU instead of per category.")
    ] = False,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Where we stand against the market per category: price index, SKUs above/at/below.

    The index is our price / the competitor reference for our pack, from the prices the
    optimizer trusts (fresh, in stock, trusted matches, no suspect crawl); within 1% of
    the reference counts as at market. `coverage` is the share of SKUs with a reference.
    """
    from dataclasses import asdict

    from pricing.market_position import market_position

    app_ctx = get(ctx)
    with app_ctx.db.session() as session:
        cats = market_position(session, app_ctx.config.policy, category=category)
    if category is not None and not cats:
        raise PricingError(f"no category {category!r} in the catalog")
    if skus:
        rows = [{**asdict(p), "position": p.position} for c in cats for p in c.items]
        emit(rows, fmt, SKU_POSITION_COLUMNS, title="Market position by SKU", out=out)
        return
    rows = [
        {
            **{k: v for k, v in asdict(c).items() if k != "items"},
            "coverage": round(c.compared / c.skus, 4) if c.skus else None,
        }
        for c in cats
    ]
    emit(rows, fmt, POSITION_COLUMNS, title="Market position by category", out=out)


def competitor_moves_cmd(
    ctx: typer.Context,
    since: Annotated[
        dt.datetime | None,
        typer.Option(
            "--since", formats=["%Y-%m-%d"], help="Start of the period (default: 30 days ago)."
        ),
    ] = None,
    until: Annotated[
        dt.datetime | None,
        typer.Option(
            "--until", formats=["%Y-%m-%d"], help="Last day of the period (default: now)."
        ),
    ] = None,
    category: CategoryOpt = None,
    listings: Annotated[
        bool, typer.Option("--listings", help="One row per listing that moved, biggest first.")
    ] = False,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Which competitors moved their prices for our SKUs most over a period.

    Per competitor: matched listings priced in the period, how many moved from start
    to end (and for how many of our SKUs), every price change seen on the way, up and
    down, and the median and mean move of those that moved (unit prices, as fractions:
    0.05 is +5%). Suspect crawls and untrusted matches do not count.
    """
    from dataclasses import asdict

    from pricing.market_position import competitor_moves

    now = dt.datetime.now(dt.UTC)
    end = (
        dt.datetime.combine(until.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
        - dt.timedelta(microseconds=1)
        if until
        else now
    )
    start = (
        dt.datetime.combine(since.date(), dt.time(), dt.UTC)
        if since
        else end - dt.timedelta(days=30)
    )
    if end <= start:
        raise PricingError("--until must not come before --since")
    app_ctx = get(ctx)
    with app_ctx.db.session() as session:
        result = competitor_moves(session, start, min(end, now), category=category)
    period = f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"
    if listings:
        rows = [
            {**asdict(m), "change": m.change} for c in result for m in c.items if m.change != 0
        ]
        rows.sort(key=lambda r: (-abs(r["change"]), r["competitor"], r["sku"]))
        emit(
            rows, fmt, LISTING_MOVE_COLUMNS, title=f"Competitor price moves, {period}", out=out
        )
        return
    rows = [{k: v for k, v in asdict(c).items() if k != "items"} for c in result]
    emit(rows, fmt, MOVES_COLUMNS, title=f"Competitor moves, {period}", out=out)


