"""Labelled listings and how well a matcher does on them: precision and recall, overall
and per relation.

Only ``auto`` matches count as predictions (they are what reaches the optimizer); a
listing reviewed or left unmatched is a miss when it has a right SKU. Used by the tests
and by ``benchmarks/bench_matching.py --labelled``, so both count the same way.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pricing.matching.matcher import Matcher
from pricing.matching.records import (
    MATCH_RELATIONS,
    CatalogPart,
    CrossRef,
    ListingInput,
    MatchResult,
    MatchStatus,
)
from pricing.scores import Tally

__all__ = [
    "LABELLED_SETS",
    "Labelled",
    "LabelledSet",
    "Scores",
    "Tally",
    "load_catalog",
    "load_labelled",
    "load_xrefs",
    "score",
]


@dataclass(frozen=True, slots=True)
class Labelled:
    """A listing and what it truly is (``sku`` None: none of ours)."""

    listing: ListingInput
    sku: str | None
    relation: str | None
    case: str


@dataclass(frozen=True, slots=True)
class LabelledSet:
    """One labelled set in ``tests/data`` (see its README): a catalog, optional
    cross-references, a development part rules are tuned on and a frozen part that is
    only measured."""

    name: str
    catalog: str
    xrefs: str | None
    development: str
    frozen: str

    def index_inputs(self, folder: Path) -> tuple[list[CatalogPart], list[CrossRef]]:
        """The catalog and cross-references of this set, read from ``folder``."""
        xrefs = load_xrefs(folder / self.xrefs) if self.xrefs else []
        return load_catalog(folder / self.catalog), xrefs

    def parts(self) -> dict[str, str]:
        """``{"development": file, "frozen": file}``."""
        return {"development": self.development, "frozen": self.frozen}


LABELLED_SETS = (
    # aftermarket parts: our numbers, cross-references, replace phrases, relations
    LabelledSet("aftermarket", "matching_catalog.csv", "matching_xrefs.csv",
                "matching_labeled.csv", "matching_frozen.csv"),
    # electronics and tools written as free text on both sides: the model number is
    # somewhere in a long description, brands are written several ways
    LabelledSet("freetext", "freetext_catalog.csv", None,
                "freetext_dev.csv", "freetext_frozen.csv"),
    # records with brand and model-number fields whose titles can mislead
    LabelledSet("structured", "structured_catalog.csv", None,
                "structured_dev.csv", "structured_frozen.csv"),
)


@dataclass(slots=True)
class Scores:
    """``sku``: the right SKU, whatever the relation. ``by_relation[R]``: a prediction
    with relation R is right when the SKU and the relation both are; a listing whose
    true relation is R is found when the SKU and the relation both are. ``wrong``: the
    auto matches that are not right (SKU), for a developer to read."""

    listings: int = 0
    sku: Tally = field(default_factory=Tally)
    by_relation: dict[str, Tally] = field(
        default_factory=lambda: {r: Tally() for r in MATCH_RELATIONS}
    )
    wrong: list[tuple[Labelled, MatchResult]] = field(default_factory=list)
    missed: list[tuple[Labelled, MatchResult]] = field(default_factory=list)


def score(matcher: Matcher, labelled: Iterable[Labelled]) -> Scores:
    """Match every labelled listing and count."""
    out = Scores()
    for item in labelled:
        out.listings += 1
        result = matcher.match(item.listing)
        predicted = result.sku if result.status == MatchStatus.auto else None
        right_sku = predicted is not None and predicted == item.sku
        if predicted:
            if right_sku:
                out.sku.tp += 1
            else:
                out.sku.fp += 1
                out.wrong.append((item, result))
        if item.sku and not right_sku:
            out.sku.fn += 1
            out.missed.append((item, result))
        relation = result.relation if predicted else None
        both = right_sku and relation == item.relation
        if relation in out.by_relation:
            tally = out.by_relation[relation]
            tally.tp += both
            tally.fp += not both
        if item.sku and item.relation in out.by_relation and not both:
            out.by_relation[item.relation].fn += 1
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_catalog(path: Path) -> list[CatalogPart]:
    """A catalog CSV (the columns ``pricing catalog import`` reads) as matcher values."""
    return [
        CatalogPart(
            r["sku"],
            r["part_number"],
            r["brand"],
            r["description"],
            r["category"],
            r.get("gtin") or None,
            int(r.get("pack_qty") or 1),
            r.get("superseded_by") or None,
        )
        for r in _rows(path)
    ]


def load_xrefs(path: Path) -> list[CrossRef]:
    """A cross-reference CSV as matcher values."""
    return [
        CrossRef(
            r["competitor_brand"],
            r["competitor_part_number"],
            r["sku"],
            r.get("relation") or "equivalent",
        )
        for r in _rows(path)
    ]


def load_labelled(path: Path) -> list[Labelled]:
    """Labelled listings: the listing's columns plus ``expected_sku``,
    ``expected_relation`` and ``case``."""
    return [
        Labelled(
            ListingInput(
                int(r["listing_id"]),
                r["competitor"],
                r["title"],
                r["brand"] or None,
                r["part_number"] or None,
                r["gtin"] or None,
                int(r["pack_qty"]) if r["pack_qty"] else None,
            ),
            r["expected_sku"] or None,
            r.get("expected_relation") or None,
            r["case"],
        )
        for r in _rows(path)
    ]
