"""What the match step reads, read fast, and whether it changed since the last run.

The catalog and the cross-references are read as plain rows (no ORM objects, which
cost more to build than the matching values they become). Their fingerprint, with the
matching settings and the matching code, is stored after each run: while it stays the
same only new or changed listings need matching, since every other listing would get
the decision it already has.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.matching.config import MatchingConfig
from pricing.matching.records import CatalogPart, CrossRef
from pricing.storage.bulk import upsert
from pricing.storage.models import CrossReference, Listing, MatchState, Part, utcnow

__all__ = ["CatalogRows", "load_catalog_rows", "save_fingerprint", "stored_fingerprint"]

_STATE_ID = 1
# a listing as the matcher reads it (``ListingInput``'s fields, in order)
LISTING_INPUT_COLUMNS = (
    Listing.id,
    Listing.competitor,
    Listing.title,
    Listing.brand,
    Listing.part_number,
    Listing.gtin,
    Listing.pack_qty,
)


@dataclass(frozen=True)
class CatalogRows:
    """The catalog and cross-references as matching values, with their fingerprint."""

    parts: list[CatalogPart]
    xrefs: list[CrossRef]
    fingerprint: str


@cache
def _code_digest() -> str:
    """The matching code itself: new rules after an upgrade make a full run."""
    digest = hashlib.sha256()
    package = resources.files("pricing.matching")
    for entry in sorted(package.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            digest.update(entry.name.encode())
            digest.update(entry.read_bytes())
    return digest.hexdigest()


def load_catalog_rows(session: Session, config: MatchingConfig) -> CatalogRows:
    """Every part and cross-reference, in id order, and the fingerprint of what the
    matcher would decide from: these rows, ``config`` and the matching code."""
    parts = [
        CatalogPart(**row._asdict())
        for row in session.execute(
            select(
                Part.sku,
                Part.part_number,
                Part.brand,
                Part.description,
                Part.category,
                Part.gtin,
                Part.pack_qty,
                Part.superseded_by,
            ).order_by(Part.id)
        )
    ]
    xrefs = [
        CrossRef(**row._asdict())
        for row in session.execute(
            select(
                CrossReference.competitor_brand,
                CrossReference.competitor_part_number,
                CrossReference.sku,
                CrossReference.relation,
            ).order_by(CrossReference.id)
        )
    ]
    digest = hashlib.sha256()
    digest.update(_code_digest().encode())
    digest.update(config.model_dump_json().encode())
    digest.update(repr(parts).encode())
    digest.update(repr(xrefs).encode())
    return CatalogRows(parts, xrefs, digest.hexdigest())


def stored_fingerprint(session: Session) -> str | None:
    """The fingerprint the last matching run stored, or None before the first."""
    return session.scalar(select(MatchState.fingerprint).where(MatchState.id == _STATE_ID))


def save_fingerprint(session: Session, fingerprint: str) -> None:
    upsert(
        session,
        MatchState,
        [{"id": _STATE_ID, "fingerprint": fingerprint, "matched_at": utcnow()}],
        keys=["id"],
        update=["fingerprint", "matched_at"],
    )
