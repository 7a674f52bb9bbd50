"""``competitors.yaml``: what to crawl and how to read it."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from pricing.config.files import _Strict
from pricing.selectors import Selector, SelectorSet

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class Discovery(_Strict):
    """How a spider finds product pages: listing pages with pagination, or a sitemap."""

    mode: Literal["listing", "sitemap"]
    start_urls: list[str] = Field(default_factory=lambda: ["/"])
    product_links: Selector = None
    next_page: Selector = None
    sitemap_urls: list[str] = Field(default_factory=lambda: ["/sitemap.xml"])
    product_url_pattern: str | None = None

    @field_validator("product_url_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _listing_needs_links(self) -> Discovery:
        if self.mode == "listing" and not self.product_links:
            raise ValueError("mode 'listing' needs a product_links selector")
        return self


class SuspectRules(_Strict):
    """When a finished crawl run is flagged suspect (its prices wait for a person)."""

    min_item_ratio: Annotated[float, Field(gt=0, le=1)] = 0.5  # items vs recent good runs
    max_unreadable_share: Annotated[float, Field(gt=0, le=1)] = 0.2  # pages with no price
    price_jump_factor: Annotated[float, Field(gt=1)] = 3.0  # unit price x or / this ...
    max_jump_share: Annotated[float, Field(gt=0, le=1)] = 0.1  # ... for more than this share
    min_jumps: Annotated[int, Field(ge=1)] = 3  # of the listings seen before, and this many


class Competitor(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    display_name: str | None = None
    base_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+")]
    currency: CurrencyCode
    discovery: Discovery
    selectors: SelectorSet = SelectorSet()
    render_js: bool = False
    wait_for: Selector = None  # render_js: the element that shows the page has loaded
    download_delay: Annotated[float, Field(ge=0)] = 1.0
    concurrency: Annotated[int, Field(ge=1, le=16)] = 2
    download_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    suspect: SuspectRules = SuspectRules()
    enabled: bool = True
    # Whether this shop's prices include tax: true, false, or auto (the page's labels,
    # JSON-LD valueAddedTaxIncluded, say); tax_rate (0.20 for 20 %) converts them to
    # the catalog's basis (pricing.yaml prices_include_tax).
    prices_include_tax: bool | Literal["auto"] = "auto"
    tax_rate: Annotated[Decimal, Field(ge=0, lt=1, max_digits=8)] | None = None

    @property
    def label(self) -> str:
        return self.display_name or self.name

    def absolute(self, url: str, base_url: str | None = None) -> str:
        from urllib.parse import urljoin

        return urljoin((base_url or self.base_url).rstrip("/") + "/", url.lstrip("/"))


class CompetitorsFile(_Strict):
    competitors: list[Competitor]

    @field_validator("competitors")
    @classmethod
    def _unique(cls, value: list[Competitor]) -> list[Competitor]:
        seen: set[str] = set()
        for comp in value:
            if comp.name in seen:
                raise ValueError(f"competitor name {comp.name!r} appears twice")
            seen.add(comp.name)
        return value
