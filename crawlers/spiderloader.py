"""A Scrapy spider loader that makes one spider per competitor in the config.

Competitors are data, not code: ``scrapy list`` and ``scrapy crawl NAME`` see one
spider for each entry of ``competitors.yaml``, all sharing :class:`CompetitorSpider`.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any, Self

from scrapy import Request, Spider
from scrapy.settings import BaseSettings

from crawlers.spiders.competitor import CompetitorSpider
from pricing.config import Competitor, load_config
from pricing.settings import Settings


def spider_class(
    competitor: Competitor, catalog_includes_tax: bool | None = None
) -> type[CompetitorSpider]:
    """``catalog_includes_tax``: the catalog's price basis (``pricing.yaml``
    ``prices_include_tax``), which the competitor's prices are stored on."""
    attrs: dict[str, Any] = {
        "name": competitor.name,
        "competitor": competitor,
        "catalog_includes_tax": catalog_includes_tax,
        "allowed_domains": [],
        "custom_settings": CompetitorSpider.settings_for(competitor),
    }
    return type(f"{competitor.name.title()}Spider", (CompetitorSpider,), attrs)


class ConfigSpiderLoader:
    def __init__(self, config_dir: Path) -> None:
        config = load_config(config_dir)
        basis = config.policy.prices_include_tax
        self._spiders = {c.name: spider_class(c, basis) for c in config.competitors}

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        config_dir = settings.get("PRICING_CONFIG_DIR") or Settings().config_dir
        return cls(Path(config_dir))

    def load(self, spider_name: str) -> type[Spider]:
        try:
            return self._spiders[spider_name]
        except KeyError:
            raise KeyError(f"Spider not found: {spider_name}") from None

    def list(self) -> list[str]:
        return sorted(self._spiders)

    def find_by_request(self, request: Request) -> builtins.list[str]:
        return [name for name, cls in self._spiders.items() if cls.handles_request(request)]
