"""GearHub: a modern European shop whose product pages carry schema.org JSON-LD.

Prices are in euros and printed the German way, ``1.234,56 €``, on the page and, as
many shops do, in the JSON-LD offer too (``"price": "1.234,56"``, ``"priceCurrency":
"EUR"``).

Product pages ``/products/<slug>`` are listed in sitemaps: ``/sitemap.xml`` is a
sitemap index pointing at ``/sitemaps/pages.xml`` and ``/sitemaps/products-N.xml``
(100 URLs each). Category listings ``/shop/<category>?page=N`` exist for people; a
crawler needs only the sitemap and the JSON-LD.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import quote

from demo_market.common import slugify
from demo_market.shops import ShopProduct
from demo_market.storefronts.base import Query, Response, Storefront, blurb, esc, eur, query_int

PAGE_SIZE = 20
SITEMAP_SIZE = 100
_SM = "http://www.sitemaps.org/schemas/sitemap/0.9"
_IMAGE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600">'
    '<rect width="600" height="600" fill="#eef"/></svg>'
)


def json_ld(data: dict[str, Any]) -> str:
    """A JSON-LD script block; ``<`` is escaped so no value can close the script."""
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c")
    return f'<script type="application/ld+json">\n{text}\n</script>'


class GearHub(Storefront):
    display_name = "GearHub"

    def route(self, path: str, query: Query, origin: str) -> Response | None:
        if path == "/":
            return Response.html(self.home())
        if path == "/sitemap.xml":
            return Response.xml(self.sitemap_index(origin))
        if path.startswith("/sitemaps/"):
            return self.sitemap(path.removeprefix("/sitemaps/"), origin)
        if path.startswith("/products/"):
            product = self.product(path.removeprefix("/products/"))
            return Response.html(self.product_page(product, origin)) if product else None
        if path.startswith("/img/") and path.endswith(".svg"):
            return Response(200, _IMAGE.encode(), "image/svg+xml; charset=utf-8")
        if path == "/shop":
            return Response.html(self.shop_index())
        if path.startswith("/shop/"):
            return self.listing(path.removeprefix("/shop/"), query)
        if path in ("/cart", "/account", "/about"):
            heading = {"/cart": "Your cart", "/account": "Sign in", "/about": "About GearHub"}[path]
            return Response.html(self.layout(heading, f"<h1>{heading}</h1>"))
        return None

    def categories(self) -> dict[str, str]:
        return {slugify(p.category): p.category for p in self.catalog.products}

    def robots(self, origin: str) -> str:
        return super().robots(origin) + f"Sitemap: {origin}/sitemap.xml\n"

    def layout(self, page_title: str, body: str) -> str:
        cats = sorted(self.categories().items(), key=lambda kv: kv[1])
        nav = "".join(f'<li><a href="/shop/{s}">{esc(c)}</a></li>' for s, c in cats)
        return f"""<!DOCTYPE html>
<html lang="en-IE"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(page_title)} – GearHub</title>
<style>body{{font-family:system-ui,sans-serif;margin:0}}.topbar{{background:#111;color:#fff;
padding:4px 16px;font-size:13px}}.pdp{{display:flex;gap:32px}}.amount{{font-size:30px}}
.grid{{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;list-style:none}}</style>
</head><body>
<div class="topbar">Free shipping over 50 € · Pro accounts get net-30 terms</div>
<header><a class="brand" href="/">GearHub</a>
<form action="/search" role="search"><input name="q" aria-label="Search"></form>
<a href="/account">Sign in</a> <a href="/cart" class="cart">Cart</a></header>
<nav aria-label="Departments"><ul>{nav}</ul></nav>
<main id="content">
{body}
</main>
<footer><ul><li><a href="/about">About</a></li><li>Help center</li><li>Pro accounts</li></ul>
<small>&copy; {self.day.year} GearHub Inc. All prices in EUR incl. VAT.</small></footer>
</body></html>
"""

    def tile(self, product: ShopProduct) -> str:
        return (
            f'<li class="tile"><a href="{esc(product.path)}">{esc(self.title(product))}</a>'
            f'<span class="tile-price">{eur(self.price(product))}</span></li>'
        )

    def home(self) -> str:
        tiles = "".join(self.tile(p) for p in self.catalog.products[:10])
        body = f'<h1>Parts and supplies for working machines</h1><ul class="grid">{tiles}</ul>'
        return self.layout("Parts and supplies for working machines", body)

    def shop_index(self) -> str:
        cats = sorted(self.categories().items(), key=lambda kv: kv[1])
        items = "".join(f'<li><a href="/shop/{s}">{esc(c)}</a></li>' for s, c in cats)
        return self.layout("All departments", f"<h1>All departments</h1><ul>{items}</ul>")

    def listing(self, slug: str, query: Query) -> Response | None:
        category = self.categories().get(slug)
        page = query_int(query, "page", 1)
        products = [p for p in self.catalog.products if p.category == category]
        pages = max(1, math.ceil(len(products) / PAGE_SIZE))
        if category is None or page is None or page > pages:
            return None
        tiles = "".join(self.tile(p) for p in products[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
        nav = "".join(
            f'<a href="/shop/{slug}?page={n}"{" aria-current=page" if n == page else ""}>{n}</a>'
            for n in range(1, pages + 1)
        )
        body = (
            f'<h1>{esc(category)}</h1><ul class="grid">{tiles}</ul><nav class="pages">{nav}</nav>'
        )
        return Response.html(self.layout(category, body))

    def sitemap_index(self, origin: str) -> str:
        day = self.day.isoformat()
        count = math.ceil(len(self.catalog.products) / SITEMAP_SIZE)
        names = ["pages.xml"] + [f"products-{n}.xml" for n in range(1, count + 1)]
        entries = "".join(
            f"<sitemap><loc>{esc(origin)}/sitemaps/{n}</loc><lastmod>{day}</lastmod></sitemap>\n"
            for n in names
        )
        head = f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{_SM}">\n'
        return f"{head}{entries}</sitemapindex>\n"

    def sitemap(self, name: str, origin: str) -> Response | None:
        if name == "pages.xml":
            paths = ["/", "/shop", "/about"] + [f"/shop/{s}" for s in sorted(self.categories())]
        elif name.startswith("products-") and name.endswith(".xml"):
            number = name.removeprefix("products-").removesuffix(".xml")
            if not number.isdigit() or int(number) < 1:
                return None
            start = (int(number) - 1) * SITEMAP_SIZE
            paths = [p.path for p in self.catalog.products[start : start + SITEMAP_SIZE]]
            if not paths:
                return None
        else:
            return None
        day = self.day.isoformat()
        urls = "".join(
            f"<url><loc>{esc(origin + p)}</loc><lastmod>{day}</lastmod>"
            "<changefreq>daily</changefreq></url>\n"
            for p in paths
        )
        return Response.xml(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_SM}">\n{urls}</urlset>\n'
        )

    def structured_data(self, product: ShopProduct, origin: str) -> dict[str, Any]:
        url = origin + product.path
        offer: dict[str, Any] = {
            "@type": "Offer",
            "url": url,
            "price": eur(self.price(product)).removesuffix("\u00a0€"),
            "priceCurrency": "EUR",
            "availability": "https://schema.org/"
            + ("InStock" if product.in_stock else "OutOfStock"),
            "itemCondition": "https://schema.org/"
            + ("RefurbishedCondition" if product.condition == "refurbished" else "NewCondition"),
            "seller": {"@type": "Organization", "name": "GearHub"},
        }
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": self.title(product),
            "sku": product.item_no,
            "mpn": product.part_number,
            "brand": {"@type": "Brand", "name": product.brand},
            "description": blurb(product),
            "image": f"{origin}/img/{product.item_no}.svg",
            "category": product.category,
        }
        if product.gtin:
            data["gtin13"] = product.gtin
        if product.pack_qty > 1:
            data["additionalProperty"] = [
                {"@type": "PropertyValue", "name": "Pack quantity", "value": product.pack_qty}
            ]
        data["offers"] = offer
        return data

    def product_page(self, product: ShopProduct, origin: str) -> str:
        name, price = self.title(product), self.price(product)
        was = self.catalog.list_price(product)
        del_html = f' <del class="was">{eur(was)}</del>' if was else ""
        if product.stock is None:
            stock = '<div class="pdp-stock oos">Out of stock – back soon</div>'
        elif product.stock <= 4:
            stock = f'<div class="pdp-stock">Hurry, only {product.stock} left</div>'
        else:
            stock = '<div class="pdp-stock">In stock – ships in 1 business day</div>'
        crumbs = {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": origin + "/"},
                {
                    "@type": "ListItem",
                    "position": 2,
                    "name": product.category,
                    "item": f"{origin}/shop/{slugify(product.category)}",
                },
            ],
        }
        specs = [
            ("Brand", product.brand),
            ("Manufacturer part #", product.part_number),
            ("GearHub item #", product.item_no),
            ("GTIN", product.gtin or "–"),
            ("Pack quantity", product.pack_qty),
        ]
        dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in specs)
        related = "".join(self.tile(p) for p in self.related(product, 5))
        body = f"""{json_ld(self.structured_data(product, origin))}
{json_ld(crumbs)}
<div class="pdp"><div class="pdp-media"><img src="/img/{esc(product.item_no)}.svg" alt="{esc(name)}"></div>
<div class="pdp-info"><p class="pdp-brand">by <a href="/search?q={quote(product.brand)}">{esc(product.brand)}</a></p>
<h1 class="pdp-name">{esc(name)}</h1>
<p class="pdp-ids">MPN: {esc(product.part_number)} · Item {esc(product.item_no)}</p>
<div class="pdp-price"><span class="amount">{eur(price)}</span>{del_html}</div>
{stock}
<button class="add" {"disabled" if product.stock is None else ""}>Add to cart</button>
<p class="ship-note">Free shipping over 50 €. Order by 4 pm for same-day dispatch.</p></div></div>
<section class="about"><h2>About this item</h2><p>{esc(blurb(product))}</p><dl>{dl}</dl></section>
<section class="related"><h2>Frequently bought together</h2><ul class="grid">{related}</ul></section>"""  # noqa: E501
        return self.layout(name, body)
