"""The demo market: deterministic input files and storefronts that behave like real shops.

The storefronts are served on free local ports and read over real HTTP with the
standard library, the way a crawler would; the config in ``config/competitors.yaml``
is the one that reads them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import signal
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urljoin
from urllib.request import urlopen
from urllib.robotparser import RobotFileParser

import numpy as np
import pytest
from parsel import Selector

from demo_market import (
    DEFAULT_SEED,
    SHOP_NAMES,
    DemoMarket,
    ListingTruth,
    build_world,
    write_demo_inputs,
)
from demo_market.common import gtin_is_valid, normalize_part_number
from demo_market.shops import EUR_USD
from demo_market.storefronts.base import eur
from pricing.config import AppConfig, load_config
from tests.support import CONFIG_DIR

CATALOG_COLUMNS = [
    "sku",
    "part_number",
    "description",
    "brand",
    "category",
    "family",
    "unit_cost",
    "price",
    "currency",
    "pack_qty",
    "proprietary",
    "gtin",
    "map_price",
    "min_margin",
    "superseded_by",
    "tier",
]
CATEGORIES = {"Filters", "Belts", "Hoses", "Seals", "Bearings", "Electrical"}


def fetch(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET, 4xx included."""
    try:
        with urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode("utf-8")
    except HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read().decode("utf-8")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    written = write_demo_inputs(tmp_path_factory.mktemp("demo"))
    return {"catalog": written.catalog, "xref": written.xref, "sales": written.sales}


@pytest.fixture(scope="module")
def catalog(inputs: dict[str, Path]) -> dict[str, dict[str, str]]:
    return {row["sku"]: row for row in read_csv(inputs["catalog"])}


@pytest.fixture(scope="module")
def config() -> AppConfig:
    return load_config(CONFIG_DIR)


# --- input files ---------------------------------------------------------------------


def test_same_seed_writes_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    first = write_demo_inputs(tmp_path / "a")
    second = write_demo_inputs(tmp_path / "b", seed=DEFAULT_SEED)
    other = write_demo_inputs(tmp_path / "c", seed=7)
    for name in ("catalog", "xref", "sales"):
        assert getattr(first, name).read_bytes() == getattr(second, name).read_bytes(), name
    assert first.catalog.read_bytes() != other.catalog.read_bytes()


def test_csv_columns_are_the_specs(inputs: dict[str, Path]) -> None:
    def header(path: Path) -> list[str]:
        with path.open(encoding="utf-8", newline="") as fh:
            return next(csv.reader(fh))

    assert header(inputs["catalog"]) == CATALOG_COLUMNS
    assert header(inputs["xref"]) == [
        "competitor_brand",
        "competitor_part_number",
        "sku",
        "relation",
    ]
    assert header(inputs["sales"]) == ["sku", "date", "units", "unit_price"]


def test_catalog_looks_like_an_oem_parts_catalog(catalog: dict[str, dict[str, str]]) -> None:
    rows = list(catalog.values())
    assert 350 <= len(rows) <= 450
    assert {r["category"] for r in rows} == CATEGORIES
    assert {r["currency"] for r in rows} == {"USD"}
    assert {r["proprietary"] for r in rows} == {"true", "false"}
    share = sum(r["proprietary"] == "true" for r in rows) / len(rows)
    assert 0.18 <= share <= 0.32
    margins = []
    for r in rows:
        cost, price = Decimal(r["unit_cost"]), Decimal(r["price"])
        assert cost.as_tuple().exponent == -2 and price.as_tuple().exponent == -2, r["sku"]
        margins.append((price - cost) / price)
        if r["gtin"]:
            assert gtin_is_valid(r["gtin"]), r["gtin"]
        if r["map_price"]:
            assert cost < Decimal(r["map_price"]) < price, r["sku"]
        if r["superseded_by"]:
            assert catalog[r["superseded_by"]]["superseded_by"] == ""
    assert min(margins) >= Decimal("0.20") and max(margins) <= Decimal("0.60")
    assert Decimal("0.30") <= statistics.median(margins) <= Decimal("0.45")
    packs = Counter(int(r["pack_qty"]) for r in rows)
    assert packs[1] > 0.8 * len(rows) and set(packs) > {1}
    assert sum(bool(r["gtin"]) for r in rows) > 50
    assert sum(bool(r["map_price"]) for r in rows) >= 10
    assert 0 < sum(bool(r["min_margin"]) for r in rows) < 40
    assert 3 <= sum(bool(r["superseded_by"]) for r in rows) <= 20
    assert {r["tier"] for r in rows} >= {"genuine", "economy", "reman"}


def test_value_tiers_are_cheaper_than_their_genuine_part(
    catalog: dict[str, dict[str, str]],
) -> None:
    by_description = {r["description"]: r for r in catalog.values()}
    ladders = 0
    for row in catalog.values():
        suffix = {"economy": ", economy", "reman": ", remanufactured"}.get(row["tier"])
        if suffix:
            genuine = by_description[row["description"].removesuffix(suffix)]
            assert Decimal(row["price"]) < Decimal(genuine["price"]), row["sku"]
            ladders += 1
    assert ladders >= 20


def test_xref_maps_competitor_numbers_to_competitive_skus(
    inputs: dict[str, Path], catalog: dict[str, dict[str, str]]
) -> None:
    refs = read_csv(inputs["xref"])
    assert len(refs) > 300
    assert {r["relation"] for r in refs} == {"equivalent", "superseded", "kit"}
    assert len({r["competitor_brand"] for r in refs}) >= 6
    keys = [
        (r["competitor_brand"], normalize_part_number(r["competitor_part_number"])) for r in refs
    ]
    assert len(keys) == len(set(keys))
    for ref in refs:
        part = catalog[ref["sku"]]
        assert part["proprietary"] == "false" and not part["superseded_by"], ref
    covered = {r["sku"] for r in refs}
    competitive = {
        s for s, r in catalog.items() if r["proprietary"] == "false" and not r["superseded_by"]
    }
    assert covered == competitive


def test_sales_are_two_years_of_weeks_at_varying_prices(
    inputs: dict[str, Path], catalog: dict[str, dict[str, str]]
) -> None:
    weeks: dict[str, list[tuple[dt.date, int, Decimal]]] = defaultdict(list)
    for row in read_csv(inputs["sales"]):
        weeks[row["sku"]].append(
            (dt.date.fromisoformat(row["date"]), int(row["units"]), Decimal(row["unit_price"]))
        )
    assert set(weeks) == {s for s, r in catalog.items() if not r["superseded_by"]}
    anchor = build_world().anchor
    for sku, history in weeks.items():
        days = [d for d, _, _ in history]
        assert len(days) == 104 and days == sorted(days)
        assert all((b - a).days == 7 for a, b in zip(days, days[1:], strict=False)), sku
        assert days[-1] == anchor - dt.timedelta(days=7)  # a fixed date, not today
        assert history[-1][2] == Decimal(catalog[sku]["price"])  # the history ends at today's price
    varied = sum(len({p for _, _, p in h}) >= 3 for h in weeks.values())
    assert varied / len(weeks) > 0.95
    zero_share = [sum(u == 0 for _, u, _ in h) / 104 for h in weeks.values()]
    assert sum(z > 0.5 for z in zero_share) > 20  # slow B2B parts
    assert sum(statistics.mean(u for _, u, _ in h) > 20 for h in weeks.values()) > 20


def test_true_elasticities_are_known_and_recoverable_from_sales() -> None:
    world = build_world()
    parts = {p.sku: p for p in world.parts}
    for sku, elasticity in world.true_elasticity.items():
        low, high = (-1.5, -0.6) if parts[sku].proprietary else (-3.5, -1.5)
        assert low <= elasticity <= high, sku
    errors = []
    history: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for sku, _day, n, price in world.sales():
        history[sku].append((float(price), n))
    for sku, rows in history.items():
        prices, units = np.array([p for p, _ in rows]), np.array([n for _, n in rows], float)
        if units.mean() < 10:
            continue
        x = np.c_[np.ones(len(prices)), np.log(prices / prices[-1])]
        beta = np.array([np.log(units.mean()), -1.0])
        for _ in range(30):  # Poisson regression by iteratively reweighted least squares
            mu = np.exp(x @ beta)
            beta = np.linalg.solve(x.T @ (mu[:, None] * x), x.T @ (mu * (x @ beta) + units - mu))
        errors.append(beta[1] - world.true_elasticity[sku])
    assert len(errors) > 30
    assert abs(np.mean(errors)) < 0.2 and np.median(np.abs(errors)) < 0.5


# --- storefronts ---------------------------------------------------------------------


def test_competitors_config_validates_and_names_the_demo_shops(config: AppConfig) -> None:
    assert [c.name for c in config.competitors] == list(SHOP_NAMES)
    assert config.competitor("partsdepot").discovery.mode == "listing"
    assert config.competitor("gearhub").discovery.mode == "sitemap"
    assert config.competitor("gearhub").currency == "EUR"
    assert [c.name for c in config.competitors if c.render_js] == ["quickfit"]


def test_storefronts_serve_on_free_ports(market: DemoMarket) -> None:
    urls = market.base_urls
    assert set(urls) == set(SHOP_NAMES) and len(SHOP_NAMES) >= 5
    assert len({u.rsplit(":", 1)[1] for u in urls.values()}) == len(SHOP_NAMES)
    for url in urls.values():
        status, ctype, body = fetch(url + "/")
        assert status == 200 and ctype == "text/html; charset=utf-8"
    assert "Free shipping on orders over $50" in fetch(urls["partsdepot"] + "/")[2]
    assert "Free shipping over 50 €" in fetch(urls["gearhub"] + "/")[2]


def test_a_taken_port_is_reported(market: DemoMarket) -> None:
    port = int(market.base_urls["partsdepot"].rsplit(":", 1)[1])
    with pytest.raises(OSError, match=f"partsdepot demo shop on 127.0.0.1:{port}"):
        DemoMarket(ports={"partsdepot": port}).start()


def test_robots_txt_allows_products_and_disallows_cart_and_account(market: DemoMarket) -> None:
    for name, base in market.base_urls.items():
        status, ctype, body = fetch(base + "/robots.txt")
        assert status == 200 and ctype == "text/plain; charset=utf-8"
        robots = RobotFileParser(base + "/robots.txt")
        robots.parse(body.splitlines())
        assert robots.can_fetch("pricing-bot", market.ground_truth(name)[0].url)
        assert not robots.can_fetch("pricing-bot", base + "/cart")
        assert not robots.can_fetch("pricing-bot", base + "/account")
    assert (
        f"Sitemap: {market.base_urls['gearhub']}/sitemap.xml"
        in fetch(market.base_urls["gearhub"] + "/robots.txt")[2]
    )


def test_unknown_paths_are_404(market: DemoMarket) -> None:
    pd, gh = market.base_urls["partsdepot"], market.base_urls["gearhub"]
    for url in (
        pd + "/nope",
        pd + "/product/no-such-part",
        pd + "/catalog?page=999",
        pd + "/catalog?page=x",
        gh + "/products/no-such-part",
        gh + "/sitemaps/products-99.xml",
        gh + "/shop/no-such-department",
    ):
        status, ctype, body = fetch(url)
        assert status == 404, url
        assert ctype == "text/html; charset=utf-8" and "Page not found" in body


def test_partsdepot_pagination_reaches_every_product(market: DemoMarket, config: AppConfig) -> None:
    discovery = config.competitor("partsdepot").discovery
    base = market.base_urls["partsdepot"]
    assert discovery.product_links and discovery.next_page
    found: list[str] = []
    url: str | None = urljoin(base, discovery.start_urls[0])
    pages = 0
    while url:
        page = Selector(text=fetch(url)[2])
        found += [urljoin(url, href) for href in page.css(discovery.product_links).getall()]
        next_href = page.css(discovery.next_page).get()
        url = urljoin(url, next_href) if next_href else None
        pages += 1
    truth = {t.url for t in market.ground_truth("partsdepot")}
    assert pages > 5 and len(found) == len(set(found))
    assert set(found) == truth


def test_partsdepot_selectors_read_what_the_page_shows(
    market: DemoMarket, config: AppConfig
) -> None:
    selectors = config.competitor("partsdepot").selectors.model_dump(exclude_none=True)
    truth = market.ground_truth("partsdepot")
    picks = truth[:20] + [
        t
        for t in truth
        if t.pack_qty > 1 or t.list_price or t.availability == "OutOfStock" or "&" in t.title
    ]
    for item in picks:
        status, _ctype, body = fetch(item.url)
        assert status == 200
        assert "application/ld+json" not in body and "itemprop" not in body
        assert "og:price" not in body and "product:price" not in body
        got = {field: Selector(text=body).css(css).get() for field, css in selectors.items()}
        assert got["title"] == item.title
        assert got["price"] == f"${item.price:,.2f}"
        assert got["list_price"] == (f"${item.list_price:,.2f}" if item.list_price else None)
        assert got["mpn"] == item.part_number and got["brand"] == item.brand
        assert got["sku"] == item.item_no and got["pack_qty"] == str(item.pack_qty)
        in_stock = got["availability"] != "Out of stock"
        assert in_stock == (item.availability == "InStock"), got["availability"]


def _sitemap_urls(url: str) -> list[str]:
    status, ctype, body = fetch(url)
    assert status == 200 and ctype == "application/xml; charset=utf-8"
    locs = re.findall(r"<loc>(.*?)</loc>", body)
    if "<sitemapindex" in body:
        return [u for loc in locs for u in _sitemap_urls(loc)]
    return locs


def test_gearhub_sitemap_lists_every_product(market: DemoMarket, config: AppConfig) -> None:
    discovery = config.competitor("gearhub").discovery
    base = market.base_urls["gearhub"]
    assert discovery.product_url_pattern
    urls = [u for s in discovery.sitemap_urls for u in _sitemap_urls(urljoin(base, s))]
    products = [u for u in urls if re.search(discovery.product_url_pattern, u)]
    assert len(urls) > len(products)  # department pages are listed too, the pattern skips them
    assert sorted(products) == sorted(t.url for t in market.ground_truth("gearhub"))


def _product_json_ld(body: str) -> dict[str, object]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    products = [d for d in map(json.loads, blocks) if d.get("@type") == "Product"]
    assert len(products) == 1
    return products[0]


def test_gearhub_json_ld_carries_the_true_offer(market: DemoMarket) -> None:
    truth = market.ground_truth("gearhub")
    for item in truth:
        status, ctype, body = fetch(item.url)
        assert status == 200 and ctype == "text/html; charset=utf-8"
        data = _product_json_ld(body)
        offer = data["offers"]
        assert isinstance(offer, dict)
        german = offer["price"].replace(".", "").replace(",", ".")  # "1.234,56" as shops do
        assert Decimal(german) == item.price and offer["priceCurrency"] == "EUR"
        assert offer["availability"] == f"https://schema.org/{item.availability}"
        assert data["mpn"] == item.part_number and data["sku"] == item.item_no
        assert data["brand"] == {"@type": "Brand", "name": item.brand}
        assert data.get("gtin13") == item.gtin
        assert eur(item.price) in body
    assert sum(t.gtin is not None for t in truth) > 20


def test_ground_truth_overlaps_the_catalog_like_real_shops(market: DemoMarket) -> None:
    world = market.world
    parts = {p.sku: p for p in world.parts}
    xref = {(x.competitor_brand, x.competitor_part_number): x.sku for x in world.xrefs}
    xref_numbers = {normalize_part_number(n) for _, n in xref}
    competitive = {p.sku for p in world.parts if not p.proprietary and not p.superseded_by}
    for name in market.names:
        truth: list[ListingTruth] = market.ground_truth(name)
        kinds = Counter(t.kind for t in truth)
        carried = {t.sku for t in truth if t.sku in competitive}
        if name in ("partsdepot", "gearhub"):  # the two big generalists
            assert kinds["xref"] > 80 and kinds["oem"] > 10 and kinds["noise"] > 10
            assert 0.4 <= len(carried) / len(competitive) <= 0.6
        else:  # the smaller specialists
            assert kinds["xref"] > 10 and kinds["noise"] >= 4
            assert 0.03 <= len(carried) / len(competitive) <= 0.4
        assert kinds["near_miss"] >= 5
        for t in truth:
            if t.kind == "xref":
                assert xref[(t.brand, t.part_number)] == t.sku
            elif t.kind == "oem":
                assert (t.brand, t.part_number) == ("Northline", parts[t.sku or ""].part_number)
            elif t.kind == "near_miss":
                assert t.sku is None and normalize_part_number(t.part_number) not in xref_numbers
                assert any(
                    len(n) == len(t.part_number)
                    and sum(a != b for a, b in zip(n, t.part_number, strict=True)) == 1
                    for (brand, n) in xref
                    if brand == t.brand
                )
        if name in ("partsdepot", "gearhub", "tradesupply"):  # the B2B shop above all
            assert any(t.sku and t.pack_qty != parts[t.sku].pack_qty for t in truth)
        assert any(t.availability == "OutOfStock" for t in truth)
        fx = EUR_USD if name == "gearhub" else Decimal(1)
        for t in truth:
            if t.sku and t.kind in ("xref", "oem") and t.unit_price is not None:
                ratio = t.unit_price * fx / parts[t.sku].unit_price
                assert Decimal("0.75") < ratio < Decimal("1.27"), t


def test_prices_are_fixed_for_a_day_and_drift_across_days() -> None:
    later = build_world().anchor + dt.timedelta(days=30)
    with DemoMarket() as today, DemoMarket(day=later) as month_on:
        now = today.ground_truth("gearhub")
        again = DemoMarket().ground_truth("gearhub")  # another market, same seed and day
        assert [t.price for t in again] == [t.price for t in now]
        then = month_on.ground_truth("gearhub")
        moved = [(a, b) for a, b in zip(now, then, strict=True) if a.price != b.price]
        assert len(moved) > len(now) // 3
        # gearhub joins the season's filters price war on day 12 (demo_market/season.py)
        assert min(b.price / a.price - 1 for a, b in moved) < Decimal("-0.1")
        # a shop the season leaves alone (stock events only) drifts a little, day to day
        calm = [(a, b) for a, b in zip(today.ground_truth("tradesupply"),
                                       month_on.ground_truth("tradesupply"), strict=True)
                if a.price is not None and b.price is not None and a.price != b.price]
        assert len(calm) > 10
        assert all(abs(b.price / a.price - 1) < Decimal("0.1") for a, b in calm)
        item = moved[0][1]
        assert eur(item.price) in fetch(item.url)[2]
        month_on.day = today.day  # a running market can move to another day
        assert eur(moved[0][0].price) in fetch(item.url)[2]


def test_command_line_serves_until_interrupted(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "demo_market", "--port-base", "0", "--write-inputs"]
    # as from a terminal: Ctrl-C's SIGINT is not ignored (a test run started in the
    # background, as CI may start it, would otherwise pass its ignored SIGINT on)
    proc = subprocess.Popen(
        [*command, str(tmp_path)], stdout=subprocess.PIPE, text=True, cwd=CONFIG_DIR.parent,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3 + len(SHOP_NAMES))]
        urls = dict(re.findall(r"^\s+(\w+)\s+(http://\S+)/", "".join(lines), re.M))
        assert set(urls) == set(SHOP_NAMES), lines
        assert fetch(urls["gearhub"] + "/robots.txt")[0] == 200
        assert (tmp_path / "catalog.csv").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
