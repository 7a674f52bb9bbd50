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
from crawlers.extraction.packs import MAX_PACK, parse_pack_field, parse_pack_qty
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
    """The offer the page sells its product by: the one its URL names; else, among the
    new ones (a remanufactured or used offer never prices the new part while a new one
    is there), the one whose SKU is the product's, else the first buyable."""
    offers = _offers(product)
    if not offers:
        return None
    for offer in offers:
        if same_page(first(offer.get("url")), page_url, exact=True):
            return offer
    offers = [o for o in offers if is_new(o)] or offers
    own = {clean_text(first(product.get(key)), "sku") for key in ("sku", "mpn")} - {None}
    same_sku = [o for o in offers if clean_text(first(o.get("sku")), "sku") in own]
    return _first_buyable(same_sku or offers, lambda o: [o])


_NOT_NEW_NAME = re.compile(
    r"(?:reman\w*|refurb\w*|rebuilt|used|second[- ]hand|pre-?owned|exchange|"
    r"gebraucht|generalüberholt|aufbereitet|austausch|occasion|reconditionn\w*|"
    r"usado|usato|rigenerat\w*|gebruikt|używan\w*|regenerowan\w*|中古)\b",
    re.IGNORECASE,
)


def is_new(offer: Node) -> bool:
    """Whether an offer sells the part new: its ``itemCondition`` is NewCondition, or it
    states none and its name does not say remanufactured or used."""
    condition = first(offer.get("itemCondition"))
    if isinstance(condition, dict):
        condition = first(condition.get("@id") or condition.get("name"))
    if isinstance(condition, str) and condition.strip():
        return short_name(condition).lower() in {"newcondition", "new"}
    name = first(offer.get("name"))
    return not (isinstance(name, str) and _NOT_NEW_NAME.search(name))


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
    """Price, list price, currency, availability, tax basis and pack of one Offer or
    AggregateOffer. An AggregateOffer whose offers differ in condition is read through
    its new offer, not its ``lowPrice`` (which may be a used one)."""
    parts = _offers(offer)
    if any(not is_new(o) for o in parts) and any(is_new(o) for o in parts):
        chosen = _first_buyable([o for o in parts if is_new(o)], lambda o: [o])
        if chosen is not None and _has_price(chosen):
            merged = {k: v for k, v in offer.items() if k not in PRICE_KEYS and k != "offers"}
            read_offer({**merged, **chosen}, found, currency_hint)
            return
    currency = currency_code(first(offer.get("priceCurrency") or offer.get("currency")))
    hint = currency or currency_hint
    price_value: Any = None
    for key in ("price", "lowPrice", "minPrice"):
        price_value = first(offer.get(key))
        if to_decimal(price_value, currency_hint=hint) is not None:
            break
    list_value: Any = None
    # (raw value, amount, tax included) of the specifications that price the item
    specified: list[tuple[Any, Decimal, bool | None]] = []
    for spec in as_list(offer.get("priceSpecification")):
        if not isinstance(spec, dict):
            continue
        kind = short_name(str(first(spec.get("priceType")) or ""))
        value = first(spec.get("price"))
        currency = currency or currency_code(first(spec.get("priceCurrency")))
        if kind in LIST_PRICE_TYPES:
            list_value = list_value or value
            continue
        found.set("pack_qty", quantity_pack(spec.get("referenceQuantity")))
        amount = to_decimal(value, currency_hint=currency or hint)
        if amount is not None and not _per_measure(spec):
            specified.append((value, amount, _flag(spec.get("valueAddedTaxIncluded"))))
    if to_decimal(price_value, currency_hint=currency or hint) is None and specified:
        # net and gross both specified: the gross one, as a shopper pays it
        gross = [value for value, _, included in specified if included]
        price_value = gross[0] if gross else specified[0][0]
    price = to_decimal(price_value, currency_hint=currency or hint)
    if price is not None:
        by_tax = [(amount, tax) for _, amount, tax in specified if tax is not None]
        _tax_basis(price, by_tax, _flag(offer.get("valueAddedTaxIncluded")), found)
    # an offer valid for N units at a time prices N units; no unit stated means pieces
    found.set("pack_qty", quantity_pack(offer.get("eligibleQuantity"), unit_required=False))
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


PRICE_KEYS = frozenset({"price", "lowPrice", "highPrice", "minPrice", "maxPrice"})
# UN/CEFACT common codes (and words) that count pieces: a quantity in them is a pack.
COUNT_UNITS = frozenset(
    {"c62", "h87", "ea", "pce", "pcs", "pc", "piece", "pieces", "unit", "units", "each",
     "stück", "stk", "st", "szt", "ks", "pr", "set", "pk", "pack"}
)  # fmt: skip


def quantity_pack(quantity: Any, *, unit_required: bool = True) -> int | None:
    """A pack from a QuantitativeValue in pieces (``referenceQuantity`` of a price
    specification, ``eligibleQuantity`` of an offer): ``{"value": 100, "unitCode":
    "C62"}`` -> 100. A quantity in a measure (kg, litres, metres) is not a pack, nor
    is one with no unit unless ``unit_required`` is off."""
    quantity = first(quantity)
    if not isinstance(quantity, dict):
        return None
    unit = first(quantity.get("unitCode")) or first(quantity.get("unitText"))
    if unit is None and unit_required:
        return None
    if unit is not None and str(unit).strip().lower() not in COUNT_UNITS:
        return None
    value = to_decimal(first(quantity.get("value")))
    if value is None or value != value.to_integral_value() or not 1 < value <= MAX_PACK:
        return None
    return int(value)


def _per_measure(spec: Node) -> bool:
    """A price per measure (per kg, per 100 ml), not the price of what is sold."""
    quantity = spec.get("referenceQuantity")
    if not isinstance(quantity, dict):
        return False
    value = to_decimal(first(quantity.get("value")))
    return value is not None and value != Decimal(1) and quantity_pack(quantity) is None


def _flag(value: Any) -> bool | None:
    """``valueAddedTaxIncluded`` as JSON-LD, microdata or RDFa write it."""
    value = first(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False}.get(short_name(value).strip().lower())
    return None


def _tax_basis(
    price: Decimal, by_tax: list[tuple[Decimal, bool]], offer_flag: bool | None, found: Found
) -> None:
    """Whether ``price`` includes tax, and the same price on the other basis when the
    specifications give both."""
    stated = [included for amount, included in by_tax if amount == price]
    included = stated[0] if stated else offer_flag
    if included is None:
        return
    found.set("price_includes_tax", included)
    other = next((amount for amount, tax in by_tax if tax != included), None)
    found.set("other_basis_price", other)


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
