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
   elasticities scatter around a group mean with spread ``tau``. ``tau`` is the posterior
   mode of the normal marginal likelihood of the SKU estimates under a log-normal prior
   centred on ``default_tau`` (a group whose SKUs say little about ``tau`` keeps about
   the default). The group mean's data estimate is a pooled Poisson GLM (one slope, an
   intercept per SKU) whose SKU scores are weighted ``1 / (dispersion + tau**2 *
   information)``: asymptotically the random-effects mean, but with the data pooled
   before the nonlinearity, so it stays unbiased where single SKUs are noisy and lumpy.
   That mean is then shrunk toward the policy prior. Each SKU's estimate is
   precision-weighted toward the group mean: where price variation is small its
   standard error is large and the result falls back to the group, and where the group
   has no data at all, to the prior.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pricing.optimizer.demand import SalesPanel
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


def _stack(panel: SalesPanel, settings: ElasticitySettings) -> _Stacked:
    """The rows of SKUs with enough periods, units and price variation for an estimate
    of their own, with log price centred per SKU."""
    n = panel.n_skus
    periods = panel.periods()
    logp = np.log(panel.price)
    mean = np.bincount(panel.sku, logp, n) / np.maximum(periods, 1)
    x = logp - mean[panel.sku]
    sd = np.sqrt(np.bincount(panel.sku, x * x, n) / np.maximum(periods, 1))
    usable = ((periods >= settings.min_periods)
              & (np.bincount(panel.sku, panel.units, n) >= settings.min_units)
              & (sd >= settings.min_log_price_sd))
    rows = usable[panel.sku]
    remap = np.cumsum(usable) - 1
    return _Stacked(panel.units[rows], x[rows], remap[panel.sku[rows]], np.flatnonzero(usable))


def _panel(histories: Sequence[SalesHistory | None] | SalesPanel) -> SalesPanel:
    if isinstance(histories, SalesPanel):
        return histories
    return SalesPanel.from_histories(histories)


@dataclass(frozen=True)
class _Fit:
    slope: Array  # per parameter
    info: Array  # (weighted) Fisher information per parameter
    converged: npt.NDArray[np.bool_]
    sku_dispersion: Array  # per SKU of the stack: Pearson statistic / dof, floored at 1


def _newton(st: _Stacked, param: npt.NDArray[np.intp], n_param: int, max_iter: int,
            phi: Array | None = None, tau2: Array | None = None) -> _Fit:
    """Poisson GLM ``log mu = a_sku + b_param * x``, intercepts profiled out, by
    Newton's method on the (concave) profile likelihood of the slopes. ``param[j]``
    says which slope SKU ``j`` of the stack shares. With ``phi`` (per SKU) and ``tau2``
    (per slope), SKU ``j``'s score is weighted ``1 / (phi_j + tau2 * info_j)``."""
    m, owner, x, y = st.who.size, st.owner, st.x, st.y
    s_y = np.bincount(owner, y, m)
    s_yx = np.bincount(owner, y * x, m)
    b = np.zeros(n_param)
    step = np.ones(n_param)

    def moments(rows: npt.NDArray[np.bool_] | None) -> tuple[Array, Array, Array, Array]:
        """Score and information per slope (over ``rows`` only, when given)."""
        o, xx = (owner, x) if rows is None else (owner[rows], x[rows])
        w = np.exp(b[param][o] * xx)
        s0 = np.asarray(np.bincount(o, w, m), np.float64)
        s0 = np.where(s0 > 0, s0, 1.0)
        m1 = np.bincount(o, w * xx, m) / s0
        info_sku = s_y * (np.bincount(o, w * xx * xx, m) / s0 - m1 * m1)
        omega = 1.0 if phi is None or tau2 is None else 1.0 / (phi + tau2[param] * info_sku)
        score = np.bincount(param, omega * (s_yx - s_y * m1), n_param)
        info = np.bincount(param, omega * info_sku, n_param)
        return w, s0, np.asarray(score, np.float64), np.asarray(info, np.float64)

    active = np.ones(n_param, bool)
    for _ in range(max_iter):
        rows = None if active.all() else active[param][owner]
        _, _, grad, info = moments(rows)
        new = np.clip(np.divide(grad, info, out=np.zeros(n_param), where=info > 1e-12), -1, 1)
        step = np.where(active, new, step)
        moved = np.where(active, np.clip(b + step, _B_MIN, _B_MAX) - b, 0.0)
        b = b + moved
        active &= np.abs(moved) >= 1e-10  # converged, or pinned at a search limit
        if not active.any():
            break
    w, s0, _, info = moments(None)
    mu = (s_y / s0)[owner] * w
    pearson = np.bincount(owner, (y - mu) ** 2 / mu, m)
    dof = np.maximum(np.bincount(owner, minlength=m) - 2, 1)
    ok = (np.abs(step) < 1e-6) & (b > _B_MIN + 1e-9) & (b < _B_MAX - 1e-9) & (info > 1e-12)
    return _Fit(b, info, ok, np.maximum(pearson / dof, 1.0))


def fit_sku_elasticities(
    histories: Sequence[SalesHistory | None] | SalesPanel,
    settings: ElasticitySettings = ElasticitySettings(),
) -> tuple[Array, Array]:
    """Per-SKU Poisson GLM slope on centred log price and its quasi-Poisson standard
    error; NaN where a SKU's history cannot support an estimate."""
    panel = _panel(histories)
    raw, raw_se, _ = _fit_skus(_stack(panel, settings), panel.n_skus, settings)
    return raw, raw_se


def _fit_skus(st: _Stacked, n: int, settings: ElasticitySettings) -> tuple[Array, Array, Array]:
    raw, raw_se, phi = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    if st.who.size:
        fit = _newton(st, np.arange(st.who.size), st.who.size, settings.max_iter)
        raw[st.who] = np.where(fit.converged, fit.slope, np.nan)
        se = np.sqrt(fit.sku_dispersion / np.where(fit.converged, fit.info, 1.0))
        raw_se[st.who] = np.where(fit.converged, se, np.nan)
        phi[st.who] = fit.sku_dispersion
    return raw, raw_se, phi


@dataclass(frozen=True)
class PoolStats:
    """Per pool: SKU-to-SKU variance ``tau2`` and the data's estimate of the pool mean
    with its variance (NaN where the pool has no SKU with its own estimate)."""

    tau2: Array
    mean: Array
    var: Array


def pool_stats(st_raw: tuple[Array, Array, Array], pools: npt.NDArray[np.intp], k: int,
               settings: ElasticitySettings, st: _Stacked | None = None) -> PoolStats:
    """``tau2`` per pool, then the pool mean: the weighted pooled GLM where ``st`` is
    given and converges, else the random-effects mean of the SKU estimates."""
    raw, raw_se, phi = st_raw
    tau2, mean, var = np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan)
    usable = np.isfinite(raw)
    for g in range(k):
        members = usable & (pools == g)
        if not members.any():
            continue
        # A lump both moves a SKU's slope and inflates its own dispersion, so SKUs whose
        # history happened to stay calm would be over-trusted: floor each SKU's
        # dispersion at the pool's median.
        pool_phi = float(np.median(phi[members]))
        raw_se[members] *= np.sqrt(np.maximum(pool_phi / phi[members], 1.0))
        phi[members] = np.maximum(phi[members], pool_phi)
        est, v = raw[members], raw_se[members] ** 2
        tau2[g] = _tau2(est, v, settings)
        w = 1.0 / (v + tau2[g])
        mean[g], var[g] = float(np.sum(w * est) / w.sum()), float(1.0 / w.sum())
    if st is not None and st.who.size:
        keep = usable[st.who]
        sub = _Stacked(st.y, st.x, st.owner, st.who)
        if not keep.all():
            rows = keep[st.owner]
            remap = np.cumsum(keep) - 1
            sub = _Stacked(st.y[rows], st.x[rows], remap[st.owner[rows]], st.who[keep])
        if sub.who.size:
            fit = _newton(sub, pools[sub.who], k, settings.max_iter, phi[sub.who],
                          np.nan_to_num(tau2))
            good = fit.converged & np.isfinite(mean)
            mean[good], var[good] = fit.slope[good], 1.0 / fit.info[good]
    return PoolStats(tau2, mean, var)


def _tau2(est: Array, var: Array, settings: ElasticitySettings) -> float:
    """Posterior mode of ``tau**2`` on a grid: restricted normal likelihood of the SKU
    estimates (``est ~ N(mean, var + tau**2)``, mean profiled out) times a log-normal
    prior around ``default_tau``."""
    tau = np.geomspace(settings.min_tau, settings.max_tau, 80)[:, None]
    total = var[None, :] + tau**2
    w = 1.0 / total
    mean = (np.sum(w * est, axis=1) / np.sum(w, axis=1))[:, None]
    loglik = -0.5 * np.sum(np.log(total) + w * (est[None, :] - mean) ** 2, axis=1)
    loglik -= 0.5 * np.log(np.sum(w, axis=1))
    logprior = -0.5 * ((np.log(tau[:, 0]) - np.log(settings.default_tau))
                       / settings.tau_prior_log_sd) ** 2
    return float(tau[int(np.argmax(loglik + logprior)), 0] ** 2)


def shrink(raw: Array, raw_se: Array, pools: npt.NDArray[np.intp], priors: Array,
           stats: PoolStats, settings: ElasticitySettings = ElasticitySettings()
           ) -> Elasticities:
    """Empirical-Bayes estimates: each pool's data mean shrunk toward its policy prior,
    each SKU's own estimate precision-weighted toward that mean."""
    n = len(raw)
    value, se = np.array(priors, dtype=np.float64), np.full(n, np.nan)
    source = ["prior"] * n
    usable = np.isfinite(raw)
    prior_precision = 1.0 / settings.prior_sd**2
    for g in np.flatnonzero(np.isfinite(stats.mean)):
        members = np.flatnonzero(pools == g)
        own = members[usable[members]]
        tau2 = float(stats.tau2[g])
        mean_var = 1.0 / (prior_precision + 1.0 / stats.var[g])
        data = stats.mean[g] / stats.var[g]
        mean = (float(priors[members[0]]) * prior_precision + data) * mean_var
        value[members] = mean
        se[members] = np.sqrt(tau2 + mean_var)
        var = raw_se[own] ** 2
        pull = var / (var + tau2)  # weight of the pool mean in each SKU's estimate
        value[own] = mean + (1.0 - pull) * (raw[own] - mean)
        se[own] = np.sqrt((1.0 - pull) * var + pull**2 * mean_var)
        weights = dict(zip(own.tolist(), (1.0 - pull).tolist(), strict=True))
        for i in members.tolist():
            source[i] = "estimated" if weights.get(i, 0.0) >= 0.5 else "pooled"
    np.clip(value, settings.lower, settings.upper, out=value)
    return Elasticities(value, se, tuple(source), raw, raw_se)


def estimate_elasticities(
    histories: Sequence[SalesHistory | None] | SalesPanel,
    groups: Sequence[Hashable],
    priors: Array,
    settings: ElasticitySettings = ElasticitySettings(),
) -> Elasticities:
    """Per-SKU GLM fits, the pools' spread and mean, then shrinkage toward the priors.

    ``groups[i]`` names SKU ``i``'s pool (the optimizer uses category x proprietary);
    SKUs with different priors never share a pool.
    """
    priors = np.asarray(priors, dtype=np.float64)
    numbering: dict[tuple[Hashable, float], int] = {}
    pools = np.array([numbering.setdefault((g, float(p)), len(numbering)) for g, p in zip(
        groups, priors.tolist(), strict=True)], dtype=np.intp)
    panel = _panel(histories)
    st = _stack(panel, settings)
    fits = _fit_skus(st, panel.n_skus, settings)
    stats = pool_stats(fits, pools, len(numbering), settings, st)
    return shrink(fits[0], fits[1], pools, priors, stats, settings)
