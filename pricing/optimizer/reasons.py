"""Reason codes and the one-sentence explanation of a suggestion.

Codes come in a fixed order: what bound the price (or PROFIT_OPTIMUM), then
conditions (conflicts, missing competitor prices, ending, ladder), then where the
elasticity came from.
"""

from __future__ import annotations

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


@lru_cache(maxsize=4096)
def _pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}".rstrip("0").rstrip(".") + "%"


class Wording(NamedTuple):
    """What decides a sentence's words, as opposed to its numbers: suggestions that
    share these share a :func:`template` (a few dozen per run; the optimizer fills in
    each suggestion's numbers)."""

    currency: str
    move: int  # -1 lower, 0 keep, 1 raise
    binding: str | None
    codes: tuple[str, ...]
    min_margin: float
    max_change: float
    max_price_index: float
    reference_kind: str
    has_reference: bool
    elasticity_source: str
    ending: str | None


def _literal(text: str) -> str:
    """``text`` as it must appear in a ``str.format`` template."""
    return text.replace("{", "{{").replace("}", "}}")


@lru_cache(maxsize=4096)
def template(w: Wording) -> str:
    """The sentence for ``w`` as a ``str.format`` template whose fields are the numbers:
    ``current``, ``suggested`` and ``reference`` (money text), ``change`` (percent,
    float), ``elasticity`` (float), ``profit_before`` and ``profit_after`` (money text)."""
    cur = _literal(w.currency)
    if w.move == 0:
        move = f"Keep at {{current}} {cur}"
    else:
        verb = "Raise" if w.move > 0 else "Lower"
        move = f"{verb} from {{current}} to {{suggested}} {cur} ({{change:+.1f}}%)"
    kind = _literal(w.reference_kind)
    parts = [move + " " + _why(w)]
    codes = set(w.codes)
    if CANNOT_COMPETE_AT_FLOOR in codes:
        parts.append(f"{_pct(w.max_price_index)} of the competitor {kind} "
                     "would be below our floor, so we cannot compete on price here")
    elif PRICE_INDEX_CAP_DEFERRED in codes:
        parts.append(f"the competitive cap ({_pct(w.max_price_index)} of the competitor "
                     f"{kind}) is below what the step limit or the family "
                     "ladder allows this run")
    if LADDER_CONFLICT in codes:
        parts.append("a family price ladder could not be kept without breaking the floor or "
                     "the step limit")
    if PRICE_ENDING in codes:
        parts.append(f"ending in {_literal(str(w.ending))}")
    if SOLVER_FALLBACK in codes:
        parts.append("found by the fallback solver")
    parts.append(f"expected gross profit per period {{profit_before}} -> {{profit_after}} {cur}")
    return "; ".join(parts) + "."


def _why(w: Wording) -> str:
    step = _pct(w.max_change)
    over = FLOOR_ABOVE_MAX_CHANGE in w.codes
    elasticity = f"elasticity {{elasticity:.2f}}, {_SOURCE_WORDS[w.elasticity_source]}"
    kind = _literal(w.reference_kind)
    if w.binding == MARGIN_FLOOR:
        why = f"to hold the {_pct(w.min_margin)} minimum margin"
    elif w.binding == MAP_FLOOR:
        why = "to stay at or above the minimum advertised price (MAP)"
    elif w.binding == MAX_CHANGE_UP:
        why = f"by the most one run allows ({step}), since a higher price earns more ({elasticity})"
    elif w.binding == MAX_CHANGE_DOWN:
        if CANNOT_COMPETE_AT_FLOOR in w.codes or PRICE_INDEX_CAP_DEFERRED in w.codes:
            why = f"by the most one run allows ({step}), toward the competitive price"
        else:
            why = (f"by the most one run allows ({step}), since a lower price earns more "
                   f"({elasticity})")
    elif w.binding == PRICE_INDEX_CAP:
        ref = " of {reference} per pack" if w.has_reference else ""
        why = (f"to the competitive cap, {_pct(w.max_price_index)} of the competitor "
               f"{kind}{ref}")
    elif w.binding == LADDER:
        why = ("to keep the family's price ladder (higher tiers and smaller packs never "
               "cheaper per unit)")
    else:
        why = f"as the most profitable price ({elasticity})"
    if over and w.binding in (MARGIN_FLOOR, MAP_FLOOR):
        why += f", a bigger step than the {step} limit because the floor comes first"
    return why
