"""The optimizer's boundary: plain, frozen data in and out.

Money crosses this boundary as :class:`~decimal.Decimal`; the optimizer converts to
floats only inside. Nothing here touches a database, a file or the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from pricing.errors import PricingError

ELASTICITY_SOURCES = ("prior", "estimated", "pooled")


class OptimizerInputError(PricingError):
    """A part cannot be priced as given (for example a current price of zero)."""

    def __init__(self, sku: str, reason: str) -> None:
        self.sku, self.reason = sku, reason
        super().__init__(f"cannot optimize SKU {sku}: {reason}")


@dataclass(frozen=True)
class SalesHistory:
    """One SKU's sales, one entry per period (day or week), oldest first.

    ``units`` are the units sold in the period and ``unit_price`` the average price
    actually charged. Periods with no sales should be present with ``units == 0``:
    a missing period and a period without sales mean different things. The optimizer
    uses only the order of the periods, so ``period_start`` may be ``None`` when the
    caller did not read the dates (the database reader skips them for speed).
    """

    period_start: Sequence[dt.date] | None
    units: Sequence[float] | npt.NDArray[np.float64]
    unit_price: Sequence[float] | npt.NDArray[np.float64]

    def __post_init__(self) -> None:
        if len(self.units) != len(self.unit_price) or (
            self.period_start is not None and len(self.period_start) != len(self.units)
        ):
            raise ValueError("period_start, units and unit_price must have the same length")


@dataclass(frozen=True)
class PartInput:
    """Everything the optimizer needs about one SKU.

    ``unit_cost``, ``current_price`` and ``map_price`` are for the pack of
    ``pack_qty`` units. ``competitor_unit_prices`` are per unit, fresh, from trusted
    matches only (the caller has filtered and converted them), in
    ``competitor_currency`` (``None``: the policy's base currency); they are compared
    only when that is the part's own currency.
    """

    sku: str
    category: str
    family: str
    proprietary: bool
    unit_cost: Decimal
    current_price: Decimal
    currency: str
    pack_qty: int
    map_price: Decimal | None = None
    min_margin: Decimal | None = None
    tier: str | None = None
    competitor_unit_prices: Sequence[Decimal] = ()
    sales: SalesHistory | None = None
    competitor_currency: str | None = None
    # closed-loop inputs (docs/demand_model.md, "Night after night")
    anchor_price: Decimal | None = None  # the price the catalog last set (None: current)
    list_price: Decimal | None = None  # a ceiling (MSRP), per pack
    window_price: Decimal | None = None  # our price rise_window_days ago (rolling limit)
    previous_prices: tuple[Decimal, ...] = ()  # our prices before the current one, newest first
    call_for_price: bool = False  # matched listings show no price ("call for price")
    alternative_unit_prices: Sequence[Decimal] = ()  # will-fit parts (proprietary), per unit
    ladder_group: str | None = None  # parts of one family that are one item (tiers, packs)

    def check(self) -> None:
        """Raise :class:`OptimizerInputError` when the part cannot be priced."""
        if not self.current_price.is_finite() or self.current_price <= 0:
            raise OptimizerInputError(
                self.sku, f"current price {self.current_price} is not positive")
        if not self.unit_cost.is_finite() or self.unit_cost < 0:
            raise OptimizerInputError(self.sku, f"unit cost {self.unit_cost} is negative")
        if self.pack_qty < 1:
            raise OptimizerInputError(self.sku, f"pack_qty {self.pack_qty} is below 1")
        if self.map_price is not None and (not self.map_price.is_finite() or self.map_price < 0):
            raise OptimizerInputError(self.sku, f"MAP price {self.map_price} is negative")


@dataclass(frozen=True)
class LadderPolicy:
    """Price ladders within a family.

    ``tiers`` run from the highest to the lowest; a part of ``tiers[i]`` must cost at
    least ``ratios[i]`` times the part of the next tier present with the same pack
    size (ratios multiply over a missing tier). With ``packs``, a larger pack of the
    same family and tier never costs more per unit than a smaller one.
    """

    tiers: tuple[str, ...] = ("genuine", "reman", "economy")
    ratios: tuple[float, ...] = (1.0, 1.0)
    packs: bool = True

    def __post_init__(self) -> None:
        if len(self.ratios) != max(len(self.tiers) - 1, 0):
            raise ValueError("LadderPolicy needs one ratio between each pair of adjacent tiers")
        if any(not r > 0 for r in self.ratios):
            raise ValueError("LadderPolicy ratios must be positive")


@dataclass(frozen=True)
class SuggestionResult:
    """One price suggestion; the field names are the columns of
    :class:`pricing.storage.models.Suggestion`.

    Prices, cost, competitor reference and profits are per pack in the part's
    currency; ``expected_*`` figures are per sales period under the demand model.
    """

    sku: str
    category: str
    proprietary: bool
    current_price: Decimal
    suggested_price: Decimal
    unit_cost: Decimal
    margin_before: Decimal
    margin_after: Decimal
    competitor_reference: Decimal | None
    competitor_count: int
    elasticity: float
    elasticity_se: float | None
    elasticity_source: str
    expected_units_before: float
    expected_units_after: float
    expected_profit_before: Decimal
    expected_profit_after: Decimal
    binding_constraint: str | None
    reason_codes: tuple[str, ...]
    explanation: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: Decimals as strings, reason codes as a list."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out
