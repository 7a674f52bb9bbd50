"""Crawl runs: their lifecycle, their health, and the suspect-run rule.

A run that suddenly finds far fewer items than the recent good runs, or many pages
whose price could not be read, is marked ``suspect``: its observations are kept but
do not feed suggestions until a person confirms the run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.errors import NotFoundError
from pricing.storage.models import TRUSTED_RUN_STATUSES, CrawlRun, utcnow

GOOD_RUNS_LOOKBACK = 5
MIN_ITEM_RATIO = 0.5
MAX_UNPARSEABLE_SHARE = 0.2


@dataclass(frozen=True)
class Health:
    status: str
    note: str | None


def assess(items: int, unparseable: int, previous_items: list[int]) -> Health:
    """Judge a finished run against the recent good runs of the same competitor."""
    reasons = []
    if previous_items:
        usual = statistics.median(previous_items)
        if usual > 0 and items < MIN_ITEM_RATIO * usual:
            reasons.append(f"found {items} items where recent good runs found about {usual:g}")
    if items and unparseable / items > MAX_UNPARSEABLE_SHARE:
        reasons.append(f"{unparseable} of {items} pages had no readable price")
    if items == 0 and not previous_items:
        reasons.append("found no items")
    if reasons:
        return Health("suspect", "; ".join(reasons))
    return Health("succeeded", None)


def start_run(session: Session, competitor: str) -> CrawlRun:
    run = CrawlRun(competitor=competitor, status="running", started_at=utcnow(), stats={})
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


def confirm_run(session: Session, run_id: int, who: str) -> CrawlRun:
    """A person vouches for a suspect run: its prices may now drive suggestions."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise NotFoundError(f"no crawl run {run_id}")
    if run.status != "suspect":
        raise NotFoundError(f"crawl run {run_id} is {run.status}, not suspect; nothing to confirm")
    run.status = "confirmed"
    run.note = f"{run.note or ''} (confirmed by {who})".strip()
    return run
