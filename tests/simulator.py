"""A simulated aftermarket with known demand, for judging the optimizer in tests.

Every SKU has a true constant-elasticity demand curve ``q(p) = q0 * (p / p0) ** eps``
(``p0`` today's price). The simulator makes the catalog, competitor prices and,
optionally, two years of weekly Poisson (or lumpier negative-binomial) sales drawn
from that truth, all from one seed. It then judges a price vector by the profit it
earns under the truth, against the best prices the policy allows (computed here by
brute force, independently of the optimizer) and against simple analysts' rules, and
it checks every hard constraint itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from pricing.config import PricingPolicy, ResolvedPolicy
from pricing.optimizer import PartInput, SalesHistory, SuggestionResult

Array = npt.NDArray[np.float64]
CENT = Decimal("0.01")
START = dt.date(2024, 1, 1)  # first week of the simulated sales histories

def policy_settings(step: float | None = None) -> dict[str, Any]:
    """The simulated market's policy as ``pricing.yaml`` would hold it; ``step``, when
    given, is every part's ``max_change`` (proprietary ones too)."""
    settings: dict[str, Any] = {
        "defaults": {"min_margin": 0.25, "max_change": 0.10, "max_price_index": 1.10,
                     "competitor_reference": "median", "elasticity_prior": -2.0},
        "proprietary": {"max_change": 0.08, "elasticity_prior": -1.2},
        "categories": {
            "Filters": {"min_margin": 0.30, "elasticity_prior": -2.6,
                        "proprietary": {"elasticity_prior": -0.9}},
            "Belts": {"max_price_index": 1.05, "competitor_reference": "min"},
            "Electrical": {"min_margin": 0.28, "price_ending": ".99",
                           "elasticity_prior": -2.2},
            "Hoses": {"elasticity_prior": -1.7},
        },
    }
    if step is not None:
        settings["defaults"]["max_change"] = settings["proprietary"]["max_change"] = step
    return settings


def wide_policy(step: float) -> PricingPolicy:
    """The market's policy with ``max_change`` = ``step`` for every part."""
    return PricingPolicy.model_validate(policy_settings(step))


POLICY = PricingPolicy.model_validate(policy_settings())
CATEGORIES = ("Filters", "Belts", "Electrical", "Hoses")
PACKS = (1, 1, 1, 2, 4, 10)
LUMP_SHAPE = 1.0  # gamma shape of week-to-week demand shocks in lumpy histories


@dataclass(frozen=True)
class Market:
    """Parts as the optimizer sees them, and the truth it does not see."""

    parts: list[PartInput]
    policy: PricingPolicy
    eps: Array  # true elasticity
    q0: Array  # true units per period at today's price

    @property
    def p0(self) -> Array:
        return np.array([float(p.current_price) for p in self.parts])

    @property
    def cost(self) -> Array:
        return np.array([float(p.unit_cost) for p in self.parts])


def _money(x: float) -> Decimal:
    return Decimal(repr(max(float(x), 0.01))).quantize(CENT)


def make_market(
    seed: int,
    n: int = 2000,
    *,
    varied: bool = False,
    history: bool = False,
    lumpy: bool = False,
    policy: PricingPolicy = POLICY,
    weeks: int = 104,
    eps_sd: float = 0.5,
    price_sd: float = 0.25,
    step_sd: float = 0.07,
    anchor_best: bool = True,
) -> Market:
    """A seeded market of ``n`` single-SKU families.

    ``varied``: true elasticities scatter around the policy priors (sd ``eps_sd``)
    instead of equalling them. ``price_sd``: how far (log scale) today's prices sit
    from the true best prices. ``history``: weekly sales over ``weeks`` periods at a
    price that stepped up and down (log steps of sd ``step_sd``) and had occasional
    promotions. ``lumpy``: B2B-like sales (gamma-Poisson, many zero weeks).
    ``anchor_best``: today's prices scatter around the true best prices (someone once
    priced well); otherwise around 2.2 times cost, whatever the elasticity.
    """
    rng = np.random.default_rng(seed)
    parts: list[PartInput] = []
    true_eps, true_q0 = np.empty(n), np.empty(n)
    start = dt.date(2024, 1, 1)
    for i in range(n):
        category = CATEGORIES[rng.integers(len(CATEGORIES))]
        proprietary = bool(rng.random() < 0.2)
        rp = policy.resolve(category, proprietary)
        eps = rp.elasticity_prior
        if varied:
            eps = float(np.clip(eps + rng.normal(0, eps_sd), -5.0, -0.4))
        pack = int(PACKS[rng.integers(len(PACKS))])
        cost = float(np.exp(rng.normal(np.log(15), 1.0))) * pack
        best = cost * eps / (1 + eps) if eps < -1.1 else cost * 2.5
        anchor = best if anchor_best else cost * 2.2
        p0 = _money(anchor * np.exp(rng.normal(0, price_sd)))
        map_price = _money(float(p0) * rng.uniform(0.85, 1.02)) if rng.random() < 0.1 else None
        min_margin = Decimal("0.35") if rng.random() < 0.05 else None
        comps: list[Decimal] = []
        if not proprietary and rng.random() < 0.85:
            m = int(rng.integers(1, 5))
            comps = [_money(best / pack * np.exp(rng.normal(-0.03, 0.15))) for _ in range(m)]
        q0 = float(np.exp(rng.normal(np.log(4.0), 1.0)))
        sales = None
        if history:
            sales = _history(rng, float(p0), eps, q0, pack, weeks, start, lumpy, step_sd)
        parts.append(PartInput(
            sku=f"S{seed}-{i:05d}", category=category, family=f"F{i:05d}",
            proprietary=proprietary, unit_cost=_money(cost), current_price=p0, currency="USD",
            pack_qty=pack, map_price=map_price, min_margin=min_margin, tier=None,
            competitor_unit_prices=comps, sales=sales,
        ))
        true_eps[i], true_q0[i] = eps, q0
    return Market(parts, policy, true_eps, true_q0)


def _history(rng: np.random.Generator, p0: float, eps: float, q0: float, pack: int,
             weeks: int, start: dt.date, lumpy: bool, step_sd: float) -> SalesHistory:
    """Weekly sales at a stepped price with promotions, from the true demand curve."""
    level = np.empty(weeks)
    price = p0
    t = weeks
    while t > 0:
        span = int(rng.integers(6, 20))
        level[max(t - span, 0):t] = price
        t -= span
        price = price * float(np.exp(rng.normal(0, step_sd)))
    promo = rng.random(weeks) < 0.06
    paid = np.where(promo, level * 0.85, level)
    mean = q0 * (paid / p0) ** eps
    if lumpy:
        mean = rng.gamma(LUMP_SHAPE, mean / LUMP_SHAPE)
    units = rng.poisson(mean).astype(float)
    if pack > 1 and rng.random() < 0.5:  # some histories count single units
        units, paid = units * pack, paid / pack
    dates = [start + dt.timedelta(weeks=w) for w in range(weeks)]
    return SalesHistory(dates, units.tolist(), np.round(paid, 4).tolist())


def stepped_history(rng: np.random.Generator, eps: float, q0: float, *, weeks: int = 104,
            price_sd: float = 0.08, p0: float = 20.0, lumpy: float | None = None) -> SalesHistory:
    """Weekly Poisson sales at a stepped price (steps every 6-19 weeks, 6 % promotions)."""
    level = np.empty(weeks)
    t, price = weeks, p0
    while t > 0:
        span = int(rng.integers(6, 20))
        level[max(t - span, 0):t] = price
        t -= span
        price *= float(np.exp(rng.normal(0, price_sd)))
    paid = np.where(rng.random(weeks) < 0.06, level * 0.85, level)
    mean = q0 * (paid / p0) ** eps
    if lumpy is not None:
        mean = rng.gamma(lumpy, mean / lumpy)
    units = rng.poisson(mean).astype(float)
    return SalesHistory([START + dt.timedelta(weeks=w) for w in range(weeks)],
                        units.tolist(), paid.tolist())


def true_profit(market: Market, prices: Array) -> float:
    """Expected gross profit per period of a price vector under the true demand."""
    p0, cost = market.p0, market.cost
    return float(np.sum((prices - cost) * market.q0 * (prices / p0) ** market.eps))


# --- the policy, implemented again from the SPEC as an independent oracle ----------------


@dataclass(frozen=True)
class Allowed:
    """The policy-feasible whole-cent interval of each SKU and its price ending."""

    lo: Array
    hi: Array
    ending: list[int | None]
    exact: list[tuple[Decimal, Decimal]]


def _ceil(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_CEILING)


def _floor(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_FLOOR)


def _resolved(market: Market, part: PartInput) -> ResolvedPolicy:
    return market.policy.resolve(part.category, part.proprietary,
                                 row_min_margin=part.min_margin, row_map_price=part.map_price)


def allowed(market: Market) -> Allowed:
    """Floor/MAP first, then max_change, then the price index, as the SPEC orders them."""
    lo, hi, endings, exact = [], [], [], []
    for part in market.parts:
        rp = _resolved(market, part)
        floor = _ceil(part.unit_cost / (1 - Decimal(str(rp.min_margin))))
        if part.map_price is not None:
            floor = max(floor, _ceil(part.map_price))
        change = Decimal(str(rp.max_change))
        down = _ceil(part.current_price * (1 - change))
        up = _floor(part.current_price * (1 + change))
        low, high = (floor, floor) if floor > up else (max(floor, down), up)
        prices = sorted(part.competitor_unit_prices)
        if not part.proprietary and prices:
            ref = prices[0] if rp.competitor_reference == "min" else (
                prices[len(prices) // 2] if len(prices) % 2 else
                (prices[len(prices) // 2 - 1] + prices[len(prices) // 2]) / 2)
            cap = _floor(Decimal(str(rp.max_price_index)) * ref * part.pack_qty)
            high = low if cap < low else min(high, cap)
        exact.append((low, high))
        lo.append(float(low))
        hi.append(float(high))
        endings.append(int(rp.price_ending[1:].ljust(2, "0")) if rp.price_ending else None)
    return Allowed(np.array(lo), np.array(hi), endings, exact)


def best_prices(market: Market, box: Allowed | None = None) -> Array:
    """The most profitable policy-feasible whole-cent price per SKU under the truth,
    by brute force over every allowed price (every cent, or every price with the
    configured ending when one fits), without assuming anything about the curve."""
    box = box or allowed(market)
    p0, cost = market.p0, market.cost
    out = np.empty(len(market.parts))
    for i in range(len(market.parts)):
        grid = np.arange(round(box.lo[i] * 100), round(box.hi[i] * 100) + 1)
        if box.ending[i] is not None:
            nice = grid[grid % 100 == box.ending[i]]
            grid = nice if nice.size else grid
        prices = grid / 100.0
        gains = (prices - cost[i]) * (prices / p0[i]) ** market.eps[i]
        out[i] = prices[int(np.argmax(gains))]
    return out


def rule_prices(market: Market, rule: str, box: Allowed | None = None) -> Array:
    """What an analyst's rule would charge, moved into the policy-feasible interval:
    ``cost_plus`` (a 40 % margin), ``match_lowest`` (the lowest competitor per pack;
    current price where none) or ``keep_current``."""
    box = box or allowed(market)
    p0, cost = market.p0, market.cost
    if rule == "cost_plus":
        raw = cost / 0.6
    elif rule == "match_lowest":
        raw = np.array([
            float(min(p.competitor_unit_prices)) * p.pack_qty
            if p.competitor_unit_prices and not p.proprietary else float(p.current_price)
            for p in market.parts])
    elif rule == "keep_current":
        raw = p0
    else:
        raise ValueError(rule)
    return np.clip(np.round(raw, 2), box.lo, box.hi)


RULES = ("cost_plus", "match_lowest", "keep_current")


@dataclass(frozen=True)
class Scores:
    """Each way of pricing a market, by profit under the true demand as a share of the
    best prices the policy allows: ``optimizer``, ``priors only`` when given, and the
    :data:`RULES`; and the optimizer's constraint violations."""

    shares: dict[str, float]
    violations: list[str]

    @property
    def optimizer(self) -> float:
        return self.shares["optimizer"]


def judge(market: Market, optimizer: Sequence[SuggestionResult],
          priors_only: Sequence[SuggestionResult] | None = None) -> Scores:
    """Score the optimizer's suggestions (and, if given, those it made without sales
    histories) against the best allowed prices and the analysts' rules."""
    box = allowed(market)
    best = true_profit(market, best_prices(market, box))

    def share(results: Sequence[SuggestionResult]) -> float:
        return true_profit(market, np.array([float(r.suggested_price) for r in results])) / best

    shares = {"optimizer": share(optimizer)}
    if priors_only is not None:
        shares["priors only"] = share(priors_only)
    for rule in RULES:
        shares[rule] = true_profit(market, rule_prices(market, rule, box)) / best
    return Scores(shares, violations(market, optimizer))


def violations(market: Market, results: Sequence[SuggestionResult]) -> list[str]:
    """Every hard-constraint breach of a set of suggestions, checked in Decimal from the
    SPEC's rules: whole cents, margin floor, MAP, max_change (unless the floor forces a
    bigger step), the price index (unless floor or max_change keep the price above it,
    or a family ladder does, which the suggestion must then say), claimed endings."""
    found = []
    for part, res in zip(market.parts, results, strict=True):
        s, sku = res.suggested_price, part.sku
        rp = _resolved(market, part)
        codes = set(res.reason_codes)
        if s != s.quantize(CENT):
            found.append(f"{sku}: {s} is not a whole cent")
        if s <= 0 or (s - part.unit_cost) / s < Decimal(str(rp.min_margin)):
            found.append(f"{sku}: margin below {rp.min_margin} at {s}")
        if part.map_price is not None and s < part.map_price:
            found.append(f"{sku}: {s} below MAP {part.map_price}")
        floor = _ceil(part.unit_cost / (1 - Decimal(str(rp.min_margin))))
        if part.map_price is not None:
            floor = max(floor, _ceil(part.map_price))
        change = Decimal(str(rp.max_change))
        down = _ceil(part.current_price * (1 - change))
        up = _floor(part.current_price * (1 + change))
        forced = floor > up
        if not (down <= s <= up or (forced and s == floor)):
            found.append(f"{sku}: {s} moves more than {change} from {part.current_price}")
        prices = sorted(part.competitor_unit_prices)
        if not part.proprietary and prices and part.currency == market.policy.base_currency:
            ref = prices[0] if rp.competitor_reference == "min" else (
                prices[len(prices) // 2] if len(prices) % 2 else
                (prices[len(prices) // 2 - 1] + prices[len(prices) // 2]) / 2)
            cap = Decimal(str(rp.max_price_index)) * ref * part.pack_qty
            lowest = floor if forced else max(floor, down)
            ladder_held = {"LADDER", "PRICE_INDEX_CAP_DEFERRED"} <= codes
            if s > cap and s != lowest and not ladder_held:
                found.append(f"{sku}: {s} above the price index cap {cap}")
        if rp.price_ending and "PRICE_ENDING" in codes and not str(s).endswith(
                rp.price_ending.ljust(3, "0")):
            found.append(f"{sku}: {s} claims but lacks the ending {rp.price_ending}")
    return found


# --- families with price ladders ----------------------------------------------------------

TIERS = ("genuine", "reman", "economy")


def make_ladder_market(seed: int, families: int = 200, policy: PricingPolicy = POLICY) -> Market:
    """Families of genuine / reman / economy parts (single units), some with a genuine
    4-pack, priced so that per-SKU optima often break the ladder: economy parts are
    less elastic than genuine ones and genuine parts often face a tight competitor cap.
    Current prices keep the ladder."""
    rng = np.random.default_rng(seed)
    parts: list[PartInput] = []
    eps: list[float] = []
    q0: list[float] = []
    for f in range(families):
        category = CATEGORIES[rng.integers(len(CATEGORIES))]
        base_cost = float(np.exp(rng.normal(np.log(12), 0.6)))
        genuine_price = base_cost * rng.uniform(1.8, 2.4)
        members = [("genuine", 1, 1.0, 1.0), ("reman", 1, 0.75, 0.93), ("economy", 1, 0.6, 0.86)]
        if rng.random() < 0.5:
            members.append(("genuine", 4, 3.6, 3.7))
        for tier, pack, cost_f, price_f in members:
            e = {"genuine": -3.0, "reman": -2.2, "economy": -1.6}[tier] + rng.normal(0, 0.2)
            comps: list[Decimal] = []
            if tier == "genuine" and rng.random() < 0.5:
                comps = [_money(genuine_price * rng.uniform(0.8, 0.95))]
            parts.append(PartInput(
                sku=f"L{seed}-{f:04d}-{tier[0]}{pack}", category=category, family=f"LF{f:04d}",
                proprietary=False, unit_cost=_money(base_cost * cost_f),
                current_price=_money(genuine_price * price_f), currency="USD", pack_qty=pack,
                tier=tier, competitor_unit_prices=comps))
            eps.append(float(e))
            q0.append(float(np.exp(rng.normal(np.log(3.0), 0.5))))
    return Market(parts, policy, np.array(eps), np.array(q0))


def ladder_violations(market: Market, results: Sequence[SuggestionResult],
                      ratios: Sequence[float] = (1.0, 1.0)) -> list[str]:
    """Every broken ladder between two parts of a family (all pairs, not only
    neighbours), skipping pairs the optimizer reported as LADDER_CONFLICT."""
    rank = {t: i for i, t in enumerate(TIERS)}
    found = []
    items = list(zip(market.parts, results, strict=True))
    for a, ra in items:
        for b, rb in items:
            if a.family != b.family or a.sku == b.sku:
                continue
            if {"LADDER_CONFLICT"} & (set(ra.reason_codes) | set(rb.reason_codes)):
                continue
            ua = ra.suggested_price / a.pack_qty
            ub = rb.suggested_price / b.pack_qty
            if (a.tier == b.tier and a.pack_qty < b.pack_qty and ub > ua):
                found.append(f"{b.sku} costs more per unit ({ub}) than {a.sku} ({ua})")
            if (a.pack_qty == b.pack_qty and a.tier in rank and b.tier in rank
                    and rank[a.tier] < rank[b.tier]):
                k = Decimal(1)
                for r in ratios[rank[a.tier]:rank[b.tier]]:
                    k *= Decimal(repr(r))
                if ra.suggested_price < k * rb.suggested_price:
                    found.append(f"{a.sku} ({ra.suggested_price}) below {k} x {b.sku} "
                                 f"({rb.suggested_price})")
    return found
