"""The learned model on stored decisions: fitted at each ``pricing match`` from the
confirm/reject decisions in the database (:mod:`pricing.matching.learned`), applied to
the new results, and the order of the review queue it gives.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.matching.config import LearnedConfig
from pricing.matching.learned import Decision, LearnedModel
from pricing.matching.matcher import Matcher
from pricing.matching.records import ListingInput
from pricing.pipeline.match_inputs import LISTING_INPUT_COLUMNS
from pricing.storage.models import HUMAN_MATCH_STATUSES, Listing, Match, MatchStatus

log = logging.getLogger(__name__)

__all__ = ["fit_learned", "load_decisions", "matches_query", "queue_order"]


def load_decisions(session: Session) -> list[Decision]:
    """Every confirm and reject with a SKU: (listing as the matcher reads it, SKU,
    accepted)."""
    stmt = (
        select(Match.sku, Match.status, *LISTING_INPUT_COLUMNS)
        .join(Listing, Listing.id == Match.listing_id)
        .where(Match.status.in_(HUMAN_MATCH_STATUSES), Match.sku.is_not(None))
        .order_by(Match.id)
    )
    return [
        Decision(ListingInput(*row[2:]), row.sku, row.status == MatchStatus.confirmed)
        for row in session.execute(stmt)
    ]


def fit_learned(session: Session, matcher: Matcher, config: LearnedConfig) -> LearnedModel | None:
    """The model fitted on the people's confirm/reject decisions, or None while there are
    too few (or learning is off): then matching is exactly the rules'. Its
    :meth:`LearnedModel.apply` turns each result into (result, probability), accepting a
    pending candidate at or above the threshold chosen for ``auto_precision``."""
    if not config.enabled:
        return None
    decisions = load_decisions(session)
    model = LearnedModel.fit(matcher, decisions, config)
    if model is None:
        log.info("learned model: %d decisions, %d needed; not used",
                 len(decisions), config.min_decisions)
        return None
    h = model.held_out
    log.info(
        "learned model: %d decisions (%d on the review queue, %d confirmed); threshold %s "
        "(held-out precision %.3f, recall %.3f)", len(decisions), h.decisions, h.accepted,
        "none" if model.threshold is None else f"{model.threshold:.3f}", h.precision, h.recall,
    )
    return model


def queue_order(status: str | None) -> list[Any]:  # ORDER BY clauses
    """How matches are listed: the review queue most probable first (then oldest),
    everything else oldest first. Without probabilities the order is by id."""
    if status == MatchStatus.needs_review:
        return [Match.learned_probability.desc().nulls_last(), Match.id]
    return [Match.id]


def matches_query(
    *,
    status: str | None = None,
    competitor: str | None = None,
    relation: str | None = None,
    sku: str | None = None,
) -> Any:
    """Matches with their listings, filtered, in :func:`queue_order`: what ``pricing
    matches`` and the web's matches page and API list."""
    stmt = (
        select(Match, Listing)
        .join(Listing, Listing.id == Match.listing_id)
        .order_by(*queue_order(status))
    )
    if status:
        stmt = stmt.where(Match.status == status)
    if competitor:
        stmt = stmt.where(Listing.competitor == competitor)
    if relation:
        stmt = stmt.where(Match.relation == relation)
    if sku:
        stmt = stmt.where(Match.sku == sku)
    return stmt
