"""Scoring the extractor against labelled saved pages: per field precision, recall, F1.

A labelled page is ``<name>.html`` with ``<name>.json`` beside it: the URL it was saved
from, optional ``selectors`` / ``default_currency`` / ``read_as``, ``expected`` (the
field values a person reads on the page) and optional ``known_misses`` (fields the
extractor is known to get wrong: ``{"brand": {"human": "Bosch", "why": ...}}``). The
truth for a field is the ``human`` value of its known miss, else its expected value;
a field the page's JSON does not name is not scored.

Counting, per field and page: a right non-null answer is a true positive; a wrong
non-null answer is a false positive (and a false negative when the page has a value);
no answer where the page has one is a false negative; an answer where the page has
none is a false positive. ``part_number`` is what storage keeps as the listing's
part number (``mpn``, else ``sku``); ``price_includes_tax`` what the page says about
its price's tax (``null`` when it says nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawlers.extraction.product import ExtractedProduct, extract_product
from pricing.scores import Tally

SCORED_FIELDS = (
    "price", "currency", "list_price", "sku", "mpn", "part_number", "gtin", "brand",
    "availability", "pack_qty", "title", "price_includes_tax",
)  # fmt: skip


@dataclass(frozen=True)
class LabelledPage:
    name: str
    html: Path
    spec: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.spec["url"])

    @property
    def shop(self) -> str:
        return (urlsplit(self.url).hostname or "").removeprefix("www.")

    def truth(self) -> dict[str, Any]:
        """The value a person reads for each labelled field."""
        values = dict(self.spec.get("expected", {}))
        for name, miss in self.spec.get("known_misses", {}).items():
            values[name] = miss.get("human") if isinstance(miss, dict) else miss
        if "part_number" not in values and "mpn" in values and "sku" in values:
            values["part_number"] = values.get("mpn") or values.get("sku")
        return values

    def extract(self) -> ExtractedProduct:
        from pricing.selectors import SelectorSet

        body = self.html.read_bytes()
        html: str | bytes = body if self.spec.get("read_as") == "bytes" else body.decode("utf-8")
        selectors = SelectorSet(**self.spec["selectors"]) if "selectors" in self.spec else None
        return extract_product(
            html, self.url, selectors=selectors, default_currency=self.spec.get("default_currency")
        )


def load_pages(directory: Path) -> list[LabelledPage]:
    pages = []
    for spec_path in sorted(directory.glob("*.json")):
        html = spec_path.with_suffix(".html")
        if html.is_file():
            spec = json.loads(spec_path.read_text(encoding="utf-8"))
            pages.append(LabelledPage(spec_path.stem, html, spec))
    return pages


def answers(product: ExtractedProduct) -> dict[str, Any]:
    """The extractor's answer for each scored field, as the JSON files spell them."""
    record = product.as_record()
    record["part_number"] = record.get("mpn") or record.get("sku")
    record["price_includes_tax"] = product.price_includes_tax
    return record


@dataclass
class FieldScore(Tally):
    labelled: int = 0
    known_misses: int = 0
    wrong: list[str] = field(default_factory=list)


@dataclass
class Score:
    pages: int = 0
    shops: int = 0
    fields: dict[str, FieldScore] = field(default_factory=dict)
    # availability answered "InStock" on every page: the constant a guess must beat
    always_in_stock: FieldScore = field(default_factory=FieldScore)


def _same(answer: Any, truth: Any) -> bool:
    if isinstance(truth, str) and isinstance(answer, str):
        return answer.strip() == truth.strip()
    return bool(answer == truth)


def _count(counts: FieldScore, answer: Any, want: Any, where: str) -> None:
    counts.labelled += 1
    if answer is None and want is None:
        return
    if answer is not None and want is not None and _same(answer, want):
        counts.tp += 1
        return
    if answer is not None:
        counts.fp += 1
    if want is not None:
        counts.fn += 1
    counts.wrong.append(f"{where}: {answer!r} != {want!r}")


def score(pages: Iterable[LabelledPage]) -> Score:
    result = Score(fields={name: FieldScore() for name in SCORED_FIELDS})
    shops: set[str] = set()
    for page in pages:
        result.pages += 1
        shops.add(page.shop)
        got = answers(page.extract())
        truth = page.truth()
        misses = page.spec.get("known_misses", {})
        for name in SCORED_FIELDS:
            if name not in truth:
                continue
            result.fields[name].known_misses += name in misses
            _count(result.fields[name], got.get(name), truth[name], page.name)
        if "availability" in truth:
            _count(result.always_in_stock, "InStock", truth["availability"], page.name)
    result.shops = len(shops)
    return result
