"""Normalization of part numbers, brands and GTINs, and part numbers found in free text.

Everything here is a pure function of its arguments.

Decisions, documented once:

* A normalized part number is upper case with the separators ``- / . _``, the Unicode
  dashes and all whitespace removed; **every other character is kept**, so two numbers
  that differ in one character stay different (``FX-4471`` and ``FX-4472``).
* **Leading zeros are kept.** They are significant in many numbering schemes (Bosch
  ``0 986 452 041`` vs ``1 987 ...``). Spreadsheets that ate a leading zero are handled
  by the matcher as a weaker, separately reported lookup, not here.
* A normalized brand is upper case ASCII letters and digits only (accents folded,
  punctuation and spaces dropped), with trailing legal-form and generic words removed:
  ``"Mann-Filter"``, ``"MANN FILTER GmbH"`` and ``"mann"`` all give ``"MANN"``;
  placeholders (``"Unbranded"``, ``"Generic"``, ``"N/A"``) give ``""``, no brand.
* A GTIN is accepted only with a valid check digit and returned in its 14-digit form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "Candidate",
    "canonical_sizes",
    "find_part_numbers",
    "gtin_check_digit",
    "normalize_brand",
    "normalize_gtin",
    "normalize_part_number",
    "part_number_candidates",
    "text_tokens",
]

_PN_SEPARATORS = re.compile(r"[\s\-/._\u2010-\u2015\u2212\u00ad]+")


def normalize_part_number(text: str) -> str:
    """Return ``text`` as a comparable part-number key.

    Upper case, NFKC-folded (full-width characters become ASCII), separators
    ``- / . _`` and whitespace removed, leading zeros and every other character kept:

    >>> normalize_part_number("fx 4471"), normalize_part_number("0986 452 041")
    ('FX4471', '0986452041')
    >>> normalize_part_number("W 712/75")
    'W71275'
    """
    folded = unicodedata.normalize("NFKC", text or "").upper()
    return _PN_SEPARATORS.sub("", folded)


# Trailing words that say what kind of company it is, not which one.
_BRAND_NOISE = frozenset(
    {
        "AB", "AG", "AS", "BV", "CO", "COMPANY", "CORP", "CORPORATION", "GMBH", "INC",
        "INCORPORATED", "KG", "KK", "LIMITED", "LLC", "LTD", "NV", "OY", "PLC", "PTY",
        "SA", "SARL", "SAS", "SE", "SPA", "SRL",
        "AFTERMARKET", "AUTOMOTIVE", "AUTOPARTS", "EUROPE", "FILTER", "FILTERS",
        "GERMANY", "GROUP", "INDUSTRIES", "INTERNATIONAL", "PARTS", "USA",
    }
)  # fmt: skip
_BRAND_WORDS = re.compile(r"[A-Z0-9]+")
# What shops write when they do not know the maker: no brand at all.
_NO_BRAND = frozenset(
    {"NA", "NONE", "NULL", "UNKNOWN", "UNBRANDED", "GENERIC", "NOBRAND", "NONAME",
     "DOESNOTAPPLY", "NOTAPPLICABLE", "OTHER", "OEM", "AFTERMARKET"}
)  # fmt: skip


def _ascii_fold(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_brand(text: str | None) -> str:
    """Return a comparable brand key; ``""`` for a missing or empty brand.

    >>> normalize_brand("Mann-Filter"), normalize_brand("Robert Bosch GmbH")
    ('MANN', 'ROBERTBOSCH')
    >>> normalize_brand("K&N Filters"), normalize_brand(None)
    ('KN', '')
    """
    if not text:
        return ""
    folded = _ascii_fold(unicodedata.normalize("NFKC", text)).upper().replace("&", "")
    words = _BRAND_WORDS.findall(folded)
    while len(words) > 1 and words[-1] in _BRAND_NOISE:
        words.pop()
    brand = "".join(words)
    return "" if brand in _NO_BRAND else brand


# A number and its unit; the unit spelled out or abbreviated, after an optional space.
# Not inside a dimension (``45x62x8``) or another number (the look-behind).
_SIZE = re.compile(
    r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*"
    r"(cm³|cm3|ccm|cc|cm|mm|m|volts?|v|amperes?|amps?|a|litres?|liters?|ltr|l)(?!\w)",
    re.IGNORECASE,
)
# unit -> (canonical unit, factor): lengths in mm, volumes of displacement in cc
_SIZE_UNITS = {
    "cm³": ("cc", 1), "cm3": ("cc", 1), "ccm": ("cc", 1), "cc": ("cc", 1),
    "cm": ("mm", 10), "mm": ("mm", 1), "m": ("mm", 1000),
    "volt": ("V", 1), "volts": ("V", 1), "v": ("V", 1),
    "ampere": ("A", 1), "amperes": ("A", 1), "amp": ("A", 1), "amps": ("A", 1), "a": ("A", 1),
    "litre": ("L", 1), "litres": ("L", 1), "liter": ("L", 1), "liters": ("L", 1),
    "ltr": ("L", 1), "l": ("L", 1),
}  # fmt: skip


def _canonical_size(match: re.Match[str]) -> str:
    unit, factor = _SIZE_UNITS[match.group(2).lower()]
    number = match.group(1)
    if factor != 1:  # converted; a number kept in its unit stays as written ("3.0 mm")
        number = format((Decimal(number.replace(",", ".")) * factor).normalize(), "f")
    return f"{number} {unit}"


def canonical_sizes(text: str) -> str:
    """``text`` with every size in one unit per kind, so sizes compare whatever unit a
    shop writes: lengths in mm, displacement in cc, volts V, amperes A, litres L.

    >>> canonical_sizes("Poly V-belt 115 cm, 12 volt 40 amp, pump 16 cm3")
    'Poly V-belt 1150 mm, 12 V 40 A, pump 16 cc'
    """
    return _SIZE.sub(_canonical_size, text)


_GTIN_SEPARATORS = re.compile(r"[\s\-.]+")


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for ``body`` (all digits but the check digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_gtin(text: str | None) -> str | None:
    """Return the 14-digit GTIN in ``text``, or ``None`` when it is not a valid GTIN.

    GTIN-8, UPC-A (12), EAN-13 and GTIN-14 are accepted, with spaces, hyphens and dots
    between digit groups; anything else (letters, a wrong length, a bad check digit,
    all zeros) gives ``None``.

    >>> normalize_gtin("4006633 12345 6") is None, normalize_gtin("036000291452")
    (True, '00036000291452')
    """
    if not text:
        return None
    digits = _GTIN_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if not digits.isascii() or not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        return None
    if int(digits) == 0 or gtin_check_digit(digits[:-1]) != int(digits[-1]):
        return None
    return digits.zfill(14)


# --- part numbers in free text ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A plausible part number found in free text.

    ``key`` is normalized, ``raw`` the text it came from, ``start``/``end`` the token
    span (end exclusive) so that overlapping candidates can be told apart, ``score``
    how part-number-like it looks (higher is likelier).
    """

    key: str
    raw: str
    start: int
    end: int
    score: float
    extendable: bool = False


# Characters that never belong to a part number in running text.
_TEXT_SPLIT = re.compile(r"[\s,;:()\[\]{}<>\"'|!?*#=+&\u00ae\u2122\u00a9\u201c\u201d\u2018\u2019]+")
_EDGE_PUNCT = "-/._\u2010\u2011\u2012\u2013\u2014\u2015"
_HAS_DIGIT = re.compile(r"\d")
_HAS_LETTER = re.compile(r"[A-Z]")
# Quantities with a unit are attributes, not part numbers: 100mm, 12V, 1.6L, 4pcs.
_MEASURE = re.compile(
    r"^\d+(?:[.,]\d+)?(?:X\d+(?:[.,]\d+)?)?"
    r"(?:MM|CM|M|V|W|KW|A|AH|MAH|L|ML|KG|G|NM|BAR|PSI|IN|INCH|HP|PS|PCS|PC|ST|STK|X|RPM|MP|GB|TB|HZ|MHZ|GHZ)$"
)
_YEARS = re.compile(r"^(?:19|20)\d\d(?:(?:19|20)\d\d|\d\d)?$")
# Words in front of a part number that say "a part number follows".
_LABELS = frozenset(
    {"PN", "MPN", "PART", "PARTNO", "PARTNUMBER", "NO", "NR", "ARTNR", "ART", "REF",
     "OE", "OEM", "OENR", "SKU", "MODEL", "MODELNO", "TEILENR", "ITEM", "CODE"}
)  # fmt: skip
# Short words that must not be glued to a neighbouring number.
_STOPWORDS = frozenset(
    {"FOR", "AND", "THE", "WITH", "FITS", "FIT", "SET", "KIT", "OF", "TO", "IN", "ON", "NEW",
     "OR", "BY", "PER", "PCS", "PC", "X", "A", "AN", "FÜR", "UND", "MIT", "DE", "LA", "LE",
     "ET", "DU", "VON", "ZU", "PACK", "QTY", "REF", "OE", "OEM", "PN", "MPN", "NO", "NR"}
)  # fmt: skip
_MAX_JOIN = 4
# Unit words: after a number they are its unit (``100 mm``), not part of a part number.
_UNIT_WORDS = frozenset(
    {"MM", "CM", "M", "V", "W", "KW", "A", "AH", "L", "ML", "KG", "G", "NM", "IN", "HP",
     "PS", "GB", "TB", "MP", "HZ", "MHZ", "GHZ", "BAR", "PSI", "CC", "MAH"}
)  # fmt: skip
_DECIMAL = re.compile(r"^\d{1,2}[.,]\d{1,2}$")


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text)
    out = []
    for tok in _TEXT_SPLIT.split(folded):
        tok = tok.strip(_EDGE_PUNCT)
        if tok:
            out.append(tok)
    return out


def text_tokens(text: str) -> list[str]:
    """The tokens :func:`find_part_numbers` reads ``text`` as (``Candidate.start`` and
    ``end`` index into them)."""
    return _tokens(text)


def _joinable(token: str) -> bool:
    """Whether ``token`` may be one piece of a part number written with spaces.

    Digit groups (``986``, ``712/75``) and short letter groups (``W``, ``HU``, ``z``;
    three letters only when written in capitals) may; words, measurements, years and
    decimals (``1.6``) may not.
    """
    key = normalize_part_number(token)
    if not key or key in _STOPWORDS:
        return False
    if _HAS_DIGIT.search(key):
        return (
            len(key) <= 8
            and not _MEASURE.match(key)
            and not _YEARS.match(key)
            and not _DECIMAL.match(token)
        )
    if not key.isalpha():
        return False
    return len(key) <= 2 or (len(key) == 3 and token.isupper())


def _joins(left: str, right: str) -> bool:
    """Whether ``right`` may continue a part number that ends with ``left``."""
    if not _joinable(left) or not _joinable(right):
        return False
    return not (_HAS_DIGIT.search(left) and normalize_part_number(right) in _UNIT_WORDS)


def _letter_group(token: str) -> bool:
    return token.isalpha() and len(token) <= 2 and _joinable(token)


def _plausible(key: str) -> bool:
    if not _HAS_DIGIT.search(key) or _MEASURE.match(key) or _YEARS.match(key):
        return False
    if key.isdigit():
        return len(key) >= 5
    return len(key) >= 4


def _score(key: str, raw: str, labelled: bool, pieces: int) -> float:
    score = 3.0 if labelled else 0.0
    if _HAS_LETTER.search(key):
        score += 2.0
    elif len(key) >= 6:
        score += 1.0
    if any(ch in raw for ch in "-/._") or pieces > 1:
        score += 0.5
    return score + min(len(key), 12) / 12


def find_part_numbers(text: str | None) -> list[Candidate]:
    """Every plausible part number in ``text``, most likely first, one per key.

    Single tokens and runs of up to four short adjacent tokens (``0 986 452 041``,
    ``W 712/75``, ``HU 7008 z``) are considered; measurements (``100mm``, ``12V``),
    years and short plain numbers are not. ``extendable`` marks a candidate next to a
    one- or two-letter group that could be part of a longer number (``HU 7008`` in
    ``HU 7008 z``): a hit on it alone is not certain.
    """
    if not text:
        return []
    tokens = _tokens(text)
    keys = [normalize_part_number(t) for t in tokens]
    found: dict[str, Candidate] = {}
    for i in range(len(tokens)):
        labelled = i > 0 and keys[i - 1] in _LABELS
        for n in range(1, _MAX_JOIN + 1):
            if i + n > len(tokens):
                break
            if n > 1 and not _joins(tokens[i + n - 2], tokens[i + n - 1]):
                break
            key = "".join(keys[i : i + n])
            if not _plausible(key):
                continue
            raw = " ".join(tokens[i : i + n])
            before = tokens[i - 1] if i > 0 else ""
            after = tokens[i + n] if i + n < len(tokens) else ""
            extendable = (_letter_group(before) and _joins(before, tokens[i])) or (
                _letter_group(after) and _joins(tokens[i + n - 1], after)
            )
            cand = Candidate(key, raw, i, i + n, _score(key, raw, labelled, n), extendable)
            best = found.get(key)
            if best is None or cand.score > best.score:
                found[key] = cand
    return sorted(found.values(), key=lambda c: (-c.score, c.start, c.end))


def part_number_candidates(text: str) -> list[str]:
    """Plausible part numbers found in free text (a title, a description), normalized,
    most likely first.

    >>> part_number_candidates("MANN-FILTER W 712/75 oil filter, fits VW Golf")[:2]
    ['W71275', '71275']
    """
    return [c.key for c in find_part_numbers(text)]
