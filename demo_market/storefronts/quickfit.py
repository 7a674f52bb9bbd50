"""QuickFit: a single-page-app shop whose prices arrive by XHR after the page loads.

Product pages ``/p/<slug>`` are an empty shell: the title tag names the product, but
the price, stock and part numbers are fetched by ``/static/app.js`` from
``/api/products/<slug>`` (JSON) and written into the page. A crawler that does not run
JavaScript sees no price at all; one that renders the page in a browser sees all of
it. Product pages are listed in ``/sitemap.xml``.
"""

from __future__ import annotations

import json

from demo_market.shops import ShopProduct
from demo_market.storefronts.base import Query, Response, Storefront, esc

_SM = "http://www.sitemaps.org/schemas/sitemap/0.9"

# Builds the product view with textContent only: nothing from the API is parsed as HTML.
APP_JS = r"""(function () {
  "use strict";
  var app = document.getElementById("app");
  if (!app || !app.dataset.product) { return; }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function money(amount, currency) {
    return new Intl.NumberFormat("en-US", {style: "currency", currency: currency})
      .format(Number(amount));
  }
  fetch("/api/products/" + encodeURIComponent(app.dataset.product),
        {headers: {"Accept": "application/json"}})
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(function (p) {
      var info = el("div", "product-info");
      info.appendChild(el("h1", "product-name", p.name));
      var brand = el("div", "product-brand", "by ");
      brand.appendChild(el("span", "brand-name", p.brand));
      info.appendChild(brand);
      var ids = el("div", "product-ids", "Item ");
      ids.appendChild(el("span", "item-no", p.itemNumber));
      ids.appendChild(document.createTextNode(" \u00b7 Mfr. part "));
      ids.appendChild(el("span", "mfr-part", p.mpn));
      info.appendChild(ids);
      var box = el("div", "price-box");
      box.appendChild(el("span", "price-current", money(p.price.amount, p.price.currency)));
      if (p.compareAt) {
        box.appendChild(el("s", "price-compare", money(p.compareAt, p.price.currency)));
      }
      info.appendChild(box);
      info.appendChild(el("p", "stock-status " + (p.inStock ? "in" : "out"),
                          p.inStock ? "In stock, ships today" : "Out of stock"));
      info.appendChild(el("p", "pack-size", p.packQty > 1 ? "Pack of " + p.packQty : "Single"));
      app.replaceChildren(info);
      app.dataset.state = "ready";
    })
    .catch(function () {
      app.replaceChildren(el("p", "load-error", "Sorry, this product could not be loaded."));
      app.dataset.state = "error";
    });
})();
"""


class QuickFit(Storefront):
    display_name = "QuickFit"

    def route(self, path: str, query: Query, origin: str) -> Response | None:
        if path == "/":
            return Response.html(self.home())
        if path == "/sitemap.xml":
            return Response.xml(self.sitemap(origin))
        if path == "/static/app.js":
            return Response(200, APP_JS.encode(), "text/javascript; charset=utf-8")
        if path.startswith("/p/"):
            product = self.product(path.removeprefix("/p/"))
            return Response.html(self.product_page(product)) if product else None
        if path.startswith("/api/products/"):
            product = self.product(path.removeprefix("/api/products/"))
            return Response.json(json.dumps(self.api(product))) if product else None
        return None

    def robots(self, origin: str) -> str:
        return super().robots(origin) + f"Sitemap: {origin}/sitemap.xml\n"

    def layout(self, page_title: str, body: str) -> str:
        return f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(page_title)} | QuickFit</title>
<style>body{{font-family:system-ui,sans-serif;margin:0}}#app{{padding:24px}}
.price-current{{font-size:32px;font-weight:700}}.price-compare{{color:#888;margin-left:8px}}</style>
</head><body>
<header class="topbar"><a href="/">QuickFit</a> <a href="/cart">Cart</a></header>
{body}
<footer><p>QuickFit Parts &middot; Fast fitment, fair prices.</p></footer>
<script src="/static/app.js" defer></script>
</body></html>
"""

    def home(self) -> str:
        links = "".join(
            f'<li><a href="{esc(p.path)}">{esc(self.title(p))}</a></li>'
            for p in self.catalog.products[:12]
        )
        return self.layout(
            "Parts that fit", f"<main><h1>Parts that fit</h1><ul>{links}</ul></main>"
        )

    def sitemap(self, origin: str) -> str:
        urls = "".join(
            f"<url><loc>{esc(origin + p.path)}</loc></url>\n" for p in self.catalog.products
        )
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_SM}">\n{urls}</urlset>\n'

    def product_page(self, product: ShopProduct) -> str:
        # the shell only: no price, no part number, until the script has run
        shell = (
            f'<main id="app" data-product="{esc(product.slug)}" data-state="loading">'
            '<div class="skeleton" aria-busy="true">Loading product&hellip;</div></main>'
        )
        return self.layout(self.title(product), shell)

    def api(self, product: ShopProduct) -> dict[str, object]:
        was = self.catalog.list_price(product)
        return {
            "name": self.title(product),
            "brand": product.brand,
            "itemNumber": product.item_no,
            "mpn": product.part_number,
            "gtin": product.gtin,
            "price": {"amount": str(self.price(product)), "currency": "USD"},
            "compareAt": str(was) if was else None,
            "inStock": product.in_stock,
            "packQty": product.pack_qty,
        }
