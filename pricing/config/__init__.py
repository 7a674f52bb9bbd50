"""The configuration a user edits (``config/``), loaded into validated pydantic models.

``pricing.yaml`` (the pricing policy, keys fixed by the SPEC), and the optional
``competitors.yaml`` (what to crawl and how to read it), ``schedules.yaml`` (when the
daemon runs what) and ``matching.yaml`` (see :func:`load_config`). Any problem stops
with a :class:`~pricing.errors.ConfigError` naming the file, the key and the reason.

One module per file users edit: :mod:`.competitors`, :mod:`.policy` (``pricing.yaml``),
:mod:`.schedules`, and :mod:`pricing.matching.config`; :mod:`.files` reads any of
them. The policy of one part is resolved in :mod:`pricing.optimizer.policy`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import model_validator

from pricing.config.competitors import (
    Competitor,
    CompetitorsFile,
    CurrencyCode,
    Discovery,
    SuspectRules,
)
from pricing.config.files import (
    MAX_CONFIG_BYTES,
    MAX_DEPTH,
    _Strict,
    load_config_file,
    read_yaml,
    validate_config,
)
from pricing.config.policy import (
    POLICY_KEYS,
    AutoApproveRule,
    CategoryPolicy,
    FxConfig,
    LadderConfig,
    PolicyDefaults,
    PolicyOverrides,
    PricingPolicy,
    ResolvedPolicy,
)
from pricing.config.schedules import Cron, Schedules
from pricing.errors import ConfigError
from pricing.matching.config import MatchingConfig
from pricing.selectors import Selector, SelectorSet

log = logging.getLogger(__name__)

COMPETITORS_FILE = "competitors.yaml"
PRICING_FILE = "pricing.yaml"
SCHEDULES_FILE = "schedules.yaml"
MATCHING_FILE = "matching.yaml"

__all__ = [
    "COMPETITORS_FILE",
    "MATCHING_FILE",
    "MAX_CONFIG_BYTES",
    "MAX_DEPTH",
    "POLICY_KEYS",
    "PRICING_FILE",
    "SCHEDULES_FILE",
    "AppConfig",
    "AutoApproveRule",
    "CategoryPolicy",
    "Competitor",
    "CompetitorsFile",
    "Cron",
    "CurrencyCode",
    "Discovery",
    "FxConfig",
    "LadderConfig",
    "MatchingConfig",
    "PolicyDefaults",
    "PolicyOverrides",
    "PricingPolicy",
    "ResolvedPolicy",
    "Schedules",
    "Selector",
    "SelectorSet",
    "SuspectRules",
    "load_config",
    "load_config_file",
    "read_yaml",
    "validate_config",
]


class AppConfig(_Strict):
    directory: Path
    competitors: list[Competitor]
    policy: PricingPolicy
    schedules: Schedules
    matching: MatchingConfig = MatchingConfig()

    @model_validator(mode="after")
    def _tax_rates(self) -> AppConfig:
        """Every competitor whose prices may be on another basis than the catalog's
        needs its tax rate, or its prices could not be stored on one basis."""
        target = self.policy.prices_include_tax
        if target is None:
            return self
        for comp in self.competitors:
            if comp.prices_include_tax != target and comp.tax_rate is None:
                raise ConfigError(
                    self.directory / COMPETITORS_FILE,
                    f"competitors[{comp.name}].tax_rate",
                    "needed to convert its prices to the catalog's basis "
                    f"(pricing.yaml prices_include_tax: {str(target).lower()}; this "
                    f"competitor's prices_include_tax: {str(comp.prices_include_tax).lower()})",
                )
        return self

    def competitor(self, name: str) -> Competitor:
        for comp in self.competitors:
            if comp.name == name:
                return comp
        known = ", ".join(c.name for c in self.competitors) or "none"
        raise ConfigError(
            self.directory / COMPETITORS_FILE, name, f"no such competitor (known: {known})"
        )


def load_config(directory: Path) -> AppConfig:
    """The config folder. Only ``pricing.yaml`` is required; without ``competitors.yaml``
    nothing is crawled, without ``schedules.yaml`` the :class:`Schedules` defaults apply,
    without ``matching.yaml`` the matching defaults. A schedule for a competitor that
    ``competitors.yaml`` does not name is ignored with a warning naming file and key."""
    directory = Path(directory)
    comp_path = directory / COMPETITORS_FILE
    competitors = (
        load_config_file(CompetitorsFile, comp_path).competitors
        if comp_path.exists()
        else []
    )
    pricing_path = directory / PRICING_FILE
    policy = load_config_file(PricingPolicy, pricing_path)
    sched_path = directory / SCHEDULES_FILE
    schedules = (
        load_config_file(Schedules, sched_path)
        if sched_path.exists()
        else Schedules()
    )
    names = {c.name for c in competitors}
    unknown = [name for name in schedules.crawls if name not in names]
    for name in unknown:
        log.warning(
            "warning: %s: crawls.%s: no competitor of that name in %s; schedule ignored",
            sched_path,
            name,
            COMPETITORS_FILE,
        )
    if unknown:
        crawls = {k: v for k, v in schedules.crawls.items() if k in names}
        schedules = schedules.model_copy(update={"crawls": crawls})
    matching_path = directory / MATCHING_FILE
    matching = (
        load_config_file(MatchingConfig, matching_path)
        if matching_path.exists()
        else MatchingConfig()
    )
    return AppConfig(
        directory=directory,
        competitors=competitors,
        policy=policy,
        schedules=schedules,
        matching=matching,
    )
