"""Competitor prices on one tax basis: the conversion, its configuration, and a real crawl.

The crawl serves saved development pages from a local HTTP server and runs
``pricing crawl`` through the real Scrapy engine into SQLite; the catalog is on a net
basis, the shop's VAT is 20 %.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from pricing.competitor_prices import trusted_competitor_prices
from pricing.config import load_config
from pricing.errors import ConfigError
from pricing.observations import ObservationIn, store_observations
from pricing.storage import Database
from pricing.storage.models import CrawlRun, Listing, Match, PriceObservation
from pricing.tax import PriceBasis, price_on_basis
from tests.conftest import CONFIG_DIR, run_cli

PAGES = Path(__file__).parent / "sample_pages"
D = Decimal
NET_20 = PriceBasis(catalog_includes_tax=False, competitor="auto", tax_rate=D("0.20"))


@pytest.mark.parametrize(
    ("price", "currency", "includes", "other", "basis", "stored", "converted"),
    [
        # the page shows both: the net one is taken as shown
        (D("46.25"), "GBP", True, D("38.54"), NET_20, D("38.54"), False),
        # gross only: divided by 1.20 and rounded to the penny
        (D("46.25"), "GBP", True, None, NET_20, D("38.54"), True),
        (D("38.54"), "GBP", False, None, PriceBasis(True, "auto", D("0.20")), D("46.25"), True),
        # already on the catalog's basis: only rounded (46.248 -> 46.25)
        (D("46.248"), "GBP", False, None, NET_20, D("46.25"), False),
        # the page does not say: stored as shown
        (D("12.40"), "EUR", None, None, NET_20, D("12.40"), False),
        # the competitor's own setting decides when the page does not say
        (D("12.00"), "EUR", None, None, PriceBasis(False, True, D("0.20")), D("10.00"), True),
        # ... but a page showing both is read by its labels whatever the setting
        (
            D("12.00"),
            "EUR",
            True,
            D("10.00"),
            PriceBasis(True, False, D("0.20")),
            D("12.00"),
            False,
        ),
        # yen have no minor unit
        (D("4620"), "JPY", True, None, PriceBasis(False, "auto", D("0.10")), D("4200"), True),
        # no catalog basis stated: nothing converted, only rounded
        (D("19.999"), "USD", True, None, PriceBasis(None, "auto", D("0.20")), D("20.00"), False),
    ],
)
def test_price_on_basis(
    price: Decimal,
    currency: str,
    includes: bool | None,
    other: Decimal | None,
    basis: PriceBasis,
    stored: Decimal,
    converted: bool,
) -> None:
    result = price_on_basis(
        price, currency, includes_tax=includes, other_basis_price=other, basis=basis
    )
    assert result.price == stored and str(result.price) == str(stored)
    assert result.converted is converted


def test_the_list_price_moves_with_the_price() -> None:
    result = price_on_basis(
        D("120.00"), "GBP", includes_tax=True, list_price=D("150.00"), basis=NET_20
    )
    assert (result.price, result.list_price) == (D("100.00"), D("125.00"))


def test_without_a_rate_the_price_is_flagged_not_guessed() -> None:
    basis = PriceBasis(False, "auto", None)
    result = price_on_basis(D("46.25"), "GBP", includes_tax=True, basis=basis)
    assert result.price == D("46.25") and result.unconverted and not result.converted


def _config(tmp: Path, base_url: str, catalog: object, competitor: dict[str, object]) -> Path:
    directory = tmp / "config"
    shutil.copytree(CONFIG_DIR, directory)
    pricing = yaml.safe_load((directory / "pricing.yaml").read_text())
    pricing["prices_include_tax"] = catalog
    (directory / "pricing.yaml").write_text(yaml.safe_dump(pricing))
    shop = {
        "name": "vatshop",
        "base_url": base_url,
        "currency": "GBP",
        "download_delay": 0,
        "discovery": {"mode": "listing", "start_urls": ["/list.html"], "product_links": "a.p"},
        **competitor,
    }
    (directory / "competitors.yaml").write_text(yaml.safe_dump({"competitors": [shop]}))
    schedules = yaml.safe_load((directory / "schedules.yaml").read_text()) or {}
    schedules["crawls"] = {}
    (directory / "schedules.yaml").write_text(yaml.safe_dump(schedules))
    return directory


def test_a_missing_tax_rate_names_the_key(tmp_path: Path) -> None:
    directory = _config(tmp_path, "http://127.0.0.1:9", False, {})
    with pytest.raises(ConfigError, match=r"competitors\[vatshop\]\.tax_rate: needed to convert"):
        load_config(directory)
    ok = _config(tmp_path / "b", "http://127.0.0.1:9", False, {"tax_rate": 0.2})
    assert load_config(ok).competitors[0].tax_rate == D("0.2")
    same_basis = _config(tmp_path / "c", "http://127.0.0.1:9", False, {"prices_include_tax": False})
    assert load_config(same_basis).competitors[0].tax_rate is None


# Saved development pages the shop serves, and what a net-basis catalog stores for them.
SHOP = {
    "uk_trade_jsonld_vat_true_both": ("15.95", "InStock"),  # JSON-LD gives both amounts
    "uk_net_first_no_structured": ("120.00", "InStock"),  # visible net and gross labels
    "sold_in_packs_of_en": ("8.25", "InStock"),  # "$9.90 inc GST" only: 9.90 / 1.20
    "jsonld_offers_refurbished_first": ("569.00", "InStock"),  # new offer; tax unknown
    "backorder_text_vs_jsonld": ("64.20", "BackOrder"),
}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    links = "".join(f'<a class="p" href="/{name}.html">{name}</a>' for name in SHOP)
    (root / "list.html").write_text(f"<html><body>{links}</body></html>")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    for name in SHOP:
        shutil.copy(PAGES / f"{name}.html", root / f"{name}.html")
    handler = partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_crawl_stores_every_price_on_the_catalog_basis(shop: str, tmp_path: Path) -> None:
    directory = _config(tmp_path, shop, False, {"tax_rate": 0.2})
    url = f"sqlite:///{tmp_path / 'pricing.db'}"
    assert run_cli("init", db_url=url).returncode == 0
    result = run_cli("crawl", "vatshop", db_url=url, config_dir=directory)
    assert result.returncode == 0, result.stderr[-3000:]
    db = Database(url)
    with db.session() as s:
        rows = s.execute(
            select(Listing.url, PriceObservation.price, PriceObservation.availability).join(
                PriceObservation, PriceObservation.listing_id == Listing.id
            )
        ).all()
        run = s.scalar(select(CrawlRun))
    db.dispose()
    stored = {u.rsplit("/", 1)[1].removesuffix(".html"): (p, a) for u, p, a in rows}
    assert stored == {name: (D(price), state) for name, (price, state) in SHOP.items()}
    assert run is not None and run.stats is not None
    assert run.stats["pricing/tax/converted"] == 1
    assert run.stats["pricing/tax/basis_unknown"] == 2


def test_backorder_leaves_the_competitor_reference_unless_the_policy_counts_it(
    db: Database,
) -> None:
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    rows = [
        ObservationIn("shop", "https://shop.example/a", "A", at, D("10.00"), "USD",
                      availability="BackOrder"),
        ObservationIn("shop", "https://shop.example/b", "B", at, D("12.00"), "USD",
                      availability="InStock"),
    ]  # fmt: skip
    with db.session() as s:
        store_observations(s, rows, source="import")
        for listing in s.scalars(select(Listing)):
            s.add(Match(listing_id=listing.id, sku="SKU1", method="manual", confidence=1.0,
                        status="confirmed"))  # fmt: skip
    oldest = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with db.session() as s:
        default = trusted_competitor_prices(s, oldest)["SKU1"]
        counted = trusted_competitor_prices(s, oldest, count_backorder=True)["SKU1"]
    assert [p.unit_price for p in default] == [D("12.0000")]
    assert sorted(p.unit_price for p in counted) == [D("10.0000"), D("12.0000")]
