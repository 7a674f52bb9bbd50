"""Price history of one SKU: our price and every matched competitor's, over time."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.errors import NotFoundError
from pricing.storage.models import (
    TRUSTED_MATCH_STATUSES,
    Listing,
    Match,
    OurPrice,
    Part,
    PriceObservation,
)

OURS = "ours"


@dataclass(frozen=True)
class HistoryRow:
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
        row = asdict(self)
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
    part = session.scalar(select(Part).where(Part.sku == sku))
    if part is None:
        raise NotFoundError(f"no SKU {sku!r} in the catalog")
    start = dt.datetime.combine(since, dt.time(), dt.UTC) if since else None
    rows: list[HistoryRow] = []
    if competitor in (None, OURS):
        stmt = select(OurPrice).where(OurPrice.sku == sku)
        if start:
            stmt = stmt.where(OurPrice.effective_at >= start)
        for p in session.scalars(stmt):
            unit = (p.price / part.pack_qty).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
            rows.append(
                HistoryRow(
                    sku, OURS, p.effective_at, p.price, p.currency, unit, part.pack_qty, None, None
                )
            )
    if competitor != OURS:
        stmt2 = (
            select(Listing, PriceObservation)
            .join(Match, Match.listing_id == Listing.id)
            .join(PriceObservation, PriceObservation.listing_id == Listing.id)
            .where(
                Match.sku == sku,
                Match.status.in_(TRUSTED_MATCH_STATUSES),
                PriceObservation.price.is_not(None),
            )
        )
        if competitor:
            stmt2 = stmt2.where(Listing.competitor == competitor)
        if start:
            stmt2 = stmt2.where(PriceObservation.observed_at >= start)
        for listing, obs in session.execute(stmt2):
            assert obs.price is not None and obs.unit_price is not None
            rows.append(
                HistoryRow(
                    sku,
                    listing.competitor,
                    obs.observed_at,
                    obs.price,
                    obs.currency,
                    obs.unit_price,
                    obs.pack_qty,
                    listing.url,
                    listing.title,
                )
            )
    rows.sort(key=lambda r: (r.observed_at, r.competitor != OURS, r.competitor))
    return rows
