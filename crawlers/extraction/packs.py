"""Pack quantity (how many units the price buys) from titles, pack fields and the page.

The title and field parsers live in :mod:`pricing.matching.units` so that the
crawler's extraction, the matcher and the optimizer read the same pack from the same
title; this module re-exports them and adds what only a product page shows: a labelled
row ("Pkg Qty: 4", "Verpackungseinheit: 10 Stück", "Conditionnement : 50") and a
selling phrase ("Sold in packs of 10", "Vendu par lot de 50"). Structured data's
``referenceQuantity`` / ``eligibleQuantity`` are read in :mod:`crawlers.extraction.schema`
with :func:`parse_pack_field`'s limits.
"""

from __future__ import annotations

import re

from pricing.matching.units import MAX_PACK, parse_pack_field, parse_pack_qty

__all__ = ["MAX_PACK", "pack_from_text", "parse_pack_field", "parse_pack_qty"]

# A row whose label names the pack: the value after it is the count.
PACK_ROW = re.compile(
    r"^\s*(?:(?:pkg|pk|pack(?:age)?|packaging)\.?\s*(?:qty|quantity|size|count)\.?|"
    r"(?:qty|quantity|units?|pieces?|pcs)\.?\s*(?:per|/)\s*(?:pack|pkg|package|box|bag|case)|"
    r"verpackungseinheit|\bvpe\b|\bve\b|packungsgr(?:ö|oe)(?:ß|ss)e|inhalt|"
    r"conditionnement|quantit[ée] par (?:lot|bo[iî]te|paquet|sachet)|unidades por (?:caja|paquete)|"
    r"pezzi per confezione|ilość w opakowaniu|opakowanie|balení|obsah balení|"
    r"förpackningsstorlek|antal per förpackning|入数|入り数)"
    r"\s*[:：]\s*(.{1,40})$",
    re.IGNORECASE,
)
_N = r"(\d{1,5})"
# A sentence that says the product is only sold by the pack.
SOLD_IN = re.compile(
    rf"\b(?:sold|supplied|comes?|packed|priced|available)\s+(?:only\s+)?(?:in|as|by)\s+"
    rf"(?:an?\s+)?(?:packs?|boxes|bags|sets|lots|cartons|cases|multiples)\s+of\s+{_N}\b|"
    rf"\bvendu(?:e|es|s)?\s+(?:uniquement\s+)?par\s+(?:lots?|bo[iî]tes?|paquets?|sachets?)"
    rf"\s+de\s+{_N}\b|\bvendu(?:e|es|s)?\s+par\s+{_N}\b|"
    rf"\bverkauf\s+(?:nur\s+)?(?:im|in|als)\s+{_N}er[- ]?(?:pack|packung|set)|"
    rf"\bnur\s+im\s+{_N}er[- ]?(?:pack|set)\s+erhältlich|"
    rf"\bsprzedawane\s+(?:w\s+opakowaniach\s+)?po\s+{_N}\b|\bprodává se po\s+{_N}\b|"
    rf"\bse vende en (?:packs?|paquetes|cajas|lotes) de\s+{_N}\b|"
    rf"\bvenduto in confezioni da\s+{_N}\b",
    re.IGNORECASE,
)


def pack_from_text(text: str | None) -> int | None:
    """The pack a labelled row or a selling phrase on the product page states."""
    if not text:
        return None
    row = PACK_ROW.match(text)
    if row:
        return parse_pack_field(row.group(1))
    match = SOLD_IN.search(text)
    if match:
        count = int(next(group for group in match.groups() if group))
        return count if 1 <= count <= MAX_PACK else None
    return None
