"""schema.org Product data, whatever syntax carried it, read into :class:`Found`.

JSON-LD, microdata and RDFa are first turned into the same shape (plain dicts with short
keys and a list ``@type``); this module finds the page's main product among them (not a
related product, not a listing's items), picks the offer the page shows (the variant
in the URL, else the first one in stock), and reads price, list price, currency,
availability and the identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from crawlers.extraction.availability import normalize_availability
from crawlers.extraction.currency import currency_code
from crawlers.extraction.fields import Found
from crawlers.extraction.packs import parse_pack_field, parse_pack_qty
from crawlers.extraction.prices import normalize_price_text, read_price, to_decimal
from crawlers.extraction.text import clean_text

Node = dict[str, Any]

PRODUCT_TYPES = frozenset(
    {
        "Product", "ProductGroup", "IndividualProduct", "ProductModel", "SomeProducts",
        "Vehicle", "Car", "Motorcycle", "DietarySupplement", "Drug", "Book",
    }
)  # fmt: skip
OFFER_TYPES = frozenset({"Offer", "AggregateOffer", "Demand"})
# Products under these keys are someone else's: related items, accessories, list entries.
RELATED_KEYS = frozenset(
    {
        "isRelatedTo", "isSimilarTo", "isAccessoryOrSparePartFor", "isConsumableFor",
        "itemListElement", "relatedLink", "hasPart", "isPartOf", "isVariantOf", "review",
        "isBasedOn", "addOn", "mentions", "about", "subjectOf",
    }
)  # fmt: skip
LIST_PRICE_TYPES = frozenset(
    {"ListPrice", "StrikethroughPrice", "MSRP", "SRP", "RegularPrice", "InvoicePrice"}
)
GTIN_KEYS = ("gtin13", "gtin", "gtin12", "gtin14", "gtin8", "ean", "upc", "isbn")
# "sku:AB-12": the scheme name some shops write in front of a productID.
_ID_PREFIX = re.compile(r"^(?:sku|id|item|product|art)\s*:\s*", re.IGNORECASE)
_PACK_PROPERTY = re.compile(
    r"pack|package|packung|verpackungseinheit|\bve\b|\bvpe\b|pieces|stück|quantity|"
    r"conditionnement|lot|contenido|inhalt|units",
    re.IGNORECASE,
)


def types_of(node: Node) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {short_name(value) for value in values if isinstance(value, str)}


def short_name(value: str) -> str:
    """``http://schema.org/Product``, ``schema:Product``, ``Product`` -> ``Product``."""
    return re.split(r"[/#:]", value.strip().rstrip("/"))[-1]


def first(value: Any) -> Any:
    while isinstance(value, list):
        value = value[0] if value else None
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _walk(
    value: Any, related: bool, key: str = "", depth: int = 0
) -> Iterator[tuple[Node, bool, str]]:
    """Every dict in the data with whether it hangs under a related-items key, and the
    key it hangs under."""
    if depth > 12:
        return
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, related, key, depth + 1)
    elif isinstance(value, dict):
        yield value, related, key
        inner_list = "ItemList" in types_of(value)
        for child_key, child in value.items():
            if child_key.startswith("@") and child_key != "@graph":
                continue
            inner_related = related or child_key in RELATED_KEYS or inner_list
            yield from _walk(child, inner_related, child_key, depth + 1)


def _url_key(url: str) -> tuple[str, frozenset[tuple[str, str]]]:
    parts = urlsplit(url.strip())
    return parts.path.rstrip("/").lower(), frozenset(parse_qsl(parts.query))


def same_page(candidate: object, page_url: str, *, exact: bool = False) -> bool:
    """Whether ``candidate`` names the page: same path, and with ``exact`` also the same
    query (the variant a URL selects)."""
    if not isinstance(candidate, str) or not candidate.strip() or not page_url:
        return False
    cand_path, cand_query = _url_key(candidate)
    page_path, page_query = _url_key(page_url)
    if cand_path != page_path:
        return False
    if exact:
        return bool(page_query and cand_query) and (
            page_query <= cand_query or cand_query <= page_query
        )
    return True


def find_product(documents: list[Any], page_url: str, heading: str | None) -> Node | None:
    """The page's main product: related and list items lose; among the rest the one that
    names the page's URL or heading and carries an offer wins, the first on a tie."""
    best: tuple[float, int] | None = None
    chosen: Node | None = None
    lone_offer: Node | None = None
    for index, (node, related, key) in enumerate(_walk(documents, related=False)):
        kinds = types_of(node)
        if lone_offer is None and not related and kinds & OFFER_TYPES:
            lone_offer = node
        if kinds & OFFER_TYPES and isinstance(node.get("itemOffered"), dict):
            offered = node["itemOffered"]
            if types_of(offered) & PRODUCT_TYPES and "offers" not in offered:
                node = {**offered, "offers": {k: v for k, v in node.items() if k != "itemOffered"}}
                kinds = types_of(node)
        if not kinds & PRODUCT_TYPES:
            continue
        score = 0.0 if related else 10.0
        if key == "hasVariant":
            score -= 5  # read through its ProductGroup, which picks the variant shown
        elif "isVariantOf" in node and not related:
            score -= 1
        if as_list(node.get("offers")) or node.get("hasVariant"):
            score += 3
        if same_page(first(node.get("url")), page_url):
            score += 2
        name = clean_text(first(node.get("name")), "title")
        if name and heading and _similar(name, heading):
            score += 2
        rank = (score, -index)
        if best is None or rank > best:
            best, chosen = rank, node
    if chosen is None and lone_offer is not None:
        # An Offer marked up with no Product around it still prices the page's product.
        return {"@type": ["Product"], "offers": lone_offer}
    return chosen


def _similar(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return a == b or (min(len(a), len(b)) >= 8 and (a in b or b in a))


def _pick_variant(group: Node, page_url: str) -> Node | None:
    variants = [v for v in as_list(group.get("hasVariant")) if isinstance(v, dict)]
    if not variants:
        return None
    for variant in variants:
        urls = [variant.get("url")] + [o.get("url") for o in _offers(variant)]
        if any(same_page(first(url), page_url, exact=True) for url in urls):
            return variant
    return _first_buyable(variants, lambda v: _offers(v))


def _offers(node: Node) -> list[Node]:
    return [offer for offer in as_list(node.get("offers")) if isinstance(offer, dict)]


def _first_buyable(items: list[Node], offers_of: Any) -> Node | None:
    """The first item in stock with a price, else the first with a price, else the first."""
    priced = [item for item in items if any(_has_price(o) for o in offers_of(item))]
    for item in priced:
        if any(
            normalize_availability(o.get("availability")) in {"InStock", "LimitedAvailability"}
            for o in offers_of(item)
        ):
            return item
    return priced[0] if priced else (items[0] if items else None)


def _pick_offer(product: Node, page_url: str) -> Node | None:
    offers = _offers(product)
    if not offers:
        return None
    for offer in offers:
        if same_page(first(offer.get("url")), page_url, exact=True):
            return offer
    return _first_buyable(offers, lambda o: [o])


def _has_price(offer: Node) -> bool:
    return to_decimal(_raw_price(offer)) is not None


def _raw_price(offer: Node) -> Any:
    for key in ("price", "lowPrice", "minPrice"):
        value = first(offer.get(key))
        if value not in (None, ""):
            return value
    for spec in as_list(offer.get("priceSpecification")):
        if isinstance(spec, dict) and first(spec.get("price")) not in (None, ""):
            return first(spec.get("price"))
    for inner in _offers(offer):
        if inner is not offer:
            value = _raw_price(inner)
            if value is not None:
                return value
    return None


def read_offer(offer: Node, found: Found, currency_hint: str | None) -> None:
    """Price, list price, currency and availability of one Offer or AggregateOffer."""
    currency = currency_code(first(offer.get("priceCurrency") or offer.get("currency")))
    hint = currency or currency_hint
    price_value: Any = None
    for key in ("price", "lowPrice", "minPrice"):
        price_value = first(offer.get(key))
        if to_decimal(price_value, currency_hint=hint) is not None:
            break
    list_value: Any = None
    for spec in as_list(offer.get("priceSpecification")):
        if not isinstance(spec, dict):
            continue
        kind = short_name(str(first(spec.get("priceType")) or ""))
        value = first(spec.get("price"))
        spec_currency = currency_code(first(spec.get("priceCurrency")))
        if kind in LIST_PRICE_TYPES:
            list_value = list_value or value
        elif _per_measure(spec):
            continue
        elif to_decimal(price_value, currency_hint=hint) is None:
            price_value = value
        currency = currency or spec_currency
    price = to_decimal(price_value, currency_hint=currency or hint)
    if price is None:
        for inner in _offers(offer):
            read_offer(inner, found, currency_hint)
            if found.get("price") is not None:
                break
    else:
        found.set("price", price)
        found.price_text = normalize_price_text(str(price_value))
        if currency is None and isinstance(price_value, str):
            parsed = read_price(price_value, currency_hint=currency_hint)
            currency = parsed.currency if parsed else None
        found.set("currency", currency)
        list_price = to_decimal(list_value, currency_hint=currency or hint)
        if list_price is not None and list_price > price:
            found.set("list_price", list_price)
    found.set("availability", normalize_availability(offer.get("availability")))
    if found.get("availability") is None and offer.get("offers"):
        states = {normalize_availability(o.get("availability")) for o in _offers(offer)}
        if "InStock" in states:
            found.set("availability", "InStock")
        elif states == {"OutOfStock"}:
            found.set("availability", "OutOfStock")
    found.set("sku", clean_text(first(offer.get("sku")), "sku"))
    found.set("gtin", _gtin(offer))
    found.set("mpn", clean_text(first(offer.get("mpn")), "mpn"))


def _per_measure(spec: Node) -> bool:
    quantity = spec.get("referenceQuantity")
    if not isinstance(quantity, dict):
        return False
    value = to_decimal(first(quantity.get("value")))
    return value is not None and value != Decimal(1)


def _brand(node: Node) -> str | None:
    for key in ("brand", "manufacturer"):
        value = first(node.get(key))
        if isinstance(value, dict):
            value = first(value.get("name")) or first(value.get("@value"))
        text = clean_text(value, "brand")
        if text and not text.lower().startswith(("http:", "https:", "_:")):
            return text
    return None


def _gtin(node: Node) -> str | None:
    for key in GTIN_KEYS:
        value = first(node.get(key))
        if isinstance(value, int | str):
            digits = re.sub(r"\D", "", str(value))
            if len(digits) in {8, 12, 13, 14}:
                return digits
    return None


def _pack_from_properties(node: Node) -> int | None:
    for prop in as_list(node.get("additionalProperty")):
        if isinstance(prop, dict) and _PACK_PROPERTY.search(str(first(prop.get("name")) or "")):
            qty = parse_pack_field(str(first(prop.get("value")) or ""))
            if qty:
                return qty
    return None


def _identifiers(node: Node, found: Found) -> None:
    found.set("sku", clean_text(first(node.get("sku")), "sku"))
    found.set("mpn", clean_text(first(node.get("mpn")), "mpn"))
    found.set("gtin", _gtin(node))


def product_found(
    documents: list[Any], method: str, page_url: str, heading: str | None, currency_hint: str | None
) -> Found:
    """Everything the structured data says about the page's main product."""
    found = Found(method)
    product = find_product(documents, page_url, heading)
    if product is None:
        return found
    variant = _pick_variant(product, page_url) if "hasVariant" in product else None
    item = variant or product
    offer = _pick_offer(item, page_url) or (_pick_offer(product, page_url) if variant else None)
    if offer is not None:
        read_offer(offer, found, currency_hint)
    _identifiers(item, found)
    if variant is not None:
        _identifiers(product, found)
    product_id = clean_text(first(item.get("productID")), "sku")
    if product_id:
        product_id = _ID_PREFIX.sub("", product_id) or None
    if product_id and not re.match(r"^(?:isbn|gtin\d*|ean|upc):", product_id, re.IGNORECASE):
        found.set("sku", product_id)
    name = clean_text(first(product.get("name")), "title") or clean_text(
        first(item.get("name")), "title"
    )
    found.set("title", name)
    found.set("brand", _brand(item) or _brand(product))
    pack = _pack_from_properties(item) or _pack_from_properties(product)
    for text in (first(item.get("name")), name):
        pack = pack or (parse_pack_qty(text) if isinstance(text, str) else None)
    found.set("pack_qty", pack)
    return found
