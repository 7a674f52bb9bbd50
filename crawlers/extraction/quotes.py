"""Prices a page deliberately does not show, and quantity-break price tables.

"Call for price", "Preis auf Anfrage", "Log in to see prices": the page has no price
on purpose. Such a page is stored without a price (never as 0) and does not count as
a page whose price could not be read.

B2B shops print a price per quantity band (1–9, 10–49, 50+). :func:`price_breaks`
reads such a table as ``(lowest quantity, price)`` rows; the observation's price is
the single-unit (first) break, and the breaks travel beside it.
"""

from __future__ import annotations

import re
from decimal import Decimal

from lxml import etree

from crawlers.extraction.page import Page
from crawlers.extraction.prices import read_price
from crawlers.extraction.text import element_text

ON_REQUEST = re.compile(
    r"call (?:us )?for (?:a )?(?:price|pricing|quote)|price (?:up)?on request"
    r"|prices? on application|\bpoa\b|request (?:a )?(?:price|quote) for (?:this|pricing)"
    r"|contact us for (?:a )?(?:price|pricing)"
    r"|(?:log|sign) ?in (?:to|for) (?:see |view )?(?:the |your )?(?:price|pricing)"
    r"|preis auf anfrage|preis nach anfrage|prix sur (?:demande|devis)"
    r"|precio (?:a consultar|bajo pedido|a petición)|prezzo su richiesta|prijs op aanvraag"
    r"|cena na (?:zapytanie|telefon)|pris på (?:förfrågan|forespørgsel|forespørsel)"
    r"|価格はお問い合わせ|价格面议",
    re.IGNORECASE,
)
MAX_NOTE = 80
_SKIP = frozenset({"script", "style", "noscript", "template", "header", "footer", "nav", "title"})

# "1–9", "10 - 49", "50+", "50 or more", "ab 10", "from 10 pcs", ">= 100", "10 Stk."
_QTY = re.compile(
    r"^(?:(?:ab|from|min\.?|>=?|≥)\s*)?(\d{1,6})\s*(?:[-–—]\s*\d{1,6}|\+|or more|and (?:up|more)|"
    r"und mehr|et plus)?\s*(?:pcs?\.?|pieces?|units?|packs?|boxes|stk\.?|stück|st\.?|ea)?\s*:?$",
    re.IGNORECASE,
)


def price_on_request(page: Page) -> str | None:
    """The phrase that says the price is given on request, from the page's body text."""
    body = next(page.root.iter("body"), None)
    if body is None:
        return None
    for node in body.iter():
        if not isinstance(node.tag, str) or node.tag in _SKIP:
            continue
        if any(isinstance(a.tag, str) and a.tag in _SKIP for a in node.iterancestors()):
            continue
        for text in (node.text, node.tail):
            if text and len(text.strip()) <= MAX_NOTE:
                found = ON_REQUEST.search(text)
                if found:
                    return text.strip()
    return None


def price_breaks(page: Page, currency_hint: str | None) -> tuple[tuple[int, Decimal], ...]:
    """The first quantity-break table on the page, lowest quantity first; () if none."""
    for table in page.root.iter("table"):
        rows = _table_breaks(table, currency_hint)
        if rows:
            return rows
    return ()


def _table_breaks(
    table: etree._Element, currency_hint: str | None
) -> tuple[tuple[int, Decimal], ...]:
    found: list[tuple[int, Decimal]] = []
    for row in table.iter("tr"):
        cells = [element_text(cell) or "" for cell in row if cell.tag in ("td", "th")]
        if len(cells) < 2:
            continue
        qty = _QTY.match(cells[0].strip())
        if not qty:
            continue
        price = next(
            (p for cell in cells[1:] if (p := read_price(cell, currency_hint=currency_hint))),
            None,
        )
        if price is None or price.amount <= 0:
            continue
        found.append((int(qty.group(1)), price.amount))
    quantities = [qty for qty, _ in found]
    if len(found) < 2 or quantities != sorted(set(quantities)) or quantities[-1] <= 1:
        return ()
    return tuple(found)
