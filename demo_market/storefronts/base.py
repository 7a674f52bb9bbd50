"""What every demo storefront shares: responses, routing entry point, robots.txt, 404.

A storefront is a pure function from a request (path, query, the host it was asked
for) to a :class:`Response`; the HTTP server in :mod:`demo_market.server` only moves
bytes. Everything a shop prints that came from data goes through :func:`esc`.
A shop may sit behind a rate limiter and can be told to inject faults on its product
pages (:mod:`demo_market.faults`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from math import ceil

from demo_market.faults import FaultPlan, TokenBucket
from demo_market.shops import ShopCatalog, ShopProduct, title

Query = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # the server waits this long before answering
    drop_after: int | None = None  # the server sends this many body bytes, then hangs up

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

    @classmethod
    def json(cls, text: str) -> Response:
        return cls(200, text.encode("utf-8"), "application/json; charset=utf-8")


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def usd(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def eur(amount: Decimal) -> str:
    """German style: ``1.234,56 €`` (no-break space before the sign)."""
    text = f"{amount:,.2f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return f"{text}\u00a0€"


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
    # (burst, requests a second) of the shop's standing rate limit; None: no limit
    rate_limit: tuple[float, float] | None = None
    # (burst, requests a second) in the "ratelimit" fault mode
    strict_rate_limit: tuple[float, float] = (20, 20)
    supported_faults: tuple[str, ...] = ("ratelimit", "5xx", "slow", "truncated")

    def __init__(self, catalog: ShopCatalog, day: dt.date) -> None:
        self.catalog = catalog
        self.day = day
        self.faults = FaultPlan(supported=self.supported_faults)
        self._limiter: TokenBucket | None = None
        self.set_faults(())

    def set_faults(self, modes: Sequence[str] | frozenset[str] | set[str]) -> None:
        """Switch fault modes on (an empty list: behave)."""
        self.faults.set(modes)
        limit = self.strict_rate_limit if "ratelimit" in self.faults else self.rate_limit
        self._limiter = TokenBucket(*limit) if limit else None

    @property
    def redesigned(self) -> bool:
        return "redesign" in self.faults

    def is_product_path(self, path: str) -> bool:
        return path.startswith(self.catalog.profile.product_prefix)

    @property
    def name(self) -> str:
        return self.catalog.name

    def handle(self, path: str, query: Query, origin: str) -> Response:
        """Answer one GET; ``origin`` is ``http://host:port`` as the client asked for it."""
        if path == "/robots.txt":
            return Response.text(self.robots(origin))
        wait = self._limiter.take() if self._limiter else 0.0
        if wait:
            return self.too_many_requests(wait)
        fault = self.faults.for_page(path) if self.is_product_path(path) else None
        if fault is not None and fault.status == 429:
            return self.too_many_requests(1.0)
        if fault is not None and fault.status:
            text = "Internal Server Error" if fault.status == 500 else "Service Unavailable"
            return Response.html(
                f"<html><body><h1>{fault.status} {text}</h1></body></html>", fault.status
            )
        response = self.route(path, query, origin)
        if response is None:
            return self.not_found(path)
        if fault is not None:
            body = response.body
            if fault.cut_html:  # complete HTTP, HTML cut off before the product
                at = body.find(b"<main")
                body = body[: at + 6 if at >= 0 else len(body) // 3]
            drop = int(len(body) * fault.drop_after) if fault.drop_after else None
            response = dataclasses.replace(response, body=body, delay=fault.delay, drop_after=drop)
        return response

    @staticmethod
    def too_many_requests(wait: float) -> Response:
        return Response(
            429,
            b"Too many requests: slow down.",
            "text/plain; charset=utf-8",
            (("Retry-After", str(max(1, ceil(wait)))),),
        )

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

    def product(self, slug: str) -> ShopProduct | None:
        """The product behind ``slug`` as it stands on the shop's day (stock included)."""
        product = self.catalog.product(slug)
        return None if product is None else self.catalog.on(product, self.day)

    def title(self, product: ShopProduct) -> str:
        return title(self.catalog.profile, product)

    def related(self, product: ShopProduct, count: int = 4) -> list[ShopProduct]:
        """Neighbours in the same category: the "customers also viewed" strip."""
        same = [p for p in self.catalog.products if p.category == product.category and p != product]
        if not same:
            return []
        start = sum(map(ord, product.item_no)) % len(same)
        return (same[start:] + same[:start])[:count]
