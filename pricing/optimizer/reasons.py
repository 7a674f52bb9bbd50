"""Reason codes and the one-sentence explanation of a suggestion.

Codes come in a fixed order: what bound the price (or PROFIT_OPTIMUM), then
conditions (conflicts, missing competitor prices, ending, ladder), then where the
elasticity came from.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

PROFIT_OPTIMUM = "PROFIT_OPTIMUM"
MARGIN_FLOOR = "MARGIN_FLOOR"
MAP_FLOOR = "MAP_FLOOR"
MAX_CHANGE_UP = "MAX_CHANGE_UP"
MAX_CHANGE_DOWN = "MAX_CHANGE_DOWN"
PRICE_INDEX_CAP = "PRICE_INDEX_CAP"
LADDER = "LADDER"
FLOOR_ABOVE_MAX_CHANGE = "FLOOR_ABOVE_MAX_CHANGE"
CANNOT_COMPETE_AT_FLOOR = "CANNOT_COMPETE_AT_FLOOR"
PRICE_INDEX_CAP_DEFERRED = "PRICE_INDEX_CAP_DEFERRED"
NO_COMPETITOR_PRICE = "NO_COMPETITOR_PRICE"
CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
PROPRIETARY = "PROPRIETARY"
INELASTIC_DEMAND = "INELASTIC_DEMAND"
PRICE_ENDING = "PRICE_ENDING"
LADDER_CONFLICT = "LADDER_CONFLICT"
SOLVER_FALLBACK = "SOLVER_FALLBACK"
ELASTICITY_ESTIMATED = "ELASTICITY_ESTIMATED"
ELASTICITY_POOLED = "ELASTICITY_POOLED"
ELASTICITY_PRIOR = "ELASTICITY_PRIOR"

ALL_CODES = (
    PROFIT_OPTIMUM, MARGIN_FLOOR, MAP_FLOOR, MAX_CHANGE_UP, MAX_CHANGE_DOWN, PRICE_INDEX_CAP,
    LADDER, FLOOR_ABOVE_MAX_CHANGE, CANNOT_COMPETE_AT_FLOOR, PRICE_INDEX_CAP_DEFERRED,
    NO_COMPETITOR_PRICE, CURRENCY_MISMATCH, PROPRIETARY, INELASTIC_DEMAND, PRICE_ENDING,
    LADDER_CONFLICT, SOLVER_FALLBACK, ELASTICITY_ESTIMATED, ELASTICITY_POOLED, ELASTICITY_PRIOR,
)
ELASTICITY_CODES = {
    "estimated": ELASTICITY_ESTIMATED, "pooled": ELASTICITY_POOLED, "prior": ELASTICITY_PRIOR,
}
_SOURCE_WORDS = {
    "estimated": "estimated from its sales history",
    "pooled": "pooled from its category's sales history",
    "prior": "the policy prior",
}


class Facts(NamedTuple):
    """What the sentence talks about, already decided by the optimizer (a tuple: one is
    made per suggestion)."""

    currency: str
    current: Decimal
    suggested: Decimal
    binding: str | None
    codes: tuple[str, ...]
    min_margin: float
    max_change: float
    max_price_index: float
    reference_kind: str
    reference: Decimal | None
    elasticity: float
    elasticity_source: str
    profit_before: Decimal
    profit_after: Decimal
    ending: str | None


@lru_cache(maxsize=4096)
def _pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def explain(f: Facts) -> str:
    """One plain-English sentence: the move, why, and the expected profit effect."""
    cur = f.currency
    if f.suggested == f.current:
        move = f"Keep at {_money(f.current)} {cur}"
    else:
        change = float((f.suggested - f.current) / f.current) * 100
        verb = "Raise" if change > 0 else "Lower"
        move = (f"{verb} from {_money(f.current)} to {_money(f.suggested)} {cur} "
                f"({change:+.1f}%)")
    parts = [move + " " + _why(f)]
    codes = set(f.codes)
    if CANNOT_COMPETE_AT_FLOOR in codes:
        parts.append(f"{_pct(f.max_price_index)} of the competitor {f.reference_kind} "
                     "would be below our floor, so we cannot compete on price here")
    elif PRICE_INDEX_CAP_DEFERRED in codes:
        parts.append(f"the competitive cap ({_pct(f.max_price_index)} of the competitor "
                     f"{f.reference_kind}) is below what the step limit or the family "
                     "ladder allows this run")
    if LADDER_CONFLICT in codes:
        parts.append("a family price ladder could not be kept without breaking the floor or "
                     "the step limit")
    if PRICE_ENDING in codes:
        parts.append(f"ending in {f.ending}")
    if SOLVER_FALLBACK in codes:
        parts.append("found by the fallback solver")
    parts.append(f"expected gross profit per period {_money(f.profit_before)} -> "
                 f"{_money(f.profit_after)} {cur}")
    return "; ".join(parts) + "."


def _why(f: Facts) -> str:
    step = _pct(f.max_change)
    over = FLOOR_ABOVE_MAX_CHANGE in f.codes
    elasticity = f"elasticity {f.elasticity:.2f}, {_SOURCE_WORDS[f.elasticity_source]}"
    if f.binding == MARGIN_FLOOR:
        why = f"to hold the {_pct(f.min_margin)} minimum margin"
    elif f.binding == MAP_FLOOR:
        why = "to stay at or above the minimum advertised price (MAP)"
    elif f.binding == MAX_CHANGE_UP:
        why = f"by the most one run allows ({step}), since a higher price earns more ({elasticity})"
    elif f.binding == MAX_CHANGE_DOWN:
        if CANNOT_COMPETE_AT_FLOOR in f.codes or PRICE_INDEX_CAP_DEFERRED in f.codes:
            why = f"by the most one run allows ({step}), toward the competitive price"
        else:
            why = (f"by the most one run allows ({step}), since a lower price earns more "
                   f"({elasticity})")
    elif f.binding == PRICE_INDEX_CAP:
        ref = f" of {_money(f.reference)} per pack" if f.reference is not None else ""
        why = (f"to the competitive cap, {_pct(f.max_price_index)} of the competitor "
               f"{f.reference_kind}{ref}")
    elif f.binding == LADDER:
        why = ("to keep the family's price ladder (higher tiers and smaller packs never "
               "cheaper per unit)")
    else:
        why = f"as the most profitable price ({elasticity})"
    if over and f.binding in (MARGIN_FLOOR, MAP_FLOOR):
        why += f", a bigger step than the {step} limit because the floor comes first"
    return why
