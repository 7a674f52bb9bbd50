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
   elasticities scatter around a group mean with spread ``tau``. The group mean's data
   estimate is a pooled Poisson GLM (one slope, an intercept per SKU), which pools the
   data before any nonlinearity and so stays unbiased where single SKUs are noisy; it
   is then shrunk toward the policy prior. ``tau`` is the posterior mode of the normal
   marginal likelihood under a log-normal prior centred on ``default_tau`` (so a group
   whose SKUs say little about ``tau`` keeps the default). Each SKU's estimate is
   precision-weighted toward the group mean: where price variation is small its
   standard error is large and the result falls back to the group, and where the group
   has no data at all, to the prior.
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
    default_tau: float = 0.5  # prior guess of the SKU-to-SKU spread within a category
    tau_prior_log_sd: float = 0.5  # how firmly (log scale) that guess is held
    min_tau: float = 0.05
    max_tau: float = 2.0
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


@dataclass(frozen=True)
class _Stacked:
    """Usable histories, flattened: units ``y``, centred log price ``x``, and for each
    row the position of its SKU in ``who`` (indices into the caller's SKU list)."""

    y: Array
    x: Array
    owner: npt.NDArray[np.intp]
    who: npt.NDArray[np.intp]


def _stack(histories: Sequence[SalesHistory | None], settings: ElasticitySettings) -> _Stacked:
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
        empty = np.zeros(0)
        return _Stacked(empty, empty, np.zeros(0, np.intp), np.zeros(0, np.intp))
    owner = np.repeat(np.arange(len(who)), [len(y) for y in ys])
    return _Stacked(np.concatenate(ys), np.concatenate(xs), owner, np.asarray(who, np.intp))


@dataclass(frozen=True)
class _Fit:
    slope: Array  # per parameter
    se: Array  # quasi-Poisson, per parameter
    converged: npt.NDArray[np.bool_]


def _newton(st: _Stacked, param: npt.NDArray[np.intp], n_param: int, max_iter: int) -> _Fit:
    """Poisson GLM ``log mu = a_sku + b_param * x``, intercepts profiled out, by
    Newton's method on the (concave) profile likelihood of the slopes. ``param[j]``
    says which slope SKU ``j`` of ``st.who`` shares."""
    m, owner, x, y = st.who.size, st.owner, st.x, st.y
    s_y = np.bincount(owner, y, m)
    s_yx = np.bincount(owner, y * x, m)
    b = np.zeros(n_param)
    step = np.ones(n_param)

    def moments() -> tuple[Array, Array, Array, Array]:
        w = np.exp(b[param][owner] * x)
        s0 = np.bincount(owner, w, m)
        m1 = np.bincount(owner, w * x, m) / s0
        info_sku = s_y * (np.bincount(owner, w * x * x, m) / s0 - m1 * m1)
        return w, s0, np.bincount(param, s_yx - s_y * m1, n_param), np.bincount(
            param, info_sku, n_param)

    for _ in range(max_iter):
        _, _, grad, info = moments()
        step = np.clip(np.divide(grad, info, out=np.zeros(n_param), where=info > 1e-12), -1, 1)
        b = np.clip(b + step, _B_MIN, _B_MAX)
        if np.max(np.abs(step)) < 1e-10:
            break
    w, s0, _, info = moments()
    mu = (s_y / s0)[owner] * w
    pearson = np.bincount(param[owner], (y - mu) ** 2 / mu, n_param)
    rows = np.bincount(param[owner], minlength=n_param)
    skus = np.bincount(param, minlength=n_param)
    dispersion = np.maximum(pearson / np.maximum(rows - skus - 1, 1), 1.0)
    ok = (np.abs(step) < 1e-6) & (b > _B_MIN + 1e-9) & (b < _B_MAX - 1e-9) & (info > 1e-12)
    se = np.sqrt(dispersion / np.where(ok, info, 1.0))
    return _Fit(b, se, ok)


def fit_sku_elasticities(
    histories: Sequence[SalesHistory | None], settings: ElasticitySettings = ElasticitySettings()
) -> tuple[Array, Array]:
    """Per-SKU Poisson GLM slope on centred log price and its quasi-Poisson standard
    error; NaN where a SKU's history cannot support an estimate."""
    return _fit_skus(_stack(histories, settings), len(histories), settings)


def _fit_skus(st: _Stacked, n: int, settings: ElasticitySettings) -> tuple[Array, Array]:
    raw, raw_se = np.full(n, np.nan), np.full(n, np.nan)
    if st.who.size:
        fit = _newton(st, np.arange(st.who.size), st.who.size, settings.max_iter)
        raw[st.who] = np.where(fit.converged, fit.slope, np.nan)
        raw_se[st.who] = np.where(fit.converged, fit.se, np.nan)
    return raw, raw_se


def fit_pooled_elasticities(
    histories: Sequence[SalesHistory | None],
    pools: Sequence[int],
    settings: ElasticitySettings = ElasticitySettings(),
) -> tuple[Array, Array]:
    """One slope per pool (``pools[i]`` numbers SKU ``i``'s pool, 0..k-1) with an
    intercept per SKU, over the SKUs that pass the per-SKU thresholds; NaN where a pool
    has none."""
    return _fit_pools(_stack(histories, settings), pools, settings)


def _fit_pools(st: _Stacked, pools: Sequence[int], settings: ElasticitySettings
               ) -> tuple[Array, Array]:
    k = max(pools, default=-1) + 1
    slope, se = np.full(k, np.nan), np.full(k, np.nan)
    if st.who.size and k:
        fit = _newton(st, np.asarray(pools, np.intp)[st.who], k, settings.max_iter)
        has = np.bincount(np.asarray(pools, np.intp)[st.who], minlength=k) > 0
        good = has & fit.converged
        slope[good], se[good] = fit.slope[good], fit.se[good]
    return slope, se


def shrink(
    raw: Array,
    raw_se: Array,
    pools: Sequence[int],
    priors: Array,
    pooled: Array | None = None,
    settings: ElasticitySettings = ElasticitySettings(),
) -> Elasticities:
    """Empirical-Bayes pooling of per-SKU estimates within pools, toward the priors.

    ``pools[i]`` numbers SKU ``i``'s pool and ``priors[i]`` its policy prior (one per
    pool). ``pooled[g]`` is pool ``g``'s pooled-GLM slope; without it the group's data
    mean is the random-effects mean of its SKUs' estimates.
    """
    n = len(raw)
    value, se = np.array(priors, dtype=np.float64), np.full(n, np.nan)
    source = ["prior"] * n
    members_of: dict[int, list[int]] = {}
    for i, g in enumerate(pools):
        members_of.setdefault(int(g), []).append(i)

    for g, members_list in members_of.items():
        members = np.asarray(members_list)
        usable = members[np.isfinite(raw[members])]
        if usable.size == 0:
            continue
        prior = float(priors[members[0]])
        est, var = raw[usable], raw_se[usable] ** 2
        center = float(pooled[g]) if pooled is not None and np.isfinite(pooled[g]) else None
        tau2 = _tau2(est, var, center, settings)
        weight = 1.0 / (var + tau2)
        data_precision = float(weight.sum())
        data_mean = center if center is not None else float(np.sum(weight * est)) / data_precision
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


def _tau2(est: Array, var: Array, center: float | None, settings: ElasticitySettings) -> float:
    """Posterior mode of ``tau**2`` on a grid: normal marginal likelihood of the SKU
    estimates (``est ~ N(mean, var + tau**2)``; the mean profiled out unless given as
    ``center``) times a log-normal prior around ``default_tau``."""
    tau = np.geomspace(settings.min_tau, settings.max_tau, 80)[:, None]
    total = var[None, :] + tau**2
    w = 1.0 / total
    mean = center if center is not None else (np.sum(w * est, axis=1) / np.sum(w, axis=1))[:, None]
    loglik = -0.5 * np.sum(np.log(total) + w * (est[None, :] - mean) ** 2, axis=1)
    if center is None:
        loglik -= 0.5 * np.log(np.sum(w, axis=1))  # REML correction for the profiled mean
    logprior = -0.5 * ((np.log(tau[:, 0]) - np.log(settings.default_tau))
                       / settings.tau_prior_log_sd) ** 2
    return float(tau[int(np.argmax(loglik + logprior)), 0] ** 2)


def estimate_elasticities(
    histories: Sequence[SalesHistory | None],
    groups: Sequence[Hashable],
    priors: Array,
    settings: ElasticitySettings = ElasticitySettings(),
) -> Elasticities:
    """Per-SKU GLM fits, pooled GLM fits per group, then shrinkage toward the priors.

    ``groups[i]`` names SKU ``i``'s pool (the optimizer uses category x proprietary);
    SKUs with different priors never share a pool.
    """
    priors = np.asarray(priors, dtype=np.float64)
    numbering: dict[tuple[Hashable, float], int] = {}
    pools = [numbering.setdefault((g, float(p)), len(numbering)) for g, p in zip(
        groups, priors.tolist(), strict=True)]
    st = _stack(histories, settings)
    raw, raw_se = _fit_skus(st, len(histories), settings)
    pooled, _ = _fit_pools(st, pools, settings)
    return shrink(raw, raw_se, pools, priors, pooled, settings)
