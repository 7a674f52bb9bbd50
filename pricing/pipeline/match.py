"""Match step: new or changed listings -> internal SKUs, stored as Match rows.

A person's decision (confirmed or rejected) is never overwritten by a later run.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pricing.errors import NotFoundError
from pricing.matching.config import MatchingConfig
from pricing.matching.matcher import CatalogIndex, ListingInput, Matcher
from pricing.matching.parallel import default_workers, imatch
from pricing.matching.records import MATCH_RELATIONS
from pricing.pipeline.learned import fit_learned
from pricing.pipeline.match_inputs import (
    LISTING_INPUT_COLUMNS,
    load_catalog_rows,
    save_fingerprint,
    stored_fingerprint,
)
from pricing.storage import Database
from pricing.storage.bulk_upsert import fast_upsert
from pricing.storage.models import HUMAN_MATCH_STATUSES, Listing, Match, MatchStatus, Part, utcnow

log = logging.getLogger(__name__)

# what a matching run writes for each listing, in the order rows() yields it
_MATCH_COLUMNS = (
    "listing_id",
    "sku",
    "method",
    "confidence",
    "status",
    "competitor_part_number",
    "note",
    "relation",
    "evidence",
    "learned_probability",
    "updated_at",
)


@dataclass(frozen=True)
class MatchSummary:
    """What a matching run did. ``problems``: what is wrong in the catalog or the
    cross-references (supersession cycles, references to unknown SKUs, shared GTINs...),
    in words, for the user to fix; matching goes on around them."""

    considered: int
    by_status: dict[str, int]
    problems: list[str] = field(default_factory=list)
    # every undecided listing was matched (catalog, settings or rules changed, or --all)
    everything: bool = False


def run_matching(
    db: Database,
    config: MatchingConfig,
    *,
    rematch_all: bool = False,
    workers: int | None = None,
) -> MatchSummary:
    """Match the listings that need it: new or changed ones, or, when the catalog, the
    cross-references, the matching settings or rules changed since the last run (or
    ``rematch_all``), every listing no person has decided. ``workers``: processes to
    match on (default: the cores available); the decisions are the same for any."""
    with db.session() as session:
        catalog = load_catalog_rows(session, config)
        everything = rematch_all or stored_fingerprint(session) != catalog.fingerprint
        index = CatalogIndex.build(catalog.parts, catalog.xrefs)
        for problem in index.problems:
            log.warning("catalog: %s", problem)
        matcher = Matcher(index, config)
        decided = select(Match.listing_id).where(Match.status.in_(HUMAN_MATCH_STATUSES))
        unmatched = ~select(Match.id).where(Match.listing_id == Listing.id).exists()
        # plain rows, not ORM objects: nothing here changes a listing through the session
        stmt = select(*LISTING_INPUT_COLUMNS).where(Listing.id.not_in(decided))
        if not everything:
            stmt = stmt.where(Listing.needs_match | unmatched)
        listings = [ListingInput(*row) for row in session.execute(stmt.order_by(Listing.id))]
        counts: Counter[str] = Counter()
        # fitted on the people's decisions before matching; None while there are too few
        model = fit_learned(session, matcher, config.learned)

        def rows() -> Iterator[tuple[object, ...]]:
            now = utcnow()
            found = imatch(matcher, listings, default_workers() if workers is None else workers)
            for listing, r in zip(listings, found, strict=True):
                probability = None
                if model is not None:
                    ((r, probability),) = model.apply(matcher, [listing], [r])
                counts[r.status] += 1
                yield (
                    r.listing_id,
                    r.sku,
                    r.method,
                    r.confidence,
                    r.status,
                    r.competitor_part_number,
                    r.note,
                    r.relation,
                    r.evidence,
                    None if probability is None else round(probability, 4),
                    now,
                )

        # results are stored as the workers hand them over
        fast_upsert(session, Match, _MATCH_COLUMNS, rows(), keys=["listing_id"],
                    update=_MATCH_COLUMNS[1:])
        ids = [row.listing_id for row in listings]
        for start in range(0, len(ids), 500):
            session.execute(
                update(Listing)
                .where(Listing.id.in_(ids[start : start + 500]))
                .values(needs_match=False)
                .execution_options(synchronize_session=False)
            )
        save_fingerprint(session, catalog.fingerprint)
    return MatchSummary(
        len(listings),
        dict(counts),
        list(index.problems),
        everything=everything,
    )


def decide(
    session: Session,
    match_id: int,
    *,
    status: str,
    who: str,
    sku: str | None = None,
    note: str | None = None,
    relation: str | None = None,
) -> Match:
    """Record a person's confirm or reject; it wins over every later automatic run.

    ``relation`` (``same``, ``alternative``, ``kit``) corrects the matcher's; a person
    who names another SKU without one gets ``same``."""
    if status not in HUMAN_MATCH_STATUSES:
        raise ValueError(status)
    if relation is not None and relation not in MATCH_RELATIONS:
        raise ValueError(
            f"relation {relation!r} is not one of {', '.join(MATCH_RELATIONS)}"
        )
    match = session.get(Match, match_id)
    if match is None:
        raise NotFoundError(f"no match {match_id}")
    if sku is not None:
        if session.scalar(select(Part.id).where(Part.sku == sku)) is None:
            raise NotFoundError(f"no SKU {sku!r} in the catalog")
        match.sku = sku
        match.method = "manual"
        match.relation = relation or "same"
        match.evidence = f"chosen by {who}"
    if status == MatchStatus.confirmed and match.sku is None:
        raise NotFoundError(f"match {match_id} has no SKU to confirm; give one with --sku")
    if relation is not None:
        match.relation = relation
    if status == MatchStatus.confirmed and match.relation is None:
        match.relation = "same"
    match.status = status
    match.confidence = 1.0
    match.decided_by, match.decided_at, match.note = who, utcnow(), note
    match.updated_at = utcnow()
    return match
