"""The competitor prices that count: one definition for every view of them.

A competitor price counts when it comes from an auto or confirmed match, is the latest
trusted observation of its listing (a crawl run that is not suspect, or an imported
file) within the window asked for (the policy's ``max_age_days``, not after a run's
``as_of``), has a price above zero and the listing is in stock (backordered only where
the policy's ``count_backorder`` says so). Its per-unit price is the price divided by
the pack it buys (:func:`pricing.matching.units.effective_pack`: a stored pack of 1,
also what an unknown pack is stored as, gives way to a larger pack the title states),
rounded half-even to four decimals (:func:`pricing.matching.units.unit_price`), the
same rule the stored ``unit_price`` of an observation is written with.

The optimizer, market position and the report's listings read these prices; a view in
another currency converts them with :class:`pricing.fx.CurrencyConverter`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

from sqlalchemy.orm import Session

from pricing.config import PricingPolicy
from pricing.fx import CurrencyConverter
from pricing.matching.units import effective_pack, unit_price
from pricing.observations import matched_at_edge, trusted_edge
from pricing.storage.columns import read_columns
from pricing.storage.models import Listing, Match, PriceObservation

UNAVAILABLE = ("OutOfStock", "SoldOut", "Discontinued")
# A backordered listing cannot be bought now; it counts only when the policy says so.
BACKORDER = "BackOrder"
UNIT_Q = Decimal("0.0001")


class CompetitorPrice(NamedTuple):
    """A listing's latest trusted price, per unit, in the currency it was seen in.

    ``pack_qty`` is the pack the unit price was computed with: the observation's, or the
    one its title states when the observation says 1 (the stored default for unknown).
    """

    sku: str
    competitor: str
    listing_id: int
    unit_price: Decimal
    currency: str
    observed_at: dt.datetime
    pack_qty: int = 1
    pack_from_title: bool = False
    relation: str | None = None  # the match's: same, alternative or kit


def trusted_competitor_prices(
    session: Session,
    oldest: dt.datetime,
    skus: list[str] | None = None,
    *,
    count_backorder: bool = False,
    newest: dt.datetime | None = None,
) -> dict[str, list[CompetitorPrice]]:
    """Latest trusted observation per matched listing, newer than ``oldest`` and (when
    given: a run's ``as_of``) not after ``newest``, by SKU (listings whose latest trusted
    observation is out of stock are left out, and so are backordered ones unless
    ``count_backorder``: policy ``count_backorder``)."""
    unavailable = UNAVAILABLE if count_backorder else (*UNAVAILABLE, BACKORDER)
    window = [PriceObservation.observed_at >= oldest]
    if newest is not None:
        window.append(PriceObservation.observed_at <= newest)
    latest = trusted_edge(PriceObservation.price.is_not(None), *window)
    stmt = matched_at_edge(
        latest,
        Match.sku,
        Listing.competitor,
        Listing.id,
        Listing.title,
        PriceObservation.price,
        PriceObservation.pack_qty,
        PriceObservation.currency,
        PriceObservation.observed_at,
        PriceObservation.availability,
        Match.relation,
    )
    if skus is not None:
        stmt = stmt.where(Match.sku.in_(skus))
    packs: dict[str, int | None] = {}
    by_sku: dict[str, list[CompetitorPrice]] = defaultdict(list)
    for (sku, competitor, listing_id, title, price, pack, currency, observed_at, avail,
         relation) in zip(*read_columns(session.connection(), stmt), strict=True):
        if sku is None or avail in unavailable or price is None or price <= 0:
            continue
        qty, from_title = effective_pack(pack, title, packs)
        unit = unit_price(price, qty)
        by_sku[sku].append(
            CompetitorPrice(
                sku, competitor, listing_id, unit, (currency or "").upper(), observed_at, qty,
                from_title, relation,
            )
        )
    return by_sku


def call_for_price(session: Session, oldest: dt.datetime) -> set[str]:
    """SKUs with a matched listing whose latest trusted observation (newer than
    ``oldest``) shows no price: "call for price" / "price on application"."""
    latest = trusted_edge(PriceObservation.observed_at >= oldest)
    stmt = matched_at_edge(latest, Match.sku).where(PriceObservation.price.is_(None))
    return set(session.scalars(stmt))


class Counted(NamedTuple):
    """A counted price and its per-unit value in the currency its part is compared in."""

    price: CompetitorPrice
    value: Decimal


@dataclass
class PartPrices:
    """What a part is compared with: ``references`` make its competitor reference; for a
    proprietary part only the resellers of the same part do, and the will-fit
    alternatives are a ceiling of their own (``alternatives``: policy
    ``max_alternative_index``)."""

    currency: str | None = None  # the currency the values are in
    references: list[Counted] = field(default_factory=list)
    alternatives: list[Counted] = field(default_factory=list)


@dataclass
class LeftOutPrices:
    """Competitor prices that did not count, and conversions, for a run's summary."""

    counts: Counter[str] = field(default_factory=Counter)
    missing_rates: Counter[str] = field(default_factory=Counter)
    pack_from_title: int = 0


class PartKey(NamedTuple):
    sku: str
    category: str
    proprietary: bool
    currency: str


def longest_age(policy: PricingPolicy) -> int:
    """The longest ``max_age_days`` any category or proprietary pool allows."""
    ages = [policy.defaults.max_age_days or 14]
    ages += [c.max_age_days for c in policy.categories.values() if c.max_age_days]
    ages += [c.proprietary.max_age_days for c in policy.categories.values()
             if c.proprietary.max_age_days]
    if policy.proprietary.max_age_days:
        ages.append(policy.proprietary.max_age_days)
    return max(ages)


def counted_prices(
    session: Session,
    policy: PricingPolicy,
    as_of: dt.datetime,
    parts: Iterable[PartKey],
    *,
    skus: list[str] | None = None,
    left_out: LeftOutPrices | None = None,
    competitor_moves: Mapping[str, Decimal] | None = None,
) -> dict[str, PartPrices]:
    """Each part's counted competitor prices at ``as_of``, per unit, in the part's
    currency where a rate for it is in force that day, else in the base currency (each
    price converted at the rate of the day it was seen; no rate, left out), no older
    than its pool's ``max_age_days``. ``skus`` narrows the read; ``left_out`` tallies
    what did not count; ``competitor_moves`` (what-if scenarios) moves every price of
    the named competitors by that fraction (-0.1: 10 % lower). The optimizer, market
    position and the report all read this."""
    left_out = left_out if left_out is not None else LeftOutPrices()
    oldest_of_all = as_of - dt.timedelta(days=longest_age(policy))
    found = trusted_competitor_prices(
        session, oldest_of_all, skus, count_backorder=policy.count_backorder, newest=as_of)
    converter = CurrencyConverter(policy.fx.table(policy.base_currency))
    ages: dict[tuple[str, bool], dt.datetime] = {}
    out: dict[str, PartPrices] = {}
    for sku, category, proprietary, currency in parts:
        prices = found.get(sku)
        if not prices:
            continue
        key = (category, proprietary)
        if key not in ages:
            ages[key] = as_of - dt.timedelta(days=policy.resolve(*key).max_age_days)
        oldest = ages[key]
        target = currency if converter.rate(currency, as_of.date()) else policy.base_currency
        part = out[sku] = PartPrices(target)
        for cp in prices:
            if competitor_moves and cp.competitor in competitor_moves:
                moved = cp.unit_price * (1 + competitor_moves[cp.competitor])
                cp = cp._replace(unit_price=moved.quantize(UNIT_Q, ROUND_HALF_EVEN))
            if cp.observed_at < oldest:
                left_out.counts["stale"] += 1
                continue
            value = converter.convert(cp, target)
            if value is None:
                left_out.counts["no_fx_rate"] += 1
                left_out.missing_rates[cp.currency] += 1
                continue
            if cp.currency != target:
                left_out.counts["converted"] += 1
            if cp.pack_from_title:
                left_out.pack_from_title += 1
            if proprietary and cp.relation not in (None, "same"):
                part.alternatives.append(Counted(cp, value))
            else:
                part.references.append(Counted(cp, value))
    return out
