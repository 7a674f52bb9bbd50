"""OpenGraph and product meta tags, and loose ``itemprop`` markup outside any item.

``og:price:amount``/``og:price:currency``/``og:availability`` count as "opengraph";
Facebook's ``product:*`` tags, Twitter's label/data pairs and stray ``itemprop``
elements (``<meta itemprop="price">`` with no surrounding Product item) count as "meta".
"""

from __future__ import annotations

import re

from lxml import etree

from crawlers.extraction.availability import normalize_availability
from crawlers.extraction.currency import currency_code
from crawlers.extraction.fields import Found
from crawlers.extraction.packs import parse_pack_qty
from crawlers.extraction.page import Page
from crawlers.extraction.prices import normalize_price_text, read_price, to_decimal
from crawlers.extraction.text import clean_text, element_text

_GTIN_KEYS = ("product:ean", "product:gtin", "product:upc", "product:isbn", "og:upc", "og:ean")
_DIGITS = re.compile(r"\D")


def opengraph_found(page: Page) -> Found:
    found = Found("opengraph")
    og_type = (page.meta_value("og:type") or "").lower()
    currency = currency_code(page.meta_value("og:price:currency"))
    _price(found, page, page.meta_value("og:price:amount", "og:price"), currency)
    standard = to_decimal(page.meta_value("og:price:standard_amount"))
    price = found.amount()
    if standard is not None and price is not None and standard > price:
        found.set("list_price", standard)
    found.set("availability", normalize_availability(page.meta_value("og:availability")))
    if found or "product" in og_type:
        found.set("title", clean_text(page.meta_value("og:title"), "title"))
    found.set("brand", clean_text(page.meta_value("og:brand"), "brand"))
    found.set("gtin", _gtin(page.meta_value(*_GTIN_KEYS)))
    return found


def meta_found(page: Page) -> Found:
    found = Found("meta")
    currency = currency_code(
        page.meta_value("product:price:currency", "product:sale_price:currency")
    )
    sale = page.meta_value("product:sale_price:amount")
    regular = page.meta_value("product:price:amount", "product:price")
    _price(found, page, sale or regular, currency)
    price = found.amount()
    regular_amount = to_decimal(regular) if sale else None
    original = to_decimal(page.meta_value("product:original_price:amount"))
    for higher in (regular_amount, original):
        if higher is not None and price is not None and higher > price:
            found.set("list_price", higher)
    found.set("availability", normalize_availability(page.meta_value("product:availability")))
    found.set("sku", clean_text(page.meta_value("product:retailer_item_id"), "sku"))
    found.set("mpn", clean_text(page.meta_value("product:mfr_part_no"), "mpn"))
    found.set("brand", clean_text(page.meta_value("product:brand"), "brand"))
    found.set("gtin", _gtin(page.meta_value(*_GTIN_KEYS)))
    _twitter(found, page)
    _loose_itemprops(found, page)
    if found.get("title") is None and found:
        found.set("title", clean_text(page.meta_value("twitter:title"), "title"))
    title = found.get("title")
    if isinstance(title, str):
        found.set("pack_qty", parse_pack_qty(title))
    return found


def _price(found: Found, page: Page, raw: str | None, currency: str | None) -> None:
    if not raw:
        return
    hint = currency or page.currency_hint
    amount = to_decimal(raw, currency_hint=hint)
    if amount is None:
        return
    found.set("price", amount)
    found.price_text = normalize_price_text(raw)
    if currency is None:
        parsed = read_price(raw, currency_hint=hint)
        currency = parsed.currency if parsed else None
    found.set("currency", currency)


def _gtin(value: str | None) -> str | None:
    digits = _DIGITS.sub("", value or "")
    return digits if len(digits) in {8, 12, 13, 14} else None


def _twitter(found: Found, page: Page) -> None:
    """Twitter product cards: ``twitter:label1`` "Price" with ``twitter:data1`` "$19.99"."""
    for index in ("1", "2", "3", "4"):
        label = (page.meta_value(f"twitter:label{index}") or "").strip().lower()
        data = page.meta_value(f"twitter:data{index}")
        if not data:
            continue
        if label in {"price", "preis", "prix", "precio", "prezzo", "prijs", "cena"}:
            parsed = read_price(data, currency_hint=page.currency_hint)
            if parsed and parsed.amount > 0 and found.get("price") is None:
                found.set("price", parsed.amount)
                found.set("currency", parsed.currency)
                found.price_text = parsed.text
        elif label in {"availability", "verfügbarkeit", "disponibilité", "stock"}:
            found.set("availability", normalize_availability(data))


def _loose_itemprops(found: Found, page: Page) -> None:
    """``itemprop`` values that belong to no ``itemscope`` (broken microdata)."""
    for node in page.root.xpath("//*[@itemprop][not(ancestor-or-self::*[@itemscope])]"):
        names = (node.get("itemprop") or "").split()
        value = _prop_value(node)
        if not value:
            continue
        for name in names:
            if name == "price" and found.get("price") is None:
                currency = currency_code(found.get("currency")) or page.currency_hint
                amount = to_decimal(value, currency_hint=currency)
                if amount is not None:
                    found.set("price", amount)
                    found.price_text = normalize_price_text(value)
                    parsed = read_price(value, currency_hint=currency)
                    found.set("currency", parsed.currency if parsed else None)
            elif name in {"pricecurrency", "priceCurrency"}:
                found.set("currency", currency_code(value))
            elif name == "availability":
                found.set("availability", normalize_availability(value))
            elif name in {"sku", "mpn", "brand"}:
                found.set(name, clean_text(value, name))
            elif name.startswith("gtin"):
                found.set("gtin", _gtin(value))


def _prop_value(node: etree._Element) -> str | None:
    if node.tag == "meta":
        return node.get("content")
    if node.tag in {"link", "a"}:
        return node.get("href")
    if node.get("content"):
        return node.get("content")
    return element_text(node)
