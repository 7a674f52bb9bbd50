"""The extraction cascade: a product page (HTML and URL) in, an :class:`ExtractedProduct` out.

Methods are tried in a fixed order and, per field, the first one that finds a value
wins: JSON-LD, microdata, RDFa, OpenGraph, other product meta tags, the platform's
product JSON in scripts (Shopify), the competitor's configured selectors, then the
visible-page fallback. The price travels with its method's currency and list price; a
currency the price's method does not state comes from other structured data, the
visible price's symbol, the configured currency, then the page's locale. A
quantity-break table (B2B) gives the breaks, and the price when nothing else does; a
page with no price that says "call for price" is marked so. A pure function: no
network, no clock, no global state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from crawlers.extraction.currency import ISO_CODES, currency_code, decimal_places, round_money
from crawlers.extraction.dom import Layout, layout_of
from crawlers.extraction.fallback import fallback_price, visible_tax
from crawlers.extraction.fields import FIELDS, Found
from crawlers.extraction.meta import meta_found, opengraph_found
from crawlers.extraction.packs import parse_pack_qty
from crawlers.extraction.page import Page
from crawlers.extraction.prices import format_amount
from crawlers.extraction.quotes import price_breaks, price_on_request
from crawlers.extraction.scripts import script_found
from crawlers.extraction.selectors import selectors_found
from crawlers.extraction.structured import jsonld_found, microdata_found, rdfa_found
from crawlers.extraction.visible import visible_found

if TYPE_CHECKING:
    from pricing.selectors import SelectorSet

log = logging.getLogger(__name__)
_T = TypeVar("_T")

METHODS = (
    "json-ld", "microdata", "rdfa", "opengraph", "meta", "script", "selectors", "fallback",
    "breaks",
)  # fmt: skip
RECORD_KEYS = (
    "source", "title", "price", "currency", "list_price", "sku", "mpn", "gtin", "brand",
    "availability", "pack_qty", "method", "price_includes_tax",
)  # fmt: skip
STRUCTURED = frozenset({"json-ld", "microdata", "rdfa", "opengraph", "meta", "script"})
# Visible stock states that beat the structured data when they contradict it: shops
# leave "InStock" in their JSON-LD while the page says "Backordered" or "Discontinued".
OVERRIDING = frozenset({"BackOrder", "Discontinued", "PreOrder", "OutOfStock"})


@dataclass(frozen=True)
class ExtractedProduct:
    """What a product page says about its main product; None where it says nothing."""

    source: str
    title: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    list_price: Decimal | None = None
    sku: str | None = None
    mpn: str | None = None
    gtin: str | None = None
    brand: str | None = None
    availability: str | None = None
    pack_qty: int | None = None
    method: str | None = None
    methods: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    price_text: str | None = None
    # no price on purpose ("Call for price"): not a page whose price could not be read
    price_on_request: bool = False
    # (lowest quantity, price) rows of a quantity-break table, lowest first
    price_breaks: tuple[tuple[int, Decimal], ...] = ()
    # what the page says about ``price``: tax included (True), excluded (False), or nothing
    price_includes_tax: bool | None = None
    # the same price on the other tax basis, when the page shows both (net and gross)
    other_basis_price: Decimal | None = None

    def as_record(self) -> dict[str, object]:
        """The ``pricing extract`` line: SPEC keys in order, money as decimal strings."""
        record: dict[str, object] = {}
        for key in RECORD_KEYS:
            value = getattr(self, key)
            record[key] = format_amount(value) if isinstance(value, Decimal) else value
        return record


def extract_product(
    html: str | bytes,
    url: str,
    *,
    selectors: SelectorSet | None = None,
    default_currency: str | None = None,
    source: str | None = None,
) -> ExtractedProduct:
    """Read the main product of one page. Never raises on bad pages: an empty or broken
    page gives a product whose fields are all None."""
    default = currency_code(default_currency) if default_currency else None
    page = Page.parse(html, url, default_currency=default)
    steps: list[tuple[str, Callable[[Page], Found]]] = [
        ("json-ld", jsonld_found),
        ("microdata", microdata_found),
        ("rdfa", rdfa_found),
        ("opengraph", opengraph_found),
        ("meta", meta_found),
        ("script", script_found),
        ("selectors", lambda p: selectors_found(p, selectors)),
    ]
    found = [_run(name, step, page) for name, step in steps]
    no_breaks: tuple[tuple[int, Decimal], ...] = ()
    breaks = _safe(lambda: price_breaks(page, page.currency_hint), no_breaks)
    if breaks:  # the single-unit (first) break is the price, unless a method says otherwise
        first = Found("breaks", {"price": breaks[0][1]}, price_text=format_amount(breaks[0][1]))
        found.append(first)
    merged = _Merge(found)
    # The visible page is read even when the structured data looks complete: it says
    # whether the price includes tax and may contradict the structured stock state.
    if not merged.covered_by_selectors():
        layout = _layout(page)
        if layout is not None:
            merged.add_fallback(page, layout)
    product = merged.product(source or url, page)
    on_request = product.price is None and _safe(lambda: price_on_request(page), None) is not None
    if breaks or on_request:
        product = replace(product, price_breaks=breaks, price_on_request=on_request)
    return product


def _safe(step: Callable[[], _T], default: _T) -> _T:
    try:
        return step()
    except Exception:  # an odd page must not cost the fields already read
        log.warning("extraction step failed", exc_info=True)
        return default


def _run(name: str, step: Callable[[Page], Found], page: Page) -> Found:
    try:
        return step(page)
    except Exception:  # one method's bug or odd page must not cost the other methods
        log.warning("extraction method %s failed on %s", name, page.url, exc_info=True)
        return Found(name)


def _layout(page: Page) -> Layout | None:
    try:
        return layout_of(page)
    except Exception:  # e.g. a pathological tree; the structured results still stand
        log.warning("page layout failed on %s", page.url, exc_info=True)
        return None


class _Merge:
    """Per field, the first method's value; the price with its currency and list price."""

    def __init__(self, found: list[Found]) -> None:
        self.found = found
        self.layout: Layout | None = None

    def first(self, name: str) -> tuple[object, str] | None:
        for item in self.found:
            value = item.get(name)
            if value is not None:
                return value, item.method
        return None

    def price_source(self) -> Found | None:
        return next((item for item in self.found if item.get("price") is not None), None)

    def covered_by_selectors(self) -> bool:
        """The competitor's own selectors read the price, and title and availability are
        known: the visible-page fallback could only guess at what the markup lacks."""
        source = self.price_source()
        return (
            source is not None
            and source.method == "selectors"
            and all(self.first(name) is not None for name in ("title", "availability"))
        )

    def needs_fallback(self) -> bool:
        return any(self.first(name) is None for name in FIELDS if name != "pack_qty")

    def add_fallback(self, page: Page, layout: Layout) -> None:
        self.layout = layout
        source = self.price_source()
        parts = [lambda: visible_found(page, layout)]
        # the visible price is only needed when no method priced the page, or to read
        # the tax labels beside a structured price that does not state its tax
        if source is None or source.get("price_includes_tax") is None:
            parts.insert(0, lambda: fallback_price(layout, page.currency_hint))
        for part in parts:
            try:
                self.found.append(part())
            except Exception:  # as in _run: the other methods' values still stand
                log.warning("fallback failed on %s", page.url, exc_info=True)

    def product(self, source: str, page: Page) -> ExtractedProduct:
        values: dict[str, object] = {}
        methods: dict[str, str] = {}
        for name in FIELDS:
            hit = self.first(name)
            if hit is not None:
                values[name], methods[name] = hit
        origin = self.price_source()
        self._price_group(origin, page, values, methods)
        self._visible_stock(values, methods)
        included, other = self._tax(origin, page)
        if values.get("pack_qty") is None and isinstance(values.get("title"), str):
            pack = parse_pack_qty(str(values["title"]))
            if pack is not None:
                values["pack_qty"], methods["pack_qty"] = pack, methods["title"]
        return ExtractedProduct(
            source=source,
            title=_str(values.get("title")),
            price=_money(values.get("price"), values.get("currency")),
            currency=_str(values.get("currency")),
            list_price=_money(values.get("list_price"), values.get("currency")),
            sku=_str(values.get("sku")),
            mpn=_str(values.get("mpn")),
            gtin=_str(values.get("gtin")),
            brand=_str(values.get("brand")),
            availability=_str(values.get("availability")),
            pack_qty=_int(values.get("pack_qty")),
            method=origin.method if origin else None,
            methods=MappingProxyType(methods),
            price_text=origin.price_text if origin else None,
            price_includes_tax=included,
            other_basis_price=_money(other, values.get("currency")),
        )

    def _tax(self, origin: Found | None, page: Page) -> tuple[bool | None, Decimal | None]:
        """What the page says about the chosen price's tax: its own method's word, else
        the labels beside the same amount on the visible page."""
        if origin is None:
            return None, None
        included = origin.get("price_includes_tax")
        other = origin.amount("other_basis_price")
        if isinstance(included, bool):
            return included, other
        price = origin.amount()
        if price is None or self.layout is None or origin.method == "fallback":
            return None, None
        try:
            return visible_tax(self.layout, page.currency_hint, price)
        except Exception:  # as in _run: the price itself still stands
            log.warning("visible tax labels failed on %s", page.url, exc_info=True)
            return None, None

    def _visible_stock(self, values: dict[str, object], methods: dict[str, str]) -> None:
        """Strong visible stock text (an element about stock, a stock row, a backorder or
        discontinued notice) beats a structured state it contradicts."""
        visible = next((item for item in self.found if item.method == "fallback"
                        and item.get("availability_strong")), None)  # fmt: skip
        if visible is None or methods.get("availability") not in STRUCTURED:
            return
        state = visible.get("availability")
        if state in OVERRIDING and state != values.get("availability"):
            values["availability"], methods["availability"] = state, "fallback"

    def _price_group(
        self,
        origin: Found | None,
        page: Page,
        values: dict[str, object],
        methods: dict[str, str],
    ) -> None:
        """Currency and list price must describe the price that was chosen."""
        values.pop("list_price", None)
        methods.pop("list_price", None)
        if origin is None:
            return
        price = origin.values["price"]
        assert isinstance(price, Decimal)
        currency, currency_method = self._currency(origin, page)
        values["currency"] = currency
        if currency_method:
            methods["currency"] = currency_method
        else:
            methods.pop("currency", None)
        for item in [origin, *self.found]:
            list_price = item.get("list_price")
            if not isinstance(list_price, Decimal) or list_price <= price:
                continue
            other_price = item.get("price")
            if item is origin or other_price is None or other_price == price:
                values["list_price"], methods["list_price"] = list_price, item.method
                break

    def _currency(self, origin: Found, page: Page) -> tuple[str | None, str | None]:
        own = origin.get("currency")
        if isinstance(own, str) and own in ISO_CODES:
            return own, origin.method
        for item in self.found:
            value = item.get("currency")
            if item.method != "fallback" and isinstance(value, str) and value in ISO_CODES:
                return value, item.method
        for item in self.found:
            value = item.get("currency")
            if isinstance(value, str) and value in ISO_CODES:
                return value, item.method
        if page.default_currency:
            return page.default_currency, "config"
        if page.locale_currency:
            return page.locale_currency, "locale"
        return None, None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _money(value: object, currency: object) -> Decimal | None:
    """An amount in the currency's minor unit: ``42.5`` USD -> ``42.50``, ``46.248`` GBP
    -> ``46.25`` (as the shop shows it). Cents are never dropped here (``12.50`` with a
    yen guessed from the locale stays as read); storage rounds to the currency."""
    if not isinstance(value, Decimal):
        return None
    if not isinstance(currency, str) or not decimal_places(currency):
        return value
    return round_money(value, currency)
