"""Which maker a listing names, and whether two brand spellings are the same maker.

Brands are compared in :func:`~pricing.matching.normalize.normalize_brand` form, after
the configured aliases. Two brands agree when equal, or when one begins or ends the
other and is at least three characters long (``MANN``/``MANNHUMMEL``,
``BOSCH``/``ROBERTBOSCH``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pricing.matching.normalize import _ascii_fold

__all__ = ["BrandRules", "TitleBrands", "acronym_aliases"]

_WORDS = re.compile(r"[A-Z0-9]+")
_MAX_BRAND_WORDS = 3
_MIN_AFFIX = 3


def words_of(text: str) -> list[str]:
    """Upper-case ASCII words of ``text`` (``&`` dropped, as normalize_brand does)."""
    return _WORDS.findall(_ascii_fold(text or "").upper().replace("&", ""))


def acronym_aliases(names: Iterable[str], known: Iterable[str]) -> dict[str, str]:
    """Initials of multi-word brand names as aliases (``Western Digital`` -> ``WD``,
    ``Hewlett-Packard`` -> ``HP``), normalized like every brand. An acronym that is a
    brand in its own right, or that two makers share, is left out."""
    taken = frozenset(known)
    found: dict[str, set[str]] = {}
    for name in names:
        words = _WORDS.findall(_ascii_fold(name or "").upper().replace("&", " "))
        if len(words) < 2 or not all(w.isalpha() for w in words):
            continue
        acronym = "".join(w[0] for w in words)
        if len(acronym) >= 2:
            found.setdefault(acronym, set()).add("".join(words))
    return {
        acronym: next(iter(full))
        for acronym, full in found.items()
        if len(full) == 1 and acronym not in taken
    }


@dataclass(frozen=True, slots=True)
class TitleBrands:
    """Known brands found in a title: the one it starts with, and all it names."""

    leading: str
    mentioned: frozenset[str]


class BrandRules:
    """Brand comparison over the brands the catalog and cross-references know."""

    def __init__(self, known: Iterable[str], aliases: Mapping[str, str]) -> None:
        self.aliases = dict(aliases)
        known = frozenset(known)
        self.known = (
            known
            | frozenset(self.canon(b) for b in known)
            | frozenset(self.aliases)
            | frozenset(self.aliases.values())
        )

    def canon(self, brand: str) -> str:
        """``brand`` (normalized) after aliasing."""
        return self.aliases.get(brand, brand)

    def agree(self, a: str, b: str) -> bool:
        """Whether normalized brands ``a`` and ``b`` name the same maker; never for an
        empty brand."""
        if not a or not b:
            return False
        a, b = self.canon(a), self.canon(b)
        if a == b:
            return True
        short, long_ = (a, b) if len(a) < len(b) else (b, a)
        return len(short) >= _MIN_AFFIX and (long_.startswith(short) or long_.endswith(short))

    def in_title(self, title: str | None) -> TitleBrands:
        """Known brands written in ``title`` (one to three words each)."""
        words = words_of(title or "")
        leading, mentioned = "", set()
        for i in range(len(words)):
            for n in range(1, _MAX_BRAND_WORDS + 1):
                if i + n > len(words):
                    break
                window = "".join(words[i : i + n])
                if window in self.known:
                    mentioned.add(self.canon(window))
                    if i == 0:
                        leading = self.canon(window)
        return TitleBrands(leading, frozenset(mentioned))

    def mentioned(self, brand: str, found: TitleBrands) -> bool:
        """Whether ``brand`` agrees with any brand named in the title."""
        return any(self.agree(brand, m) for m in found.mentioned)

    def fits(self, brand: str, part_brand: str, description: str) -> bool | None:
        """Whether a listing's ``brand`` is the maker of a part: True, False, or None when
        it cannot be told (no brand given; the part has none and its description does not
        name this one)."""
        if not brand:
            return None
        if part_brand:
            return self.agree(brand, part_brand)
        words = words_of(description)
        windows = {"".join(words[i : i + n]) for i in range(len(words)) for n in (1, 2)}
        return True if self.canon(brand) in windows or brand in windows else None
