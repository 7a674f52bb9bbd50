"""The values matching takes and returns: plain frozen dataclasses, no ORM objects.

The database glue turns ``Part``/``CrossReference``/``Listing`` rows into these and
writes a :class:`MatchResult` back as a ``Match`` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "MATCH_RELATIONS",
    "METHODS",
    "RELATIONS",
    "STATUSES",
    "CatalogPart",
    "CrossRef",
    "ListingInput",
    "MatchResult",
    "MatchStatus",
]

METHODS = ("gtin", "xref", "part_number", "title_part_number", "replaces", "fuzzy", "none")


class MatchStatus(StrEnum):
    """A match's status (``Match.status``): the matcher decides ``auto``,
    ``needs_review`` or ``unmatched``; a person ``confirmed`` or ``rejected``.

    Stored as the plain string (members equal their values)."""

    auto = "auto"
    needs_review = "needs_review"
    unmatched = "unmatched"
    confirmed = "confirmed"
    rejected = "rejected"


# what the matcher itself decides
STATUSES = (MatchStatus.auto, MatchStatus.needs_review, MatchStatus.unmatched)
# How a cross-reference's number relates to our SKU (the xref file's ``relation``).
RELATIONS = ("equivalent", "superseded", "kit")
# How a matched listing relates to our SKU: ``same`` (our part, resold), ``alternative``
# (a competitor's part that replaces ours: a cross-reference, or a title that says it
# replaces our number) or ``kit`` (a competitor's kit standing for our kit SKU).
MATCH_RELATIONS = ("same", "alternative", "kit")


@dataclass(frozen=True, slots=True)
class CatalogPart:
    """One of our SKUs, as far as matching needs it."""

    sku: str
    part_number: str
    brand: str
    description: str
    category: str
    gtin: str | None = None
    pack_qty: int = 1
    superseded_by: str | None = None


@dataclass(frozen=True, slots=True)
class CrossRef:
    """A competitor's part number known to stand for one of our SKUs.

    ``relation``: ``equivalent`` (same part under another number), ``superseded`` (an
    old number that our SKU replaces) or ``kit`` (the competitor's kit that our kit SKU
    corresponds to; contents may differ, so it is reviewed by default).
    """

    competitor_brand: str
    competitor_part_number: str
    sku: str
    relation: str = "equivalent"


@dataclass(frozen=True, slots=True)
class ListingInput:
    """What a competitor listing says about itself; every field but the title may be missing."""

    listing_id: int
    competitor: str
    title: str
    brand: str | None = None
    part_number: str | None = None
    gtin: str | None = None
    pack_qty: int | None = None


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Which SKU a listing is, how it was found, how sure, and whether it may be used.

    ``method``: one of :data:`METHODS`. ``status``: ``auto`` (used as is),
    ``needs_review`` (a person decides) or ``unmatched`` (``sku`` is ``None``).
    ``confidence`` is in [0, 1]. ``competitor_part_number`` is the number the listing
    was matched on (the field, or the text found in the title). ``note`` says in words
    what a reviewer should know: a supersession followed, a kit, a conflict, a
    near-miss part number. ``relation``: one of :data:`MATCH_RELATIONS` (``None`` when
    unmatched). ``evidence``: the fact the match rests on, in words a person can check
    against the listing (``title: "replaces RE464325"``, ``cross-reference MANN-FILTER
    W 712/75 (equivalent)``).
    """

    listing_id: int
    sku: str | None
    method: str
    confidence: float
    status: str
    competitor_part_number: str | None
    note: str | None = None
    relation: str | None = None
    evidence: str | None = None
