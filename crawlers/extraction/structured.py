"""The page's embedded schema.org data: JSON-LD, microdata and RDFa, via extruct.

Each syntax is loaded into plain dicts with short keys (``name``, not
``http://schema.org/name``), ``@id`` references resolved, and ``@value`` wrappers
dropped, then read by :mod:`crawlers.extraction.schema`. Broken JSON-LD (HTML comments,
CDATA, trailing commas, two objects in one script, a block escaped as ``&quot;``) is
repaired where it can be, and one bad block never hides the others.
"""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any

from extruct.jsonld import JsonLdExtractor
from extruct.rdfa import RDFaExtractor
from extruct.utils import parse_xmldom_html
from extruct.w3cmicrodata import MicrodataExtractor

from crawlers.extraction.fields import Found
from crawlers.extraction.page import Page
from crawlers.extraction.schema import product_found, short_name
from crawlers.extraction.text import element_text

log = logging.getLogger(__name__)

MAX_DEPTH = 16
MAX_SCRIPT_CHARS = 2_000_000

_COMMENTS = re.compile(r"<!--|-->|//\s*<!\[CDATA\[|//\s*\]\]>|<!\[CDATA\[|\]\]>")
_LINE_COMMENT = re.compile(r"^\s*//[^\n]*$", re.MULTILINE)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _heading(page: Page) -> str | None:
    return element_text(page.h1, "title") if page.h1 is not None else None


def jsonld_found(page: Page) -> Found:
    documents = load_jsonld(page)
    if not documents:
        return Found("json-ld")
    return product_found(documents, "json-ld", page.url, _heading(page), page.currency_hint)


def microdata_found(page: Page) -> Found:
    if not page.root.xpath("//*[@itemscope][1]"):
        return Found("microdata")
    try:
        items = MicrodataExtractor().extract_items(page.root, page.url)
    except Exception:  # extruct raises whatever lxml or its cleaner raise
        log.debug("microdata extraction failed on %s", page.url, exc_info=True)
        return Found("microdata")
    documents = [_from_microdata(item, 0) for item in items]
    return product_found(documents, "microdata", page.url, _heading(page), page.currency_hint)


def rdfa_found(page: Page) -> Found:
    if not page.has_structured_markup:
        return Found("rdfa")
    try:
        tree = parse_xmldom_html(page.html.encode("utf-8"), encoding="utf-8")
        nodes = RDFaExtractor().extract_items(tree, base_url=page.url)
    except Exception:  # pyRdfa and rdflib raise many unrelated types on odd markup
        log.debug("RDFa extraction failed on %s", page.url, exc_info=True)
        return Found("rdfa")
    documents = _from_expanded(nodes)
    return product_found(documents, "rdfa", page.url, _heading(page), page.currency_hint)


# --- JSON-LD ------------------------------------------------------------------------


def load_jsonld(page: Page) -> list[Any]:
    """Every JSON-LD block on the page, normalized, with ``@id`` references resolved."""
    blocks: list[Any] = []
    for script in page.root.iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" not in kind:
            continue
        blocks.extend(_parse_block(script))
    normalized = [_normalize(block, 0) for block in blocks]
    ids: dict[str, dict[str, Any]] = {}
    _collect_ids(normalized, ids, 0)
    return [_resolve(block, ids, frozenset(), 0) for block in normalized]


def _parse_block(script: Any) -> list[Any]:
    text = script.text or ""
    if not text.strip() or len(text) > MAX_SCRIPT_CHARS:
        return []
    try:
        return list(JsonLdExtractor().extract_items(script))
    except Exception:  # json and jstyleson errors; fall through to the repairs below
        pass
    if "&quot;" in text[:200]:  # the whole block HTML-escaped by a template
        text = html.unescape(text)
    repaired = _COMMENTS.sub("", text)
    repaired = _LINE_COMMENT.sub("", repaired)
    repaired = _CONTROL.sub(" ", repaired)
    repaired = _TRAILING_COMMA.sub(r"\1", repaired).strip().rstrip(";")
    decoder = json.JSONDecoder(strict=False)
    found: list[Any] = []
    position = 0
    while position < len(repaired):
        while position < len(repaired) and repaired[position] not in "{[":
            position += 1
        if position >= len(repaired):
            break
        try:
            value, position = decoder.raw_decode(repaired, position)
        except ValueError:
            break
        found.extend(value if isinstance(value, list) else [value])
    return found


# Keys some generators capitalize ("Availability", "Price"): read as schema.org spells them.
_CANONICAL_KEYS = {
    key.lower(): key
    for key in (
        "availability", "price", "priceCurrency", "lowPrice", "highPrice", "offers", "sku",
        "mpn", "gtin", "gtin8", "gtin12", "gtin13", "gtin14", "brand", "name", "url",
        "priceSpecification", "productID",
    )
}  # fmt: skip


def _normalize(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, list):
        return [_normalize(item, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    if "@value" in value and not (set(value) - {"@value", "@type", "@language"}):
        return value["@value"]
    result: dict[str, Any] = {}
    for key, child in value.items():
        if not isinstance(key, str):
            continue
        name = key if key.startswith("@") else short_name(key)
        name = _CANONICAL_KEYS.get(name.lower(), name)
        if name == "@type":
            types = child if isinstance(child, list) else [child]
            result["@type"] = [short_name(t) for t in types if isinstance(t, str)]
        elif name not in result:
            result[name] = _normalize(child, depth + 1)
    return result


def _collect_ids(value: Any, ids: dict[str, dict[str, Any]], depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            _collect_ids(item, ids, depth + 1)
    elif isinstance(value, dict):
        node_id = value.get("@id")
        if isinstance(node_id, str) and len(value) > 1:
            existing = ids.get(node_id)
            ids[node_id] = {**existing, **value} if existing else value
        for child in value.values():
            _collect_ids(child, ids, depth + 1)


def _resolve(value: Any, ids: dict[str, dict[str, Any]], seen: frozenset[str], depth: int) -> Any:
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, list):
        return [_resolve(item, ids, seen, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    node_id = value.get("@id")
    if isinstance(node_id, str):
        if node_id in seen:
            return {"@id": node_id}
        if len(value) == 1 and node_id in ids:
            value = ids[node_id]
        seen = seen | {node_id}
    return {
        key: child
        if key.startswith("@") and key != "@graph"
        else _resolve(child, ids, seen, depth + 1)
        for key, child in value.items()
    }


# --- microdata and RDFa -------------------------------------------------------------


def _from_microdata(item: Any, depth: int) -> Any:
    """extruct's ``{"type": ..., "properties": {...}}`` as a JSON-LD-like dict."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(item, list):
        return [_from_microdata(value, depth + 1) for value in item]
    if not isinstance(item, dict):
        return item
    if "properties" not in item and "value" in item:
        return item["value"]
    types = item.get("type") or []
    node: dict[str, Any] = {
        "@type": [short_name(t) for t in (types if isinstance(types, list) else [types])]
    }
    if item.get("id"):
        node["@id"] = item["id"]
    for key, value in (item.get("properties") or {}).items():
        node[short_name(key)] = _from_microdata(value, depth + 1)
    return node


def _from_expanded(nodes: list[Any]) -> list[Any]:
    """RDFa's expanded JSON-LD (``{"http://schema.org/name": [{"@value": ...}]}``) as
    nested short-key dicts, starting from the nodes nothing else points to."""
    by_id = {node["@id"]: node for node in nodes if isinstance(node, dict) and "@id" in node}
    referenced: set[str] = set()
    for node in by_id.values():
        for key, values in node.items():
            if not key.startswith("@") and isinstance(values, list):
                referenced.update(v["@id"] for v in values if isinstance(v, dict) and "@id" in v)

    def convert(node: dict[str, Any], seen: frozenset[str], depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {"@type": [short_name(t) for t in node.get("@type", [])]}
        for key, values in node.items():
            if key.startswith("@") or not isinstance(values, list):
                continue
            converted: list[Any] = []
            for value in values:
                if not isinstance(value, dict):
                    converted.append(value)
                elif "@value" in value:
                    converted.append(value["@value"])
                elif value.get("@id") in by_id and value["@id"] not in seen and depth < MAX_DEPTH:
                    target = value["@id"]
                    converted.append(convert(by_id[target], seen | {target}, depth + 1))
                elif "@id" in value:
                    converted.append(value["@id"])
            result[short_name(key)] = converted[0] if len(converted) == 1 else converted
        return result

    roots = [node for node_id, node in by_id.items() if node_id not in referenced]
    return [convert(node, frozenset({node["@id"]}), 0) for node in roots or by_id.values()]
