"""Untrusted text from pages, made safe to store: decoded, collapsed, stripped, capped.

Nothing here evaluates what it reads; markup inside a value is dropped, entities are
unescaped once, control and zero-width characters go, and every field has a length cap.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from lxml import etree
from w3lib.encoding import html_to_unicode

# Caps per field; a value longer than this is page noise, not a product attribute.
MAX_LENGTHS: dict[str, int] = {
    "title": 300,
    "brand": 100,
    "sku": 64,
    "mpn": 64,
    "gtin": 14,
    "currency": 3,
    "availability": 40,
}
DEFAULT_MAX = 300
# Placeholders templates print where a value is missing.
_PLACEHOLDERS = frozenset(
    {"null", "none", "undefined", "n/a", "na", "-", "0", "false", "nan", "tbd"}
)
_IDENTIFIER_FIELDS = frozenset({"sku", "mpn", "gtin", "brand"})

_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_CONTROL = re.compile(
    r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u2060\ufeff]"
)
_WHITESPACE = re.compile(r"\s+")
# Invisible marks (bidi, zero-width) and icon-font glyphs dropped from visible text.
INVISIBLE_CHARS = {
    code: None
    for code in [*range(0x200B, 0x2010), *range(0x202A, 0x202F), 0x2060, 0xFEFF, 0x00AD,
                 *range(0xE000, 0xF900)]
}  # fmt: skip

# Elements whose text is never what a shopper reads.
INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "title"})
# Elements that break a line, so their text does not run into the next one.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "option", "p", "pre",
        "section", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip


def clean_text(value: object, field: str | None = None) -> str | None:
    """A single-line, capped string, or None for empty or non-text values."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    text = _CONTROL.sub("", text)
    text = _WHITESPACE.sub(" ", text).strip()
    if not text:
        return None
    if field in _IDENTIFIER_FIELDS and text.lower() in _PLACEHOLDERS:
        return None
    limit = MAX_LENGTHS.get(field or "", DEFAULT_MAX)
    if len(text) > limit:
        text = text[:limit].rstrip()
    return text


def decode_html(body: str | bytes) -> str:
    """Page text from bytes in any encoding: BOM, then the ``<meta charset>``, then a
    guess; never raises."""
    if isinstance(body, str):
        return body
    _, text = html_to_unicode(None, body, auto_detect_fun=_guess_encoding)
    return text


def _guess_encoding(body: bytes) -> str | None:
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return "cp1252"
    best = from_bytes(body[:200_000]).best()
    return best.encoding if best is not None else "cp1252"


def _is_element(node: object) -> bool:
    return isinstance(node, etree._Element) and isinstance(node.tag, str)


def iter_text(element: etree._Element, *, skip: frozenset[str] = INVISIBLE_TAGS) -> Iterator[str]:
    """Text pieces of an element in reading order, with a space at block boundaries and a
    decimal point before a ``<sup>`` that holds cents (``$12<sup>99</sup>``)."""
    if not _is_element(element) or element.tag in skip:
        return
    if element.tag in BLOCK_TAGS:
        yield " "
    if element.tag == "sup" and is_cents(element):
        yield "." + (element.text or "").strip()
    elif element.text:
        yield element.text
    for child in element:
        yield from iter_text(child, skip=skip)
        if child.tail:
            yield child.tail
    if element.tag in BLOCK_TAGS:
        yield " "


def is_cents(sup: etree._Element) -> bool:
    cents = (sup.text or "").strip()
    if len(cents) != 2 or not cents.isdigit() or len(sup):
        return False
    previous = sup.getprevious()
    if previous is not None:
        before = previous.tail or "".join(previous.itertext())
    else:
        parent = sup.getparent()
        before = parent.text or "" if parent is not None else ""
    return before.rstrip()[-1:].isdigit()


def element_text(element: etree._Element, field: str | None = None) -> str | None:
    """Visible text of an element, collapsed and capped."""
    return clean_text("".join(iter_text(element)), field)
