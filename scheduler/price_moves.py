"""Competitor price moves on watched SKUs, found when a crawl is settled.

A move is a listing matched (``auto`` or ``confirmed``) to a watched SKU whose unit
price in the new crawl run differs from its previous trusted observation (from a
``succeeded`` or ``confirmed`` crawl run, or an imported file) by more than the
threshold. Runs that are not trusted themselves (failed, suspect) are never looked at:
their prices do not drive suggestions, so they do not raise price alerts either.

The daemon looks once per crawl task, in the transaction that settles the task, so a
move is reported exactly once even if the daemon is killed around it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.observations import from_trusted_run
from pricing.storage.models import (
    TRUSTED_MATCH_STATUSES,
    TRUSTED_RUN_STATUSES,
    CrawlRun,
    Listing,
    Match,
    PriceObservation,
)

PERCENT = Decimal(100)


@dataclass(frozen=True)
class PriceMove:
    """One listing's unit price change between two observations."""

    sku: str
    competitor: str
    url: str
    old_price: Decimal
    new_price: Decimal
    currency: str | None
    old_at: dt.datetime
    new_at: dt.datetime

    @property
    def change(self) -> Decimal:
        """Relative change, e.g. ``0.125`` for +12.5 %."""
        return (self.new_price - self.old_price) / self.old_price

    def summary(self) -> str:
        pct = (self.change * PERCENT).quantize(Decimal("0.1"))
        sign = "+" if pct > 0 else ""
        currency = f" {self.currency}" if self.currency else ""
        return (
            f"{self.competitor}: {_money(self.old_price)}{currency} -> "
            f"{_money(self.new_price)}{currency} "
            f"per unit ({sign}{pct}%) since {self.old_at:%Y-%m-%d %H:%M} UTC, {self.url}"
        )


def _money(value: Decimal) -> str:
    """``12.40`` rather than ``12.4000``; more places only where they mean something."""
    cents = value.quantize(Decimal("0.01"))
    return f"{cents:f}" if cents == value else f"{value.normalize():f}"


def find_moves(
    session: Session, run_ids: Sequence[int], skus: Sequence[str], threshold: float
) -> list[PriceMove]:
    """Moves larger than ``threshold`` (a fraction) in the trusted runs ``run_ids``."""
    if not run_ids or not skus:
        return []
    trusted_runs = list(
        session.scalars(
            select(CrawlRun.id).where(
                CrawlRun.id.in_(run_ids), CrawlRun.status.in_(TRUSTED_RUN_STATUSES)
            )
        )
    )
    if not trusted_runs:
        return []
    new_rows = session.execute(
        select(
            Match.sku,
            Listing.id,
            Listing.competitor,
            Listing.url,
            PriceObservation.unit_price,
            PriceObservation.currency,
            PriceObservation.observed_at,
        )
        .join(Listing, Listing.id == Match.listing_id)
        .join(PriceObservation, PriceObservation.listing_id == Listing.id)
        .where(
            Match.status.in_(TRUSTED_MATCH_STATUSES),
            Match.sku.in_(list(skus)),
            PriceObservation.crawl_run_id.in_(trusted_runs),
            PriceObservation.unit_price.is_not(None),
        )
        .order_by(Match.sku, Listing.id, PriceObservation.observed_at)
    ).all()
    limit = Decimal(str(threshold))
    moves: list[PriceMove] = []
    seen: set[int] = set()
    for sku, listing_id, competitor, url, price, currency, observed_at in new_rows:
        if listing_id in seen:  # one run observes a listing once; be safe anyway
            continue
        seen.add(listing_id)
        before = session.execute(
            select(
                PriceObservation.unit_price, PriceObservation.currency, PriceObservation.observed_at
            )
            .outerjoin(CrawlRun, CrawlRun.id == PriceObservation.crawl_run_id)
            .where(
                PriceObservation.listing_id == listing_id,
                PriceObservation.observed_at < observed_at,
                PriceObservation.unit_price.is_not(None),
                from_trusted_run(),
            )
            .order_by(PriceObservation.observed_at.desc())
            .limit(1)
        ).first()
        if sku is None or price is None or before is None or not before.unit_price:
            continue  # (the query excludes the Nones; this tells the type checker)
        if before.currency != currency:
            continue
        move = PriceMove(
            sku,
            competitor,
            url,
            before.unit_price,
            price,
            currency,
            before.observed_at,
            observed_at,
        )
        if abs(move.change) > limit:
            moves.append(move)
    return moves
