"""A closed-loop aftermarket with a true demand the optimizer never sees.

One seed makes the whole market: parts in six categories (about 30 % proprietary),
costs and today's prices (not at the optimum), a policy that sets only the SPEC's
keys, 8-16 weeks of history, and every week's competitor prices; a few proprietary
parts are resold by dealers under our part number. The truth is *not* constant
elasticity:

- a proprietary part sells inelastically (elasticity -0.3..-1.1) up to a switching
  price ``s`` (1.3-2.2 x today's price; lower where a dealer resells the same part
  number), and steeply elastically above it (-6..-10: buyers switch to a will-fit
  part or repair);
- a competitive part wins a logit share of a market of fixed size against 2-4
  competitors' will-fit parts (cross-referenced under their own part numbers) and an
  outside option; competitors' prices drift (a sparse random walk: a listing moves
  about once a quarter, by about 3 %, and now and then a shop cuts one by 5-10 %).

The module judges a path of weekly prices (weeks 1..T, row 0 being today's prices)
by the profit and units it is expected to earn under the truth, checks the SPEC's
hard constraints on it in Decimal, and prices the market by the reference policies:
never change, cost-plus, match the lowest competitor and the oracle (the greedy best
policy-feasible path that knows the truth).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from pricing.config import PricingPolicy

Array = npt.NDArray[np.float64]

BRAND = "Acme"
FIRST_WEEK = dt.date(2027, 1, 4)  # a Monday: week t starts FIRST_WEEK + 7 (t - 1) days
# category: (unit cost range, share of proprietary parts)
CATEGORIES: dict[str, tuple[float, float, float]] = {
    "Filters": (2.0, 15.0, 0.35),
    "Belts": (4.0, 30.0, 0.25),
    "Hoses": (5.0, 40.0, 0.25),
    "Seals": (1.0, 12.0, 0.30),
    "Bearings": (5.0, 60.0, 0.30),
    "Electrical": (15.0, 150.0, 0.35),
}
COMPETITORS = (("partsmart", "Fleetline", "FL"), ("rivet", "Durapart", "DP"),
               ("gearhub", "Primeforce", "PF"), ("axle", "Roadmax", "RM"))
DEALERS = ("dealer-north", "dealer-south")
COST_PLUS_MARGIN = 0.40  # cost-plus rule: price = cost / (1 - 0.40), as in bench_profit
POLICY_SETTINGS: dict[str, Any] = {  # the SPEC's keys only
    "defaults": {"min_margin": 0.25, "max_change": 0.10, "max_price_index": 1.10,
                 "competitor_reference": "median", "elasticity_prior": -2.0,
                 "price_ending": None},
    "proprietary": {"max_change": 0.08, "elasticity_prior": -1.2},
    "categories": {
        "Filters": {"min_margin": 0.30, "proprietary": {"elasticity_prior": -0.9}},
        "Belts": {"max_price_index": 1.05},
        "Bearings": {"competitor_reference": "min", "max_price_index": 1.15},
        "Electrical": {"min_margin": 0.28, "price_ending": ".99"},
    },
}


def week_start(t: int) -> dt.date:
    """The Monday week ``t`` starts (week 1 is the first optimized one; t <= 0 history)."""
    return FIRST_WEEK + dt.timedelta(days=7 * (t - 1))


@dataclass
class Market:
    """Everything about one simulated market, in SKU order; competitor arrays are
    ``(weeks + history + 1, skus, 4)`` with NaN where a SKU has fewer competitors."""

    seed: int
    weeks: int
    history: int  # weeks of sales before week 1
    sku: list[str]
    part_number: list[str]
    category: list[str]
    family: list[str]
    proprietary: npt.NDArray[np.bool_]
    cost: Array
    p0: Array  # today's price (before week 1)
    # proprietary truth
    q0: Array  # expected units a week at today's price (proprietary)
    e_low: Array
    e_high: Array
    switch: Array  # switching price s (NaN for competitive parts)
    dealer: Array  # (skus, 2) dealer prices, NaN where none
    # competitive truth: logit against competitors and an outside option
    size: Array  # market units a week
    a_us: Array
    a_comp: Array  # (skus, 4)
    beta: Array
    ref: Array  # price scale of the utilities
    comp_price: Array  # (history + weeks + 1, skus, 4): row h + t is week t
    in_stock: npt.NDArray[np.bool_]  # same shape: whether the listing can be bought
    comp_pn: list[list[str]]
    policy: PricingPolicy
    min_margin: Array
    max_change: Array
    max_index: Array
    reference_min: npt.NDArray[np.bool_]
    ending99: npt.NDArray[np.bool_]

    @property
    def n(self) -> int:
        return len(self.sku)

    def competitors(self, t: int) -> Array:
        """Competitors' prices a buyer can pay in week ``t`` (``t`` from ``1 - history``
        to ``weeks``): NaN where a listing is out of stock."""
        row = self.history + t
        return np.where(self.in_stock[row], self.comp_price[row], np.nan)

    def listed(self, t: int) -> tuple[Array, npt.NDArray[np.bool_]]:
        """The prices the competitors' pages show in week ``t``, and which are in stock."""
        return self.comp_price[self.history + t], self.in_stock[self.history + t]

    def reference(self, t: int) -> Array:
        """Each competitive part's competitor reference in week ``t`` (the policy's min or
        median of the competitors' prices; NaN for proprietary parts)."""
        comp = ~self.proprietary
        c = self.competitors(t)[comp]
        out = np.full(self.n, np.nan)
        with warnings.catch_warnings():  # a part with every listing out of stock: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            out[comp] = np.where(self.reference_min[comp], np.nanmin(c, axis=1),
                                 np.nanmedian(c, axis=1))
        return out

    def floor(self) -> Array:
        """The margin floor in whole cents, as a price."""
        return np.ceil(np.round(self.cost / (1 - self.min_margin) * 100, 6)) / 100


def make_market(seed: int, skus: int = 400, weeks: int = 26, *, still: bool = False) -> Market:
    """One market; ``still``: the same market, but from week 1 on no competitor price
    moves and no listing goes in or out of stock (only sales bring news)."""
    rng = np.random.default_rng([seed, 13])
    names = list(CATEGORIES)
    category = [names[i] for i in rng.integers(0, len(names), skus)]
    lo_c, hi_c, share = (np.array([CATEGORIES[c][k] for c in category]) for k in range(3))
    proprietary = rng.random(skus) < share
    cost = np.round(np.exp(rng.uniform(np.log(lo_c), np.log(hi_c))), 2)
    policy = PricingPolicy.model_validate(POLICY_SETTINGS)
    resolved = [policy.resolve(c, bool(p)) for c, p in zip(category, proprietary, strict=True)]
    min_margin = np.array([r.min_margin for r in resolved])
    floor_markup = 1 / (1 - min_margin)
    p0 = np.round(cost * np.maximum(rng.uniform(1.45, 2.1, skus), floor_markup * 1.03), 2)
    sku = [f"AC-{10001 + i}" for i in range(skus)]
    family = [f"{c[:3].upper()}-{i // 12:03d}" for i, c in enumerate(category)]

    q0 = np.exp(rng.normal(np.log(8.0), 0.9, skus))
    e_low = rng.uniform(-1.1, -0.3, skus)
    e_high = rng.uniform(-10.0, -6.0, skus)
    switch = np.where(proprietary, p0 * rng.uniform(1.3, 2.2, skus), np.nan)
    dealer = np.full((skus, 2), np.nan)
    resold = proprietary & (rng.random(skus) < 0.10)
    for i in np.flatnonzero(resold):
        k = 1 + int(rng.random() < 0.4)
        dealer[i, :k] = np.round(p0[i] * rng.uniform(1.15, 1.5, k), 2)
        # buyers go to the dealer once we cost more than its shelf price
        switch[i] = min(switch[i], np.nanmin(dealer[i, :k]) * rng.uniform(1.0, 1.1))

    n_comp = np.where(proprietary, 0, rng.integers(2, 5, skus))
    has = np.arange(4)[None, :] < n_comp[:, None]
    history = int(rng.integers(8, 17))
    total = history + weeks + 1
    start = np.where(has, p0[:, None] * rng.uniform(0.85, 1.20, (skus, 4)), np.nan)
    # a sparse random walk: a listing's price moves in one week of twelve (by about
    # +-3 %), and in one week of fifty its shop cuts it by 5-10 %
    moves = rng.random((total, skus, 4)) < 1 / 12
    steps = np.where(moves, rng.normal(0.005, 0.03, (total, skus, 4)), 0.0)
    cuts = rng.random((total, skus, 4)) < 0.02
    steps += np.where(cuts, np.log(1 - rng.uniform(0.05, 0.10, (total, skus, 4))), 0.0)
    steps[0] = 0.0
    # a listing is out of stock one week in thirty; for 3 % of the competitive parts
    # every listing is, all season (a price shown, nothing to buy: no usable reference)
    in_stock = rng.random((total, skus, 4)) >= 1 / 30
    gone = ~proprietary & (rng.random(skus) < 0.03)
    if still:
        steps[history + 2:] = 0.0
        in_stock[history + 1:] = True
    in_stock[history + 1:, gone] = False
    # the walk is anchored so that week 1 starts at the drawn prices
    walk = np.cumsum(steps, axis=0)
    walk -= walk[history + 1]
    comp_price = np.round(start[None] * np.exp(walk), 2)
    numbers = [rng.permutation(np.arange(10000, 100000))[:skus] for _ in COMPETITORS]
    comp_pn = [[f"{COMPETITORS[j][2]}-{numbers[j][i]}{chr(65 + j)}" for j in range(n_comp[i])]
               for i in range(skus)]

    ref = p0.copy()  # the price scale of a part's utilities: its competitors' median
    ref[~proprietary] = np.nanmedian(start[~proprietary], axis=1)
    beta = rng.uniform(2.0, 6.0, skus)
    ours = rng.uniform(0.15, 0.45, skus)
    theirs = rng.uniform(0.30, 0.50, skus)
    outside = np.maximum(1 - ours - theirs, 0.08)
    a_us = np.log(ours / outside) + beta * p0 / ref
    per = np.log(theirs / (np.maximum(n_comp, 1) * outside))
    a_comp = np.where(has, per[:, None] + beta[:, None] * start / ref[:, None], np.nan)
    size = np.exp(rng.normal(np.log(10.0), 0.9, skus)) / ours
    return Market(
        seed=seed, weeks=weeks, history=history, sku=sku, part_number=list(sku),
        category=category, family=family, proprietary=proprietary, cost=cost, p0=p0, q0=q0,
        e_low=e_low, e_high=e_high, switch=switch, dealer=dealer, size=size, a_us=a_us,
        a_comp=a_comp, beta=beta, ref=ref, comp_price=comp_price, in_stock=in_stock,
        comp_pn=comp_pn,
        policy=policy, min_margin=min_margin,
        max_change=np.array([r.max_change for r in resolved]),
        max_index=np.array([r.max_price_index for r in resolved]),
        reference_min=np.array([r.competitor_reference == "min" for r in resolved]),
        ending99=np.array([r.price_ending == ".99" for r in resolved]),
    )


# --- the truth ------------------------------------------------------------------------


def expected_units(m: Market, prices: Array, t: int) -> Array:
    """Expected units a week at ``prices`` in week ``t``; ``prices`` may carry extra
    leading axes (candidate prices) before the SKU axis."""
    prop = np.where(
        prices <= m.switch,
        m.q0 * (prices / m.p0) ** m.e_low,
        m.q0 * (m.switch / m.p0) ** m.e_low * (prices / m.switch) ** m.e_high,
    )
    c = m.competitors(t)
    theirs = np.nansum(np.exp(m.a_comp - m.beta[:, None] * c / m.ref[:, None]), axis=1)
    ours = np.exp(m.a_us - m.beta * prices / m.ref)
    comp = m.size * ours / (1 + theirs + ours)
    return np.where(m.proprietary, prop, comp)


def expected_profit(m: Market, prices: Array, t: int) -> Array:
    return expected_units(m, prices, t) * (prices - m.cost)


# --- the policy's hard constraints ----------------------------------------------------


def _cents_up(x: Array) -> Array:
    return np.ceil(np.round(x * 100, 6)) / 100


def _cents_down(x: Array) -> Array:
    return np.floor(np.round(x * 100, 6)) / 100


def feasible_band(m: Market, before: Array, t: int) -> tuple[Array, Array]:
    """The whole-cent interval the policy allows in week ``t`` after ``before``, in the
    SPEC's order: floor first, then ``max_change``, then the competitive cap."""
    floor = m.floor()
    lo = np.maximum(_cents_up(before * (1 - m.max_change)), floor)
    hi = np.maximum(_cents_down(before * (1 + m.max_change)), floor)
    cap = _cents_down(m.max_index * m.reference(t))
    capped = ~np.isnan(cap)
    hi = np.where(capped, np.maximum(np.minimum(hi, cap), lo), hi)
    return lo, hi


def violations(m: Market, before: Array, after: Array, t: int) -> dict[str, list[str]]:
    """Hard-constraint breaches of the prices set for week ``t`` (in Decimal, from the
    SPEC's wording): below the margin floor; a step beyond ``max_change`` the floor did
    not force; a competitive price above ``max_price_index`` x the reference of the
    week's in-stock competitor prices that neither the floor nor the ``max_change``
    step down forced (a part with none in stock has no cap)."""
    found: dict[str, list[str]] = {"floor": [], "max_change": [], "price_index": []}
    prices = m.competitors(t)
    for i in range(m.n):
        old, new = Decimal(f"{before[i]:.2f}"), Decimal(f"{after[i]:.2f}")
        floor = Decimal(f"{m.cost[i]:.2f}") / (1 - Decimal(repr(float(m.min_margin[i]))))
        change = Decimal(repr(float(m.max_change[i])))
        lowest = max(floor, old * (1 - change))
        if new < floor:
            found["floor"].append(f"{m.sku[i]} week {t}: {new} < floor {floor:.4f}")
        if new < old * (1 - change) or new > max(old * (1 + change), _up(floor)):
            found["max_change"].append(f"{m.sku[i]} week {t}: {old} -> {new}")
        seen = sorted(Decimal(f"{c:.2f}") for c in prices[i] if not math.isnan(c))
        if not m.proprietary[i] and seen:
            half = len(seen) // 2
            ref = (seen[0] if m.reference_min[i] else seen[half] if len(seen) % 2
                   else (seen[half - 1] + seen[half]) / 2)
            cap = Decimal(repr(float(m.max_index[i]))) * ref
            if new > max(cap, _up(lowest)):
                found["price_index"].append(f"{m.sku[i]} week {t}: {new} > cap {cap:.4f}")
    return found


def _up(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding="ROUND_CEILING")


# --- reference policies -----------------------------------------------------------------


def never_change(m: Market) -> Array:
    return np.repeat(m.p0[None], m.weeks + 1, axis=0)


def cost_plus(m: Market) -> Array:
    """Cost / (1 - 40 %) from week 1 on, never below the floor (no ``max_change``)."""
    path = never_change(m)
    path[1:] = np.maximum(np.round(m.cost / (1 - COST_PLUS_MARGIN), 2), m.floor())
    return path


def match_lowest(m: Market) -> Array:
    """Competitive parts at the lowest competitor's price each week, never below the
    floor (no ``max_change``); proprietary parts, and competitive ones with no
    competitor in stock, keep last week's price."""
    path = never_change(m)
    for t in range(1, m.weeks + 1):
        c = np.where(m.proprietary[:, None], np.inf, m.competitors(t))
        lowest = np.min(np.where(np.isnan(c), np.inf, c), axis=1)
        matched = np.isfinite(lowest)
        path[t] = np.where(matched, np.maximum(np.where(matched, lowest, 0), m.floor()),
                           path[t - 1])
    return path


def oracle(m: Market, grid: int = 241) -> Array:
    """The greedy best feasible path: each week the whole-cent price (ending in .99
    where the policy says so) that earns the most expected profit under the truth
    within that week's band around last week's oracle price. Greedy is not the best
    path over the season (it does not give up profit now to reach a better band
    later), but with demand that is single-peaked in price it takes the fastest route
    to each week's optimum. The band is searched on a grid (with the band's ends, last
    week's price and the switching price), then cent by cent around the best point."""
    path = never_change(m)
    frac = np.linspace(0.0, 1.0, grid)[:, None]
    for t in range(1, m.weeks + 1):
        lo, hi = feasible_band(m, path[t - 1], t)
        kink = np.clip(_cents_down(np.nan_to_num(m.switch, nan=0.0)), lo, hi)
        coarse = np.vstack([np.round(lo + (hi - lo) * frac, 2), kink, lo, hi, path[t - 1]])
        best = _best(m, coarse, lo, hi, t)
        reach = int(np.ceil(((hi - lo).max() / (grid - 1)) * 200)) + 1
        fine = np.round(best + np.arange(-reach, reach + 1)[:, None] / 100, 2)
        path[t] = _best(m, np.vstack([best, fine]), lo, hi, t)
    return path


def _best(m: Market, cand: Array, lo: Array, hi: Array, t: int) -> Array:
    """Per SKU, the candidate inside ``[lo, hi]`` with the most expected profit; where
    the policy wants a .99 ending, the .99 prices next to each candidate instead."""
    down = np.round(np.floor(np.round(cand - 0.99, 2)) + 0.99, 2)
    nines = np.vstack([down, down + 1])
    inside = (nines >= lo - 1e-9) & (nines <= hi + 1e-9)
    use = m.ending99 & inside.any(axis=0)
    cand = np.where(use, nines, np.vstack([cand, cand]))
    profit = expected_profit(m, cand, t)
    profit = np.where((cand >= lo - 1e-9) & (cand <= hi + 1e-9), profit, -np.inf)
    return cand[np.argmax(profit, axis=0), np.arange(m.n)]
