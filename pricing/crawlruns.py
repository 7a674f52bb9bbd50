"""Crawl runs: their lifecycle, their health, and the suspect-run rules.

A finished run is marked ``suspect`` when, against the same competitor's history,

* it found far fewer items than the recent good runs (``min_item_ratio``),
* many of its product pages had no readable price (``max_unreadable_share``; pages
  that say "call for price" have no price on purpose and do not count), or
* many listings seen before moved implausibly far since their previous trusted price
  (unit price up or down by more than ``price_jump_factor`` for more than
  ``max_jump_share`` of them, and at least ``min_jumps``): a price read from the wrong
  element, or in cents, or per pack as per unit.

Its observations are kept but do not feed suggestions until a person confirms the run
(``pricing crawls confirm RUN``). The thresholds are per competitor
(``suspect:`` in ``competitors.yaml``).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pricing.config import SuspectRules
from pricing.errors import ExitCode, NotFoundError
from pricing.observations import from_trusted_run
from pricing.storage.models import (
    TRUSTED_RUN_STATUSES,
    CrawlRun,
    CrawlStatus,
    PriceObservation,
    utcnow,
)

GOOD_RUNS_LOOKBACK = 5
DEFAULT_RULES = SuspectRules()
_CHUNK = 400


@dataclass(frozen=True)
class Health:
    status: str
    note: str | None


@dataclass(frozen=True)
class PriceJumps:
    """Listings of a run that had a previous trusted price, and those that jumped."""

    compared: int = 0
    jumped: int = 0
    examples: tuple[str, ...] = ()  # "listing 12: 9.99 -> 999.0000 USD"


def assess(
    items: int,
    unparseable: int,
    previous_items: list[int],
    *,
    jumps: PriceJumps | None = None,
    rules: SuspectRules = DEFAULT_RULES,
    lost_pages: int = 0,
) -> Health:
    """Judge a finished run against the recent good runs of the same competitor.

    ``unparseable`` counts product pages with no readable price, not those that show
    no price on purpose ("call for price"). A run that found nothing because its pages
    were lost to faults (refused connections, 5xx, timeouts, after retries) failed: the
    shop could not be read, there is nothing to confirm.
    """
    if items == 0 and lost_pages:
        return Health(CrawlStatus.failed, f"found no items; {lost_pages} pages lost to errors")
    reasons = []
    if previous_items:
        usual = statistics.median(previous_items)
        if usual > 0 and items < rules.min_item_ratio * usual:
            reasons.append(f"found {items} items where recent good runs found about {usual:g}")
    if items and unparseable / items > rules.max_unreadable_share:
        reasons.append(f"{unparseable} of {items} pages had no readable price")
    if items == 0 and not previous_items:
        reasons.append("found no items")
    if (
        jumps is not None
        and jumps.compared
        and jumps.jumped >= rules.min_jumps
        and jumps.jumped / jumps.compared > rules.max_jump_share
    ):
        example = f" (e.g. {jumps.examples[0]})" if jumps.examples else ""
        reasons.append(
            f"{jumps.jumped} of {jumps.compared} known listings changed price by more than "
            f"x{rules.price_jump_factor:g}{example}"
        )
    if reasons:
        return Health(CrawlStatus.suspect, "; ".join(reasons))
    return Health(CrawlStatus.succeeded, None)


def start_run(session: Session, competitor: str) -> CrawlRun:
    run = CrawlRun(competitor=competitor, status=CrawlStatus.running, started_at=utcnow(), stats={})
    session.add(run)
    session.flush()
    return run


def recent_good_item_counts(session: Session, competitor: str, before_id: int) -> list[int]:
    stmt = (
        select(CrawlRun.items)
        .where(
            CrawlRun.competitor == competitor,
            CrawlRun.status.in_(TRUSTED_RUN_STATUSES),
            CrawlRun.id < before_id,
        )
        .order_by(CrawlRun.id.desc())
        .limit(GOOD_RUNS_LOOKBACK)
    )
    return list(session.scalars(stmt))


def price_jumps(session: Session, run_id: int, factor: float) -> PriceJumps:
    """Compare each listing's unit price in run ``run_id`` with its previous trusted one
    (same currency; from a good or confirmed run, or an imported file)."""
    current = session.execute(
        select(
            PriceObservation.listing_id,
            PriceObservation.unit_price,
            PriceObservation.currency,
            PriceObservation.observed_at,
        ).where(PriceObservation.crawl_run_id == run_id, PriceObservation.unit_price.is_not(None))
    ).all()
    if not current:
        return PriceJumps()
    since = {row.listing_id: row for row in current}
    previous: dict[int, tuple[Decimal | None, str | None]] = {}
    ids = sorted(since)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        stmt = (
            select(
                PriceObservation.listing_id,
                PriceObservation.unit_price,
                PriceObservation.currency,
                PriceObservation.observed_at,
            )
            .outerjoin(CrawlRun, CrawlRun.id == PriceObservation.crawl_run_id)
            .where(
                PriceObservation.listing_id.in_(chunk),
                PriceObservation.unit_price.is_not(None),
                or_(
                    PriceObservation.crawl_run_id != run_id, PriceObservation.crawl_run_id.is_(None)
                ),
                from_trusted_run(),
            )
            .order_by(PriceObservation.listing_id, PriceObservation.observed_at.desc())
        )
        for listing_id, unit_price, currency, observed_at in session.execute(stmt):
            if listing_id in previous or observed_at >= since[listing_id].observed_at:
                continue
            previous[listing_id] = (unit_price, currency)
    return _jumps(
        [
            (listing_id, old, row.unit_price, row.currency)
            for listing_id, (old, old_currency) in previous.items()
            if (row := since[listing_id]).currency == old_currency and old is not None
        ],
        Decimal(str(factor)),
    )


def _jumps(
    pairs: Sequence[tuple[int, Decimal, Decimal, str | None]], factor: Decimal
) -> PriceJumps:
    jumped = [
        (listing_id, old, new, currency)
        for listing_id, old, new, currency in pairs
        if old > 0 and new > 0 and (new / old > factor or old / new > factor)
    ]
    examples = tuple(
        f"listing {listing_id}: {old.normalize():f} -> {new.normalize():f} {currency or ''}".strip()
        for listing_id, old, new, currency in jumped[:3]
    )
    return PriceJumps(compared=len(pairs), jumped=len(jumped), examples=examples)


def confirm_run(session: Session, run_id: int, who: str) -> CrawlRun:
    """A person vouches for a suspect run: its prices may now drive suggestions."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise NotFoundError(f"no crawl run {run_id}")
    if run.status != CrawlStatus.suspect:
        raise NotFoundError(f"crawl run {run_id} is {run.status}, not suspect; nothing to confirm")
    run.status = CrawlStatus.confirmed
    run.note = f"{run.note or ''} (confirmed by {who})".strip()
    return run


def crawl_exit_code(statuses: Iterable[str | None]) -> ExitCode:
    """The exit code of a command that ran crawls with these run statuses (None: the
    crawl never opened a run): failed wins over suspect, which wins over success."""
    seen = set(statuses)
    if seen - {CrawlStatus.succeeded, CrawlStatus.confirmed, CrawlStatus.suspect}:
        return ExitCode.CRAWL_FAILED
    if CrawlStatus.suspect in seen:
        return ExitCode.CRAWL_SUSPECT
    return ExitCode.OK
