"""The extractor scored on labelled pages: development pages and the frozen held-out set.

Development pages (``tests/data/sample_pages/*.json``) are asserted field by field in
``test_extraction.py``. The frozen pages (``tests/data/sample_pages/frozen``) are never
tuned on; here they are only scored, and the score must not fall below the floor
measured on them before the rules of issue 15 were changed (so a rule that helps the
development pages while hurting unseen shops fails).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from crawlers.extraction.evaluation import LabelledPage, load_pages, score
from tests.support import SAMPLE_PAGES

PAGES = SAMPLE_PAGES
FROZEN = PAGES / "frozen"

# Frozen-set F1 per field measured before any rule change (the commit that added the
# frozen pages), with `python benchmarks/bench_extraction.py --no-speed`, cut to
# three decimals.
FLOOR = {
    "price": 0.786,
    "availability": 0.813,
    "sku": 0.793,
    "mpn": 0.896,
    "part_number": 0.931,
    "currency": 0.983,
    "pack_qty": 0.333,
    "gtin": 1.000,
    "brand": 0.760,
    "title": 1.000,
}


def test_the_frozen_set_covers_many_shops() -> None:
    pages = load_pages(FROZEN)
    assert len(pages) >= 25
    assert len({page.shop for page in pages}) >= 25
    assert not {p.name for p in pages} & {p.name for p in load_pages(PAGES)}


@pytest.mark.parametrize("field", sorted(FLOOR))
def test_frozen_f1_does_not_fall_below_the_floor(field: str) -> None:
    result = score(load_pages(FROZEN)).fields[field]
    assert result.f1 >= FLOOR[field] - 1e-9, (
        f"frozen {field} F1 {result.f1:.3f} < floor {FLOOR[field]:.3f}: {result.wrong}"
    )


def _page(tmp_path: Path, name: str, html: str, spec: Mapping[str, object]) -> LabelledPage:
    (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
    (tmp_path / f"{name}.json").write_text(json.dumps(spec), encoding="utf-8")
    return next(p for p in load_pages(tmp_path) if p.name == name)


def test_a_known_miss_is_scored_against_the_human_value(tmp_path: Path) -> None:
    html = (
        "<html><body><h1>Oil filter W 712/95</h1><p class='price'>8,95 €</p>"
        "<p>Made in Germany by MANN</p></body></html>"
    )
    spec = {
        "url": "https://shop.example.de/p/1",
        "expected": {"price": "8.95", "brand": None},
        "known_misses": {"brand": {"human": "MANN", "why": "unlabelled brand"}},
    }
    page = _page(tmp_path, "one", html, spec)
    result = score([page])
    assert result.pages == 1 and result.shops == 1
    assert (result.fields["price"].tp, result.fields["price"].fp) == (1, 0)
    brand = result.fields["brand"]
    assert brand.known_misses == 1
    assert brand.fn == 1 and brand.tp == 0 and brand.recall == 0.0


def test_a_wrong_answer_costs_precision_and_recall(tmp_path: Path) -> None:
    html = "<html><body><h1>Belt</h1><p class='price'>$12.00</p></body></html>"
    spec = {"url": "https://a.example/p", "expected": {"price": "13.00", "availability": None}}
    result = score([_page(tmp_path, "two", html, spec)])
    price = result.fields["price"]
    assert (price.tp, price.fp, price.fn) == (0, 1, 1)
    assert result.fields["availability"].labelled == 1
