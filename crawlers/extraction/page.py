"""A product page parsed once: decoded text, the lxml tree, its meta tags and locale.

Every extraction method reads the same :class:`Page`, so a page is decoded and parsed
a single time however many methods look at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from lxml import etree
from parsel import Selector

from crawlers.extraction.currency import locale_currency
from crawlers.extraction.text import clean_text, decode_html, element_text


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


# Pages past this size are cut; product data sits well inside it.
MAX_HTML_CHARS = 8_000_000


@dataclass
class Page:
    """One product page; ``url`` is where it was fetched (or the ``--base-url``)."""

    url: str
    html: str
    default_currency: str | None = None
    selector: Selector = field(init=False, repr=False)

    def __post_init__(self) -> None:
        text = self.html[:MAX_HTML_CHARS].replace("\x00", "")
        try:
            self.selector = Selector(text=text or "<html></html>", base_url=self.url)
        except (ValueError, etree.ParserError):
            self.selector = Selector(text="<html></html>", base_url=self.url)

    @classmethod
    def parse(cls, html: str | bytes, url: str, default_currency: str | None = None) -> Page:
        return cls(url=url or "", html=decode_html(html or ""), default_currency=default_currency)

    @property
    def root(self) -> etree._Element:
        return self.selector.root

    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """``<meta>`` contents by lowercased ``property``, ``name`` or ``itemprop``,
        in page order."""
        found: dict[str, list[str]] = {}
        for node in self.root.iter("meta"):
            content = node.get("content")
            if content is None:
                continue
            for attr in ("property", "name", "itemprop"):
                key = (node.get(attr) or "").strip().lower()
                if key:
                    found.setdefault(key, []).append(content)
        return found

    def meta_value(self, *keys: str) -> str | None:
        for key in keys:
            for value in self.meta.get(key, ()):
                if value and value.strip():
                    return value
        return None

    @cached_property
    def locales(self) -> tuple[str, ...]:
        """Locale hints in order of trust: ``og:locale``, ``<html lang>``,
        ``content-language``."""
        hints: list[str] = []
        og_locale = self.meta_value("og:locale")
        if og_locale:
            hints.append(og_locale)
        lang = self.root.get("lang") or self.root.get("xml:lang")
        if lang:
            hints.append(lang)
        for node in self.root.iter("meta"):
            if (node.get("http-equiv") or "").lower() == "content-language":
                hints.append(node.get("content") or "")
        return tuple(hint.strip() for hint in hints if hint and hint.strip())

    @cached_property
    def locale_currency(self) -> str | None:
        return locale_currency(self.url, self.locales)

    @property
    def currency_hint(self) -> str | None:
        """What names a bare ``$`` or ``kr``: the configured currency, else the locale's."""
        return self.default_currency or self.locale_currency

    @cached_property
    def h1(self) -> etree._Element | None:
        """The product's heading: the ``<h1>`` outside the page chrome that best matches
        the page's title, else the first with text."""
        candidates = [
            node for node in self.root.iter("h1") if element_text(node, "title") is not None
        ]
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        reference = _words(self.meta_value("og:title") or self.title_tag or "")

        def rank(item: tuple[int, etree._Element]) -> tuple[bool, float, int]:
            index, node = item
            chrome = any(a.tag in {"header", "nav", "footer"} for a in node.iterancestors())
            words = _words(element_text(node, "title") or "")
            overlap = len(words & reference) / len(words) if words else 0.0
            return (not chrome, overlap, -index)

        return max(enumerate(candidates), key=rank)[1]

    @cached_property
    def title_tag(self) -> str | None:
        node = next(self.root.iter("title"), None)
        return clean_text(node.text_content(), "title") if node is not None else None

    @cached_property
    def has_structured_markup(self) -> bool:
        """Whether the page uses RDFa attributes worth running the RDFa parser for."""
        return bool(self.root.xpath("//*[@typeof][1]"))
