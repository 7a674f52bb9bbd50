"""Pack quantities and per-unit prices, so a 4-pack is compared with a single part fairly.

``pack_qty`` is the number of units a price buys (the SPEC's catalog column); a
listing's comes from its field or, failing that, from its title.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["parse_pack_qty", "unit_price"]

_MAX_PACK = 1000
_N = r"(\d{1,4})"
_PACKS = r"pack|pk|er[- ]?set"
_PIECES = r"pcs?|pieces?|stück|stk|st\.|pezzi|pièces|unidades|units?"
_CONTAINERS = r"pack|pk|pkg|box|bx|case|bag|ctn|carton"
# A count of pieces in a set or kit says what is in the box, not how many boxes.
_KIT = re.compile(
    r"\b(?:set|kit|assortment|sortiment|satz|coffret|jeu|juego|zestaw)\b", re.IGNORECASE)
# After a number these make it a measurement ("76 x 110 mm"), never a pack.
_MEASURES = (
    r"mm|cm|m|in|inch|ft|v|w|kw|a|ah|mah|l|ml|kg|g|nm|bar|psi|um|µm|micron|hp|ps|rpm|"
    r"gb|tb|mb|hz|khz|mhz|ghz|unf|unc|npt|bsp"
)
_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"\b(?:pack|set|box|case|bag|lot|kit)\s+of\s+{_N}\b",
        # "4-pack"; not a belt's rib profile and length ("6PK 1220")
        rf"\b{_N}\s*-?\s*(?:{_PACKS})(?![a-z0-9])(?!\s*\d{{3,}})",
        # "Box/10", "10/box"
        rf"\b(?:{_CONTAINERS})\s*/\s*{_N}\b",
        rf"(?<![\d./,-]){_N}\s*/\s*(?:{_CONTAINERS})\b",
        # "2 pcs", "(10 Stück)" (not in a set or kit: see _KIT)
        rf"\b{_N}\s*-?\s*(?:{_PIECES})(?![a-z0-9])",
        rf"\b(?:qty|quantity|menge|pu|vpe)\s*[:.]?\s*{_N}\b",
        # "2 x Brake disc" at the start of a title
        r"^\s*(\d{1,3})\s*[x×]\s+(?=[^\W\d_])",
        # "Brake pads x2", "(x4)": not a dimension ("76 x 110 mm", "M20 x 1.5", "45x62x8")
        rf"(?<!\d)(?<!\d\s)\b[x×]\s*{_N}\b(?![.,]\d)(?!\s*(?:[x×*]|(?:{_MEASURES})\b|\"))",
    )
]


_PIECES_RULE = _PATTERNS[4]
# Every pattern above needs one of these words or an "x": a title with none of them
# (most part titles) is answered by one scan instead of nine. On ASCII text, lower-cased
# first, the scan needs no case folding and runs several times faster.
_PACK_WORDS = (
    r"of|pack|pk|set|box|case|bag|bx|ctn|carton|pc|piece|stück|stk|st\.|pezzi|pièces|"
    r"unidades|unit|qty|quantity|menge|pu|vpe|[x×]"
)
_MAY_STATE_PACK = re.compile(_PACK_WORDS, re.IGNORECASE)
_MAY_STATE_PACK_LOWER = re.compile(_PACK_WORDS)


def _may_state_pack(text: str) -> bool:
    if text.isascii():
        return _MAY_STATE_PACK_LOWER.search(text.lower()) is not None
    return _MAY_STATE_PACK.search(text) is not None


def parse_pack_qty(text: str | None) -> int | None:
    """The pack quantity a title states (``"pack of 4"``, ``"4-pack"``, ``"2 pcs"``,
    ``"(10 Stück)"``, ``"qty: 6"``, ``"x2"``), or ``None`` when it states none.

    >>> parse_pack_qty("Oil filter FX-4471 (pack of 4)"), parse_pack_qty("Oil filter")
    (4, None)
    """
    if not text or not _may_state_pack(text):
        return None
    return _scan(text)


def _scan(text: str) -> int | None:
    """:func:`parse_pack_qty` without the quick refusal: every pattern, in order."""
    kit = _KIT.search(text) is not None
    for pattern in _PATTERNS:
        if kit and pattern is _PIECES_RULE:
            continue
        found = pattern.search(text)
        if found:
            qty = int(found.group(1))
            if 1 <= qty <= _MAX_PACK:
                return qty
    return None


def unit_price(price: Decimal, pack_qty: int | None, places: int = 4) -> Decimal:
    """``price`` divided by the pack quantity (missing or < 1 counts as 1), as a Decimal
    rounded half-even to ``places`` decimals.

    >>> unit_price(Decimal("19.96"), 4)
    Decimal('4.9900')
    """
    qty = pack_qty if pack_qty and pack_qty > 0 else 1
    return (Decimal(price) / Decimal(qty)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
