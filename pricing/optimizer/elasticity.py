"""Own-price elasticity per SKU from sales history, pooled and shrunk toward priors.

Two stages, both pure functions of arrays:

1. Per SKU, a Poisson GLM ``log E[units_t] = a + eps * (log p_t - mean log p)`` fitted
   by Newton's method on the profile likelihood (the SKU intercept ``a`` is profiled
   out), all SKUs at once, each SKU's periods a column of a time-major array (SKUs of
   similar history length share one, zero-padded). Zero-sales periods are ordinary
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

   Where the SKUs' markups are given (``log(current price / unit cost)``), the group
   mean becomes a line in the markup: parts priced with higher markups have often
   been found to be the less price-sensitive ones (a price set near its optimum has
   markup ``eps / (1 + eps)``). Whether and how steeply that holds is learned per
   group from its own SKU estimates (a precision-weighted regression, its slope shrunk
   toward zero), so in a group where markups say nothing about elasticity the line is
   flat and nothing changes; ``tau`` is then the spread around the line.
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
    markup_slope_sd: float = 1.0  # plausible change of elasticity per unit of log markup
    min_markup_skus: int = 10  # SKU estimates a group needs before markup may move its mean
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
class _Block:
    """SKUs of similar history length, time-major: column ``c`` holds the periods of
    stack SKU ``cols[c]``, oldest first, zero-padded at the end to the block's longest.

    A SKU's sums run down its column (:func:`_col_sums`) in the order ``np.bincount``
    would add its rows, so they equal the flat per-row sums bit for bit while costing a
    vectorised add instead of a scattered one, and a slope multiplies a whole column
    without gathering it per row. ``valid`` is 1.0 on real periods and 0.0 on padding
    (``None`` when the block has none)."""

    cols: npt.NDArray[np.intp]
    x: Array  # centred log price
    y: Array  # units
    valid: Array | None

    def take(self, keep: npt.NDArray[np.bool_], cols: npt.NDArray[np.intp]) -> _Block:
        """The columns where ``keep``, renumbered ``cols``."""
        x, valid = _take(self.x, self.valid, keep)
        return _Block(cols, x, _columns(self.y, np.flatnonzero(keep)), valid)


def _columns(a: Array, at: npt.NDArray[np.intp]) -> Array:
    """Columns ``at`` of ``a``, C-contiguous as :func:`_col_sums` needs (``np.take``
    makes them so in one pass; ``a[:, at]`` comes out column-major)."""
    return np.ascontiguousarray(np.take(a, at, axis=1))


def _take(x: Array, valid: Array | None, keep: npt.NDArray[np.bool_]
          ) -> tuple[Array, Array | None]:
    at = np.flatnonzero(keep)
    if valid is not None:
        valid = _columns(valid, at)
        if valid.all():
            valid = None
    return _columns(x, at), valid


def _col_sums(a: Array) -> Array:
    """Per column of a C-contiguous 2-D array, its rows added one after the other, as
    ``np.bincount`` adds a SKU's rows. NumPy reduces axis 0 of such an array row by row,
    but a single column is one contiguous run, which it would sum pairwise."""
    if a.shape[1] == 1:
        return np.asarray(np.bincount(np.zeros(a.shape[0], np.intp), a[:, 0], 1), np.float64)
    return np.asarray(a.sum(axis=0), np.float64)


_FILL = 0.875  # every SKU of a block has at least this share of its longest history


def _blocks(periods: npt.NDArray[np.int64], skus: npt.NDArray[np.intp]
            ) -> list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], Array | None]]:
    """``skus`` grouped by history length into blocks that padding wastes little of:
    per block the SKUs, their panel rows laid out time-major (padding points at a
    real row, to be masked) and the mask (``None`` without padding)."""
    starts = np.cumsum(periods) - periods
    order = skus[np.argsort(-periods[skus], kind="stable")]
    lengths = periods[order]
    out = []
    i = 0
    while i < order.size:
        j = int(np.searchsorted(-lengths, -_FILL * lengths[i], side="right"))
        who, n = order[i:j], lengths[i:j]
        t = np.arange(lengths[i])[:, None]
        first = starts[who]
        rows, valid = first + t, None
        if n[-1] < lengths[i]:
            np.minimum(rows, np.maximum(first + n - 1, 0), out=rows)
            valid = (t < n).astype(np.float64)
        out.append((who, rows, valid))
        i = j
    return out


@dataclass(frozen=True)
class _Stacked:
    """Usable histories in blocks of columns (one per SKU) whose ``cols`` are positions
    in ``who`` (indices into the caller's SKU list); ``periods`` per position."""

    who: npt.NDArray[np.intp]
    periods: npt.NDArray[np.int64]
    blocks: tuple[_Block, ...]

    def subset(self, keep: npt.NDArray[np.bool_]) -> _Stacked:
        """The SKUs where ``keep`` (by position in ``who``)."""
        remap = np.cumsum(keep) - 1
        blocks = []
        for blk in self.blocks:
            mine = keep[blk.cols]
            if mine.all():
                blocks.append(_Block(remap[blk.cols], blk.x, blk.y, blk.valid))
            elif mine.any():
                blocks.append(blk.take(mine, remap[blk.cols[mine]]))
        return _Stacked(self.who[keep], self.periods[keep], tuple(blocks))


def _stack(panel: SalesPanel, settings: ElasticitySettings) -> _Stacked:
    """The SKUs with enough periods, units and price variation for an estimate of their
    own, with log price centred per SKU. Only SKUs with enough periods are laid out (and
    their prices logged) at all; the panel's rows are in SKU order."""
    periods = panel.periods()
    parts = []
    for skus, rows, valid in _blocks(periods, np.flatnonzero(periods >= settings.min_periods)):
        n = np.maximum(periods[skus], 1)
        logp, y = panel.price.take(rows), panel.units.take(rows)
        np.log(logp, out=logp)
        if valid is not None:
            logp *= valid
            y *= valid
        x = logp - _col_sums(logp) / n
        if valid is not None:
            x *= valid
        sd = np.sqrt(_col_sums(x * x) / n)
        usable = (_col_sums(y) >= settings.min_units) & (sd >= settings.min_log_price_sd)
        blk = _Block(skus, x, y, valid)
        if usable.any():
            parts.append(blk if usable.all() else blk.take(usable, skus[usable]))
    who = np.sort(np.concatenate([blk.cols for blk in parts])) if parts else np.zeros(0, np.intp)
    remap = np.zeros(panel.n_skus, np.intp)
    remap[who] = np.arange(who.size)
    blocks = tuple(_Block(remap[blk.cols], blk.x, blk.y, blk.valid) for blk in parts)
    return _Stacked(who, periods[who], blocks)


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
    # (NaN when not asked for)


_Work = tuple[npt.NDArray[np.intp], Array, Array | None]  # a block's cols, x and valid


def _needed(work: list[_Work], need: npt.NDArray[np.bool_]) -> list[_Work]:
    """The blocks cut down to the SKUs where ``need``, except where that would drop
    too few columns to pay for the copy (the others' sums are computed but unused)."""
    out = []
    for cols, x, valid in work:
        keep = need[cols]
        kept = int(np.count_nonzero(keep))
        if kept > 0.9 * keep.size:
            out.append((cols, x, valid))
        elif kept:
            out.append((cols[keep], *_take(x, valid, keep)))
    return out


def _newton(st: _Stacked, param: npt.NDArray[np.intp], n_param: int, max_iter: int,
            phi: Array | None = None, tau2: Array | None = None, dispersion: bool = True
            ) -> _Fit:
    """Poisson GLM ``log mu = a_sku + b_param * x``, intercepts profiled out, by
    Newton's method on the (concave) profile likelihood of the slopes. ``param[j]``
    says which slope SKU ``j`` of the stack shares. With ``phi`` (per SKU) and ``tau2``
    (per slope), SKU ``j``'s score is weighted ``1 / (phi_j + tau2 * info_j)``.

    A slope that has converged stops moving, so each iteration only visits the SKUs of
    the slopes still moving (a SKU's sums depend on its own slope alone). Without
    ``dispersion`` the SKUs' Pearson statistics, a further pass over all rows, are
    skipped."""
    m = st.who.size
    s_y, s_yx = np.zeros(m), np.zeros(m)
    for blk in st.blocks:
        s_y[blk.cols] = _col_sums(blk.y)
        s_yx[blk.cols] = _col_sums(blk.y * blk.x)
    b = np.zeros(n_param)
    step = np.ones(n_param)
    size = max((blk.x.size for blk in st.blocks), default=0)
    buf_w, buf_wx = np.empty(size), np.empty(size)  # reused: a fresh array page-faults

    def moments(work: list[_Work], pearson: Array | None = None) -> tuple[Array, Array]:
        """Score and information per slope from the SKUs in ``work`` (those not in it
        count as having no rows); with ``pearson`` (all of the stack's blocks in
        ``work``), each SKU's Pearson statistic at the fit is written into it."""
        s0, s1, s2 = np.zeros(m), np.zeros(m), np.zeros(m)
        slope = b[param]
        for k, (cols, x, valid) in enumerate(work):
            w = buf_w[:x.size].reshape(x.shape)
            wx = buf_wx[:x.size].reshape(x.shape)
            np.multiply(x, slope[cols], out=w)
            np.exp(w, out=w)
            if valid is not None:
                w *= valid
            s0[cols] = _col_sums(w)
            np.multiply(w, x, out=wx)
            s1[cols] = _col_sums(wx)
            wx *= x
            s2[cols] = _col_sums(wx)
            if pearson is not None:
                s0_blk = s0[cols]
                mu = np.multiply(w, s_y[cols] / np.where(s0_blk > 0, s0_blk, 1.0), out=w)
                dev = (st.blocks[k].y - mu) ** 2
                np.divide(dev, mu, out=dev, where=True if valid is None else valid > 0)
                pearson[cols] = _col_sums(dev)
        s0 = np.where(s0 > 0, s0, 1.0)
        m1 = s1 / s0
        info_sku = s_y * (s2 / s0 - m1 * m1)
        omega = 1.0 if phi is None or tau2 is None else 1.0 / (phi + tau2[param] * info_sku)
        score = np.bincount(param, omega * (s_yx - s_y * m1), n_param)
        info = np.bincount(param, omega * info_sku, n_param)
        return np.asarray(score, np.float64), np.asarray(info, np.float64)

    active = np.ones(n_param, bool)
    blocks: list[_Work] = [(blk.cols, blk.x, blk.valid) for blk in st.blocks]
    work = blocks
    for _ in range(max_iter):
        grad, info = moments(work)
        new = np.clip(np.divide(grad, info, out=np.zeros(n_param), where=info > 1e-12), -1, 1)
        step = np.where(active, new, step)
        moved = np.where(active, np.clip(b + step, _B_MIN, _B_MAX) - b, 0.0)
        b = b + moved
        active &= np.abs(moved) >= 1e-10  # converged, or pinned at a search limit
        if not active.any():
            break
        work = _needed(work, active[param])
    pearson = np.zeros(m) if dispersion else np.full(m, np.nan)
    _, info = moments(blocks, pearson if dispersion else None)
    dof = np.maximum(st.periods - 2, 1)
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
        sub = st if keep.all() else st.subset(keep)
        if sub.who.size:
            fit = _newton(sub, pools[sub.who], k, settings.max_iter, phi[sub.who],
                          np.nan_to_num(tau2), dispersion=False)
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


_SOURCES = ("prior", "pooled", "estimated")  # own estimate's weight: none, < 0.5, >= 0.5


@dataclass(frozen=True)
class _Line:
    """A pool's shrinkage target as a function of markup: ``slope * (markup - centre)``
    added to the pool mean, the slope's posterior variance, and ``tau**2`` around it.
    Markups outside the range the line was fitted on count as its nearest end (no
    extrapolation); an unknown markup sits at the centre."""

    slope: float
    slope_var: float
    centre: float
    tau2: float
    low: float
    high: float

    def _distance(self, markup: Array) -> Array:
        known = np.isfinite(markup)
        return np.where(known, np.clip(markup, self.low, self.high) - self.centre, 0.0)

    def offset(self, markup: Array) -> Array:
        return self.slope * self._distance(markup)

    def offset_var(self, markup: Array) -> Array:
        return self.slope_var * self._distance(markup) ** 2


def _markup_line(raw: Array, var: Array, markup: Array, mean: float, tau2: float,
                 settings: ElasticitySettings) -> _Line | None:
    """The slope of a pool's SKU estimates on their markups (weights ``1 / (var +
    tau2)``, normal prior N(0, ``markup_slope_sd``) on the slope), and ``tau**2``
    around that line; ``None`` when too few SKUs have a markup or the markups do not
    vary."""
    known = np.isfinite(markup)
    if int(known.sum()) < settings.min_markup_skus:
        return None
    est, v, z = raw[known], var[known], markup[known]
    w = 1.0 / (v + tau2)
    centre = float(np.sum(w * z) / w.sum())
    dz = z - centre
    sxx = float(np.sum(w * dz * dz))
    if not sxx > 0.0:
        return None
    precision = sxx + 1.0 / settings.markup_slope_sd**2
    slope = float(np.sum(w * dz * (est - mean))) / precision
    return _Line(slope, 1.0 / precision, centre, _tau2(est - slope * dz, v, settings),
                 float(z.min()), float(z.max()))


def shrink(raw: Array, raw_se: Array, pools: npt.NDArray[np.intp], priors: Array,
           stats: PoolStats, settings: ElasticitySettings = ElasticitySettings(),
           markup: Array | None = None) -> Elasticities:
    """Empirical-Bayes estimates: each pool's data mean shrunk toward its policy prior
    (and, with ``markup``, moved along the pool's markup line), each SKU's own estimate
    precision-weighted toward that target."""
    n = len(raw)
    value, se = np.array(priors, dtype=np.float64), np.full(n, np.nan)
    kind = np.zeros(n, np.intp)  # index into _SOURCES
    usable = np.isfinite(raw)
    prior_precision = 1.0 / settings.prior_sd**2
    for g in np.flatnonzero(np.isfinite(stats.mean)):
        members = np.flatnonzero(pools == g)
        own = members[usable[members]]
        tau2 = float(stats.tau2[g])
        mean_var = 1.0 / (prior_precision + 1.0 / stats.var[g])
        data = stats.mean[g] / stats.var[g]
        mean = (float(priors[members[0]]) * prior_precision + data) * mean_var
        target = np.full(members.size, mean, dtype=np.float64)
        target_var = np.full(members.size, mean_var, dtype=np.float64)
        line = None if markup is None else _markup_line(
            raw[own], raw_se[own] ** 2, markup[own], mean, tau2, settings)
        if line is not None and markup is not None:
            tau2 = line.tau2
            target += line.offset(markup[members])
            target_var += line.offset_var(markup[members])
        value[members] = target
        se[members] = np.sqrt(tau2 + target_var)
        at = np.searchsorted(members, own)  # own SKUs' places among the members
        var = raw_se[own] ** 2
        pull = var / (var + tau2)  # weight of the pool's target in each SKU's estimate
        value[own] = target[at] + (1.0 - pull) * (raw[own] - target[at])
        se[own] = np.sqrt((1.0 - pull) * var + pull**2 * target_var[at])
        kind[members] = 1
        kind[own[1.0 - pull >= 0.5]] = 2
    np.clip(value, settings.lower, settings.upper, out=value)
    return Elasticities(value, se, tuple(map(_SOURCES.__getitem__, kind.tolist())), raw, raw_se)


def estimate_elasticities(
    histories: Sequence[SalesHistory | None] | SalesPanel,
    groups: Sequence[Hashable],
    priors: Array,
    settings: ElasticitySettings = ElasticitySettings(),
    markup: Array | None = None,
) -> Elasticities:
    """Per-SKU GLM fits, the pools' spread and mean, then shrinkage toward the priors.

    ``groups[i]`` names SKU ``i``'s pool (the optimizer uses category x proprietary);
    SKUs with different priors never share a pool. ``markup[i]``, when given, is
    ``log(current price / unit cost)`` (NaN where unknown): each pool's target then
    follows the markup as far as the pool's own estimates show.
    """
    priors = np.asarray(priors, dtype=np.float64)
    keys = list(zip(groups, priors.tolist(), strict=True))
    numbering = {key: i for i, key in enumerate(dict.fromkeys(keys))}  # first-seen order
    pools = np.fromiter(map(numbering.__getitem__, keys), np.intp, len(keys))
    panel = _panel(histories)
    st = _stack(panel, settings)
    fits = _fit_skus(st, panel.n_skus, settings)
    stats = pool_stats(fits, pools, len(numbering), settings, st)
    if markup is not None:
        markup = np.asarray(markup, dtype=np.float64)
    return shrink(fits[0], fits[1], pools, priors, stats, settings, markup)
