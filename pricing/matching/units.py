"""Pack quantities and per-unit prices, so a 4-pack is compared with a single part fairly.

``pack_qty`` is the number of units a price buys (the SPEC's catalog column); a
listing's comes from its field or, failing that, from its title. :func:`parse_pack_qty`
is the one reader of it: the crawler's extraction (``crawlers.extraction``), the
matcher and the optimizer's read of competitor prices all use it, so a title gets
the same pack everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["MAX_PACK", "effective_pack", "parse_pack_field", "parse_pack_qty", "unit_price"]

# A number the text labels as a count ("Box of 5000", "VE 5000 Stk", "10000 Stück",
# "Qty: 2500", a pack field holding "5000") is believed up to MAX_PACK: B2B fasteners,
# washers and cable ties are sold by the thousands. A number that merely stands next
# to a pack word or an "x" ("6204 box", "x1200") is where bearing and model numbers
# and dimensions hide, so those forms stop at _MAX_LOOSE_PACK.
MAX_PACK = 10_000
_MAX_LOOSE_PACK = 1000

_PACK_WORDS = (
    r"pack|pk|pkg|package|packs|box|bx|case|cs|bag|carton|ctn|tube|tin|jar|kit|set|lot|"
    r"bundle|pail|bucket|roll|reel|sleeve|packung|packet|paket|karton|beutel|dose|"
    r"schachtel|eimer|rolle|boîte|boite|sachet|paquete|caja|bolsa|juego|confezione|"
    r"scatola|busta|doos|zak|opakowanie|paczka|zestaw|förpackning|pakke|pakkaus"
)
_UNIT_WORDS = (
    r"pcs|pc|pce|pces|pieces|piece|stück|stuck|stueck|stk|st\.|ea|each|units|unit|count|"
    r"ct|pièces|pièce|pcs\.|unidades|unids|uds|pezzi|pz|stuks|szt|sztuk|stk\.|kpl|"
    r"kappaletta|個入り|個入|本入り|本入|枚入り|枚入|入り|個|本|枚|入"
)
# Words labelling the number after them as a count: "VE 25", "PU: 10", "Inhalt 10".
# ("PE", Packeinheit, only with a colon: "PE 100" is a polyethylene grade.)
_LABELS = (
    r"ve|vpe|pu|pe(?=\s*:)|inhalt|contents?|conditionnement|verpackungseinheit|"
    r"qty|quantity|menge|qté|quantité|cantidad|quantità|aantal|ilość"
)
# After a number these make it a measurement ("76 x 110 mm", "Inhalt 5 l"), not a pack.
_MEASURES = (
    r"mm|cm|m|in|inch|ft|v|w|kw|a|ah|mah|l|ml|kg|g|nm|bar|psi|um|µm|micron|hp|ps|rpm|"
    r"gb|tb|mb|hz|khz|mhz|ghz|unf|unc|npt|bsp|oz|lb|lbs|gal|ltr|liter|litre|"
    r"yd|m²|m2|m³|m3|°"
)
_NOT_MEASURE = rf"(?!\s*(?:(?:{_MEASURES})\b|\"|'|°))"
# Before a count: not a digit or letter (part numbers: "CT1028K1 kit", "AB12 set"),
# not a fraction, decimal, range or dimension ("3/4", "1.5", "12-20", "20x2").
_LEFT = r"(?<![\dA-Za-z_./,×-])"
# "Brake pads x2": a bare "x N" counts only after a plural word ("Spark plug x4" may be
# a size or a variant name; "(x4)" and "Pack x4" say more and have rules of their own).
_AFTER_PLURAL = r"(?:(?<=[^\W\d_]s )|(?<=[^\W\d_]s, ))"

_RULES: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), cap)
    for pattern, cap in (
        # Pack of 4, Box of 10, Set of 2, Lot de 4, Packung mit 10, Confezione da 6
        (rf"\b(?:{_PACK_WORDS})\s+(?:of|de|mit|à|da|van|met|med|z|con)\s+(\d{{1,5}})\b"
         rf"{_NOT_MEASURE}", MAX_PACK),
        # 4-pack, 4 pack, 4pk, 6er Pack, 6er-Set
        # (not "6PK 1200" or "5PK1150", a belt's rib profile and length)
        (rf"{_LEFT}(\d{{1,5}})\s*(?:er)?[\s-]?(?:{_PACK_WORDS})\b(?!\s*\d{{3,}})",
         _MAX_LOOSE_PACK),
        # Box/10, Pk/10, Pack/25
        (rf"\b(?:{_PACK_WORDS})\s*/\s*(\d{{1,5}})\b", MAX_PACK),
        # 10/box, 10 per pack, 10/pk
        (rf"(?<![\d./,-])(\d{{1,5}})\s*(?:/|per|pro|par|je)\s*(?:{_PACK_WORDS})\b",
         MAX_PACK),
        # VE 25 Stk, VE: 25, VPE 10, PU 25, Inhalt: 10 Stück, Qty: 6, Menge 6, Qté : 6
        (rf"\b(?:{_LABELS})\s*[:=.]?\s*(\d{{1,5}})\b{_NOT_MEASURE}", MAX_PACK),
        # (10 pcs), 10 pieces, 25 Stück, 50 St., 100 ct, 10個入 (not in a set or kit)
        (rf"(?<![\d./,x×-])(\d{{1,5}})\s*(?:-\s*)?(?:{_UNIT_WORDS})(?=$|[\s).,;\]/-])",
         MAX_PACK),
        # (x4), [4x], Pack x4, x4 pack, Set x 2
        (r"[(\[]\s*[x×]\s*(\d{1,4})\s*[)\]]|[(\[]\s*(\d{1,4})\s*[x×]\s*[)\]]",
         _MAX_LOOSE_PACK),
        (rf"\b(?:{_PACK_WORDS})\s*[x×]\s*(\d{{1,4}})\b{_NOT_MEASURE}", _MAX_LOOSE_PACK),
        (rf"(?:^|\s)[x×]\s*(\d{{1,4}})\s+(?:{_PACK_WORDS})\b", _MAX_LOOSE_PACK),
        # "4x Zündkerze", "2 x Brake Disc" at the start of a title, before a word
        (r"^\s*(\d{1,3})\s*[x×]\s+(?=[^\W\d_])", _MAX_LOOSE_PACK),
        # "Brake pads x2": not a dimension ("76 x 110 mm", "M20 x 1.5", "45x62x8"), nor
        # a model name: a capital X glued to its digits ("Fiskars X27", "Bosch X5")
        (rf"{_AFTER_PLURAL}(?<!\d)(?<!\d\s)\b(?!(?-i:X)\d)[x×]\s*(\d{{1,4}})\b(?![.,]\d)"
         rf"(?!\s*(?:[x×*]|(?:{_MEASURES})\b|\"))", _MAX_LOOSE_PACK),
    )
)
_PIECES_RULE = _RULES[5][0]
# A count of pieces inside one set or kit describes what is in the box, not a pack.
_KIT = re.compile(
    r"\b(?:set|kit|assortment|sortiment|satz|coffret|jeu|juego|estuche|assortimento|"
    r"zestaw|organi[sz]er|tool ?box|case)\b",
    re.IGNORECASE,
)

def _alternation(words: str) -> str:
    """``"pack|pk|pkg"`` as a regex trie, ``"p(?:ack|k(?:g)?)"``: the same strings, but
    the engine tries a first letter once instead of once per word (about twice as fast)."""
    trie: dict[str, dict] = {}
    for word in words.replace("\\.", ".").split("|"):
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(char) + emit(rest) for char, rest in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


# The quick refusal. Every rule above needs one of these, each the exact start of what
# the rule matches with what must surround it (a unit word follows a digit; an "x"
# touches a digit; a label is followed by a number; a pack word ends a word or meets an
# "x", which the "x" entry covers): a title with none of them (most part titles) is
# answered by one scan instead of eleven. On ASCII text, lower-cased first, the scan
# needs no case folding and runs several times faster; other text is NFKC-normalised
# first ("４個入り" is "4個入り"), as the rules see it. It must stay a necessary
# condition: tests/test_normalize.py checks it against _scan on generated titles.
_LABEL_WORDS = _LABELS.replace(r"pe(?=\s*:)", "pe").replace("contents?", "content|contents")
_MAY_STATE_PACK_PATTERN = (
    rf"\d\s*(?:-\s*)?{_alternation(_UNIT_WORDS)}"
    r"|[x×]\s*\d|\d\s*[x×]"
    rf"|\b{_alternation(_LABEL_WORDS)}\s*[:=.]?\s*\d"
    rf"|{_alternation(_PACK_WORDS)}(?:\W|$)"
)
_MAY_STATE_PACK = re.compile(_MAY_STATE_PACK_PATTERN, re.IGNORECASE)
_MAY_STATE_PACK_LOWER = re.compile(_MAY_STATE_PACK_PATTERN)
_SPACES = re.compile(r"\s+")


def _may_state_pack(text: str) -> bool:
    if text.isascii():
        return _MAY_STATE_PACK_LOWER.search(text.lower()) is not None
    return _MAY_STATE_PACK.search(text) is not None


def _normalize(text: str) -> str:
    """The first 500 characters, NFKC-normalised unless ASCII (which NFKC leaves as is)."""
    return text[:500] if text.isascii() else unicodedata.normalize("NFKC", text)[:500]


def parse_pack_qty(text: str | None) -> int | None:
    """The pack quantity a title or description states (``"pack of 4"``, ``"4-pack"``,
    ``"Box/10"``, ``"10/box"``, ``"VE 25 Stk"``, ``"2 pcs"``, ``"(10 Stück)"``,
    ``"6er Pack"``, ``"Lot de 4"``, ``"(10個入)"``, ``"qty: 6"``, ``"(x4)"``,
    ``"Brake pads x2"``), or ``None`` when it states none. Dimensions, fractions and
    belt profiles ("76 x 110 mm", "3/4 inch", "M8 x 40", "6PK 1220") are not packs, nor
    is a count of pieces in a set or kit ("Socket Set, 24 pc"), nor a title that is
    only a number (a part number, as "6204" is for a bearing).

    >>> parse_pack_qty("Oil filter FX-4471 (pack of 4)"), parse_pack_qty("Oil filter")
    (4, None)
    """
    if not isinstance(text, str) or not text:
        return None
    normalized = _normalize(text)
    return _rules(normalized) if _may_state_pack(normalized) else None


def parse_pack_field(text: str | None) -> int | None:
    """A shop's own pack field (``"12"``, ``"VE 25 Stk"``, ``"Box of 10"``): a bare
    number there is that many units (up to :data:`MAX_PACK`); anything else is read as
    :func:`parse_pack_qty` reads a title."""
    if not isinstance(text, str) or not text:
        return None
    stripped = _normalize(text).strip()
    if stripped.isdigit():
        value = int(stripped)
        return value if 1 <= value <= MAX_PACK else None
    return parse_pack_qty(text)


def _scan(text: str | None) -> int | None:
    """:func:`parse_pack_qty` without the quick refusal: every rule, in order."""
    if not isinstance(text, str) or not text:
        return None
    return _rules(_normalize(text))


def _rules(normalized: str) -> int | None:
    normalized = _SPACES.sub(" ", normalized)
    kit = _KIT.search(normalized) is not None
    for rule, cap in _RULES:
        if kit and rule is _PIECES_RULE:
            continue  # "Socket Set, 24 pc" is one set of 24 pieces, not 24 sets
        for match in rule.finditer(normalized):
            number = next((group for group in match.groups() if group), None)
            if number is not None and 1 <= int(number) <= cap:
                return int(number)
    return None


def unit_price(price: Decimal, pack_qty: int | None, places: int = 4) -> Decimal:
    """``price`` divided by the pack quantity (missing or < 1 counts as 1), as a Decimal
    rounded half-even to ``places`` decimals.

    >>> unit_price(Decimal("19.96"), 4)
    Decimal('4.9900')
    """
    qty = pack_qty if pack_qty and pack_qty > 0 else 1
    return (Decimal(price) / Decimal(qty)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)


def effective_pack(stored: int | None, title: str | None,
                   cache: dict[str, int | None] | None = None) -> tuple[int, bool]:
    """The pack a listing's price buys, and whether its title said so: the stored pack
    when above 1; otherwise (1 is also what an unknown pack is stored as) a larger pack
    the title states; otherwise 1. The one home of that rule: the matcher, the stored
    ``unit_price``, the optimizer and every view of competitor prices read packs through
    it. ``cache`` memoizes title parses across a batch.

    >>> effective_pack(1, "Oil filter (pack of 4)"), effective_pack(6, "pack of 4")
    ((4, True), (6, False))
    """
    if stored is not None and stored > 1:
        return stored, False
    if not title:
        return 1, False
    if cache is None:
        stated = parse_pack_qty(title)
    else:
        if title not in cache:
            cache[title] = parse_pack_qty(title)
        stated = cache[title]
    if stated is not None and stated > 1:
        return stated, True
    return 1, False
