"""Normalization and matching: competitor listings to our SKUs, as pure functions.

Build a :class:`CatalogIndex` from :class:`CatalogPart` and :class:`CrossRef` values,
then ``Matcher(index, MatchingConfig()).match_many(listings)`` gives one
:class:`MatchResult` per :class:`ListingInput`. No database, no I/O: the storage glue
converts rows to these values and back.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Loaded when first asked for: the storage models and the configuration need only the
# records and the settings, and every command would otherwise load the matcher (and
# NumPy) at start-up.
_HOMES = {
    "CatalogIndex": "index",
    "CatalogPart": "records",
    "CrossRef": "records",
    "ListingInput": "records",
    "MatchResult": "records",
    "Matcher": "matcher",
    "MatchingConfig": "config",
    "normalize_brand": "normalize",
    "normalize_gtin": "normalize",
    "normalize_part_number": "normalize",
    "part_number_candidates": "normalize",
}
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


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
