"""Alert events: recorded the moment a problem happens (so a restart loses none), kept
in the ``alert_events`` table until a message about them has gone out."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pricing.storage import Database
from pricing.storage.models import AlertEvent

log = logging.getLogger(__name__)

KIND_TEXT = {
    "crawl_failed": "crawl failed",
    "crawl_suspect": "crawl suspect",
    "crawl_timed_out": "crawl stopped at its time limit",
    "nightly_failed": "nightly run failed",
    "task_interrupted": "interrupted by a daemon stop",
    "crawl_node_lost": "crawl lost with its Scrapyd node",
    "price_move": "competitor price moved",
}
PROBLEM_KINDS = frozenset(KIND_TEXT) - {"price_move"}


def record_event(db: Database, kind: str, target: str, summary: str) -> None:
    """Remember a problem; the next flush tells people about it."""
    with db.session() as session:
        add_event(session, kind, target, summary)


def add_event(session: Session, kind: str, target: str, summary: str) -> None:
    """:func:`record_event` inside the caller's transaction (it commits with its work)."""
    level = logging.WARNING if kind in PROBLEM_KINDS else logging.INFO
    log.log(level, "alert: %s %s: %s", KIND_TEXT.get(kind, kind), target, summary)
    session.add(AlertEvent(kind=kind, target=target[:64], summary=summary[:4000]))


def pending_events(db: Database) -> tuple[list[AlertEvent], dt.datetime | None]:
    """The events no message has told about yet, oldest first, and when the last
    message went out (None: never)."""
    with db.session() as session:
        pending = list(
            session.scalars(
                select(AlertEvent).where(AlertEvent.sent_at.is_(None)).order_by(AlertEvent.id)
            )
        )
        last_sent = session.scalar(select(func.max(AlertEvent.sent_at)))
    return pending, last_sent


def mark_sent(
    db: Database, events: Sequence[AlertEvent], sent_at: dt.datetime, delivery: str
) -> None:
    """Remember that a message told about ``events``, and how each channel fared."""
    with db.session() as session:
        session.execute(
            update(AlertEvent)
            .where(AlertEvent.id.in_([e.id for e in events]))
            .values(sent_at=sent_at, delivery=delivery)
            .execution_options(synchronize_session=False)
        )
