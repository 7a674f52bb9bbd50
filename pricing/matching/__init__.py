"""Normalization and matching: competitor listings to our SKUs, as pure functions.

Build a :class:`CatalogIndex` from :class:`CatalogPart` and :class:`CrossRef` values,
then ``Matcher(index, MatchingConfig()).match_many(listings)`` gives one
:class:`MatchResult` per :class:`ListingInput`. No database, no I/O: the storage glue
converts rows to these values and back.
"""

from __future__ import annotations

from pricing.matching.config import MatchingConfig
from pricing.matching.index import CatalogIndex
from pricing.matching.matcher import Matcher
from pricing.matching.normalize import (
    normalize_brand,
    normalize_gtin,
    normalize_part_number,
    part_number_candidates,
)
from pricing.matching.records import CatalogPart, CrossRef, ListingInput, MatchResult

__all__ = [
    "CatalogIndex",
    "CatalogPart",
    "CrossRef",
    "ListingInput",
    "MatchResult",
    "Matcher",
    "MatchingConfig",
    "normalize_brand",
    "normalize_gtin",
    "normalize_part_number",
    "part_number_candidates",
]
