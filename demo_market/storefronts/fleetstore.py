"""Fleet Store: a busy shop behind a rate limiter, strict robots.txt, and faults on demand.

Listing pages ``/shop?page=N`` (25 tiles a page), product pages ``/parts/<slug>``.
Each tile also links a printable spec sheet ``/print/<slug>`` and a comparison page,
which robots.txt disallows. The shop answers ``429`` with ``Retry-After`` past its
rate limit (a generous one normally, a strict one in the ``ratelimit`` fault mode).
In the ``redesign`` mode its new templates are live: listing grid, pagination and
product page all change their markup, so the configured selectors stop matching (only
a legacy "top sellers" strip keeps the old tiles).
"""

from __future__ import annotations

import math

from demo_market.faults import FAULTS
from demo_market.shops import ShopProduct
from demo_market.storefronts.base import Query, Response, Storefront, esc, query_int, usd

PAGE_SIZE = 25
LEGACY_TILES = 6


class FleetStore(Storefront):
    display_name = "Fleet Store"
    disallow = ("/cart", "/account", "/checkout", "/search", "/print/", "/compare")
    rate_limit = (40, 80)  # burst, requests a second: a polite crawler never meets it
    strict_rate_limit = (15, 20)
    supported_faults = FAULTS

    def route(self, path: str, query: Query, origin: str) -> Response | None:
        if path == "/":
            return Response.redirect("/shop?page=1")
        if path == "/shop":
            return self.listing(query)
        for prefix in ("/parts/", "/print/"):
            if path.startswith(prefix):
                product = self.product(path.removeprefix(prefix))
                return Response.html(self.product_page(product)) if product else None
        if path == "/compare":
            return Response.html(self.layout("Compare", "<h1>Compare parts</h1>"))
        return None

    def layout(self, page_title: str, body: str) -> str:
        theme = "fs-2025" if self.redesigned else "classic"
        return f"""<!DOCTYPE html>
<html lang="en-US" class="{theme}"><head><meta charset="utf-8">
<title>{esc(page_title)} | Fleet Store</title></head>
<body><header><a href="/">Fleet Store</a> <a href="/account">Account</a></header>
<main>
{body}
</main>
<footer>Fleet Store &middot; Parts for working fleets &middot; Prices in USD</footer>
</body></html>
"""

    def tile(self, product: ShopProduct) -> str:
        href, slug = esc(product.path), esc(product.slug)
        return (
            f'<li class="tile"><a class="product-link" href="{href}">{esc(self.title(product))}</a>'
            f' <span class="tile-price">{usd(self.price(product))}</span>'
            f' <a class="spec-sheet" href="/print/{slug}">Spec sheet</a>'
            f' <a class="compare" href="/compare?add={slug}">Compare</a></li>'
        )

    def card(self, product: ShopProduct) -> str:
        return (
            f'<article class="plp-card"><a class="plp-card__link" href="{esc(product.path)}">'
            f"{esc(self.title(product))}</a>"
            f'<span class="plp-card__price">{usd(self.price(product))}</span></article>'
        )

    def listing(self, query: Query) -> Response | None:
        page = query_int(query, "page", 1)
        products = self.catalog.products
        pages = max(1, math.ceil(len(products) / PAGE_SIZE))
        if page is None or page > pages:
            return None
        shown = products[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        if self.redesigned:
            legacy = "".join(self.tile(p) for p in products[:LEGACY_TILES]) if page == 1 else ""
            more = (
                f'<button class="plp-load-more" data-next="/shop?page={page + 1}">Load more'
                "</button>"
                if page < pages
                else ""
            )
            body = (
                f'<div class="plp-grid">{"".join(self.card(p) for p in shown)}</div>{more}'
                f'<aside class="top-sellers"><h2>Top sellers</h2><ul class="tiles">{legacy}</ul>'
                "</aside>"
            )
        else:
            nxt = (
                f'<a class="next-page" href="/shop?page={page + 1}">Next</a>'
                if page < pages
                else ""
            )
            body = (
                f'<h1>All parts, page {page}</h1><ul class="tiles">'
                f'{"".join(self.tile(p) for p in shown)}</ul><div class="paging">{nxt}</div>'
            )
        return Response.html(self.layout(f"All parts - page {page}", body))

    def product_page(self, product: ShopProduct) -> str:
        name, price = self.title(product), self.price(product)
        was = self.catalog.list_price(product)
        stock = "In stock" if product.in_stock else "Out of stock"
        if self.redesigned:
            whole, cents = f"{price:.2f}".split(".")
            body = f"""<section class="pdp"><h1 class="pdp__title">{esc(name)}</h1>
<dl class="pdp__facts"><dt>Brand</dt><dd>{esc(product.brand)}</dd>
<dt>Part</dt><dd>{esc(product.part_number)}</dd><dt>SKU</dt><dd>{esc(product.item_no)}</dd></dl>
<div class="pdp__price" aria-label="price"><sup>$</sup>{whole}<sup>{cents}</sup></div>
<div class="pdp__stock">{stock}</div></section>"""
            return self.layout(name, body)
        was_html = f' <span class="was">Was <s>{usd(was)}</s></span>' if was else ""
        body = f"""<div class="product">
<h1 class="name">{esc(name)}</h1>
<table class="facts">
<tr><th>Brand</th><td class="brand">{esc(product.brand)}</td></tr>
<tr><th>Part number</th><td class="part-no">{esc(product.part_number)}</td></tr>
<tr><th>Fleet Store #</th><td class="sku">{esc(product.item_no)}</td></tr>
<tr><th>Pack</th><td class="pack">{product.pack_qty}</td></tr>
</table>
<p class="price"><span class="amount">{usd(price)}</span>{was_html}</p>
<p class="stock">{stock}</p>
</div>"""
        return self.layout(name, body)
