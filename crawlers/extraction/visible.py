"""The visible-page fallback for everything but the price: title, availability, and the
identifiers a shop prints next to a label ("SKU: AB-12", "Art.-Nr. 4711", "EAN ...") or
puts on the product's section (``data-sku``).

Availability is read, in order, from an element about stock ("stock", "availability",
"lager" in its class), from the add-to-cart button (disabled or "sold out" means out of
stock), then from stock phrases in the product's own section of the page.
"""

from __future__ import annotations

import re

from lxml import etree

from crawlers.extraction.availability import availability_from_text
from crawlers.extraction.dom import Block, Layout, is_hidden
from crawlers.extraction.fields import Found
from crawlers.extraction.page import Page
from crawlers.extraction.text import clean_text, element_text

STOCK_HINT = re.compile(
    r"stock|availab|inventory|lager|verfueg|verfüg|lieferbar|lieferstatus|dispon|voorraad|"
    r"delivery-?status|shipping-?status|stan-?magazyn|zapas|existencia",
    re.IGNORECASE,
)
CART_WORDS = re.compile(
    r"add[-_ ]?to[-_ ]?(?:cart|basket|bag|trolley)|addtocart|buy[-_ ]?now|in den warenkorb|"
    r"warenkorb|jetzt kaufen|ajouter au panier|añadir al carrito|aggiungi al carrello|"
    r"in winkelwagen|do koszyka|lägg i varukorg|læg i kurv|legg i handlekurv|lisää ostoskoriin|"
    r"do košíku|カートに入れる|product-form__submit|single_add_to_cart",
    re.IGNORECASE,
)
MAX_STOCK_TEXT = 150
MAX_SECTION_DISTANCE = 400

_ID = r"([A-Za-z0-9][A-Za-z0-9._/\-]{1,39})"
SKU_LABEL = re.compile(
    r"(?:\bsku|\basin|item\s*(?:#|no\.?|number|code)|art(?:ikel)?\.?\s*-?\s*nr\.?|artikelnummer|"
    r"artikel-?nr|bestell-?nr\.?|bestellnummer|produktnummer|productnummer|"
    r"product\s*(?:code|#|no\.?|number)|numéro d.article|"
    r"référence|\bréf\.?|\bref\.?|código|codice(?:\s+articolo)?|cat(?:alog(?:ue)?)?\.?\s*(?:#|no\.?)|"
    r"numer katalogowy|kod produktu|varenummer|artikelnr\.?|tuotenumero|品番|商品コード|商品番号)"
    r"\s*[:#.：]?\s*" + _ID,
    re.IGNORECASE,
)
MPN_LABEL = re.compile(
    r"(?:\bmpn|manufacturer\s*part\s*(?:#|no\.?|number)|mfr\.?\s*(?:part\s*)?(?:#|no\.?|number)|"
    r"part\s*(?:#|no\.?|number)|herstellernummer|hersteller-?(?:artikel)?nr\.?|"
    r"hersteller-?artikelnummer|teilenummer|model\s*(?:#|no\.?|number)?|型番|メーカー品番)"
    r"\s*[:#.：]?\s*" + _ID,
    re.IGNORECASE,
)
GTIN_LABEL = re.compile(
    r"\b(?:ean|gtin|upc|ean-?code|barcode)(?:-?1[234])?\s*[:#.]?\s*(\d{8,14})\b", re.I
)
BRAND_LABEL = re.compile(
    r"^(?:brand|marke|hersteller|manufacturer|marque|marca|merk|fabrikant|producent)\s*:\s*(.{2,60})$",
    re.IGNORECASE,
)
SKU_CLASS = re.compile(
    r"(?:^|[\s_-])sku(?:$|[\s_-])|product[-_]?code|article[-_]?(?:number|no)|artikelnummer|"
    r"item[-_]?(?:number|no|code)|art[-_]?nr|order[-_]?number|bestellnummer|product[-_]?number",
    re.IGNORECASE,
)
MPN_CLASS = re.compile(
    r"(?:^|[\s_-])mpn(?:$|[\s_-])|part[-_]?number|partnumber|herstellernummer", re.I
)


def _near(layout: Layout, blocks: list[Block]) -> list[Block]:
    """Blocks outside page chrome, nearest after the heading first."""
    usable = [b for b in blocks if not b.noise and not b.card]
    if layout.anchor_order is None:
        return usable
    anchor = layout.anchor_order

    def distance(block: Block) -> int:
        gap = block.order - anchor
        return gap if gap >= 0 else 2 * -gap + 50

    return sorted(usable, key=distance)


def visible_found(page: Page, layout: Layout) -> Found:
    found = Found("fallback")
    anchor = layout.anchor if layout.anchor is not None else page.h1
    heading = element_text(anchor, "title") if anchor is not None else None
    found.set("title", heading or _title_from_tag(page.title_tag))
    found.set("availability", availability(page, layout))
    found.set("sku", _data_sku(layout))
    _identifiers(layout, found)
    return found


def _title_from_tag(title: str | None) -> str | None:
    """``Oil filter 123 | Shop name`` -> ``Oil filter 123``."""
    if not title:
        return None
    parts = re.split(r"\s+[|–—·•]\s+|\s+-\s+", title)
    return clean_text(max(parts[:2], key=len) if len(parts) > 1 else title, "title")


def availability(page: Page, layout: Layout) -> str | None:
    blocks = _near(layout, layout.blocks)
    for block in blocks:
        if block.weak_noise or block.hidden or len(block.full_text) > MAX_STOCK_TEXT:
            continue
        if STOCK_HINT.search(block.attrs) and _close(layout, block, 4 * MAX_SECTION_DISTANCE):
            state = availability_from_text(block.full_text, stock_context=True)
            if state:
                return state
    button_state = _cart_button_state(page, layout)
    if button_state:
        return button_state
    for block in blocks:
        if not _close(layout, block, MAX_SECTION_DISTANCE):
            continue
        if block.weak_noise or block.hidden or len(block.full_text) > 80:
            continue
        state = availability_from_text(block.full_text)
        if state:
            return state
    return None


def _close(layout: Layout, block: Block, distance: int) -> bool:
    return layout.anchor_order is None or abs(block.order - layout.anchor_order) <= distance


def _cart_button_state(page: Page, layout: Layout) -> str | None:
    """In stock when the product's add-to-cart button is live; out of stock when it is
    disabled or says "sold out". The button is looked for in ever wider sections
    around the heading."""
    section = layout.anchor if layout.anchor is not None else page.h1
    if section is None:
        return None
    for _ in range(8):
        parent = section.getparent()
        if parent is None or parent.tag == "html":
            return None
        section = parent
        for node in section.xpath(_BUTTONS):
            state = _button_state(node)
            if state is not None:
                return state
        if section.tag == "body":
            return None
    return None


_BUTTONS = ".//button|.//input[@type='submit' or @type='button']|.//a[@href]"


def _button_state(node: etree._Element) -> str | None:
    if is_hidden(node):
        return None
    text = element_text(node) or ""
    if len(text) > 60:
        return None
    label = " ".join(
        filter(None, [text, node.get("value"), node.get("name"), node.get("class"), node.get("id")])
    )
    shown = availability_from_text(text or node.get("value"))
    if not CART_WORDS.search(label) and shown is None:
        return None
    if re.search(
        r"select|choose|wählen|auswählen|choisir|seleccion|scegli|kies|wybierz", text, re.I
    ):
        return None  # "Select a size" is waiting for a choice, not out of stock
    if _disabled(node):
        return "OutOfStock"
    if shown in {"OutOfStock", "SoldOut", "Discontinued", "PreOrder", "BackOrder"}:
        return "OutOfStock" if shown == "SoldOut" else shown
    return "InStock" if CART_WORDS.search(label) else None


def _disabled(node: etree._Element) -> bool:
    if node.get("disabled") is not None or (node.get("aria-disabled") or "").lower() == "true":
        return True
    return bool(
        re.search(
            r"(?:^|\s)(?:disabled|is-disabled|btn--disabled)(?:$|\s)", node.get("class") or ""
        )
    )


DATA_SKU = ("data-sku", "data-product-sku", "data-item-sku", "data-variant-sku")


def _data_sku(layout: Layout) -> str | None:
    """A ``data-sku`` on the section that holds the product's heading (not on a card in
    some shelf): ``<div class="product-detail" data-sku="AB-12">``."""
    if layout.anchor is None:
        return None
    for depth, section in enumerate(layout.anchor.iterancestors()):
        if depth > 8 or section.tag in {"body", "html"}:
            break
        for name in DATA_SKU:
            value = section.get(name)
            if value:
                return _valid_id(value)
    return None


def _identifiers(layout: Layout, found: Found) -> None:
    for block in _near(layout, layout.blocks):
        if len(block.full_text) > 100 or block.weak_noise:
            continue
        text = block.full_text
        if "sku" not in found.values and SKU_CLASS.search(block.attrs):
            found.set("sku", _identifier(text, SKU_LABEL))
        if "mpn" not in found.values and MPN_CLASS.search(block.attrs):
            found.set("mpn", _identifier(text, MPN_LABEL))
        if "sku" not in found.values and (match := SKU_LABEL.search(text)):
            found.set("sku", _valid_id(match.group(1)))
        if "mpn" not in found.values and (match := MPN_LABEL.search(text)):
            found.set("mpn", _valid_id(match.group(1)))
        if "gtin" not in found.values and (match := GTIN_LABEL.search(text)):
            digits = match.group(1)
            found.set("gtin", digits if len(digits) in {8, 12, 13, 14} else None)
        if "brand" not in found.values and (match := BRAND_LABEL.match(text)):
            found.set("brand", clean_text(match.group(1), "brand"))


def _identifier(text: str, label: re.Pattern[str]) -> str | None:
    match = label.search(text)
    if match:
        return _valid_id(match.group(1))
    bare = text.strip()
    return _valid_id(bare) if " " not in bare else None


def _valid_id(value: str | None) -> str | None:
    """An identifier has a digit and no sentence in it."""
    if not value:
        return None
    value = value.strip(" .:-/")
    if not re.search(r"\d", value) or len(value) > 40:
        return None
    return clean_text(value, "sku")
