"""Pack quantity (how many units the price buys) from titles and fields.

Recognized: "Pack of 4", "4-pack", "4 pk", "Box/10", "Box of 10", "10/box", "VE 25 Stk",
"25 Stück", "6er Pack", "Set of 2", "(10 pcs)", "10 pieces", "Qty: 6", "Lot de 4",
"x4" only beside a pack word or in brackets. Dimensions and fractions ("3/4 inch",
"10 mm", "M8 x 40") are not packs.
"""

from __future__ import annotations

import re
import unicodedata

MAX_PACK = 10_000

_PACK_WORDS = (
    r"pack|pk|pkg|package|packs|box|bx|case|cs|bag|carton|ctn|tube|tin|jar|kit|set|lot|"
    r"bundle|pail|bucket|roll|reel|sleeve|packung|packet|paket|karton|beutel|dose|"
    r"schachtel|eimer|rolle|lot|boîte|boite|sachet|paquete|caja|bolsa|juego|confezione|"
    r"scatola|busta|doos|zak|opakowanie|paczka|zestaw|förpackning|pakke|pakkaus"
)
_UNIT_WORDS = (
    r"pcs|pc|pce|pces|pieces|piece|stück|stuck|stueck|stk|st\.|ea|each|units|unit|count|ct|"
    r"pièces|pièce|pcs\.|unidades|unids|uds|pezzi|pz|stuks|szt|sztuk|stk\.|kpl|kappaletta|"
    r"個入り|個入|本入り|本入|枚入り|枚入|入り|個|本|枚|入"
)

_RULES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # Pack of 4, Box of 10, Set of 2, Lot de 4, Packung mit 10, Confezione da 6
        rf"\b(?:{_PACK_WORDS})\s+(?:of|de|mit|à|da|van|met|med|z|con)\s+(\d{{1,5}})\b",
        # 4-pack, 4 pack, 4pk, 10-count, 6er Pack, 6er-Set
        # (not "6PK 1200", a belt's rib profile and length)
        rf"(?<![\d./,x×-])(\d{{1,5}})\s*(?:er)?[\s-]?(?:{_PACK_WORDS})\b(?!\s*\d{{3,}})",
        # Box/10, Pk/10, Pack/25
        rf"\b(?:{_PACK_WORDS})\s*/\s*(\d{{1,5}})\b",
        # 10/box, 10 per pack, 10/pk
        rf"(?<![\d./,-])(\d{{1,5}})\s*(?:/|per|pro|par|je)\s*(?:{_PACK_WORDS})\b",
        # VE 25 Stk, VE: 25, VPE 10, PU 25, Inhalt: 10 Stück
        r"\b(?:ve|vpe|pu|pe|inhalt|content|contents|conditionnement|verpackungseinheit)"
        r"\s*:?\s*(\d{1,5})\b",
        # Qty: 6, Quantity 6, Menge: 6, Qté : 6 (only with a colon or at a field's start)
        r"(?:^|\b)(?:qty|quantity|menge|qté|quantité|cantidad|quantità|aantal|ilość)\s*[:=]\s*(\d{1,5})\b",
        # (10 pcs), 10 pieces, 25 Stück, 50 St., 100 ct
        rf"(?<![\d./,x×-])(\d{{1,5}})\s*(?:-\s*)?(?:{_UNIT_WORDS})(?=$|[\s).,;\]/-])",
        # (x4), [4x], Pack x4, x4 pack, Set x 2
        r"[(\[]\s*(?:x|×)\s*(\d{1,4})\s*[)\]]|[(\[]\s*(\d{1,4})\s*(?:x|×)\s*[)\]]",
        rf"\b(?:{_PACK_WORDS})\s*(?:x|×)\s*(\d{{1,4}})\b",
        rf"(?:^|\s)(?:x|×)\s*(\d{{1,4}})\s+(?:{_PACK_WORDS})\b",
        # "4x Zündkerze", "2 x Brake Disc" at the start of a title, before a word
        r"^\s*(\d{1,3})\s*[x×]\s+(?=[^\W\d_])",
    )
)


_PIECES = _RULES[6]
# A count of pieces inside one set or kit describes what is in the box, not a pack.
_KIT = re.compile(
    r"\b(?:set|kit|assortment|sortiment|satz|coffret|jeu|juego|estuche|assortimento|"
    r"zestaw|organi[sz]er|tool ?box|case)\b",
    re.IGNORECASE,
)


def parse_pack_qty(text: str | None) -> int | None:
    """How many units one listing sells, when the text says so clearly; else None."""
    if not isinstance(text, str) or not text.strip():
        return None
    normalized = unicodedata.normalize("NFKC", text)[:500]
    normalized = re.sub(r"\s+", " ", normalized)
    if normalized.strip().isdigit():
        value = int(normalized.strip())
        return value if 1 <= value <= MAX_PACK else None
    kit = _KIT.search(normalized) is not None
    for rule in _RULES:
        if kit and rule is _PIECES:
            continue  # "Socket Set, 24 pc" is one set of 24 pieces, not 24 sets
        for match in rule.finditer(normalized):
            number = next((group for group in match.groups() if group), None)
            if number is None:
                continue
            value = int(number)
            if 1 <= value <= MAX_PACK:
                return value
    return None
