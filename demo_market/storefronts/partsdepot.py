"""Parts Depot: a classic server-rendered parts shop with no structured data.

Listing pages ``/catalog?page=N`` (24 products a page, "Next" link), product pages
``/product/<slug>``. Prices, part numbers and stock are plain HTML, so a crawler
reads them with the CSS selectors in ``config/competitors.yaml``; the page also
carries the traps of a real shop (list prices, related products with prices, a free
shipping threshold).
"""

from __future__ import annotations

import math
from urllib.parse import quote

from demo_market.common import slugify
from demo_market.shops import ShopProduct
from demo_market.storefronts.base import Query, Response, Storefront, blurb, esc, query_int, usd

PAGE_SIZE = 24
CSS = """body{font-family:Arial,Helvetica,sans-serif;margin:0;color:#222}
header{background:#1d3557;color:#fff;padding:12px 24px}header a{color:#fff}
.promo{background:#ffb703;padding:6px 24px;font-weight:bold}
nav.categories a{margin-right:16px}main{padding:16px 24px}
.product-grid,.related-grid,.featured-grid{display:grid;grid-template-columns:repeat(4,1fr);
gap:16px;list-style:none;padding:0}.price-now{font-size:28px;color:#c1121f}
.price-was s,.card-price s{color:#777}.out-of-stock{color:#c1121f}.in-stock{color:#2a9d8f}
footer{background:#eee;padding:16px 24px;margin-top:32px;font-size:13px}
"""
_PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300">'
    '<rect width="300" height="300" fill="#ddd"/><text x="90" y="155">No image</text></svg>'
)


class PartsDepot(Storefront):
    display_name = "Parts Depot"

    def route(self, path: str, query: Query, origin: str) -> Response | None:
        if path == "/":
            return Response.html(self.home())
        if path == "/catalog":
            return self.listing(query)
        if path.startswith("/product/"):
            product = self.product(path.removeprefix("/product/"))
            return Response.html(self.product_page(product)) if product else None
        if path == "/static/site.css":
            return Response(200, CSS.encode(), "text/css; charset=utf-8")
        if path == "/static/no-image.svg":
            return Response(200, _PLACEHOLDER.encode(), "image/svg+xml; charset=utf-8")
        if path in _INFO:
            heading, text = _INFO[path]
            return Response.html(self.layout(heading, f"<h1>{esc(heading)}</h1><p>{esc(text)}</p>"))
        return None

    def categories(self) -> list[str]:
        return sorted({p.category for p in self.catalog.products})

    def layout(self, page_title: str, body: str) -> str:
        nav = "".join(
            f'<a href="/catalog?category={slugify(c)}">{esc(c)}</a>' for c in self.categories()
        )
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(page_title)} | Parts Depot</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body>
<header class="site-header"><a class="logo" href="/">Parts Depot</a>
<form class="search" action="/search" method="get"><input type="search" name="q"
 placeholder="Search by part number or keyword"><button type="submit">Search</button></form>
<a href="/account">My account</a> <a href="/cart">Cart (0)</a></header>
<div class="promo">Free shipping on orders over $50 &middot; Same-day dispatch before 3 pm</div>
<nav class="categories"><a href="/catalog?page=1">All parts</a>{nav}</nav>
<main>
{body}
</main>
<footer class="site-footer"><a href="/about">About us</a> &middot; <a href="/shipping">Shipping</a>
 &middot; <a href="/returns">Returns</a> &middot; Call 1-800-555-0142 (Mon-Fri 8-6 CT)
<p>&copy; {self.day.year} Parts Depot Supply Co. Prices in US dollars.</p></footer>
</body></html>
"""

    def card(self, product: ShopProduct) -> str:
        href = esc(product.path)
        was = self.catalog.list_price(product)
        was_html = f" <s>{usd(was)}</s>" if was else ""
        stock = "In stock" if product.in_stock else "Out of stock"
        return (
            f'<li class="product-card"><a class="product-link" href="{href}">'
            f'<img src="/static/no-image.svg" alt="{esc(self.title(product))}" loading="lazy"></a>'
            f'<h2 class="card-title"><a href="{href}">{esc(self.title(product))}</a></h2>'
            f'<div class="card-meta">Part # {esc(product.part_number)}</div>'
            f'<div class="card-price">{usd(self.price(product))}{was_html}</div>'
            f'<div class="card-stock">{stock}</div></li>'
        )

    def home(self) -> str:
        featured = "".join(self.card(p) for p in self.catalog.products[:8])
        body = (
            '<section class="hero"><h1>Filters, belts, bearings and more for your fleet</h1>'
            "<p>Over 10,000 parts from the brands you trust, shipped fast.</p>"
            '<a class="button" href="/catalog?page=1">Shop all parts</a></section>'
            f'<h2>Featured parts</h2><ul class="featured-grid">{featured}</ul>'
        )
        return self.layout("Aftermarket parts for equipment and trucks", body)

    def listing(self, query: Query) -> Response | None:
        page = query_int(query, "page", 1)
        category = (query.get("category") or [""])[0]
        products = [
            p for p in self.catalog.products if not category or slugify(p.category) == category
        ]
        pages = max(1, math.ceil(len(products) / PAGE_SIZE))
        if page is None or page > pages or (category and not products):
            return None
        shown = products[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        base = f"/catalog?category={esc(category)}&amp;page=" if category else "/catalog?page="
        links = []
        if page > 1:
            links.append(
                f'<a class="prev" rel="prev" href="{base}{page - 1}">&lsaquo; Previous</a>'
            )
        for n in range(1, pages + 1):
            links.append(
                f'<span class="current">{n}</span>' if n == page else f'<a href="{base}{n}">{n}</a>'
            )
        if page < pages:
            links.append(f'<a class="next" rel="next" href="{base}{page + 1}">Next &rsaquo;</a>')
        heading = next((p.category for p in products), "") if category else "All parts"
        first = (page - 1) * PAGE_SIZE + 1
        body = (
            f"<h1>{esc(heading)}</h1>"
            f'<p class="result-count">Showing {first}-{first + len(shown) - 1} of '
            f"{len(products)} results</p>"
            f'<ul class="product-grid">{"".join(self.card(p) for p in shown)}</ul>'
            f'<nav class="pagination" aria-label="Pages">{" ".join(links)}</nav>'
        )
        return Response.html(self.layout(f"{heading} - page {page}", body))

    def product_page(self, product: ShopProduct) -> str:
        name = self.title(product)
        price, was = self.price(product), self.catalog.list_price(product)
        pricing = f'<span class="price-now">{usd(price)}</span>'
        if was:
            pricing += (
                f' <span class="price-was">List: <s>{usd(was)}</s></span>'
                f' <span class="you-save">You save {usd(was - price)}</span>'
            )
        if product.stock is None:
            stock = '<p class="stock out-of-stock">Out of stock</p>'
            button = '<button type="button" disabled>Notify me when available</button>'
        else:
            text = "In stock" if product.stock > 4 else f"Only {product.stock} left in stock"
            stock = f'<p class="stock in-stock">{text}</p>'
            button = '<button type="submit">Add to cart</button>'
        condition = "Remanufactured" if product.condition == "refurbished" else "New"
        specs = [
            ("Brand", esc(product.brand)),
            ("Part number", esc(product.part_number)),
            ("Category", esc(product.category)),
            ("Condition", condition),
        ]
        rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in specs)
        rows += f'<tr><th>Pack quantity</th><td class="pack-qty">{product.pack_qty}</td></tr>'
        related = "".join(self.card(p) for p in self.related(product))
        cat = esc(product.category)
        body = f"""<div class="breadcrumb"><a href="/">Home</a> &rsaquo;
<a href="/catalog?category={slugify(product.category)}">{cat}</a> &rsaquo; <span>{esc(name)}</span></div>
<div class="product-detail">
<div class="gallery"><img src="/static/no-image.svg" alt="{esc(name)}" width="400" height="400"></div>
<div class="buy-box">
<h1 class="product-title">{esc(name)}</h1>
<div class="product-brand">Brand: <a href="/search?q={quote(product.brand)}">{esc(product.brand)}</a></div>
<div class="part-number">Part #: <span class="mpn">{esc(product.part_number)}</span></div>
<div class="item-number">Item #: <span>{esc(product.item_no)}</span></div>
<div class="pricing">{pricing}</div>
{stock}
<form class="add-to-cart" method="post" action="/cart"><input type="hidden" name="item"
 value="{esc(product.item_no)}"><label>Qty <input type="number" name="qty" value="1" min="1"></label>
{button}</form>
<ul class="perks"><li>Free shipping on orders over $50</li><li>30-day hassle-free returns</li>
<li>Volume pricing: call for quotes on 10+ units</li></ul>
</div></div>
<section class="details"><h2>Product details</h2><p>{esc(blurb(product))}</p>
<table class="specs">{rows}</table></section>
<section class="related"><h2>Customers also viewed</h2><ul class="related-grid">{related}</ul></section>"""  # noqa: E501
        return self.layout(name, body)


_INFO = {
    "/about": (
        "About Parts Depot",
        "Family-owned since 1987, serving farms, fleets and contractors from three warehouses.",
    ),
    "/shipping": (
        "Shipping",
        "Free ground shipping on orders over $50. Orders placed before "
        "3 pm CT ship the same business day.",
    ),
    "/returns": ("Returns", "Unused parts in original packaging can be returned within 30 days."),
    "/cart": ("Your cart", "Your cart is empty."),
    "/account": ("Sign in", "Sign in to see your orders and saved lists."),
}
