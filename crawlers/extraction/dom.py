"""The visible page as short text blocks with layout hints, for the fallback heuristics.

One pass over the tree records every element whose visible text is short, with what a
reader would notice: is it struck through (``<del>``, ``<s>``, ``old-price``), inside
page chrome or a related-products shelf, inside a listing card, hidden, and how far it
sits from the product's heading in reading order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from crawlers.extraction.page import Page
from crawlers.extraction.text import BLOCK_TAGS, INVISIBLE_CHARS, INVISIBLE_TAGS, is_cents

MAX_BLOCK_CHARS = 200
MAX_DEPTH = 250
SKIPPED_TAGS = INVISIBLE_TAGS | {"select", "option", "textarea", "button", "iframe", "object"}

# Sections that never hold the main product's data (unless they hold its heading).
NOISE = re.compile(
    r"related|recommend|upsell|up-sell|cross-?sell|similar|also[-_]?(?:bought|viewed|like)|"
    r"recently|viewed|you[-_]?may|carousel|swiper|slick|breadcrumb|mini-?cart|cart-?drawer|"
    r"menu-?drawer|newsletter|cookie|announcement|promo-?bar|top-?bar|footer|header|navbar|"
    r"megamenu|mega-menu|quick-?view|frequently|bought-?together|\bfbt\b|accessor|"
    r"complementary|product-?recommendations|products-?grid|product-?list(?:ing)?\b|"
    r"search-?results|wishlist|bundle",
    re.IGNORECASE,
)
# Headings that open a shelf of other products.
SHELF_HEADING = re.compile(
    r"related|similar|also (?:like|bought|viewed|purchased)|you may|you might|recommended|"
    r"recently viewed|frequently bought|bought together|customers who|people also|"
    r"complete the|goes well with|accessor|alternative|top sellers|bestsellers|"
    r"kunden kauften|ähnliche|passend|zubehör|empfehlung|zuletzt angesehen|das könnte|"
    r"vous aimerez|produits similaires|articles similaires|accessoires|"
    r"productos relacionados|también te|prodotti correlati|potrebbe interessarti|"
    r"gerelateerde|vergelijkbare|podobne produkty|polecane|liknande|relaterade|"
    r"benzer ürünler|ilginizi çek|похожие товары|с этим товаром|рекомендуем|관련상품|함께 구매|"
    r"produtos relacionados|quem viu|você também|lignende produkter|podobné produkty|"
    r"hasonló termékek|produse similare|関連商品|おすすめ商品|この商品を見た人",
    re.IGNORECASE,
)
SECTION_TAGS = frozenset({"div", "section", "aside", "ul", "ol", "article", "table", "tbody"})
HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6", "strong", "header", "p"})
WEAK_NOISE = re.compile(r"sidebar|review|comment|rating|question|faq|tab-?content", re.I)
CARD = re.compile(
    r"product[-_]?(?:item|card|tile|box|miniature|thumb|teaser|grid-item|list-item)|"
    r"grid-product|card-product|item-card|productcard|producttile",
    re.IGNORECASE,
)
STRUCK_CLASS = re.compile(
    r"(?:^|[\s_-])(?:old|was|strike|strikethrough|crossed|rrp|uvp|msrp|compare|"
    r"compare-at|before|prev|previous|oldprice|wasprice|statt|ancien|barre|tachado|antes|"
    r"vorher|streichpreis|strikeprice|strike-price|crossprice)(?:$|[\s_-])|line-through|streich|"
    r"price-old|old-price|was-price|price-was|price-before|price--compare|compare-price",
    re.IGNORECASE,
)
# Old-price words that only count inside a price class ("price--regular", "list-price").
SOFT_OLD_CLASS = re.compile(
    r"(?:regular|list|original|retail|standard|normal|reference|non-sale)[-_]*price|"
    r"price[-_a-z]*?[-_](?:regular|list|original|retail|standard|normal|non-sale)\b|"
    r"listprice|regularprice|strikeout|(?:^|\s)(?:regular|original)(?:$|\s)",
    re.IGNORECASE,
)
TITLE_CLASS = re.compile(
    r"product[-_]*(?:title|name)|productname|pdp[-_]*(?:title|name)|item[-_]?title", re.I
)


@dataclass(slots=True)
class Block:
    """An element with short visible text, and where it sits on the page."""

    element: etree._Element
    order: int
    text: str  # visible text without struck-through parts
    full_text: str  # visible text including struck-through parts
    attrs: str  # own class, id, itemprop and data-* hints, lowercased
    parent_attrs: str  # the same for its parent
    near_attrs: str  # the same for the element and its two nearest ancestors
    struck: bool
    soft_old: bool
    noise: bool
    weak_noise: bool
    card: bool
    hidden: bool


@dataclass
class Layout:
    blocks: list[Block] = field(default_factory=list)
    anchor: etree._Element | None = None  # the product's heading, what "near" is measured to
    anchor_order: int | None = None
    short_text: dict[etree._Element, str] = field(default_factory=dict)
    memo: dict[object, object] = field(default_factory=dict)  # results read off the layout


def attrs_of(element: etree._Element) -> str:
    parts = [element.get("class") or "", element.get("id") or "", element.get("itemprop") or ""]
    if element.tag == "ins":
        parts.append("ins")
    for name, value in element.attrib.items():
        if name.startswith("data-") and ("price" in name or "stock" in name or "avail" in name):
            parts.append(f"{name} {value}" if len(value) < 40 else name)
    return " ".join(parts).lower()


def layout_of(page: Page) -> Layout:
    """Short-text blocks of the page body in reading order."""
    layout = Layout()
    body = next(page.root.iter("body"), None)
    start = body if body is not None else page.root
    heading = page.h1
    if heading is None or _in_chrome(heading):
        titled = _title_element(start)
        if titled is None:
            titled = _named_element(start, page.meta_value("og:title"))
        heading = titled if titled is not None else heading
    layout.anchor = heading
    holds_heading = set(heading.iterancestors()) | {heading} if heading is not None else set()
    counter = [0]
    state = _State(False, False, False, False, False, False, "", "")
    _visit(start, state, 0, layout, holds_heading, heading, counter)
    return layout


def _in_chrome(element: etree._Element) -> bool:
    return any(a.tag in {"header", "nav", "footer"} for a in element.iterancestors())


def _title_element(start: etree._Element) -> etree._Element | None:
    """Without an ``<h1>``: the element whose class names the product's title."""
    for element in start.iter():
        if not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS:
            continue
        if element.tag in {"h1", "h2", "h3", "div", "span", "p"} and TITLE_CLASS.search(
            element.get("class") or ""
        ):
            return element
    return None


def _named_element(start: etree._Element, name: str | None) -> etree._Element | None:
    """Without a heading or a title class: the first heading (else short element) outside
    page chrome whose text is the product's name from ``og:title``."""
    wanted = " ".join((name or "").split()).lower()
    if len(wanted) < 4:
        return None
    fallback: etree._Element | None = None
    for element in start.iter("h2", "h3", "h4", "div", "span", "p", "strong"):
        if len(element) > 3 or _in_chrome(element):
            continue
        text = " ".join("".join(element.itertext()).split()).lower()
        if text != wanted:
            continue
        if element.tag in {"h2", "h3", "h4"}:
            return element
        fallback = fallback if fallback is not None else element
    return fallback


@dataclass(slots=True, frozen=True)
class _State:
    struck: bool
    soft_old: bool
    noise: bool
    weak_noise: bool
    card: bool
    hidden: bool
    parent_attrs: str
    grandparent_attrs: str


@lru_cache(maxsize=4096)
def _class_flags(class_id: str) -> tuple[bool, bool, bool, bool, bool]:
    """(struck, soft_old, noise, weak_noise, card) as one class/id string says."""
    return (
        bool(STRUCK_CLASS.search(class_id)),
        bool(SOFT_OLD_CLASS.search(class_id)),
        bool(NOISE.search(class_id)),
        bool(WEAK_NOISE.search(class_id)),
        bool(CARD.search(class_id)),
    )


def _struck_here(element: etree._Element, class_struck: bool) -> bool:
    """Struck through by its tag, class, inline style or a ``data-*strike*`` flag."""
    if class_struck or element.tag in {"del", "s", "strike"}:
        return True
    if "line-through" in (element.get("style") or ""):
        return True
    return any(
        "strike" in name and value.lower() not in {"false", "0"}
        for name, value in element.attrib.items()
        if name.startswith("data-")
    )


def _visit(
    element: etree._Element,
    state: _State,
    depth: int,
    layout: Layout,
    holds_heading: set[etree._Element],
    heading: etree._Element | None,
    counter: list[int],
) -> tuple[str, str, bool, bool] | None:
    """Visit an element; while its text is short, returns (full text, text without
    struck parts, whether it holds a listing card, whether it is struck itself)."""
    if not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS or depth > MAX_DEPTH:
        return "", "", False, False
    order = counter[0]
    counter[0] += 1
    if element is heading:
        layout.anchor_order = order
    attrs = attrs_of(element)
    class_struck, class_old, class_noise, class_weak, class_card = _class_flags(
        f"{element.get('class') or ''} {element.get('id') or ''}"
    )
    outside = element not in holds_heading
    struck_here = _struck_here(element, class_struck)
    noise = state.noise or (
        outside
        and (
            element.tag in {"footer", "nav", "header"}
            or class_noise
            or (element.tag in SECTION_TAGS and _opens_shelf(element))
        )
    )
    hidden = state.hidden or _hidden_here(element)
    child_state = _State(
        struck=state.struck or struck_here,
        soft_old=state.soft_old or class_old,
        noise=noise,
        weak_noise=state.weak_noise or (outside and (element.tag == "aside" or class_weak)),
        card=state.card or (outside and class_card),
        hidden=hidden,
        parent_attrs=attrs,
        grandparent_attrs=state.parent_attrs,
    )
    block_gap = " " if element.tag in BLOCK_TAGS else ""
    full: list[str] = [block_gap]
    clean: list[str] = [block_gap]
    size = 0
    too_long = False
    holds_card = child_state.card
    if element.tag == "sup" and is_cents(element):
        full.append("." + (element.text or "").strip())
        clean.append(full[-1])
    elif element.text:
        full.append(element.text)
        clean.append(element.text)
        size += len(element.text)
    for child in element:
        result = _visit(child, child_state, depth + 1, layout, holds_heading, heading, counter)
        if result is None:
            too_long = True
        elif not too_long:
            holds_card = holds_card or result[2]
            full.append(result[0])
            clean.append("" if result[3] and not child_state.struck else result[1])
            size += len(result[0])
        if child.tail and not too_long:
            full.append(child.tail)
            clean.append(child.tail)
            size += len(child.tail)
        if size > MAX_BLOCK_CHARS * 4:
            too_long = True
    if too_long:
        return None
    full_text = " ".join("".join(full).translate(INVISIBLE_CHARS).split())
    if len(full_text) > MAX_BLOCK_CHARS:
        return None
    clean_text = " ".join("".join(clean).translate(INVISIBLE_CHARS).split())
    if full_text:
        layout.short_text[element] = full_text
        layout.blocks.append(
            Block(
                element=element,
                order=order,
                text=clean_text,
                full_text=full_text,
                attrs=attrs,
                parent_attrs=state.parent_attrs,
                near_attrs=" ".join((attrs, state.parent_attrs, state.grandparent_attrs)),
                struck=child_state.struck,
                soft_old=child_state.soft_old,
                noise=noise,
                weak_noise=child_state.weak_noise,
                card=holds_card,
                hidden=hidden,
            )
        )
    gap_full = block_gap + full_text + block_gap
    return gap_full, block_gap + clean_text + block_gap, holds_card, struck_here


HIDDEN_CLASS = re.compile(
    r"(?:^|\s)(?:hidden|hide|d-none|is-hidden|display-none|displaynone|invisible|no-display|"
    r"u-hidden)(?:$|\s)"
)


def is_hidden(element: etree._Element) -> bool:
    """Hidden by an attribute, inline style or a hiding class, itself or an ancestor."""
    node: etree._Element | None = element
    while node is not None and node.tag not in {"body", "html"}:
        if _hidden_here(node):
            return True
        node = node.getparent()
    return False


def _hidden_here(node: etree._Element) -> bool:
    if node.get("hidden") is not None:
        return True
    style = node.get("style")
    if style and "display:none" in style.replace(" ", "").lower():
        return True
    return bool(HIDDEN_CLASS.search(node.get("class") or ""))


def _opens_shelf(element: etree._Element) -> bool:
    """A section whose first heading, or the heading just before it, says "related
    products", "you may also like"..."""
    previous = element.getprevious()
    if (
        previous is not None
        and isinstance(previous.tag, str)
        and previous.tag in HEADING_TAGS
        and SHELF_HEADING.search(" ".join(previous.itertext())[:120])
    ):
        return True
    for child in element[:3]:
        if not isinstance(child.tag, str):
            continue
        heading = child if child.tag in HEADING_TAGS else None
        if heading is None and len(child):
            heading = (
                child[0] if isinstance(child[0].tag, str) and child[0].tag in HEADING_TAGS else None
            )
        if heading is not None:
            text = " ".join(heading.itertext())[:120]
            if SHELF_HEADING.search(text):
                return True
    return False


def ancestor_texts(layout: Layout, element: etree._Element, levels: int = 3) -> list[str]:
    """Short texts of an element's nearest ancestors (nearest first)."""
    texts: list[str] = []
    for ancestor in element.iterancestors():
        if len(texts) >= levels:
            break
        text = layout.short_text.get(ancestor)
        if text is None:
            break
        texts.append(text)
    return texts
