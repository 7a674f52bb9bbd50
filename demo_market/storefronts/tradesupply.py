"""Trade Supply Direct: a B2B distributor with quantity breaks and quote-only items.

Listing pages ``/catalog?p=N`` (30 items a page, a "next" link), item pages
``/item/<slug>``. An item page shows the list price struck through beside the net
price for one pack, a quantity-break table (1–9, 10–49, 50+ packs), the pack size the
way its supplier words it ("Pack of 4", "Box/10", "VE 25 Stk"), and for some items no
price at all: "Call for price". No structured data: a crawler needs the selectors in
``competitors.yaml``.
"""

from __future__ import annotations

import math

from demo_market.shops import ShopProduct, pack_phrase
from demo_market.storefronts.base import Query, Response, Storefront, esc, query_int, usd

PAGE_SIZE = 30
_RANGES = ("1–9", "10–49", "50+")


class TradeSupply(Storefront):
    display_name = "Trade Supply Direct"
    disallow = ("/cart", "/account", "/checkout", "/search", "/quote")

    def route(self, path: str, query: Query, origin: str) -> Response | None:
        if path == "/":
            return Response.redirect("/catalog?p=1")
        if path == "/catalog":
            return self.listing(query)
        if path.startswith("/item/"):
            product = self.product(path.removeprefix("/item/"))
            return Response.html(self.item_page(product)) if product else None
        return None

    def layout(self, page_title: str, body: str) -> str:
        return f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="utf-8">
<title>{esc(page_title)} - Trade Supply Direct</title>
<style>body{{font:14px Verdana,sans-serif;margin:0}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px}}.net{{font-size:22px;font-weight:bold}}</style>
</head><body>
<div id="hdr"><a href="/">Trade Supply Direct</a> | <a href="/account">Customer login</a> |
<a href="/cart">Quote cart</a> | Trade accounts: net prices after login</div>
<div id="content">
{body}
</div>
<div id="ftr">Trade Supply Direct, Inc. &middot; All prices USD, excl. sales tax &middot;
Call 1-888-555-0199 for volume quotes</div>
</body></html>
"""

    def listing(self, query: Query) -> Response | None:
        page = query_int(query, "p", 1)
        products = self.catalog.products
        pages = max(1, math.ceil(len(products) / PAGE_SIZE))
        if page is None or page > pages:
            return None
        rows = []
        for product in products[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
            price = "Call" if product.call_for_price else usd(self.price(product))
            rows.append(
                f'<tr><td class="code">{esc(product.item_no)}</td>'
                f'<td class="desc"><a class="item-link" href="{esc(product.path)}">'
                f"{esc(self.title(product))}</a></td><td>{price}</td></tr>"
            )
        pager = (
            f'<a class="next" href="/catalog?p={page + 1}">Next page</a>' if page < pages else ""
        )
        body = (
            f"<h1>Catalog &ndash; page {page} of {pages}</h1>"
            '<table class="catalog"><tr><th>Item</th><th>Description</th><th>Net</th></tr>'
            f'{"".join(rows)}</table><div class="pager">{pager}</div>'
        )
        return Response.html(self.layout(f"Catalog page {page}", body))

    def item_page(self, product: ShopProduct) -> str:
        name = self.title(product)
        if product.call_for_price:
            pricing = (
                '<div class="price-box"><span class="call-for-price">Call for price</span>'
                ' <a class="quote" href="/quote?item=' + esc(product.item_no) + '">Request a quote'
                "</a></div>"
            )
            breaks = ""
        else:
            was = self.catalog.list_price(product)
            struck = f'<span class="list">List <s>{usd(was)}</s></span> ' if was else ""
            pricing = (
                f'<div class="price-box">{struck}<span class="net">{usd(self.price(product))}'
                '</span> <span class="per">per pack</span></div>'
            )
            cells = "".join(
                f'<tr><td class="qty">{label}</td><td class="break-price">{usd(price)}</td></tr>'
                for label, (_, price) in zip(
                    _RANGES, self.catalog.price_breaks(product, self.day), strict=True
                )
            )
            breaks = (
                '<table class="qty-breaks"><caption>Volume pricing (per pack)</caption>'
                f"<tr><th>Quantity</th><th>Price</th></tr>{cells}</table>"
            )
        if product.stock is None:
            stock = "Out of stock &ndash; 2-3 weeks"
        elif product.stock <= 4:
            stock = f"Only {product.stock} left in stock"
        else:
            stock = "In stock: 50+"
        packaging = pack_phrase(product) if product.pack_qty > 1 else "Each"
        specs = (
            f"<tr><th>Manufacturer</th><td class='mfr'>{esc(product.brand)}</td></tr>"
            f"<tr><th>Mfr. part no.</th><td class='mfr-pn'>{esc(product.part_number)}</td></tr>"
            f"<tr><th>Our item no.</th><td class='item-no'>{esc(product.item_no)}</td></tr>"
            f"<tr><th>Packaging</th><td class='packaging'>{esc(packaging)}</td></tr>"
            f"<tr><th>Category</th><td>{esc(product.category)}</td></tr>"
        )
        body = f"""<h1 class="item-title">{esc(name)}</h1>
<div class="item">
{pricing}
<p class="availability">{stock}</p>
{breaks}
<table class="item-specs">{specs}</table>
<p class="note">Net prices shown for trade accounts. Freight calculated at checkout.</p>
</div>"""
        return self.layout(name, body)
