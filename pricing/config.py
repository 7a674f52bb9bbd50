"""The configuration a user edits (``config/``), loaded into validated pydantic models.

``pricing.yaml`` (the pricing policy, keys fixed by the SPEC), and the optional
``competitors.yaml`` (what to crawl and how to read it), ``schedules.yaml`` (when the
daemon runs what) and ``matching.yaml`` (see :func:`load_config`). Any problem stops
with a :class:`~pricing.errors.ConfigError` naming the file, the key and the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pricing.errors import ConfigError
from pricing.matching.config import MatchingConfig
from pricing.selectors import Selector, SelectorSet
from pricing.utf8 import NotUtf8Error, decode_utf8

_M = TypeVar("_M", bound="BaseModel")
log = logging.getLogger(__name__)

COMPETITORS_FILE = "competitors.yaml"
PRICING_FILE = "pricing.yaml"
SCHEDULES_FILE = "schedules.yaml"
MATCHING_FILE = "matching.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {value!r}: {exc}") from None
    return value


Cron = Annotated[str, AfterValidator(_check_cron)]
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


# --- pricing policy -----------------------------------------------------------------

Fraction = Annotated[float, Field(ge=0, lt=1)]
POLICY_KEYS = (
    "min_margin",
    "max_change",
    "max_price_index",
    "competitor_reference",
    "elasticity_prior",
    "price_ending",
    "max_age_days",
    "explore_step",
    "evidence_periods",
    "step_test_z",
    "min_change",
    "min_change_amount",
    "min_gain",
    "max_units_loss",
    "max_markup",
    "max_rise",
    "rise_window_days",
    "max_alternative_index",
)


class PolicyOverrides(_Strict):
    """Any policy key; only those written in the file override the level below."""

    min_margin: Fraction | None = None
    max_change: Annotated[float, Field(gt=0, le=1)] | None = None
    max_price_index: Annotated[float, Field(gt=0)] | None = None
    competitor_reference: Literal["min", "median"] | None = None
    elasticity_prior: Annotated[float, Field(lt=0)] | None = None
    price_ending: Annotated[str, Field(pattern=r"^\.\d{1,2}$")] | None = None
    max_age_days: Annotated[int, Field(ge=1)] | None = None
    # closed-loop safety (docs/demand_model.md, "Night after night")
    explore_step: Annotated[float, Field(gt=0, le=1)] | None = None
    evidence_periods: Annotated[int, Field(ge=1, le=52)] | None = None
    step_test_z: Annotated[float, Field(ge=0, le=5)] | None = None
    min_change: Annotated[float, Field(ge=0, lt=1)] | None = None
    min_change_amount: Annotated[float, Field(ge=0)] | None = None
    min_gain: Annotated[float, Field(ge=0, lt=1)] | None = None
    max_units_loss: Annotated[float, Field(ge=0, le=1)] | None = None
    max_markup: Annotated[float, Field(gt=1)] | None = None
    max_rise: Annotated[float, Field(gt=0)] | None = None
    rise_window_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    max_alternative_index: Annotated[float, Field(gt=0)] | None = None

    def written(self) -> dict[str, Any]:
        """The keys this block actually sets (an explicit ``null`` counts)."""
        return {key: getattr(self, key) for key in self.model_fields_set}


class PolicyDefaults(PolicyOverrides):
    min_margin: Fraction = 0.25
    max_change: Annotated[float, Field(gt=0, le=1)] = 0.10
    max_price_index: Annotated[float, Field(gt=0)] = 1.10
    competitor_reference: Literal["min", "median"] = "median"
    elasticity_prior: Annotated[float, Field(lt=0)] = -2.0
    price_ending: Annotated[str, Field(pattern=r"^\.\d{1,2}$")] | None = None
    max_age_days: Annotated[int, Field(ge=1)] = 14
    explore_step: Annotated[float, Field(gt=0, le=1)] | None = None  # None: max_change
    evidence_periods: Annotated[int, Field(ge=1, le=52)] = 1
    step_test_z: Annotated[float, Field(ge=0, le=5)] = 1.5
    min_change: Annotated[float, Field(ge=0, lt=1)] = 0.01
    min_change_amount: Annotated[float, Field(ge=0)] = 0.05
    min_gain: Annotated[float, Field(ge=0, lt=1)] = 0.002
    max_units_loss: Annotated[float, Field(ge=0, le=1)] = 0.03
    max_markup: Annotated[float, Field(gt=1)] | None = None
    max_rise: Annotated[float, Field(gt=0)] | None = None
    rise_window_days: Annotated[int, Field(ge=1, le=3650)] = 90
    max_alternative_index: Annotated[float, Field(gt=0)] | None = None

    def written(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in POLICY_KEYS}


class CategoryPolicy(PolicyOverrides):
    proprietary: PolicyOverrides = PolicyOverrides()

    def written(self) -> dict[str, Any]:
        values = super().written()
        values.pop("proprietary", None)
        return values


class ResolvedPolicy(_Strict):
    """The policy values that apply to one part, after the SPEC's lookup order."""

    min_margin: float
    max_change: float
    max_price_index: float
    competitor_reference: Literal["min", "median"]
    elasticity_prior: float
    price_ending: str | None
    max_age_days: int
    explore_step: float | None = None
    evidence_periods: int = 1
    step_test_z: float = 1.5
    min_change: float = 0.01
    min_change_amount: float = 0.05
    min_gain: float = 0.002
    max_units_loss: float = 0.03
    max_markup: float | None = None
    max_rise: float | None = None
    rise_window_days: int = 90
    max_alternative_index: float | None = None
    map_price: Decimal | None = None

    @property
    def step(self) -> float:
        """How far one run may go beyond the prices with sales evidence."""
        return self.explore_step if self.explore_step is not None else self.max_change


PositiveRate = Annotated[Decimal, Field(gt=0, max_digits=18)]


class FxConfig(_Strict):
    """Exchange rates into the policy's ``base_currency``, written in ``pricing.yaml``.

    ``rates[CUR][date]`` is how many base-currency units one ``CUR`` buys from ``date``
    on; a competitor price observed at a moment uses the latest rate on or before that
    day. ``max_age_days`` refuses a rate older than that (``None``: a rate stays in
    force until a newer one is written).
    """

    max_age_days: Annotated[int, Field(ge=1)] | None = None
    rates: dict[CurrencyCode, dict[dt.date, PositiveRate]] = Field(default_factory=dict)

    @field_validator("rates", mode="before")
    @classmethod
    def _date_keys_as_text(cls, value: Any) -> Any:
        """YAML reads ``2024-01-01:`` as a date; as text, an error names the key plainly."""
        if isinstance(value, dict):
            return {
                code: {
                    (k.isoformat() if isinstance(k, dt.date) else k): v for k, v in series.items()
                }
                if isinstance(series, dict)
                else series
                for code, series in value.items()
            }
        return value

    def table(self, base_currency: str) -> Any:
        """The rates as a :class:`pricing.fx.FxRates`."""
        from pricing.fx import FxRates

        return FxRates(
            base_currency,
            {code: sorted(series.items()) for code, series in self.rates.items()},
            max_age_days=self.max_age_days,
        )


class LadderConfig(_Strict):
    """Price ladders within a family (``ladders:`` in ``pricing.yaml``).

    ``tiers`` from the highest to the lowest; ``ratios[tier]`` is the least a part of
    that tier costs relative to the part of the next lower tier present in its family
    at the same pack size (default 1.0, and never below 1.0). With ``packs``, a larger
    pack of the same family and tier never costs more per unit than a smaller one.
    """

    enabled: bool = True
    tiers: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=lambda: ["genuine", "reman", "economy"]
    )
    ratios: dict[str, Annotated[float, Field(ge=1.0, le=10.0)]] = Field(default_factory=dict)
    packs: bool = True

    @model_validator(mode="after")
    def _check_tiers(self) -> LadderConfig:
        lowered = [t.lower() for t in self.tiers]
        if len(set(lowered)) != len(lowered):
            raise ValueError("tiers: a tier is listed twice")
        for name in self.ratios:
            if name.lower() not in lowered:
                raise ValueError(f"ratios: {name!r} is not one of the tiers {self.tiers}")
            if name.lower() == lowered[-1]:
                raise ValueError(f"ratios: {name!r} is the lowest tier; it has no tier below")
        return self

    def ratio_list(self) -> tuple[float, ...]:
        """One ratio between each pair of adjacent tiers, highest first."""
        given = {name.lower(): value for name, value in self.ratios.items()}
        return tuple(given.get(t.lower(), 1.0) for t in self.tiers[:-1])


RuleName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class AutoApproveRule(_Strict):
    """One auto-approval rule (``auto_approve:`` in ``pricing.yaml``): a pending price
    change that keeps every limit written here is approved in the rule's name. Whatever
    the rule says, overrides, flagged suggestions and suggestions a hard constraint
    bound are never approved (:mod:`pricing.autoapprove`)."""

    name: RuleName
    max_change: Annotated[float, Field(gt=0, le=1)]  # |suggested / current - 1| at most
    direction: Literal["any", "up", "down"] = "any"
    # expected gross profit per period, after minus before, in the part's currency
    min_gain: Annotated[Decimal, Field(ge=0, max_digits=18)] = Decimal(0)
    categories: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = None
    proprietary: bool | None = None
    # the competitor prices behind the reference: how many, how sure the matches are
    # (a person's confirmation counts as 1.0), and their relations to our part
    min_competitors: Annotated[int, Field(ge=0, le=1000)] = 0
    min_confidence: Annotated[float, Field(ge=0, le=1)] | None = None
    relations: list[Literal["same", "alternative", "kit"]] | None = None


class PricingPolicy(_Strict):
    base_currency: CurrencyCode = "USD"
    # The catalog's own price basis: false (net, before tax), true (gross), or null (not
    # stated: competitor prices are stored as their pages show them).
    prices_include_tax: bool | None = None
    # Whether a competitor's BackOrder listing counts toward the competitor reference.
    count_backorder: bool = False
    defaults: PolicyDefaults = PolicyDefaults()
    proprietary: PolicyOverrides = PolicyOverrides()
    categories: dict[str, CategoryPolicy] = Field(default_factory=dict)
    fx: FxConfig = FxConfig()
    ladders: LadderConfig = LadderConfig()
    auto_approve: list[AutoApproveRule] = Field(default_factory=list)

    @field_validator("auto_approve")
    @classmethod
    def _unique_rules(cls, value: list[AutoApproveRule]) -> list[AutoApproveRule]:
        names = [rule.name for rule in value]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"rule name {name!r} appears twice")
        return value

    @model_validator(mode="after")
    def _fx_base(self) -> PricingPolicy:
        if self.base_currency in self.fx.rates:
            raise ValueError(
                f"fx.rates: {self.base_currency} is the base currency; it needs no rate"
            )
        return self

    def stored(self) -> dict[str, Any]:
        """The policy as a run stores it: only what the file set (an explicit ``null``
        included), so :meth:`of_run` reads it back to the same resolution."""
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def of_run(cls, stored: dict[str, Any]) -> PricingPolicy:
        """The policy a run was made under, from :meth:`stored`. Runs stored before
        that kept every key of each override block, unset ones as ``null``; there a
        ``null`` is read as unset."""
        def blocks(doc: dict[str, Any]) -> list[dict[str, Any]]:
            found = [doc.get("proprietary") or {}]
            for cat in (doc.get("categories") or {}).values():
                found += [cat, cat.get("proprietary") or {}]
            return found

        doc = dict(stored)
        if any(set(POLICY_KEYS) <= set(b) for b in blocks(doc)):  # a full dump
            doc = json.loads(json.dumps(doc))
            for block in blocks(doc):
                for key in [k for k in POLICY_KEYS if block.get(k, 0) is None]:
                    del block[key]
        return cls.model_validate(doc)

    def resolve(
        self,
        category: str,
        proprietary: bool,
        *,
        row_min_margin: Decimal | float | None = None,
        row_map_price: Decimal | None = None,
    ) -> ResolvedPolicy:
        """Most specific wins: catalog row, category's proprietary block (proprietary
        parts), category, top-level proprietary block (proprietary parts), defaults."""
        values = self.defaults.written()
        if proprietary:
            values.update(self.proprietary.written())
        cat = self.categories.get(category)
        if cat is not None:
            values.update(cat.written())
            if proprietary:
                values.update(cat.proprietary.written())
        if row_min_margin is not None:
            values["min_margin"] = float(row_min_margin)
        return ResolvedPolicy(**values, map_price=row_map_price)


# --- schedules ----------------------------------------------------------------------


class Schedules(_Strict):
    timezone: str = "UTC"
    default_crawl: Cron = "0 1 * * *"
    crawls: dict[str, Cron] = Field(default_factory=dict)
    nightly: Cron = "30 4 * * *"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


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


MAX_CONFIG_BYTES = 10_000_000
MAX_DEPTH = 40  # mapping and list levels; the deepest real file has 6


class _YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, stricter: a key written twice in one mapping, or nesting
    deeper than ``MAX_DEPTH``, is an error with its line (PyYAML keeps the last value,
    and recurses until Python's stack runs out); a value that looks like a date but is
    not one (``2026-13-01``) is a YAML error with its line, not a bare ``ValueError``."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: yaml.Node) -> Any:
        _refuse_duplicate_keys(node, "", set())
        return super().construct_document(node)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date {node.value!r} ({exc})", node.start_mark
            ) from None


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _YamlLoader.construct_yaml_timestamp)


class _DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key: str, lines: tuple[int, int]) -> None:
        self.key, self.lines = key, lines
        super().__init__(f"{key}: key written twice (lines {lines[0]} and {lines[1]})")


def _refuse_duplicate_keys(node: yaml.Node, path: str, seen: set[int]) -> None:
    """Walk the composed document; a key written twice in one mapping (at any level)
    is a :class:`_DuplicateKeyError` with its dotted path and both lines. A key that
    follows a merge (``<<: *base``) overrides the merged one, as YAML means it to."""
    if id(node) in seen:  # an alias: already walked
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue
            key = f"{path}.{key_node.value}" if path else str(key_node.value)
            line = key_node.start_mark.line + 1
            earlier = first.get((key_node.tag, key_node.value))
            if earlier is not None:
                raise _DuplicateKeyError(key, (earlier, line))
            first[(key_node.tag, key_node.value)] = line
            _refuse_duplicate_keys(value_node, key, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicate_keys(item, f"{path}[{_item_name(item) or index}]", seen)


def _item_name(node: yaml.Node) -> str | None:
    """A list item's ``name:`` (competitors are named so), for the key path."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if (
                isinstance(key_node, yaml.ScalarNode)
                and key_node.value == "name"
                and isinstance(value_node, yaml.ScalarNode)
            ):
                return str(value_node.value)
    return None


def read_yaml(path: Path) -> dict[str, Any]:
    """A config file's top-level mapping. Missing, unreadable, too large, not UTF-8,
    not YAML, empty (or only comments), or not a mapping: a :class:`ConfigError` naming
    the file (and the line where there is one). An empty file is an error, not the
    built-in defaults: a policy file emptied by mistake must not drop its floors; ``{}``
    says "defaults" on purpose."""
    if not path.is_file():
        raise ConfigError(path, "", "file not found" if not path.exists() else "not a file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(path, "", f"larger than {MAX_CONFIG_BYTES // 1_000_000} MB")
    try:
        text = decode_utf8(data)
    except NotUtf8Error as exc:
        raise ConfigError(path, f"line {exc.line}", str(exc)) from None
    try:
        loaded = yaml.load(text, Loader=_YamlLoader)  # noqa: S506
    except _DuplicateKeyError as exc:
        first, second = exc.lines
        raise ConfigError(
            path, exc.key, f"key written twice (lines {first} and {second})"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(path, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise ConfigError(path, "", "not valid YAML: nested too deeply") from None
    if loaded is None:
        raise ConfigError(
            path, "", "the file is empty; write its settings (or {} for the built-in defaults)"
        )
    if not isinstance(loaded, dict):
        raise ConfigError(
            path, "", f"the file must be a mapping of keys to values, not a {_yaml_kind(loaded)}"
        )
    return loaded


def load_config_file(model: type[_M], path: Path) -> _M:
    """One config file read and checked as ``model``: the loader of every file users
    edit (this module's and :mod:`scheduler.alerts`'s)."""
    return validate_config(model, path, read_yaml(path))


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def validate_config(model: type[_M], path: Path, data: Any) -> _M:
    """``data`` (a config file's content) as ``model``; a :class:`ConfigError` naming
    the file and the key otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _key_path(data, err["loc"])
        reason = err["msg"]
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        raise ConfigError(path, key, reason) from None


def _key_path(data: Any, loc: tuple[int | str, ...]) -> str:
    """Dotted key for an error location, naming list items by their ``name`` key."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and item < len(node):
            node = node[item]
            name = node.get("name") if isinstance(node, dict) else None
            parts.append(f"[{name}]" if name else f"[{item}]")
            continue
        if isinstance(item, str) and item.startswith(("function-", "nullable[", "constrained-")):
            continue
        parts.append(f".{item}" if parts else str(item))
        node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts)


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
