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
    Candidate,
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

        A code after "for / fits / replaces" (``Hydraulic filter for 6120M``), or one in
        a list of codes of one shape (``Fuel filter element, 5075E, 5085E``), names the
        machines the part fits, not the part: it is left out. A long description may
        name the part by several codes (``HP 61XL ... (CH563WN)``, ``WH-1000XM4 ...
        model WH1000XM4/B``): each one that is not such a machine is kept. A plain
        number counts when it follows the maker's name (``Klein Tools 11061``).

        Also fills ``description_keys`` (every number-like key in any description: the
        catalog's vocabulary of codes, sizes and series) and ``codes_by_sku`` (each
        current SKU's part number and description codes)."""
        seen: dict[str, set[str]] = {}
        machines: set[str] = set()
        vocabulary: set[str] = set()
        codes_by_sku: dict[str, set[str]] = {}
        for sku, part in self.parts.items():
            current = self.resolved[sku].sku
            found = find_part_numbers(part.description)
            vocabulary.update(c.key for c in found)
            tokens = text_tokens(part.description)
            after_brand = _after_brand(tokens, self.part_brand[sku])
            cands = [
                c
                for c in found
                if (c.score >= _CODE_MIN_SCORE or c.start == after_brand)
                and c.key not in self.by_number
                and not _DIMENSIONS.match(c.key)
            ]
            spans = {(c.start, c.end) for c in found}
            mine = codes_by_sku.setdefault(current, set())
            mine.add(normalize_part_number(part.part_number))
            for cand in cands:
                # counted even when it names a machine: a code two parts share names neither
                seen.setdefault(cand.key, set()).add(current)
                mine.add(cand.key)
                if _in_list(cand, cands, spans) or (
                    number_context(tokens, cand.start, cand.end) is not None
                ):
                    machines.add(cand.key)
        self.description_keys: frozenset[str] = frozenset(vocabulary)
        self.codes_by_sku: dict[str, frozenset[str]] = {
            sku: frozenset(codes) for sku, codes in codes_by_sku.items()
        }
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


def _in_list(cand: Candidate, cands: list[Candidate], spans: set[tuple[int, int]]) -> bool:
    """Whether ``cand`` stands right next to another code that is not one number with it
    (``5075E, 5085E``): a list of machines."""
    for other in cands:
        if other.end == cand.start:
            joined = (other.start, cand.end)
        elif other.start == cand.end:
            joined = (cand.start, other.end)
        else:
            continue
        if joined not in spans or _shape(cand.key) == _shape(other.key):
            return True
    return False


def _shape(key: str) -> str:
    """``5075E`` -> ``9999A``: two codes of one shape side by side are a list of models
    (``5075E, 5085E``); a model and a spec (``R7000 - AC1900``) are not."""
    return "".join("9" if c.isdigit() else "A" if c.isalpha() else c for c in key)


def _after_brand(tokens: list[str], brand: str) -> int:
    """The token position right after the part's brand written at the start of its
    description (``Klein Tools 11061 ...`` -> 2); -1 when it is not there."""
    if not brand:
        return -1
    joined = ""
    for i, tok in enumerate(tokens[:3]):
        joined += normalize_part_number(tok)
        if joined == brand:
            return i + 1
    return -1


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
