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
MAX_MARKUP = "MAX_MARKUP"
LIST_PRICE = "LIST_PRICE"
RISE_LIMIT = "RISE_LIMIT"
RESELLER_CAP = "RESELLER_CAP"
ALTERNATIVE_CAP = "ALTERNATIVE_CAP"
CALL_FOR_PRICE = "CALL_FOR_PRICE"
EVIDENCE_RANGE = "EVIDENCE_RANGE"
HOLD_FOR_EVIDENCE = "HOLD_FOR_EVIDENCE"
STEP_BACK = "STEP_BACK"
SHARE_GUARD = "SHARE_GUARD"
SMALL_CHANGE = "SMALL_CHANGE"

ALL_CODES = (
    PROFIT_OPTIMUM, MARGIN_FLOOR, MAP_FLOOR, MAX_CHANGE_UP, MAX_CHANGE_DOWN, PRICE_INDEX_CAP,
    LADDER, FLOOR_ABOVE_MAX_CHANGE, CANNOT_COMPETE_AT_FLOOR, PRICE_INDEX_CAP_DEFERRED,
    NO_COMPETITOR_PRICE, CURRENCY_MISMATCH, PROPRIETARY, INELASTIC_DEMAND, PRICE_ENDING,
    LADDER_CONFLICT, SOLVER_FALLBACK, ELASTICITY_ESTIMATED, ELASTICITY_POOLED, ELASTICITY_PRIOR,
    MAX_MARKUP, LIST_PRICE, RISE_LIMIT, RESELLER_CAP, EVIDENCE_RANGE, HOLD_FOR_EVIDENCE, STEP_BACK,
    SHARE_GUARD, SMALL_CHANGE, CALL_FOR_PRICE, ALTERNATIVE_CAP,
)
# conditions a person should look at: a suggestion with any of them is never approved
# automatically (pricing.autoapprove)
FLAGS = frozenset({
    FLOOR_ABOVE_MAX_CHANGE, CANNOT_COMPETE_AT_FLOOR, PRICE_INDEX_CAP_DEFERRED,
    NO_COMPETITOR_PRICE, CURRENCY_MISMATCH, LADDER_CONFLICT, SOLVER_FALLBACK, CALL_FOR_PRICE,
})
# what each code means, for the report's glossary and the docs
GLOSSARY = {
    PROFIT_OPTIMUM: "the most profitable price under the demand model, inside every limit",
    MARGIN_FLOOR: "held at the minimum margin (price >= cost / (1 - min_margin))",
    MAP_FLOOR: "held at the minimum advertised price",
    MAX_CHANGE_UP: "raised by the most one run allows (max_change)",
    MAX_CHANGE_DOWN: "lowered by the most one run allows (max_change)",
    PRICE_INDEX_CAP: "capped at max_price_index times the competitor reference",
    LADDER: "moved to keep the family's price ladder",
    FLOOR_ABOVE_MAX_CHANGE: "the floor forced a bigger step than max_change",
    CANNOT_COMPETE_AT_FLOOR: "the competitive cap is below our floor",
    PRICE_INDEX_CAP_DEFERRED: "the competitive cap is further than one run may move",
    NO_COMPETITOR_PRICE: "a competitive part with no usable competitor price",
    CURRENCY_MISMATCH: "competitor prices in another currency with no rate",
    PROPRIETARY: "a proprietary part (no competitive cap)",
    INELASTIC_DEMAND: "demand looks inelastic: higher prices earn more under the model",
    PRICE_ENDING: "rounded to the policy's price ending",
    LADDER_CONFLICT: "a family ladder could not be kept",
    SOLVER_FALLBACK: "found by the fallback solver",
    ELASTICITY_ESTIMATED: "elasticity from the part's own sales",
    ELASTICITY_POOLED: "elasticity pooled from its category",
    ELASTICITY_PRIOR: "elasticity from the policy prior",
    MAX_MARKUP: "capped at max_markup times the unit cost",
    LIST_PRICE: "capped at the catalog's list price (MSRP)",
    RISE_LIMIT: "capped by max_rise over the price rise_window_days ago",
    RESELLER_CAP: "a proprietary part capped at max_price_index times its resellers' price",
    EVIDENCE_RANGE: "at most explore_step beyond the prices its sales history covers",
    HOLD_FOR_EVIDENCE: "held until sales at the new price have been seen",
    STEP_BACK: "the last step earned less: back to the price before it",
    SHARE_GUARD: "held back to keep the category's volume (max_units_loss)",
    SMALL_CHANGE: "held: the move is below min_change or gains less than min_gain",
    CALL_FOR_PRICE: "competitors list the part without a price (call for price)",
    ALTERNATIVE_CAP: "capped at max_alternative_index times its will-fit alternatives' price",
}
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
    elif PRICE_ENDING in w.codes and (
            (w.binding == MAX_CHANGE_UP and w.move < 0)
            or (w.binding == MAX_CHANGE_DOWN and w.move > 0)):
        why = f"to the nearest price ending in {_literal(str(w.ending))} the step limit allows"
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
    elif w.binding == MAX_MARKUP:
        why = "to the ceiling of max_markup times the unit cost"
    elif w.binding == LIST_PRICE:
        why = "to the list price (MSRP), its ceiling"
    elif w.binding == RESELLER_CAP:
        ref = " of {reference} per pack" if w.has_reference else ""
        why = (f"to {_pct(w.max_price_index)} of the {kind} price of the dealers who resell "
               f"this part{ref}")
    elif w.binding == ALTERNATIVE_CAP:
        why = "to the ceiling set against the will-fit alternatives' price (max_alternative_index)"
    elif w.binding == RISE_LIMIT:
        why = "to the most the price may rise over its rolling window (max_rise)"
    elif w.binding == EVIDENCE_RANGE:
        why = ("by one step at most beyond the prices its sales history covers, where the "
               f"demand model is tested ({elasticity})")
    elif w.binding == HOLD_FOR_EVIDENCE:
        why = "until sales at the price set last have been seen, before moving it again"
    elif w.binding == STEP_BACK:
        why = "back to the price before the last step, which earned less profit per period"
    elif w.binding == SHARE_GUARD:
        why = "less than the model's best price, to keep the category's sales volume"
    elif w.binding == SMALL_CHANGE:
        why = ("since the best move is below the minimum change or gains too little to "
               "be worth a price change")
    else:
        why = f"as the most profitable price ({elasticity})"
    if over and w.binding in (MARGIN_FLOOR, MAP_FLOOR):
        why += f", a bigger step than the {step} limit because the floor comes first"
    return why
