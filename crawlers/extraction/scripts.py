"""Product data that storefront platforms embed in scripts rather than in schema.org markup.

Shopify themes print the product as JSON (``<script id="ProductJson-...">``,
``<script data-product-json>``) and its analytics object (``var meta = {"product":
{"variants": [...]}}``), with prices in minor units (``"price": 1999`` is 19.99). The
variant the URL names (``?variant=123``) is read, else the first one available, else
the first. These count as the "script" method, after the page's meta tags.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawlers.extraction.currency import currency_code
from crawlers.extraction.fields import Found
from crawlers.extraction.page import Page
from crawlers.extraction.prices import MAX_AMOUNT, format_amount
from crawlers.extraction.text import clean_text

MAX_SCRIPT_CHARS = 1_000_000
_META = re.compile(r"\bvar\s+meta\s*=\s*(?=\{)")
_CURRENCY = re.compile(
    r"ShopifyAnalytics\.meta\.currency\s*=\s*['\"]([A-Za-z]{3})['\"]"
    r"|Shopify\.currency\s*=\s*\{\s*\"active\"\s*:\s*\"([A-Za-z]{3})\""
)


def script_found(page: Page) -> Found:
    found = Found("script")
    product, currency = _shopify_product(page)
    if product is None:
        return found
    variant = _pick_variant(product, page.url)
    found.set("brand", clean_text(product.get("vendor"), "brand"))
    found.set("title", clean_text(product.get("title"), "title"))
    if variant is None and len(product["variants"]) > 1:
        return found  # the product's own price is its cheapest variant's, maybe not this one
    item = variant or product
    price = _minor_units(item.get("price"))
    if price is not None:
        found.set("price", price)
        found.set("currency", currency)
        found.price_text = format_amount(price)
        compare = _minor_units(item.get("compare_at_price"))
        if compare is not None and compare > price:
            found.set("list_price", compare)
    available = item.get("available")
    if isinstance(available, bool):
        found.set("availability", "InStock" if available else "OutOfStock")
    found.set("sku", clean_text(item.get("sku"), "sku"))
    if variant is not None:
        found.set("sku", clean_text(product.get("sku"), "sku"))
    barcode = re.sub(r"\D", "", str(item.get("barcode") or ""))
    found.set("gtin", barcode if len(barcode) in {8, 12, 13, 14} else None)
    return found


def _shopify_product(page: Page) -> tuple[dict[str, Any] | None, str | None]:
    """The product JSON, preferring the theme's (it says what is available) to the
    analytics object's; and the store's currency, where a script names it."""
    themed: dict[str, Any] | None = None
    analytics: dict[str, Any] | None = None
    currency: str | None = None
    for script in page.root.iter("script"):
        text = script.text or ""
        if not text or len(text) > MAX_SCRIPT_CHARS:
            continue
        kind = (script.get("type") or "").lower()
        if kind == "application/json" and themed is None:
            ident = (script.get("id") or "").lower()
            if ident.startswith("productjson") or script.get("data-product-json") is not None:
                themed = _product_dict(_loads(text))
        elif "javascript" in kind or not kind:
            if analytics is None and (match := _META.search(text)):
                meta = _raw_decode(text, match.end())
                analytics = _product_dict(meta.get("product") if isinstance(meta, dict) else None)
            if currency is None and (code := _CURRENCY.search(text)):
                currency = currency_code(code.group(1) or code.group(2))
    return themed or analytics, currency


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _raw_decode(text: str, position: int) -> Any:
    try:
        return json.JSONDecoder().raw_decode(text, position)[0]
    except ValueError:
        return None


def _product_dict(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict) and isinstance(value.get("product"), dict):
        value = value["product"]
    if isinstance(value, dict) and isinstance(value.get("variants"), list):
        return value
    return None


def _pick_variant(product: dict[str, Any], url: str) -> dict[str, Any] | None:
    variants = [v for v in product["variants"] if isinstance(v, dict)]
    wanted = parse_qs(urlsplit(url).query).get("variant", [])
    for variant in variants:
        if wanted and str(variant.get("id")) == wanted[0]:
            return variant
    if wanted:
        return None  # the URL names a variant the script does not list
    if len(variants) > 1 and "available" not in variants[0]:
        return None  # which one the page shows cannot be told
    return next((v for v in variants if v.get("available") is True), None) or (
        variants[0] if variants else None
    )


def _minor_units(value: object) -> Decimal | None:
    """Shopify's integer cents as an amount; anything else is not trusted."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    amount = Decimal(value).scaleb(-2)
    return amount if amount < MAX_AMOUNT else None
