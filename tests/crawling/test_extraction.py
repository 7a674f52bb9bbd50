"""The extraction cascade on saved product pages, and on the markup variants real shops use.

Each ``tests/data/sample_pages/<name>.html`` has a ``<name>.json`` beside it with the URL
the page was saved from, optional ``selectors`` / ``default_currency``, and the
``expected`` record fields; the test compares them field by field.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from crawlers.extraction import METHODS, ExtractedProduct, extract_product
from crawlers.extraction.availability import availability_from_text
from pricing.config import SelectorSet
from tests.support import SAMPLE_PAGES

PAGES = SAMPLE_PAGES
SAMPLES = sorted(path.stem for path in PAGES.glob("*.json"))
RECORD_KEYS = [
    "source", "title", "price", "currency", "list_price", "sku", "mpn", "gtin", "brand",
    "availability", "pack_qty", "method", "price_includes_tax",
]  # fmt: skip


def _load(name: str) -> tuple[dict[str, Any], ExtractedProduct]:
    spec = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    body = (PAGES / f"{name}.html").read_bytes()
    html: str | bytes = body if spec.get("read_as") == "bytes" else body.decode("utf-8")
    selectors = SelectorSet(**spec["selectors"]) if "selectors" in spec else None
    product = extract_product(
        html, spec["url"], selectors=selectors, default_currency=spec.get("default_currency")
    )
    return spec, product


def test_every_sample_page_has_its_expected_output() -> None:
    assert len(SAMPLES) >= 10
    for name in SAMPLES:
        assert (PAGES / f"{name}.html").is_file(), name


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_page(name: str) -> None:
    spec, product = _load(name)
    record = product.as_record()
    for key, expected in spec["expected"].items():
        assert record[key] == expected, f"{name}: {key} is {record[key]!r}, expected {expected!r}"


@pytest.mark.parametrize("name", SAMPLES)
def test_every_value_names_the_method_that_found_it(name: str) -> None:
    _, product = _load(name)
    record = product.as_record()
    for key in ("title", "price", "sku", "availability"):
        if record[key] is not None:
            assert product.methods[key] in METHODS
    if product.price is not None:
        assert product.method == product.methods["price"]
        assert product.price_text
        assert isinstance(product.price, Decimal)
    if product.list_price is not None:
        assert product.price is not None and product.list_price > product.price


def test_record_has_the_spec_keys_in_order() -> None:
    _, product = _load("magento_graph")
    record = product.as_record()
    assert list(record) == RECORD_KEYS
    assert record["price"] == "57.30" and isinstance(record["price"], str)
    assert json.loads(json.dumps(record)) == record


def test_source_defaults_to_the_url_and_can_be_a_file() -> None:
    page = "<html><body><h1>X</h1></body></html>"
    assert extract_product(page, "https://a.example/p").source == "https://a.example/p"
    named = extract_product(page, "https://a.example/p", source="saved/p.html")
    assert named.source == "saved/p.html"


def test_extraction_is_a_pure_function() -> None:
    body = (PAGES / "fallback_related.html").read_text(encoding="utf-8")
    url = "https://www.hubcitysupply.com/p/x"
    assert extract_product(body, url) == extract_product(body, url)


# --- pages that are not pages -------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "",
        b"",
        "   ",
        "<html>",
        "<html><body></body></html>",
        b"\x00\xff\xfe\x00garbage\x89PNG",
        "<div>" * 5000 + "$12.99" + "</div>" * 5000,
        "<html><head><script type='application/ld+json'>{not json at all</script></head></html>",
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>x</p></body></html>",
        '<html><body><div itemscope itemtype="http://schema.org/Product"><span itemprop="offers" '
        'itemscope itemtype="http://schema.org/Offer"></span></div></body></html>',
    ],
    ids=[
        "empty",
        "empty-bytes",
        "blank",
        "unclosed",
        "no-body",
        "binary",
        "deep",
        "bad-json",
        "xml-decl",
        "empty-microdata",
    ],  # fmt: skip
)
def test_broken_or_empty_pages_never_raise(html: str | bytes) -> None:
    product = extract_product(html, "https://shop.example.com/p/1")
    assert isinstance(product, ExtractedProduct)
    if not html or not str(html).strip() or html == "<html>":
        assert all(value is None for key, value in product.as_record().items() if key != "source")


def test_bytes_in_a_declared_legacy_encoding_are_decoded() -> None:
    body = (
        '<html><head><meta charset="windows-1252"></head><body><h1>Dichtring für Ölwanne</h1>'
        '<div class="price">12,50 €</div></body></html>'
    ).encode("cp1252")
    product = extract_product(body, "https://shop.example.de/p")
    assert product.title == "Dichtring für Ölwanne"
    assert product.price == Decimal("12.50") and product.currency == "EUR"


def test_undeclared_utf8_bytes_are_decoded() -> None:
    body = "<html><body><h1>Kühlerschlauch</h1><p class='price'>9,95 €</p></body></html>"
    product = extract_product(body.encode("utf-8"), "https://shop.example.de/p")
    assert product.title == "Kühlerschlauch"


# --- JSON-LD variety ----------------------------------------------------------------


def _script_safe(data: object) -> str:
    return json.dumps(data).replace("</", "<\\/")  # as shops escape it inside <script>


def _jsonld(data: object, body: str = "") -> str:
    return (
        f'<html><head><script type="application/ld+json">{_script_safe(data)}</script></head>'
        f"<body>{body}</body></html>"
    )


def test_jsonld_offers_as_list_prefers_the_variant_in_the_url() -> None:
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Belt",
        "offers": [
            {"@type": "Offer", "price": "10.00", "priceCurrency": "USD", "sku": "B-1",
             "url": "https://s.example/p/belt?variant=1", "availability": "InStock"},
            {"@type": "Offer", "price": "36.00", "priceCurrency": "USD", "sku": "B-4",
             "url": "https://s.example/p/belt?variant=4", "availability": "OutOfStock"},
        ],
    }  # fmt: skip
    chosen = extract_product(_jsonld(data), "https://s.example/p/belt?variant=4")
    assert (chosen.price, chosen.sku, chosen.availability) == (
        Decimal("36.00"),
        "B-4",
        "OutOfStock",
    )
    default = extract_product(_jsonld(data), "https://s.example/p/belt")
    assert (default.price, default.sku, default.availability) == (
        Decimal("10.00"),
        "B-1",
        "InStock",
    )


def test_jsonld_first_offer_in_stock_when_the_url_names_none() -> None:
    data = {
        "@type": "Product",
        "name": "Seal",
        "offers": [
            {"@type": "Offer", "price": 5, "priceCurrency": "EUR", "availability": "OutOfStock"},
            {"@type": "Offer", "price": 7, "priceCurrency": "EUR", "availability": "InStock"},
        ],
    }
    product = extract_product(_jsonld(data), "https://s.example/seal")
    assert product.price == Decimal("7.00") and product.availability == "InStock"


def test_jsonld_graph_with_id_references_and_http_schema() -> None:
    data = {
        "@context": "http://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": "#page", "mainEntity": {"@id": "#product"}},
            {"@type": "http://schema.org/Product", "@id": "#product", "name": "Bearing 6204",
             "brand": "SKF", "gtin8": "12345670", "offers": {"@id": "#offer"}},
            {"@type": "Offer", "@id": "#offer", "price": "8.40", "priceCurrency": "GBP",
             "availability": "http://schema.org/LimitedAvailability"},
        ],
    }  # fmt: skip
    product = extract_product(_jsonld(data), "https://s.example/6204")
    assert product.title == "Bearing 6204"
    assert (product.price, product.currency) == (Decimal("8.40"), "GBP")
    assert product.brand == "SKF" and product.gtin == "12345670"
    assert product.availability == "LimitedAvailability"


def test_jsonld_price_only_in_price_specification() -> None:
    data = {
        "@type": "Product",
        "name": "Hose",
        "offers": {
            "@type": "Offer",
            "availability": "https://schema.org/InStock",
            "priceSpecification": [
                {"@type": "UnitPriceSpecification", "price": 3.1, "priceCurrency": "EUR",
                 "referenceQuantity": {"value": 100, "unitCode": "GRM"}},
                {"@type": "UnitPriceSpecification", "price": 21.9, "priceCurrency": "EUR"},
                {"@type": "UnitPriceSpecification", "price": 25.0, "priceCurrency": "EUR",
                 "priceType": "https://schema.org/ListPrice"},
            ],
        },
    }  # fmt: skip
    product = extract_product(_jsonld(data), "https://s.example/hose")
    assert (product.price, product.list_price, product.currency) == (
        Decimal("21.90"),
        Decimal("25.00"),
        "EUR",
    )


def test_jsonld_related_products_are_not_the_product() -> None:
    data = [
        {"@type": "ItemList", "itemListElement": [
            {"@type": "ListItem", "item": {"@type": "Product", "name": "Other",
             "offers": {"@type": "Offer", "price": "1.00", "priceCurrency": "USD"}}}]},
        {"@type": "Product", "name": "Main part", "sku": "MAIN-1",
         "isSimilarTo": {"@type": "Product", "name": "Similar", "sku": "SIM-1",
                         "offers": {"@type": "Offer", "price": "2.00"}},
         "offers": {"@type": "Offer", "price": "99.00", "priceCurrency": "USD"}},
    ]  # fmt: skip
    product = extract_product(_jsonld(data), "https://s.example/main")
    assert (product.sku, product.price) == ("MAIN-1", Decimal("99.00"))


def test_jsonld_german_price_string_and_plain_availability_names() -> None:
    data = {
        "@type": "Product",
        "name": "Anlasser",
        "offers": {"@type": "Offer", "price": "1.234,56", "priceCurrency": "EUR",
                   "availability": "in stock"},
    }  # fmt: skip
    product = extract_product(_jsonld(data), "https://s.example.de/a")
    assert product.price == Decimal("1234.56") and product.availability == "InStock"


def test_zero_price_in_structured_data_is_not_a_price() -> None:
    data = {"@type": "Product", "name": "Kit", "offers": {"@type": "Offer", "price": "0"}}
    product = extract_product(_jsonld(data, "<h1>Kit</h1><p>Call for price</p>"), "https://s/k")
    assert product.price is None and product.method is None


def test_two_items_in_one_jsonld_script_with_trailing_commas() -> None:
    html = (
        '<script type="application/ld+json">{"@type":"Organization","name":"Shop",}'
        '{"@type":"Product","name":"Gasket","sku":"G-1","offers":{"price":"4.20",'
        '"priceCurrency":"USD",},}</script>'
    )
    product = extract_product(html, "https://s.example/g")
    assert (product.sku, product.price) == ("G-1", Decimal("4.20"))


# --- meta tags, currency and locale -------------------------------------------------


def test_product_meta_tags_with_sale_price() -> None:
    html = (
        '<meta property="product:price:amount" content="30.00">'
        '<meta property="product:sale_price:amount" content="24.00">'
        '<meta property="product:price:currency" content="EUR">'
        '<meta property="product:availability" content="out of stock">'
    )
    product = extract_product(html, "https://s.example/p")
    assert (product.price, product.list_price, product.currency) == (
        Decimal("24.00"),
        Decimal("30.00"),
        "EUR",
    )
    assert product.availability == "OutOfStock" and product.method == "meta"


def test_loose_itemprop_meta_outside_any_item() -> None:
    html = (
        '<h1>Filter</h1><meta itemprop="price" content="15.5">'
        '<meta itemprop="priceCurrency" content="SEK"><span itemprop="sku">F-15</span>'
    )
    product = extract_product(html, "https://s.example/f")
    assert (product.price, product.currency, product.sku, product.method) == (
        Decimal("15.50"),
        "SEK",
        "F-15",
        "meta",
    )


@pytest.mark.parametrize(
    ("url", "lang", "currency"),
    [
        ("https://teile.example.de/p", "", "EUR"),
        ("https://parts.example.co.uk/p", "", "GBP"),
        ("https://parts.example.ca/p", "", "CAD"),
        ("https://parts.example.com.au/p", "", "AUD"),
        ("https://parts.example.jp/p", "", "JPY"),
        ("https://teile.example.ch/p", "", "CHF"),
        ("https://czesci.example.pl/p", "", "PLN"),
        ("https://delar.example.se/p", "", "SEK"),
        ("https://parts.example.com/p", "de-CH", "CHF"),
        ("https://parts.example.com/p", "fr", "EUR"),
        ("https://parts.example.com/p", "", None),
    ],
)
def test_currency_from_locale_hints(url: str, lang: str, currency: str | None) -> None:
    html = f'<html lang="{lang}"><body><h1>Part</h1><div class="price">12.50</div></body></html>'
    product = extract_product(html, url)
    assert product.price == Decimal("12.50")
    assert product.currency == currency


def test_configured_currency_beats_locale_and_names_the_dollar() -> None:
    html = '<html lang="en-US"><body><h1>Part</h1><div class="price">$12.50</div></body></html>'
    assert (
        extract_product(html, "https://p.example.com/x", default_currency="CAD").currency == "CAD"
    )
    plain = '<html><body><h1>Part</h1><div class="price">12.50</div></body></html>'
    product = extract_product(plain, "https://p.example.de/x", default_currency="USD")
    assert product.currency == "USD" and product.methods["currency"] == "config"


def test_currency_in_the_data_beats_the_symbol() -> None:
    html = (
        '<meta property="og:price:amount" content="12.50">'
        '<meta property="og:price:currency" content="NZD"><h1>Part</h1><p class="price">$12.50</p>'
    )
    assert extract_product(html, "https://p.example.com/x").currency == "NZD"


# --- selectors ----------------------------------------------------------------------


def test_xpath_attribute_selectors_and_labels() -> None:
    html = (
        '<div id="p" data-price="1.234,00" data-stock="Nicht auf Lager"></div>'
        '<p class="code">Art.-Nr.: 4711-X</p>'
    )
    selectors = SelectorSet(price="//div[@id='p']/@data-price", sku="p.code",
                            availability="#p::attr(data-stock)")  # fmt: skip
    product = extract_product(html, "https://shop.example.de/p", selectors=selectors)
    assert (product.price, product.currency, product.method) == (
        Decimal("1234.00"),
        "EUR",
        "selectors",
    )
    assert product.sku == "4711-X" and product.availability == "OutOfStock"


def test_structured_data_wins_over_selectors() -> None:
    html = _jsonld(
        {"@type": "Product", "name": "A", "offers": {"price": "5.00", "priceCurrency": "USD"}},
        '<span class="p">$6.00</span>',
    )
    product = extract_product(html, "https://s/a", selectors=SelectorSet(price="span.p"))
    assert product.price == Decimal("5.00") and product.method == "json-ld"


# --- the visible-page fallback ------------------------------------------------------


def test_fallback_ignores_banners_savings_and_unit_prices() -> None:
    html = """
    <div class="topbar">Free shipping on orders over $50</div>
    <h1>Grease 400 g cartridge</h1>
    <div class="product-price"><span class="price">$7.99</span></div>
    <div class="base-price">$2.00 / 100 g</div>
    <div>You save $2.00</div>
    """
    product = extract_product(html, "https://s.example/grease")
    assert product.price == Decimal("7.99") and product.method == "fallback"


def test_fallback_finds_nothing_rather_than_a_wrong_price() -> None:
    html = "<h1>Quote-only gearbox</h1><p>Free delivery on orders over $100.</p>"
    assert extract_product(html, "https://s.example/g").price is None


def test_fallback_reads_cents_in_superscript() -> None:
    html = '<h1>Relay</h1><div class="price">$12<sup>99</sup></div>'
    assert extract_product(html, "https://s.example/r").price == Decimal("12.99")


@pytest.mark.parametrize(
    ("text", "availability"),
    [
        ("Auf Lager", "InStock"),
        ("Nicht verfügbar", "OutOfStock"),
        ("En stock", "InStock"),
        ("Rupture de stock", "OutOfStock"),
        ("Sold out", "OutOfStock"),
        ("Only 2 left in stock", "InStock"),
        ("Pre-order now", "PreOrder"),
        ("Discontinued", "Discontinued"),
    ],
)
def test_fallback_availability_phrases(text: str, availability: str) -> None:
    html = f'<h1>Part</h1><div class="price">$5.00</div><div class="stock">{text}</div>'
    assert extract_product(html, "https://s.example/p").availability == availability


def test_disabled_add_to_cart_means_out_of_stock() -> None:
    html = (
        '<main><h1>Part</h1><p class="price">$5.00</p><button disabled>Add to cart</button></main>'
    )
    assert extract_product(html, "https://s.example/p").availability == "OutOfStock"


# --- untrusted text -----------------------------------------------------------------


def test_scraped_text_is_collapsed_stripped_and_capped() -> None:
    name = "Filter  <script>alert(1)</script>\n\t" + "x" * 5000
    data = {"@type": "Product", "name": name, "sku": "  S-1\u200b ",
            "offers": {"price": "1.00", "priceCurrency": "USD"}}  # fmt: skip
    product = extract_product(_jsonld(data), "https://s.example/p")
    assert product.title is not None
    assert "<script>" not in product.title and "\n" not in product.title
    assert product.title.startswith("Filter ") and len(product.title) <= 300
    assert product.sku == "S-1"


def test_pack_quantity_from_the_title() -> None:
    data = {"@type": "Product", "name": "Cable Tie 200 mm Box/100",
            "offers": {"price": "9.00", "priceCurrency": "USD"}}  # fmt: skip
    product = extract_product(_jsonld(data), "https://s.example/p")
    assert product.pack_qty == 100 and product.methods["pack_qty"] == "json-ld"


def test_offer_marked_up_without_a_product() -> None:
    html = (
        '<html lang="nl-NL"><body><h1>Koppelingsset 3000 951 015</h1>'
        '<div itemscope itemtype="http://schema.org/Offer"><span itemprop="price" '
        'content="189.95">€ 189,95</span><meta itemprop="priceCurrency" content="EUR">'
        '<link itemprop="availability" href="http://schema.org/InStock"></div></body></html>'
    )
    product = extract_product(html, "https://shop.example.nl/koppeling")
    assert (product.price, product.currency, product.availability, product.method) == (
        Decimal("189.95"),
        "EUR",
        "InStock",
        "microdata",
    )
    assert product.title == "Koppelingsset 3000 951 015"


def test_a_review_widget_product_does_not_hide_the_priced_one() -> None:
    widget = {"@type": "Product", "name": "Radiator Cap", "aggregateRating": {"ratingValue": 4}}
    main = {"@type": "Product", "name": "Radiator Cap", "sku": "RC-16",
            "offers": {"@type": "Offer", "price": "12.95", "priceCurrency": "USD"}}  # fmt: skip
    html = (
        f'<script type="application/ld+json">{_script_safe(widget)}</script>'
        f'<script type="application/ld+json">{_script_safe(main)}</script><h1>Radiator Cap</h1>'
    )
    product = extract_product(html, "https://s.example/cap")
    assert (product.sku, product.price, product.method) == ("RC-16", Decimal("12.95"), "json-ld")


def test_fallback_reads_labels_before_prices() -> None:
    html = """
    <h1>Trailer Jack 2000 lb</h1>
    <div class="product-price"><span class="label">Regular Price:</span> <span>$89.99</span><br>
    <span class="label">Sale Price:</span> <span>$69.99</span></div>
    """
    product = extract_product(html, "https://s.example/jack")
    assert (product.price, product.list_price) == (Decimal("69.99"), Decimal("89.99"))


def test_fallback_without_h1_uses_the_product_title_element() -> None:
    html = (
        '<html lang="de"><body><div class="header">Warenkorb (0) 0,00 €</div>'
        '<div class="product-title">Kupplungsscheibe 240 mm</div>'
        '<div class="product-price">249,00 € inkl. 19% MwSt.</div>'
        '<div class="product-stock">Nicht auf Lager</div></body></html>'
    )
    product = extract_product(html, "https://teile.example.de/k")
    assert product.title == "Kupplungsscheibe 240 mm"
    assert (product.price, product.currency) == (Decimal("249.00"), "EUR")
    assert product.availability == "OutOfStock"


def test_structured_price_without_currency_takes_the_visible_symbol() -> None:
    data = {"@type": "Product", "name": "Seal", "offers": {"@type": "Offer", "price": "4.10"}}
    html = _jsonld(data, '<h1>Seal</h1><span class="price">£4.10</span>')
    product = extract_product(html, "https://parts.example.com/seal")
    assert (product.price, product.currency, product.method) == (Decimal("4.10"), "GBP", "json-ld")


# --- B2B pages: quantity breaks and prices on request --------------------------------


def test_quantity_breaks_are_read_and_the_first_is_the_price() -> None:
    page = PAGES / "b2b_quantity_breaks.html"
    product = extract_product(page.read_bytes(), "https://www.industriebedarf-weber.example/a")
    assert product.price == Decimal("149.50")
    assert product.price_breaks == (
        (1, Decimal("149.50")),
        (10, Decimal("139.00")),
        (50, Decimal("129.90")),
    )


def test_a_break_table_gives_the_price_when_nothing_else_does() -> None:
    html = """<html><body><h1>Hose Clamp 12-20 mm, Box/100</h1>
    <table><tr><td>1+</td><td>$18.40</td></tr><tr><td>10+</td><td>$16.90</td></tr>
    <tr><td>100+</td><td>$15.10</td></tr></table></body></html>"""
    product = extract_product(html, "https://b2b.example/clamp", default_currency="USD")
    assert product.price == Decimal("18.40") and product.currency == "USD"
    assert [qty for qty, _ in product.price_breaks] == [1, 10, 100]
    assert product.pack_qty == 100


@pytest.mark.parametrize(
    "phrase",
    ["Call for price", "Price on request", "Preis auf Anfrage", "Prix sur demande",
     "Log in to see prices", "Prezzo su richiesta"],
)  # fmt: skip
def test_a_price_on_request_is_no_price_and_says_so(phrase: str) -> None:
    html = f"""<html><body><h1>Final Drive Motor FD-200</h1><div class="price">{phrase}</div>
    <footer>Call for price on bulk orders</footer></body></html>"""
    product = extract_product(html, "https://b2b.example/fd-200", default_currency="USD")
    assert product.price is None and product.price_on_request


def test_a_page_with_a_price_is_not_on_request() -> None:
    html = """<html><body><h1>Belt 6PK1500</h1><div class="price">$24.90</div>
    <p>Volume buyers: call for price on 100+</p></body></html>"""
    product = extract_product(html, "https://b2b.example/belt")
    assert product.price == Decimal("24.90") and not product.price_on_request


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://schema.org/InStock", "InStock"),
        ("http://schema.org/OutOfStock", "OutOfStock"),
        ("https://schema.org/InStock ", "InStock"),
        ("schema:InStock", "InStock"),
        ("instock", "InStock"),
        ("in_stock", "InStock"),
        ("out_of_stock", "OutOfStock"),
        ("LimitedAvailability", "LimitedAvailability"),
        ("http://schema.org/LimitedAvailability", "LimitedAvailability"),
        ("PreOrder", "PreOrder"),
        ("https://schema.org/PreSale", "PreOrder"),
        ("BackOrder", "BackOrder"),
        ("http://data-vocabulary.org/InStock", "InStock"),
        ("https://schema.org/SoldOut", "SoldOut"),
        ("https://schema.org/Discontinued", "Discontinued"),
        ("new", None),
    ],
)
def test_structured_availability_spellings(value: str, expected: str | None) -> None:
    page = _jsonld(
        {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": "Belt",
            "offers": {"@type": "Offer", "price": "5.00", "availability": value},
        }
    )
    assert extract_product(page, "https://a.example/p").availability == expected


def test_data_sku_on_a_related_card_is_not_the_product_sku() -> None:
    page = """<html><body><div class="pdp" data-sku="AB-100"><h1>Belt AB-100</h1>
    <span class="price">$5.00</span></div>
    <div class="card" data-sku="ZZ-999"><h3>Other belt</h3></div></body></html>"""
    assert extract_product(page, "https://a.example/p").sku == "AB-100"
    only_card = page.replace('data-sku="AB-100"', "")
    assert extract_product(only_card, "https://a.example/p").sku is None


def test_shopify_script_without_the_variant_shown_gives_no_price() -> None:
    meta = {
        "product": {
            "vendor": "Acme",
            "variants": [
                {"id": 1, "price": 1000, "sku": "A-1"},
                {"id": 2, "price": 2500, "sku": "A-2"},
            ],
        }
    }
    page = f"<html><head><script>var meta = {json.dumps(meta)};</script></head><body></body></html>"
    product = extract_product(page, "https://a.example/products/a")
    assert product.price is None and product.sku is None and product.brand == "Acme"
    chosen = extract_product(page, "https://a.example/products/a?variant=2")
    assert (chosen.price, chosen.sku, chosen.method) == (Decimal("25.00"), "A-2", "script")


# --- rules from pages of more shops and countries ------------------------------------


def test_a_price_labelled_net_loses_to_the_gross_price() -> None:
    html = """
    <h1>Brake disc 312 mm</h1>
    <div class="prices">
      <div class="price price--net"><span class="label">Net price:</span> <span>€84.03</span></div>
      <div class="price"><span class="label">Gross price:</span> <span>€103.36</span>
        <span>incl. 23% VAT</span></div>
    </div>
    """
    assert extract_product(html, "https://s.example/disc").price == Decimal("103.36")


@pytest.mark.parametrize(
    ("online", "store"),
    [
        ("In stock for delivery", "Click &amp; Collect: out of stock at Leeds"),
        ("Finns i lager (5+ st)", "Ej i lager i butik Uppsala"),
        ("В наличии", "Нет в наличии в магазине на Тверской"),
    ],
)
def test_stock_in_one_store_does_not_decide_online_availability(online: str, store: str) -> None:
    html = f"""
    <h1>Combi drill</h1><div class="price">€99.00</div>
    <div class="stock-info"><div class="stock-online">{online}</div>
    <div class="stock-store">{store}</div></div>
    """
    assert extract_product(html, "https://s.example/drill").availability == "InStock"


def test_sold_out_online_is_out_of_stock_whatever_the_stores_hold() -> None:
    html = """
    <main><h1>Tunneltelt</h1><div class="price">kr 5 490,-</div>
    <div class="stock-stores">På lager i 3 butikker</div>
    <button class="add-to-cart" disabled>Legg i handlekurv</button></main>
    """
    assert extract_product(html, "https://s.example.no/telt").availability == "OutOfStock"


@pytest.mark.parametrize(
    ("text", "availability"),
    [
        ("Нет в наличии", "OutOfStock"),
        ("В наличии", "InStock"),
        ("Tükendi", "OutOfStock"),
        ("Stokta var", "InStock"),
        ("품절", "OutOfStock"),
        ("Εξαντλήθηκε", "OutOfStock"),
        ("Nincs készleten", "OutOfStock"),
        ("Raktáron", "InStock"),
        ("În stoc", "InStock"),
    ],
)
def test_availability_phrases_in_more_languages(text: str, availability: str) -> None:
    assert availability_from_text(text) == availability


def test_savings_and_credit_offers_in_other_languages_are_not_the_price() -> None:
    html = """
    <h1>Перфоратор Bosch GBH 2-26</h1>
    <div class="sale_block"><div class="value">-16%</div>
      <div class="text">Экономия <span>2 500 ₽</span></div></div>
    <div class="credit">В кредит от 1 083 ₽/мес</div>
    """
    assert extract_product(html, "https://s.example/ru").price is None


def test_old_price_labels_in_other_languages() -> None:
    html = """
    <h1>Türk Kahve Makinesi</h1>
    <div class="piyasa">Piyasa Fiyatı: 2.499,00 TL</div>
    <div class="urun-fiyat"><span class="fiyat">1.899,90 TL</span></div>
    """
    product = extract_product(html, "https://s.example.com.tr/kahve")
    assert (product.price, product.currency, product.list_price) == (
        Decimal("1899.90"),
        "TRY",
        Decimal("2499.00"),
    )


def test_identifiers_in_label_and_value_cells() -> None:
    html = """
    <h1>BOSCH Brake Disc</h1><div class="price">€103.36</div>
    <dl>
      <dt>Our part no.:</dt><dd>BRE-0986479057</dd>
      <dt>Manufacturer part no.:</dt><dd>0 986 479 057</dd>
      <dt>EAN:</dt><dd>4047025139586</dd>
    </dl>
    """
    product = extract_product(html, "https://s.example/disc")
    assert (product.sku, product.mpn, product.gtin) == (
        "BRE-0986479057",
        "0 986 479 057",
        "4047025139586",
    )


@pytest.mark.parametrize(
    ("line", "sku"),
    [
        ("Cód.: PFR2000P", "PFR2000P"),
        ("Артикул: BX-0611253708", "BX-0611253708"),
        ("Ürün Kodu: KRC-HTR-BKR", "KRC-HTR-BKR"),
        ("Ref.: Nouveau", None),
        ("Kod rabatowy: SAVE10", None),
    ],
)
def test_sku_labels_in_more_languages(line: str, sku: str | None) -> None:
    html = f'<h1>Product</h1><div class="price">€10.00</div><div class="code">{line}</div>'
    assert extract_product(html, "https://s.example/p").sku == sku


def test_jsonld_keys_some_generators_capitalize() -> None:
    data = {
        "@context": "https://schema.org/",
        "@type": "Product",
        "name": "Handfilter",
        "offers": {
            "@type": "Offer",
            "priceCurrency": "EUR",
            "Price": "34.9",
            "Availability": "https://schema.org/OutOfStock",
        },
    }
    product = extract_product(_jsonld(data), "https://s.example.de/handfilter")
    assert (product.price, product.availability) == (Decimal("34.90"), "OutOfStock")


def test_an_add_to_cart_button_on_a_related_card_says_nothing_about_this_product() -> None:
    html = """
    <div class="detail"><h1>Kahve Makinesi</h1><div class="fiyat">1.899,90 TL</div></div>
    <div class="shelf"><h2>Benzer Ürünler</h2>
      <div><a href="/a">Other machine</a><span>999,90 TL</span><a href="/cart/add/2">Sepete Ekle</a></div>
    </div>
    """
    assert extract_product(html, "https://s.example.com.tr/k").availability is None


def test_without_h1_the_element_named_like_og_title_anchors_the_page() -> None:
    html = """
    <html><head><meta property="og:title" content="Wool Blend Coat"></head><body>
    <div id="top"><h1><img src="/logo.png" alt="Shop"></h1></div>
    <div id="contents">
      <div class="detail"><h2>Wool Blend Coat</h2>
        <table><tr><th>Product code</th><td>P0000BKX</td></tr></table></div>
      <div class="relation"><h3>Related products</h3><ul><li>Scarf <span>₩39,000</span></li></ul></div>
    </div></body></html>
    """
    product = extract_product(html, "https://s.example.co.kr/p?no=1")
    assert product.title == "Wool Blend Coat" and product.sku == "P0000BKX"
    assert product.price is None


# --- tax basis, offers, packs, stock (issue 15) ---------------------------------------


@pytest.mark.parametrize(
    "name",
    [n for n in SAMPLES if "other_basis_price" in json.loads((PAGES / f"{n}.json").read_text())],
)
def test_a_page_showing_net_and_gross_gives_both(name: str) -> None:
    spec, product = _load(name)
    assert product.price_includes_tax is spec["expected"]["price_includes_tax"]
    assert product.other_basis_price == Decimal(spec["other_basis_price"])
    gross, net = (
        (product.price, product.other_basis_price)
        if product.price_includes_tax
        else (product.other_basis_price, product.price)
    )
    assert gross is not None and net is not None and net < gross


def test_unrounded_structured_price_is_read_in_the_currency_minor_unit() -> None:
    offer = {"@type": "Offer", "price": "46.248", "priceCurrency": "GBP"}
    page = _jsonld_page({"@type": "Product", "name": "Oil filter", "offers": offer})
    assert extract_product(page, "https://a.example.co.uk/p").price == Decimal("46.25")


def test_a_used_offer_never_prices_the_new_part() -> None:
    offers = [
        {"@type": "Offer", "itemCondition": "https://schema.org/UsedCondition", "price": "50"},
        {"@type": "Offer", "itemCondition": "https://schema.org/NewCondition", "price": "90"},
    ]
    page = _jsonld_page({"@type": "Product", "name": "Pump", "offers": offers})
    assert extract_product(page, "https://a.example/p").price == Decimal("90.00")
    only_used = _jsonld_page({"@type": "Product", "name": "Pump", "offers": offers[:1]})
    assert extract_product(only_used, "https://a.example/p").price == Decimal("50.00")


@pytest.mark.parametrize(
    ("quantity", "pack"),
    [
        ({"value": 100, "unitCode": "C62"}, 100),
        ({"value": "25", "unitCode": "H87"}, 25),
        ({"value": 1, "unitCode": "C62"}, None),
        ({"value": 100, "unitCode": "GRM"}, None),  # a price per 100 g is not a pack
    ],
)
def test_reference_quantity_in_pieces_is_a_pack(
    quantity: dict[str, object], pack: int | None
) -> None:
    spec = {"@type": "UnitPriceSpecification", "price": "4.95", "referenceQuantity": quantity}
    offer = {"@type": "Offer", "price": "4.95", "priceCurrency": "EUR", "priceSpecification": spec}
    page = _jsonld_page({"@type": "Product", "name": "Schraube M8", "offers": offer})
    assert extract_product(page, "https://a.example.de/p").pack_qty == pack


@pytest.mark.parametrize(
    ("row", "pack"),
    [
        ("Pkg Qty: 4", 4),
        ("Pack Size: 10", 10),
        ("Verpackungseinheit: 50 Stück", 50),
        ("Conditionnement : 20", 20),
        ("Sold in packs of 10.", 10),
        ("Vendu par lot de 6", 6),
        ("Pack Size: 5 l", None),
        ("Qty: 1", None),
    ],
)
def test_pack_rows_and_phrases_on_the_page(row: str, pack: int | None) -> None:
    page = f"<html><body><h1>Hose clip</h1><p class='price'>£7.90</p><p>{row}</p></body></html>"
    assert extract_product(page, "https://a.example.co.uk/p").pack_qty == pack


def _jsonld_page(data: dict[str, object], body: str = "") -> str:
    return (
        "<html><head><script type='application/ld+json'>"
        + _script_safe({"@context": "https://schema.org", **data})
        + f"</script></head><body><h1>{data.get('name', '')}</h1>{body}</body></html>"
    )


@pytest.mark.parametrize(
    ("notice", "state"),
    [
        ("Backordered - ships in 2-3 weeks", "BackOrder"),
        ("Special order item, allow 10 days", "BackOrder"),
        ("This item has been discontinued", "Discontinued"),
        ("In stock", "InStock"),  # agrees: nothing to override
    ],
)
def test_visible_stock_notice_beats_structured_in_stock(notice: str, state: str) -> None:
    offer = {"@type": "Offer", "price": "64.20", "priceCurrency": "USD",
             "availability": "https://schema.org/InStock"}  # fmt: skip
    page = _jsonld_page(
        {"@type": "Product", "name": "Slack adjuster", "offers": offer},
        f"<div class='stock-status'>{notice}</div><button class='add-to-cart'>Add to cart</button>",
    )
    assert extract_product(page, "https://a.example/p").availability == state


def test_an_unreadable_stock_row_is_unknown_not_the_cart_button() -> None:
    page = (
        "<html><body><h1>Door seal</h1><p class='price'>£54.00</p>"
        "<ul><li>Availability: Call to check</li></ul><button class='btn-cart'>Add to Basket"
        "</button></body></html>"
    )
    assert extract_product(page, "https://a.example.co.uk/p").availability is None
    readable = page.replace("Call to check", "In Stock")
    assert extract_product(readable, "https://a.example.co.uk/p").availability == "InStock"
