"""Price history of one SKU: our price and every matched competitor's, over time.

Our price comes from the price history (``our_prices``: catalog imports and exports)
and, before its first entry, from the sales history: each week whose average selling
price differs from the week before is a price change (title ``sales history``).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import DateTime, Float, String, func, select, type_coerce
from sqlalchemy.orm import Session

from pricing.errors import NotFoundError
from pricing.matching.units import unit_price
from pricing.storage.models import (
    TRUSTED_MATCH_STATUSES,
    Listing,
    Match,
    OurPrice,
    Part,
    PriceObservation,
    SalesRecord,
)

OURS = "ours"
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "UCT", "Etc/UCT", "Universal", "Etc/Universal", "Zulu"})


class HistoryRow(NamedTuple):
    """One price at one moment; a tuple because a year of history is thousands of them."""

    sku: str
    competitor: str
    observed_at: dt.datetime
    price: Decimal
    currency: str | None
    unit_price: Decimal
    pack_qty: int
    url: str | None
    title: str | None

    def as_json(self) -> dict[str, Any]:
        row = self._asdict()
        row["observed_at"] = self.observed_at.isoformat()
        row["price"] = format(self.price, "f")
        row["unit_price"] = format(self.unit_price, "f")
        return row


def sku_history(
    session: Session,
    sku: str,
    *,
    competitor: str | None = None,
    since: dt.date | None = None,
) -> list[HistoryRow]:
    pack = session.execute(select(Part.pack_qty).where(Part.sku == sku)).scalar_one_or_none()
    if pack is None:
        raise NotFoundError(f"no SKU {sku!r} in the catalog")
    start = dt.datetime.combine(since, dt.time(), dt.UTC) if since else None
    ours: list[HistoryRow] = []
    if competitor in (None, OURS):
        stmt = select(OurPrice.effective_at, OurPrice.price, OurPrice.currency).where(
            OurPrice.sku == sku
        )
        if start:
            stmt = stmt.where(OurPrice.effective_at >= start)
        for at, price, currency in session.execute(stmt):
            unit = unit_price(price, pack)
            ours.append(HistoryRow(sku, OURS, at, price, currency, unit, pack, None, None))
        ours = _from_sales(session, sku, pack, start, ours) + ours
    if competitor == OURS:
        return sorted(ours, key=_when)
    rows = _competitor_rows(session, sku, competitor, start)
    # our few price changes go before competitors' prices seen at the same moment
    for row in ours:
        rows.insert(bisect_left(rows, row.observed_at, key=_when), row)
    return rows


def _from_sales(
    session: Session, sku: str, pack: int, start: dt.datetime | None, ours: list[HistoryRow]
) -> list[HistoryRow]:
    """Our price changes read from the sales history, before the first recorded price."""
    first = session.scalar(select(func.min(OurPrice.effective_at)).where(OurPrice.sku == sku))
    currency = session.scalar(select(Part.currency).where(Part.sku == sku))
    stmt = (
        select(SalesRecord.period_start, SalesRecord.unit_price)
        .where(SalesRecord.sku == sku)
        .order_by(SalesRecord.period_start)
    )
    rows: list[HistoryRow] = []
    previous: Decimal | None = None
    for day, price in session.execute(stmt):
        at = dt.datetime.combine(day, dt.time(), dt.UTC)
        if first is not None and at >= first:
            break
        if price == previous or price is None or price <= 0:
            continue
        previous = price
        if start is not None and at < start:
            continue
        unit = unit_price(price, pack)
        rows.append(HistoryRow(sku, OURS, at, price, currency, unit, pack, None, "sales history"))
    return rows


def _when(row: HistoryRow) -> dt.datetime:
    return row.observed_at


def _competitor_rows(
    session: Session, sku: str, competitor: str | None, start: dt.datetime | None
) -> list[HistoryRow]:
    """Every trusted matched listing's prices, oldest first.

    This is the web's hot read: a year of daily prices from several competitors is
    thousands of rows. The listings' text is read once, the observations come from the
    history index alone (migration 0003), and their values skip the ORM's per-row type
    processing: on SQLite, where times are text and money is REAL, they are converted
    here, money through a cache (a listing's price repeats from day to day) to the
    four places the Money column keeps.
    """
    listings_stmt = (
        select(Listing.id, Listing.competitor, Listing.url, Listing.title)
        .join(Match, Match.listing_id == Listing.id)
        .where(Match.sku == sku, Match.status.in_(TRUSTED_MATCH_STATUSES))
    )
    if competitor:
        listings_stmt = listings_stmt.where(Listing.competitor == competitor)
    listings = {lid: (name, url, title) for lid, name, url, title in session.execute(listings_stmt)}
    if not listings:
        return []
    sqlite = session.get_bind().dialect.name == "sqlite"
    when: Any = type_coerce(
        PriceObservation.observed_at, String if sqlite else DateTime(timezone=True)
    )
    price: Any = PriceObservation.price
    unit: Any = PriceObservation.unit_price
    if sqlite:
        price, unit = type_coerce(price, Float), type_coerce(unit, Float)
    stmt = (
        select(
            PriceObservation.listing_id,
            when,
            price,
            PriceObservation.currency,
            unit,
            PriceObservation.pack_qty,
        )
        .where(PriceObservation.listing_id.in_(list(listings)), PriceObservation.price.is_not(None))
        .order_by(PriceObservation.observed_at, PriceObservation.listing_id)
    )
    if start:
        stmt = stmt.where(PriceObservation.observed_at >= start)
    result = session.connection().execute(stmt).all() if sqlite else _driver_rows(session, stmt)
    out: list[HistoryRow] = []
    make = HistoryRow._make  # from a ready tuple: no per-row argument binding
    if sqlite:
        money: dict[float, Decimal] = {}
        parse = dt.datetime.fromisoformat
        for lid, at, amount, currency, per_unit, qty in result:
            name, url, title = listings[lid]
            price_d = money.get(amount)
            if price_d is None:
                price_d = money[amount] = Decimal(f"{amount:.4f}")
            unit_d = money.get(per_unit)
            if unit_d is None:
                unit_d = money[per_unit] = Decimal(f"{per_unit:.4f}")
            row = (sku, name, parse(at + "+00:00"), price_d, currency, unit_d, qty, url, title)
            out.append(make(row))
    else:
        # times come in the session's TimeZone: only a server not on UTC needs converting
        raw = session.connection().connection.driver_connection
        assert raw is not None
        zone = str(raw.info.timezone)
        convert = zone not in _UTC_NAMES
        for lid, at, amount, currency, per_unit, qty in result:
            name, url, title = listings[lid]
            if convert:
                at = at.astimezone(dt.UTC)
            row = (sku, name, at, amount, currency, per_unit, qty, url, title)
            out.append(make(row))
    return out


def _driver_rows(session: Session, stmt: Any) -> list[Any]:
    """The rows as the driver (psycopg) gives them, without SQLAlchemy's per-row result
    objects: for thousands of rows that is most of the client's time. Only for
    statements whose parameters need no bind processing (integers, aware datetimes)."""
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), compiled.params)
        return list(cursor.fetchall())
    finally:
        cursor.close()
