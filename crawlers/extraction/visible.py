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
from crawlers.extraction.packs import pack_from_text
from crawlers.extraction.page import Page
from crawlers.extraction.text import clean_text, element_text

STOCK_HINT = re.compile(
    r"stock|availab|inventory|lager|verfueg|verfüg|lieferbar|lieferstatus|dispon|voorraad|"
    r"delivery-?status|shipping-?status|stan-?magazyn|zapas|existencia|stok|nalich|estoque|"
    r"lagerstatus|varastosaldo",
    re.IGNORECASE,
)
CART_WORDS = re.compile(
    r"add[-_ ]?to[-_ ]?(?:cart|basket|bag|trolley)|addtocart|buy[-_ ]?now|in den warenkorb|"
    r"warenkorb|jetzt kaufen|ajouter au panier|añadir al carrito|aggiungi al carrello|"
    r"in winkelwagen|do koszyka|lägg i varukorg|læg i kurv|legg i handlekurv|lisää ostoskoriin|"
    r"do košíku|カートに入れる|product-form__submit|single_add_to_cart|"
    r"añadir a la cesta|adicionar ao carrinho|adicionar à sacola|sepete ekle|в корзину|"
    r"장바구니 담기|toevoegen aan (?:winkelwagen|winkelmand)|lägg i kundvagn|kosárba|"
    r"adaugă în coș|カートに追加|加入购物车|加入購物車",
    re.IGNORECASE,
)
# Stock in one shop or for pickup ("Click & Collect: out of stock at Leeds", "Ej i lager
# i butik Uppsala") is not whether the product can be bought online.
IN_STORE = re.compile(
    r"click\s*(?:&|and|\+)\s*collect|\bcollect (?:in|from) store|\bpick ?-?up\b|"
    r"\b(?:in|at|from) (?:\w+ ){0,2}stores?\b|\bin-?store\b|"
    r"\bi (?:\d+ )?(?:butik|butiker|butikk|butikker|butikken|varuhus)\b|"
    r"\bin (?:der|unseren?) filiale|\bim markt\b|"
    r"\babholung|\ben (?:magasin|boutique|tienda)\b|\bretrait\b|\bnel negozio\b|"
    r"\bin de winkel\b|\bafhalen\b|\bw sklepie\b|\bodbiór osobisty|\bim laden\b|"
    r"\bin negozio\b|\bna loja\b|\bretirada\b|в магазин|самовывоз|mağaza",
    re.IGNORECASE,
)
MAX_STOCK_TEXT = 150
MAX_SECTION_DISTANCE = 400

_ID = r"([A-Za-z0-9][A-Za-z0-9._/\-]{1,39})"
# Manufacturers that print their numbers in digit groups: Bosch "0 986 479 057".
_MPN_ID = r"(\d{1,3}(?: \d{3}){2,4}(?![\w.,])|[A-Za-z0-9][A-Za-z0-9._/\-]{1,39})"
SKU_LABEL = re.compile(
    r"(?:\bsku|\basin|item\s*(?:#|no\.?|number|code)|art(?:ikel)?\.?\s*-?\s*nr\.?|artikelnummer|"
    r"artikel-?nr|bestell-?nr\.?|bestellnummer|produktnummer|productnummer|"
    r"product\s*(?:code|#|no\.?|number)|numéro d.article|"
    r"référence|\bréf\.?|\bref\.?|código|codice(?:\s+articolo)?|cat(?:alog(?:ue)?)?\.?\s*(?:#|no\.?)|"
    r"numer katalogowy|kod produktu|varenummer|artikelnr\.?|tuotenumero|品番|商品コード|商品番号|"
    r"(?:our|shop|internal|store)\s+(?:part|article|item|product)\s*(?:#|no\.?|number|code)|"
    r"\bcod\.?\s*art(?:icolo|\.)?|\bc[óo]d(?:igo|\.)(?:\s+(?:do|del)\s+(?:produto|producto|artigo|art[ií]culo))?|"
    r"refer[êe]ncia|referencia|артикул|код товара|ürün kodu|stok kodu|상품코드|상품번호|"
    r"varenr\.?|varenummer|vare-?nr\.?|tuotekoodi|"
    r"(?:our|shop|store)\s+(?:item|code|ref(?:erence)?)|stock\s*(?:no\.?|number|code|#)|"
    r"k[óo]d\s+(?:produktu|zboží|zbozi|towaru)|katalogové číslo|numer artykułu)"
    r"\s*[:#.：]?\s*" + _ID,
    re.IGNORECASE,
)
MPN_LABEL = re.compile(
    r"(?:\bmpn|manufacturer\s*part\s*(?:#|no\.?|number)|mfr\.?\s*(?:part\s*)?(?:#|no\.?|number)|"
    r"(?<!our )(?<!shop )(?<!internal )part\s*(?:#|no\.?|number)|herstellernummer|"
    r"hersteller-?(?:artikel)?nr\.?|"
    r"hersteller-?artikelnummer|teilenummer|model\s*(?:#|no\.?|number)?|modelo|modèle|modello|"
    r"型番|メーカー品番|"
    r"herst(?:eller)?\.?[- ]?(?:art(?:ikel)?\.?[- ]?)?(?:nr|nummer)\.?|"
    r"mfr\.?\s*(?:item|code)|manufacturer\s*(?:code|ref(?:erence)?)|"
    r"r[ée]f(?:[ée]rence|\.)?\s*(?:du\s*)?fabricant|ref(?:erencia|\.)?\s*(?:del\s*)?fabricante|"
    r"codice\s*produttore|fabrikantnummer|artikelnummer fabrikant|"
    r"numer\s*(?:katalogowy\s*)?producenta|kod\s*producenta|číslo výrobce|"
    r"артикул производителя|üretici kodu)"
    r"\s*[:#.：]?\s*" + _MPN_ID,
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
    state, strong = availability_evidence(page, layout)
    found.set("availability", state)
    found.set("availability_strong", strong if state else None)
    found.set("sku", _data_sku(layout))
    _identifiers(layout, found)
    return found


def _title_from_tag(title: str | None) -> str | None:
    """``Oil filter 123 | Shop name`` -> ``Oil filter 123``."""
    if not title:
        return None
    parts = re.split(r"\s+[|–—·•]\s+|\s+-\s+", title)
    return clean_text(max(parts[:2], key=len) if len(parts) > 1 else title, "title")


# A row that labels the product's stock: "Availability: 2-3 Days", "Lieferstatus: ...".
STOCK_ROW = re.compile(
    r"^\s*(?:availability|stock(?: status)?|in stock\?|lieferstatus|lieferbarkeit|"
    r"verfügbarkeit|lagerbestand|disponibilité|disponibilidad|disponibilità|"
    r"beschikbaarheid|voorraad|dostępność|dostupnost|tillgänglighet|lagerstatus|"
    r"saatavuus|disponibilidade|наличие|stok durumu|在庫(?:状況)?)\s*[:：]\s*(.{1,80})$",
    re.IGNORECASE,
)
# A stock row that reads as nothing known makes the state unknown (False: the add-to-cart
# button decides, as before; benchmarks/bench_extraction.py --guess-stock compares).
UNREADABLE_ROW_IS_UNKNOWN = True
# Stock states a notice names so specifically that it counts wherever the product shows it.
SPECIFIC_STATES = frozenset({"BackOrder", "Discontinued", "PreOrder"})


def availability(page: Page, layout: Layout) -> str | None:
    return availability_evidence(page, layout)[0]


def availability_evidence(page: Page, layout: Layout) -> tuple[str | None, bool]:
    """(stock state, whether the evidence is strong).

    Strong: an element about stock ("stock" in its class) or a stock row
    ("Availability: ...") near the heading, or a backorder, discontinued or pre-order
    notice in the product's section. A stock row whose value reads as nothing known
    ("Availability: Call to check") makes the state unknown: the add-to-cart button is
    then no evidence. Weak: the button, and other stock phrases in the section."""
    blocks = _near(layout, layout.blocks)
    unreadable_row = False
    for block in blocks:
        if block.weak_noise or block.hidden or len(block.full_text) > MAX_STOCK_TEXT:
            continue
        if IN_STORE.search(block.full_text) or not _close(layout, block, 4 * MAX_SECTION_DISTANCE):
            continue
        row = STOCK_ROW.match(_labelled(block.element) or block.full_text)
        if STOCK_HINT.search(block.attrs) or row:
            text = row.group(1) if row else block.full_text
            state = availability_from_text(text, stock_context=True)
            if state:
                return state, True
            unreadable_row = unreadable_row or bool(row)
    section: list[str] = []
    for block in blocks:
        if not _close(layout, block, MAX_SECTION_DISTANCE):
            continue
        if block.weak_noise or block.hidden or len(block.full_text) > 80:
            continue
        if IN_STORE.search(block.full_text):
            continue
        state = availability_from_text(block.full_text)
        if state in SPECIFIC_STATES:
            return state, True
        if state:
            section.append(state)
    if unreadable_row and UNREADABLE_ROW_IS_UNKNOWN:
        return None, True
    button_state = _cart_button_state(page, layout)
    if button_state:
        return button_state, False
    return (section[0], False) if section else (None, False)


def _close(layout: Layout, block: Block, distance: int) -> bool:
    return layout.anchor_order is None or abs(block.order - layout.anchor_order) <= distance


def _cart_button_state(page: Page, layout: Layout) -> str | None:
    """In stock when the product's add-to-cart button is live; out of stock when it is
    disabled or says "sold out". The button is looked for in ever wider sections
    around the heading."""
    section = layout.anchor if layout.anchor is not None else page.h1
    if section is None:
        return None
    blocks = {block.element: block for block in layout.blocks}
    for _ in range(8):
        parent = section.getparent()
        if parent is None or parent.tag == "html":
            return None
        section = parent
        for node in section.xpath(_BUTTONS):
            if _elsewhere(node, blocks):
                continue
            state = _button_state(node)
            if state is not None:
                return state
        if section.tag == "body":
            return None
    return None


_BUTTONS = ".//button|.//input[@type='submit' or @type='button']|.//a[@href]"


def _elsewhere(node: etree._Element, blocks: dict[etree._Element, Block]) -> bool:
    """A button in page chrome, a related-products shelf or a listing card: it buys
    another product."""
    for element in (node, *node.iterancestors()):
        block = blocks.get(element)
        if block is not None:
            return block.noise or block.card
    return False


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


def _labelled(element: etree._Element) -> str | None:
    """A label and its value in separate cells, read as "label: value": a ``<dt>`` and
    its ``<dd>``, or a table row of a header cell and a value cell."""
    cells: list[etree._Element] = []
    if element.tag == "dt":
        value = element.getnext()
        if value is None or value.tag != "dd":
            return None
        cells = [element, value]
    elif element.tag == "tr":
        cells = [cell for cell in element if cell.tag in {"th", "td"}]
    if len(cells) != 2:
        return None
    label, value = (element_text(cell) or "" for cell in cells)
    if not label or not value or len(label) > 40:
        return None
    return f"{label.rstrip(' :：')}: {value}"


def _identifiers(layout: Layout, found: Found) -> None:
    for block in _near(layout, layout.blocks):
        if len(block.full_text) > 100 or block.weak_noise:
            continue
        text = _labelled(block.element) or block.full_text
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
        if "pack_qty" not in found.values and _close(layout, block, MAX_SECTION_DISTANCE):
            found.set("pack_qty", pack_from_text(text))
        if "brand" not in found.values and (match := BRAND_LABEL.match(block.full_text)):
            found.set("brand", clean_text(match.group(1), "brand"))


def _identifier(text: str, label: re.Pattern[str]) -> str | None:
    match = label.search(text)
    if match:
        return _valid_id(match.group(1))
    bare = text.strip()
    return _valid_id(bare) if " " not in bare else None


_CODE_WITHOUT_DIGITS = re.compile(r"^[A-Z]{2,}(?:[-_.][A-Z]{2,})+$")


def _valid_id(value: str | None) -> str | None:
    """An identifier has a digit, or is an upper-case code in parts ("KRC-HTR-BKR"), and no
    sentence in it."""
    if not value:
        return None
    value = value.strip(" .:-/")
    if len(value) > 40 or not (re.search(r"\d", value) or _CODE_WITHOUT_DIGITS.match(value)):
        return None
    return clean_text(value, "sku")
