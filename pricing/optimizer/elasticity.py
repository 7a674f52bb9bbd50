"""Own-price elasticity per SKU from sales history, pooled and shrunk toward priors.

Two stages, both pure functions of arrays:

1. Per SKU, a Poisson GLM ``log E[units_t] = a + eps * (log p_t - mean log p)`` fitted
   by Newton's method on the profile likelihood (the SKU intercept ``a`` is profiled
   out), all SKUs at once with ``numpy.bincount``. Zero-sales periods are ordinary
   Poisson observations, so sparse B2B sales need no special casing. The standard error
   is the profile Fisher information corrected for overdispersion (quasi-Poisson,
   Pearson dispersion floored at 1). SKUs with too few periods, too few units or too
   little price variation get no estimate of their own.
2. Per group (category x proprietary), an empirical-Bayes normal-normal model: SKU
   elasticities scatter around a group mean with spread ``tau`` (DerSimonian-Laird
   moment estimate), the group mean itself is shrunk toward the policy prior, and each
   SKU's estimate is precision-weighted toward the group mean. Where price variation
   is small the SKU's standard error is large and the result falls back to the group,
   and where the group has no data at all, to the prior.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pricing.optimizer.demand import clean_history
from pricing.optimizer.inputs import SalesHistory

Array = npt.NDArray[np.float64]

_B_MIN, _B_MAX = -15.0, 10.0  # where the Newton search gives up (no finite estimate)


@dataclass(frozen=True)
class ElasticitySettings:
    """Thresholds and prior strengths of the estimation (documented in docs/demand_model.md)."""

    min_periods: int = 8  # periods of history a SKU needs for its own estimate
    min_units: float = 5.0  # units sold over the history, ditto
    min_log_price_sd: float = 0.01  # about 1 % price variation, ditto
    prior_sd: float = 0.5  # how far a category's mean may plausibly sit from the policy prior
    default_tau: float = 0.5  # SKU-to-SKU spread when fewer than 3 SKUs can estimate it
    min_tau: float = 0.05
    lower: float = -8.0  # reported elasticities are clipped to [lower, upper]
    upper: float = -0.1
    max_iter: int = 40


@dataclass(frozen=True)
class Elasticities:
    """Per SKU: the elasticity used, its standard error (NaN for a bare prior), where it
    came from (``prior``, ``pooled`` or ``estimated``), and the raw per-SKU GLM fit."""

    value: Array
    se: Array
    source: tuple[str, ...]
    raw: Array
    raw_se: Array


def fit_sku_elasticities(
    histories: Sequence[SalesHistory | None], settings: ElasticitySettings = ElasticitySettings()
) -> tuple[Array, Array]:
    """Per-SKU Poisson GLM slope on centred log price and its quasi-Poisson standard
    error; NaN where a SKU's history cannot support an estimate."""
    n = len(histories)
    raw, raw_se = np.full(n, np.nan), np.full(n, np.nan)
    ys: list[Array] = []
    xs: list[Array] = []
    who: list[int] = []
    for i, history in enumerate(histories):
        if history is None:
            continue
        units, prices = clean_history(history)
        if units.size < settings.min_periods or units.sum() < settings.min_units:
            continue
        logp = np.log(prices)
        if logp.std() < settings.min_log_price_sd:
            continue
        ys.append(units)
        xs.append(logp - logp.mean())
        who.append(i)
    if not who:
        return raw, raw_se

    m = len(who)
    owner = np.repeat(np.arange(m), [len(y) for y in ys])
    y, x = np.concatenate(ys), np.concatenate(xs)
    s_y = np.bincount(owner, y, m)
    s_yx = np.bincount(owner, y * x, m)
    b = np.zeros(m)
    step = np.ones(m)
    for _ in range(settings.max_iter):
        w = np.exp(b[owner] * x)
        s0 = np.bincount(owner, w, m)
        m1 = np.bincount(owner, w * x, m) / s0
        info = s_y * (np.bincount(owner, w * x * x, m) / s0 - m1 * m1)
        step = np.clip((s_yx - s_y * m1) / info, -1.0, 1.0)
        b = np.clip(b + step, _B_MIN, _B_MAX)
        if np.max(np.abs(step)) < 1e-10:
            break

    w = np.exp(b[owner] * x)
    s0 = np.bincount(owner, w, m)
    m1 = np.bincount(owner, w * x, m) / s0
    info = s_y * (np.bincount(owner, w * x * x, m) / s0 - m1 * m1)
    mu = (s_y / s0)[owner] * w
    pearson = np.bincount(owner, (y - mu) ** 2 / mu, m)
    dof = np.maximum(np.bincount(owner, minlength=m) - 2, 1)
    dispersion = np.maximum(pearson / dof, 1.0)
    ok = (np.abs(step) < 1e-6) & (b > _B_MIN + 1e-9) & (b < _B_MAX - 1e-9) & (info > 0)
    idx = np.asarray(who)
    raw[idx] = np.where(ok, b, np.nan)
    raw_se[idx] = np.where(ok, np.sqrt(dispersion / np.where(info > 0, info, 1.0)), np.nan)
    return raw, raw_se


def shrink(
    raw: Array,
    raw_se: Array,
    groups: Sequence[Hashable],
    priors: Array,
    settings: ElasticitySettings = ElasticitySettings(),
) -> Elasticities:
    """Empirical-Bayes pooling of per-SKU estimates within groups, toward the priors.

    ``groups[i]`` names SKU ``i``'s pool and ``priors[i]`` its policy prior; SKUs with
    different priors never share a pool.
    """
    n = len(raw)
    value, se = np.array(priors, dtype=np.float64), np.full(n, np.nan)
    source = ["prior"] * n
    pools: dict[tuple[Hashable, float], list[int]] = {}
    for i, key in enumerate(groups):
        pools.setdefault((key, float(priors[i])), []).append(i)

    for (_, prior), members_list in pools.items():
        members = np.asarray(members_list)
        usable = members[np.isfinite(raw[members])]
        if usable.size == 0:
            continue
        est, var = raw[usable], raw_se[usable] ** 2
        tau2 = _between_sku_variance(est, var, settings)
        weight = 1.0 / (var + tau2)
        data_precision = float(weight.sum())
        data_mean = float(np.sum(weight * est)) / data_precision
        prior_precision = 1.0 / settings.prior_sd**2
        mean_var = 1.0 / (prior_precision + data_precision)
        mean = (prior * prior_precision + data_mean * data_precision) * mean_var

        value[members] = mean
        se[members] = np.sqrt(tau2 + mean_var)
        for i in members_list:
            source[i] = "pooled"
        pull = var / (var + tau2)  # weight of the group mean in each SKU's estimate
        value[usable] = mean + (1.0 - pull) * (est - mean)
        se[usable] = np.sqrt((1.0 - pull) * var + pull**2 * mean_var)
        for i, own in zip(usable.tolist(), (1.0 - pull).tolist(), strict=True):
            source[i] = "estimated" if own >= 0.5 else "pooled"

    np.clip(value, settings.lower, settings.upper, out=value)
    return Elasticities(value, se, tuple(source), raw, raw_se)


def _between_sku_variance(est: Array, var: Array, settings: ElasticitySettings) -> float:
    """DerSimonian-Laird moment estimate of ``tau**2``, floored; a default below 3 SKUs."""
    if est.size < 3:
        return settings.default_tau**2
    w = 1.0 / var
    fixed = float(np.sum(w * est) / w.sum())
    q = float(np.sum(w * (est - fixed) ** 2))
    denom = float(w.sum() - np.sum(w * w) / w.sum())
    tau2 = (q - (est.size - 1)) / denom if denom > 0 else 0.0
    return max(tau2, settings.min_tau**2)


def estimate_elasticities(
    histories: Sequence[SalesHistory | None],
    groups: Sequence[Hashable],
    priors: Array,
    settings: ElasticitySettings = ElasticitySettings(),
) -> Elasticities:
    """Both stages: per-SKU GLM fits, then pooling and shrinkage toward the priors."""
    raw, raw_se = fit_sku_elasticities(histories, settings)
    return shrink(raw, raw_se, groups, np.asarray(priors, dtype=np.float64), settings)
