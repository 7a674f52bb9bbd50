"""Per-competitor selectors from ``competitors.yaml`` (:class:`pricing.selectors.SelectorSet`).

A selector is XPath when :func:`pricing.selectors.is_xpath` says so, CSS otherwise. The
first match is read: an element gives its visible text, ``::attr(name)``/``@name`` an
attribute, ``::text``/``text()`` the text itself. Values then go through the same
parsers as every other method.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from parsel import Selector, SelectorList

from crawlers.extraction.availability import availability_from_text, normalize_availability
from crawlers.extraction.currency import currency_code
from crawlers.extraction.fields import FIELDS, Found
from crawlers.extraction.packs import parse_pack_field
from crawlers.extraction.page import Page
from crawlers.extraction.prices import read_price
from crawlers.extraction.text import clean_text, element_text
from pricing.selectors import is_xpath

if TYPE_CHECKING:
    from pricing.selectors import SelectorSet

log = logging.getLogger(__name__)


def select_first(page: Page, query: str) -> str | None:
    """Text of the first node ``query`` matches (CSS or XPath), or None."""
    try:
        matches: SelectorList[Selector] = (
            page.selector.xpath(query) if is_xpath(query) else page.selector.css(query)
        )
    except ValueError:
        log.warning("selector %r does not compile", query)
        return None
    for match in matches:
        root = match.root
        text = element_text(root) if hasattr(root, "tag") else clean_text(str(root))
        if text:
            return text
    return None


def selectors_found(page: Page, selectors: SelectorSet | None) -> Found:
    found = Found("selectors")
    if selectors is None:
        return found
    raw = {name: select_first(page, query) for name in FIELDS
           if (query := getattr(selectors, name, None))}  # fmt: skip
    currency = currency_code(raw.get("currency") or "", page.currency_hint)
    if currency is None and raw.get("currency"):
        parsed_currency = read_price("1 " + str(raw["currency"]))
        currency = parsed_currency.currency if parsed_currency else None
    hint = currency or page.currency_hint
    price_text = raw.get("price")
    if price_text:
        parsed = read_price(price_text, currency_hint=hint)
        if parsed is not None and parsed.amount > 0:
            found.set("price", parsed.amount)
            found.price_text = parsed.text
            found.set("currency", currency or parsed.currency)
    list_text = raw.get("list_price")
    if list_text:
        parsed_list = read_price(list_text, currency_hint=hint)
        price = found.amount()
        if parsed_list is not None and (price is None or parsed_list.amount > price):
            found.set("list_price", parsed_list.amount)
    found.set("currency", currency)
    found.set("title", clean_text(raw.get("title"), "title"))
    for name in ("sku", "mpn"):
        found.set(name, _strip_label(clean_text(raw.get(name), name), _ID_LABEL))
    found.set("brand", _strip_label(clean_text(raw.get("brand"), "brand"), _BRAND_LABEL))
    gtin = re.sub(r"\D", "", raw.get("gtin") or "")
    found.set("gtin", gtin if len(gtin) in {8, 12, 13, 14} else None)
    if raw.get("availability"):
        text = raw["availability"]
        found.set(
            "availability",
            normalize_availability(text) or availability_from_text(text, stock_context=True),
        )
    if raw.get("pack_qty"):
        found.set("pack_qty", parse_pack_field(raw["pack_qty"]))
    return found


_ID_LABEL = re.compile(
    r"^(?:sku|item\s*(?:no\.?|number|#)?|art(?:ikel)?\.?-?\s*nr\.?|artikelnummer|"
    r"part\s*(?:no\.?|number|#)|mpn|model|réf(?:érence)?\.?|ref\.?)(?:\s*[:#]\s*|\s+)(?=\S)",
    re.IGNORECASE,
)
_BRAND_LABEL = re.compile(r"^(?:brand|marke|hersteller|manufacturer|marque)\s*:\s*", re.I)


def _strip_label(value: str | None, label: re.Pattern[str]) -> str | None:
    """``SKU: AB-12`` -> ``AB-12`` when a selector caught the label with the value."""
    if value is None:
        return None
    stripped = label.sub("", value, count=1).strip()
    return stripped or value
