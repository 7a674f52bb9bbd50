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
_UNITS = r"pack|pk|pcs?|pieces?|stück|stk|st\.|pezzi|pièces|unidades|units?|er[- ]?set"
_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"\b(?:pack|set|box|case|bag|lot|kit)\s+of\s+{_N}\b",
        rf"\b{_N}\s*-?\s*(?:{_UNITS})(?![a-z0-9])",
        rf"\b(?:qty|quantity|menge|pu|vpe)\s*[:.]?\s*{_N}\b",
        rf"(?<![\w.,]){_N}\s*[x×]\s+(?=[a-z])",
        rf"\b[x×]\s*{_N}\b(?![.,]\d)",
    )
]


def parse_pack_qty(text: str | None) -> int | None:
    """The pack quantity a title states (``"pack of 4"``, ``"4-pack"``, ``"2 pcs"``,
    ``"(10 Stück)"``, ``"qty: 6"``, ``"x2"``), or ``None`` when it states none.

    >>> parse_pack_qty("Oil filter FX-4471 (pack of 4)"), parse_pack_qty("Oil filter")
    (4, None)
    """
    if not text:
        return None
    for pattern in _PATTERNS:
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
