"""Fuzzy title matching with blocking, for listings without a usable part number.

Blocking: an inverted index from title words to catalog parts. A listing proposes only
the parts that share one of its rarest words (``block_tokens`` of them, each in at most
``block_max_postings`` parts), weighted by how rare the shared words are; the best
``max_candidates`` of those, of an agreeing brand, are scored with rapidfuzz. The cost
per listing is bounded by these numbers, not by the size of the catalog.

Attributes: every token with a digit (``M20x1.5``, ``1150mm``, ``5PK1150``) is a
"code". A part whose codes are all in the title, however spaced, is corroborated (a
part without codes only by a title without codes); a part none of whose codes is in a
title that has codes of its own is penalized (``5PK1150`` is not ``5PK1200``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, utils

from pricing.matching.normalize import (
    _MEASURE,
    _YEARS,
    _ascii_fold,
    _tokens,
    canonical_sizes,
    normalize_part_number,
)
from pricing.matching.records import CatalogPart

__all__ = ["FuzzyHit", "FuzzyIndex", "codes_of", "compact", "contains_code", "process"]

_WORD = re.compile(r"[a-z0-9]+")
_HAS_DIGIT = re.compile(r"\d")
_UNIT_SUFFIX = re.compile(r"(?<=\d)[A-Z]+$")
_NON_ALNUM = re.compile(r"[^A-Z0-9|]+")
_DIGIT_GAP = re.compile(r"(?<=\d)[^A-Z0-9]+(?=\d)")
_SPLIT_ALNUM = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
# Words so common in parts titles that they never propose a candidate.
_STOP = frozenset(
    {"for", "and", "the", "with", "fits", "fit", "of", "to", "in", "on", "new", "oem",
     "x", "a", "an", "set", "kit", "pack", "pcs", "part", "parts", "replacement", "genuine",
     "quality", "premium", "universal", "free", "shipping", "fur", "und", "mit"}
)  # fmt: skip
_CONFLICT_PENALTY = 0.75


def compact(text: str) -> str:
    """``text`` upper case, letters and digits only, for finding a code however it is
    spaced: separators vanish except between two digits, where they leave ``|``
    (``M20 x 1.5 79mm`` gives ``M20X1|5|79MM``, so ``1.5`` and ``15`` stay apart)."""
    upper = _ascii_fold(canonical_sizes(text)).upper()
    return _NON_ALNUM.sub("", _DIGIT_GAP.sub("|", upper))


def codes_of(text: str) -> frozenset[str]:
    """The code-like tokens of ``text`` in :func:`compact` form, units stripped from
    measurements (``1150 mm`` and ``1150mm`` both give ``1150``), years left out."""
    out = set()
    for tok in _tokens(canonical_sizes(text)):
        key = normalize_part_number(tok)
        if not _HAS_DIGIT.search(key) or _YEARS.match(key):
            continue
        code = compact(tok)
        if _MEASURE.match(key):
            code = _UNIT_SUFFIX.sub("", code)
        out.add(code)
    return frozenset(out)


def contains_code(compact_text: str, code: str) -> bool:
    """Whether ``code`` occurs in ``compact_text`` with no digit glued to either end
    (``45X62X8`` is not in ``45X62X10``)."""
    start = compact_text.find(code)
    while start >= 0:
        end = start + len(code)
        before = compact_text[start - 1] if start else ""
        after = compact_text[end] if end < len(compact_text) else ""
        if not before.isdigit() and not after.isdigit():
            return True
        start = compact_text.find(code, start + 1)
    return False


def process(text: str) -> str:
    """The text the fuzzy scorer compares: sizes in one unit each (``115 cm`` is
    ``1150 mm``), lower case, accents folded, punctuation to spaces, and letters split
    from digits (``79mm`` -> ``79 mm``, ``245x180`` ->
    ``245 x 180``) so that spacing habits do not count."""
    return _SPLIT_ALNUM.sub(" ", utils.default_process(_ascii_fold(canonical_sizes(text))))


@dataclass(frozen=True, slots=True)
class FuzzyHit:
    """A scored candidate: ``score`` in [0, 1] after the attribute check."""

    sku: str
    score: float
    corroborated: bool
    code_conflict: bool


class FuzzyIndex:
    """Blocking index and scorer over the catalog's brand + description texts."""

    def __init__(self, parts: Iterable[CatalogPart]) -> None:
        self.skus: list[str] = []
        self.texts: list[str] = []
        self.codes: list[frozenset[str]] = []
        self.part_brands: list[str] = []
        postings: dict[str, list[int]] = {}
        for pid, part in enumerate(parts):
            text = process(f"{part.brand} {part.description}")
            self.skus.append(part.sku)
            self.texts.append(text)
            self.codes.append(codes_of(part.description))
            self.part_brands.append(part.brand)
            words = set(_WORD.findall(f"{text} {process(part.category)}"))
            for word in words - _STOP:
                postings.setdefault(word, []).append(pid)
        self.postings: dict[str, np.ndarray] = {
            word: np.asarray(pids, dtype=np.int32) for word, pids in postings.items()
        }
        self._n = max(len(self.skus), 1)
        names = sorted(set(self.part_brands))
        self._brand_names = names
        position = {name: i for i, name in enumerate(names)}
        self._brand_of = np.asarray([position[b] for b in self.part_brands], dtype=np.int32)

    def __len__(self) -> int:
        return len(self.skus)

    def brand_mask(self, keep: Callable[[str], bool]) -> np.ndarray:
        """A boolean mask over part ids: True where ``keep(part's brand)``."""
        wanted = np.asarray([keep(name) for name in self._brand_names], dtype=bool)
        return wanted[self._brand_of] if len(self._brand_of) else np.zeros(0, dtype=bool)

    def candidates(
        self,
        title: str,
        *,
        allowed: np.ndarray | None,
        block_tokens: int,
        block_max_postings: int,
        max_candidates: int,
    ) -> list[int]:
        """Part ids proposed for ``title`` by its rarest words, best-weighted first.

        ``allowed`` (a mask from :meth:`brand_mask`) keeps only parts of an agreeing
        brand; ``None`` keeps all.
        """
        words = set(_WORD.findall(process(title))) - _STOP
        rare = sorted(
            (len(self.postings[w]), w)
            for w in words
            if w in self.postings and len(self.postings[w]) <= block_max_postings
        )[:block_tokens]
        if not rare:
            return []
        ids = np.concatenate([self.postings[w] for _, w in rare])
        idf = np.repeat([math.log(1 + self._n / df) for df, _ in rare], [df for df, _ in rare])
        if allowed is not None:
            keep = allowed[ids]
            ids, idf = ids[keep], idf[keep]
            if not len(ids):
                return []
        unique, inverse = np.unique(ids, return_inverse=True)
        weights = np.bincount(inverse, weights=idf)
        if len(unique) > max_candidates:
            top = np.argpartition(-weights, max_candidates - 1)[:max_candidates]
        else:
            top = np.arange(len(unique))
        order = top[np.lexsort((unique[top], -weights[top]))]
        return [int(pid) for pid in unique[order]]

    def score(self, title: str, part_ids: Sequence[int]) -> list[FuzzyHit]:
        """Score ``part_ids`` against ``title``, best first."""
        query = process(title)
        title_compact = compact(title)
        title_has_codes = bool(codes_of(title))
        hits = []
        for pid in part_ids:
            text = self.texts[pid]
            base = (fuzz.token_sort_ratio(query, text) + fuzz.token_set_ratio(query, text)) / 200
            codes = self.codes[pid]
            present = [contains_code(title_compact, c) for c in codes]
            conflict = bool(codes) and title_has_codes and not any(present)
            corroborated = all(present) and (bool(codes) or not title_has_codes)
            score = base * _CONFLICT_PENALTY if conflict else base
            hits.append(FuzzyHit(self.skus[pid], score, corroborated, conflict))
        hits.sort(key=lambda h: -h.score)
        return hits
