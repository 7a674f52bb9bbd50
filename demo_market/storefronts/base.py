"""What every demo storefront shares: responses, routing entry point, robots.txt, 404.

A storefront is a pure function from a request (path, query, the host it was asked
for) to a :class:`Response`; the HTTP server in :mod:`demo_market.server` only moves
bytes. Everything a shop prints that came from data goes through :func:`esc`.
"""

from __future__ import annotations

import datetime as dt
import html
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from demo_market.shops import ShopCatalog, ShopProduct, title

Query = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8"), "text/html; charset=utf-8")

    @classmethod
    def text(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8"), "text/plain; charset=utf-8")

    @classmethod
    def xml(cls, text: str) -> Response:
        return cls(200, text.encode("utf-8"), "application/xml; charset=utf-8")

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, b"", "text/plain; charset=utf-8", (("Location", location),))


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def usd(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def query_int(query: Query, key: str, default: int) -> int | None:
    """An integer query parameter; None when it is there but not a positive integer."""
    values = query.get(key)
    if not values:
        return default
    text = values[0].strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


_BLURBS = {
    "Filters": "Engineered to OE dimensions and efficiency, with a rolled seam, a {w} "
    "gasket and media that holds its pleat shape under high flow.",
    "Belts": "Heat- and oil-resistant compound with precision-ground ribs for quiet "
    "running, low stretch and long service life.",
    "Hoses": "Reinforced construction rated for continuous service; cut, crimped and "
    "pressure-tested before shipping.",
    "Seals": "Compound and lip geometry chosen for long service in oil, grease and "
    "hydraulic fluid; dimensions to ISO tolerances.",
    "Bearings": "Through-hardened chrome steel races, precision-ground and packed with "
    "high-temperature grease.",
    "Electrical": "Tested to OE output and fit; sealed against dust and water for "
    "off-highway duty.",
}


def blurb(product: ShopProduct) -> str:
    text = _BLURBS.get(product.category, "Quality product from a trusted brand, ready to ship.")
    return text.format(w="nitrile") + f" Direct replacement: {product.name}."


class Storefront(ABC):
    """One shop: its catalog, the day its prices are for, and its pages."""

    display_name: str = ""
    disallow: tuple[str, ...] = ("/cart", "/account", "/checkout", "/search")

    def __init__(self, catalog: ShopCatalog, day: dt.date) -> None:
        self.catalog = catalog
        self.day = day

    @property
    def name(self) -> str:
        return self.catalog.name

    def handle(self, path: str, query: Query, origin: str) -> Response:
        """Answer one GET; ``origin`` is ``http://host:port`` as the client asked for it."""
        if path == "/robots.txt":
            return Response.text(self.robots(origin))
        response = self.route(path, query, origin)
        return response if response is not None else self.not_found(path)

    @abstractmethod
    def route(self, path: str, query: Query, origin: str) -> Response | None:
        """The page at ``path``, or None for a 404."""

    @abstractmethod
    def layout(self, page_title: str, body: str) -> str:
        """The shop's chrome (header, navigation, footer) around ``body``."""

    def robots(self, origin: str) -> str:
        lines = ["# robots.txt for " + self.display_name, "User-agent: *"]
        lines += [f"Disallow: {path}" for path in self.disallow]
        lines += ["Allow: /", ""]
        return "\n".join(lines)

    def not_found(self, path: str) -> Response:
        body = (
            '<section class="not-found"><h1>Page not found</h1>'
            f"<p>Sorry, we could not find <code>{esc(path)}</code>. The part may have "
            'been discontinued. Try our <a href="/">home page</a>.</p></section>'
        )
        return Response.html(self.layout("Page not found", body), status=404)

    def price(self, product: ShopProduct) -> Decimal:
        return self.catalog.price(product, self.day)

    def title(self, product: ShopProduct) -> str:
        return title(self.catalog.profile, product)

    def related(self, product: ShopProduct, count: int = 4) -> list[ShopProduct]:
        """Neighbours in the same category: the "customers also viewed" strip."""
        same = [p for p in self.catalog.products if p.category == product.category and p != product]
        if not same:
            return []
        start = sum(map(ord, product.item_no)) % len(same)
        return (same[start:] + same[:start])[:count]
