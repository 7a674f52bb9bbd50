"""``pricing.yaml``: the pricing policy (keys fixed by the SPEC), exchange rates, price
ladders and auto-approval rules. Resolving the policy of one part (the lookup order)
lives beside the optimizer's constraints, in :mod:`pricing.optimizer.policy`.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from pricing.config.competitors import CurrencyCode
from pricing.config.files import _Strict
from pricing.optimizer.policy import POLICY_KEYS, ResolvedPolicy, resolve_policy

__all__ = [
    "POLICY_KEYS",
    "AutoApproveRule",
    "CategoryPolicy",
    "FxConfig",
    "LadderConfig",
    "PolicyDefaults",
    "PolicyOverrides",
    "PricingPolicy",
    "ResolvedPolicy",
]

Fraction = Annotated[float, Field(ge=0, lt=1)]


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
        """The policy of one part, in the lookup order of
        :func:`pricing.optimizer.policy.resolve_policy`."""
        cat = self.categories.get(category)
        return resolve_policy(
            self.defaults.written(),
            self.proprietary.written(),
            cat.written() if cat is not None else {},
            cat.proprietary.written() if cat is not None else {},
            proprietary=proprietary,
            row_min_margin=row_min_margin,
            row_map_price=row_map_price,
        )
