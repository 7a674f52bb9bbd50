"""The catalog and cross-references, indexed once for matching many listings.

Built from plain values; every lookup is a dictionary access. Supersession chains are
resolved at build time: every SKU knows its current SKU.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from pricing.matching.context import number_context
from pricing.matching.fuzzy import FuzzyIndex
from pricing.matching.normalize import (
    find_part_numbers,
    normalize_brand,
    normalize_gtin,
    normalize_part_number,
    text_tokens,
)
from pricing.matching.records import RELATIONS, CatalogPart, CrossRef

__all__ = ["CatalogIndex", "IndexedXref", "Resolved"]

# A description candidate must look like a model number (letters and digits, or a long
# digit run), not like a size: see normalize._score.
_CODE_MIN_SCORE = 2.0
# Sizes and threads (45x62x8, 245x180x50, M20x1.5) describe, they do not identify.
_DIMENSIONS = re.compile(r"^M?\d+(?:X\d+)+$")


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where a SKU's supersession chain ends. ``ok`` is False when the chain is broken
    (a cycle): then ``sku`` is the SKU itself and a person should look."""

    sku: str
    note: str | None
    ok: bool


@dataclass(frozen=True, slots=True)
class IndexedXref:
    """A cross-reference with its brand normalized once."""

    brand: str  # normalized competitor brand
    xref: CrossRef


def _add(table: dict[str, list[str]], key: str, sku: str) -> None:
    if key:
        skus = table.setdefault(key, [])
        if sku not in skus:
            skus.append(sku)


class CatalogIndex:
    """Our parts and the cross-references, keyed for matching.

    Keys are normalized part numbers (``by_number``, ``xrefs_by_number``, and the same
    with leading zeros dropped), 14-digit GTINs (``by_gtin``) and model numbers written
    in our descriptions that name one SKU (``by_description_code``). ``resolved`` maps
    every SKU to the end of its supersession chain. ``problems`` lists what was wrong in
    the data (cycles, dangling references, invalid or shared GTINs), in words, for the
    caller to log.
    """

    def __init__(self, parts: list[CatalogPart], xrefs: list[CrossRef]) -> None:
        self.parts: dict[str, CatalogPart] = {}
        self.problems: list[str] = []
        for part in parts:
            if part.sku in self.parts:
                self.problems.append(f"SKU {part.sku} appears twice; the later row is used")
            self.parts[part.sku] = part
        self.part_brand: dict[str, str] = {
            sku: normalize_brand(p.brand) for sku, p in self.parts.items()
        }
        self.resolved: dict[str, Resolved] = {sku: self._resolve(sku) for sku in self.parts}

        self.by_number: dict[str, list[str]] = {}
        self.by_number_unpadded: dict[str, list[str]] = {}
        self.by_gtin: dict[str, list[str]] = {}
        for sku, part in self.parts.items():
            key = normalize_part_number(part.part_number)
            _add(self.by_number, key, sku)
            _add(self.by_number_unpadded, key.lstrip("0"), sku)
            if part.gtin:
                gtin = normalize_gtin(part.gtin)
                if gtin is None:
                    self.problems.append(f"SKU {sku}: GTIN {part.gtin!r} is not valid; ignored")
                else:
                    _add(self.by_gtin, gtin, sku)
        for gtin, skus in self.by_gtin.items():
            if len(skus) > 1:
                self.problems.append(f"GTIN {gtin} is on several SKUs: {', '.join(skus)}")

        self.xrefs_by_number: dict[str, list[IndexedXref]] = {}
        self.xrefs_by_unpadded: dict[str, list[IndexedXref]] = {}
        for xref in xrefs:
            if xref.sku not in self.parts:
                self.problems.append(
                    f"cross-reference {xref.competitor_brand} {xref.competitor_part_number} "
                    f"points to unknown SKU {xref.sku}; ignored"
                )
                continue
            if xref.relation not in RELATIONS:
                self.problems.append(
                    f"cross-reference {xref.competitor_brand} {xref.competitor_part_number}: "
                    f"unknown relation {xref.relation!r}; ignored"
                )
                continue
            key = normalize_part_number(xref.competitor_part_number)
            if not key:
                continue
            entry = IndexedXref(normalize_brand(xref.competitor_brand), xref)
            self.xrefs_by_number.setdefault(key, []).append(entry)
            self.xrefs_by_unpadded.setdefault(key.lstrip("0"), []).append(entry)

        self.by_description_code = self._description_codes()
        self.brands: frozenset[str] = frozenset(
            b for b in (*self.part_brand.values(), *self._xref_brands()) if b
        )
        # brand names as written (for initials: "Western Digital" -> WD)
        self.brand_names: frozenset[str] = frozenset(
            [p.brand for p in self.parts.values() if p.brand]
            + [x.competitor_brand for x in xrefs if x.competitor_brand]
        )

    def _description_codes(self) -> dict[str, list[str]]:
        """Model numbers written in our descriptions (``Sony turntable - PSLX350H``) that
        name exactly one current SKU and are nobody's part number: a second, weaker way
        to find a SKU by number.

        A code after "for / fits / replaces" (``Hydraulic filter for 6120M``), or one of
        several codes in one description (``Fuel filter element, 5075E, 5085E``), names
        the machines the part fits, not the part: it is left out."""
        seen: dict[str, set[str]] = {}
        machines: set[str] = set()
        for sku, part in self.parts.items():
            current = self.resolved[sku].sku
            cands = [
                c
                for c in find_part_numbers(part.description)
                if c.score >= _CODE_MIN_SCORE
                and c.key not in self.by_number
                and not _DIMENSIONS.match(c.key)
            ]
            tokens = text_tokens(part.description)
            for cand in cands:
                # counted even when it names a machine: a code two parts share names neither
                seen.setdefault(cand.key, set()).add(current)
                if len(cands) > 1 or number_context(tokens, cand.start, cand.end) is not None:
                    machines.add(cand.key)
        return {
            key: sorted(skus)
            for key, skus in seen.items()
            if len(skus) == 1 and key not in machines
        }

    @classmethod
    def build(cls, parts: Iterable[CatalogPart], xrefs: Iterable[CrossRef]) -> CatalogIndex:
        """Index ``parts`` and ``xrefs``. Cross-references to unknown SKUs are dropped
        (and listed in ``problems``)."""
        return cls(list(parts), list(xrefs))

    def _xref_brands(self) -> Iterable[str]:
        for entries in self.xrefs_by_number.values():
            for entry in entries:
                yield entry.brand

    def _resolve(self, sku: str) -> Resolved:
        seen = [sku]
        current = sku
        while True:
            nxt = (self.parts[current].superseded_by or "").strip()
            if not nxt or nxt == current:
                break
            if nxt not in self.parts:
                self.problems.append(f"SKU {current} is superseded by unknown SKU {nxt}")
                break
            if nxt in seen:
                chain = " -> ".join([*seen, nxt])
                self.problems.append(f"supersession cycle: {chain}")
                return Resolved(sku, f"supersession cycle {chain}", ok=False)
            seen.append(nxt)
            current = nxt
        if current == sku:
            return Resolved(sku, None, ok=True)
        return Resolved(current, f"superseded: {' -> '.join(seen)}", ok=True)

    def current_sku(self, sku: str) -> Resolved:
        """The SKU that ``sku`` resolves to through ``superseded_by`` (cycle-safe)."""
        return self.resolved[sku]

    @cached_property
    def fuzzy(self) -> FuzzyIndex:
        """The blocking index for fuzzy matching, built on first use (current SKUs only:
        a superseded part is found through its successor)."""
        live = [p for sku, p in self.parts.items() if self.resolved[sku].sku == sku]
        return FuzzyIndex(live)

    @cached_property
    def near_index(self) -> dict[str, set[str]]:
        """One-deletion neighbourhoods of every known number (ours and the
        cross-references'), to find numbers one edit away without a full scan."""
        table: dict[str, set[str]] = {}
        for key in (*self.by_number, *self.xrefs_by_number):
            for variant in _deletions(key):
                table.setdefault(variant, set()).add(key)
        return table

    def near_numbers(self, key: str) -> set[str]:
        """Known numbers at edit distance exactly 1 from ``key`` (insert, delete or
        substitute one character, or swap two neighbours)."""
        found: set[str] = set()
        for variant in _deletions(key):
            found |= self.near_index.get(variant, set())
        return {k for k in found if k != key and _one_edit(key, k)}


def _deletions(key: str) -> set[str]:
    return {key} | {key[:i] + key[i + 1 :] for i in range(len(key))}


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
