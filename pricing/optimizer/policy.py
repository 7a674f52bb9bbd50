"""The policy of one part: which value of each policy key applies to it, after the
SPEC's lookup order (most specific wins). Plain data: ``pricing.yaml``'s schema
(:mod:`pricing.config.policy`) hands over the blocks its file wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

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


class ResolvedPolicy(BaseModel):
    """The policy values that apply to one part, after the SPEC's lookup order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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


def resolve_policy(
    defaults: Mapping[str, Any],
    top_proprietary: Mapping[str, Any],
    category: Mapping[str, Any],
    category_proprietary: Mapping[str, Any],
    *,
    proprietary: bool,
    row_min_margin: Decimal | float | None = None,
    row_map_price: Decimal | None = None,
) -> ResolvedPolicy:
    """Most specific wins: catalog row, category's proprietary block (proprietary
    parts), category, top-level proprietary block (proprietary parts), defaults. Each
    block holds only the keys its file wrote (an explicit ``null`` counts)."""
    values = dict(defaults)
    if proprietary:
        values.update(top_proprietary)
    values.update(category)
    if proprietary:
        values.update(category_proprietary)
    if row_min_margin is not None:
        values["min_margin"] = float(row_min_margin)
    return ResolvedPolicy(**values, map_price=row_map_price)
