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

from pricing.matching.normalize import _BRAND_NOISE, _ascii_fold, normalize_brand

__all__ = ["BrandRules", "TitleBrands", "acronym_aliases"]

_WORDS = re.compile(r"[A-Z0-9]+")
_MAX_BRAND_WORDS = 3
_MIN_AFFIX = 3
_LEGAL_WORDS = _BRAND_NOISE  # legal forms and generic words, not the maker


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
        self.makers = known  # the brands of the catalog and cross-references themselves
        self.known = (
            known
            | frozenset(self.canon(b) for b in known)
            | frozenset(self.aliases)
            | frozenset(self.aliases.values())
        )

    def canon(self, brand: str) -> str:
        """``brand`` (normalized) after aliasing."""
        return self.aliases.get(brand, brand)

    def of_field(self, raw: str | None) -> str:
        """A listing's brand field, normalized and aliased; a spelling the catalog does
        not know is read as the known brand it abbreviates or joins with "and":
        ``Hewlett Packard`` is ``HP``, ``Black and Decker`` is ``BLACK+DECKER``."""
        brand = self.canon(normalize_brand(raw))
        if not brand or brand in self.known:
            return brand
        words = [w for w in words_of(raw or "") if w not in _LEGAL_WORDS]
        return self._spelled(words) or brand

    def _spelled(self, words: list[str]) -> str:
        """The known brand ``words`` spell as initials or with "and" between, or ``""``."""
        if len(words) < 2 or not all(w.isalpha() for w in words):
            return ""
        joined = "".join(w for w in words if w != "AND")
        if joined in self.known:
            return self.canon(joined)
        # initials only of a maker that is written so itself ("HP"), not of an alias
        # that initials made ("BD" for Black & Decker is no "Black Diamond")
        initials = "".join(w[0] for w in words if w != "AND")
        if len(initials) >= 2 and initials in self.makers:
            return self.canon(initials)
        return ""

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
            # "Black and Decker" for BLACK+DECKER
            if i + 2 < len(words) and words[i + 1] == "AND":
                spelled = self._spelled(words[i : i + 3])
                if spelled:
                    mentioned.add(spelled)
                    leading = leading or (spelled if i == 0 else "")
        if not leading:
            # a title that starts with a brand's words spelled out: "Hewlett Packard ..."
            for n in (2, 3):
                spelled = self._spelled(words[:n]) if len(words) > n else ""
                if spelled and all(len(w) >= 3 for w in words[:n]):
                    leading = spelled
                    mentioned.add(spelled)
                    break
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
