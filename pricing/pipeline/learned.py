"""The learned model on stored decisions: fitted at each ``pricing match`` from the
confirm/reject decisions in the database (:mod:`pricing.matching.learned`), applied to
the new results, and the order of the review queue it gives.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.matching.config import LearnedConfig
from pricing.matching.learned import Decision, LearnedModel
from pricing.matching.matcher import Matcher
from pricing.matching.records import ListingInput, MatchResult
from pricing.storage.models import HUMAN_MATCH_STATUSES, Listing, Match

log = logging.getLogger(__name__)

__all__ = ["apply_learned", "load_decisions", "queue_order"]


def load_decisions(session: Session) -> list[Decision]:
    """Every confirm and reject with a SKU: (listing as the matcher reads it, SKU,
    accepted)."""
    stmt = (
        select(
            Match.sku,
            Match.status,
            Listing.id,
            Listing.competitor,
            Listing.title,
            Listing.brand,
            Listing.part_number,
            Listing.gtin,
            Listing.pack_qty,
        )
        .join(Listing, Listing.id == Match.listing_id)
        .where(Match.status.in_(HUMAN_MATCH_STATUSES), Match.sku.is_not(None))
        .order_by(Match.id)
    )
    return [
        Decision(ListingInput(*row[2:]), row.sku, row.status == "confirmed")
        for row in session.execute(stmt)
    ]


def apply_learned(
    session: Session,
    matcher: Matcher,
    config: LearnedConfig,
    listings: Sequence[ListingInput],
    results: list[MatchResult],
) -> tuple[list[MatchResult], dict[int, float]]:
    """``results`` with pending candidates the model accepts made ``auto``, and each
    reviewed result's probability by listing id. Unchanged, with no probabilities,
    while there are too few decisions (or learning is off)."""
    if not config.enabled:
        return results, {}
    decisions = load_decisions(session)
    model = LearnedModel.fit(matcher, decisions, config)
    if model is None:
        log.info("learned model: %d decisions, %d needed; not used",
                 len(decisions), config.min_decisions)
        return results, {}
    h = model.held_out
    log.info(
        "learned model: %d decisions (%d on the review queue, %d confirmed); threshold %s "
        "(held-out precision %.3f, recall %.3f)", len(decisions), h.decisions, h.accepted,
        "none" if model.threshold is None else f"{model.threshold:.3f}", h.precision, h.recall,
    )
    out, probabilities = [], {}
    for result, p in model.apply(matcher, listings, results):
        out.append(result)
        if p is not None:
            probabilities[result.listing_id] = round(p, 4)
    return out, probabilities


def queue_order(status: str | None) -> list[Any]:  # ORDER BY clauses
    """How matches are listed: the review queue most probable first (then oldest),
    everything else oldest first. Without probabilities the order is by id."""
    if status == "needs_review":
        return [Match.learned_probability.desc().nulls_last(), Match.id]
    return [Match.id]
