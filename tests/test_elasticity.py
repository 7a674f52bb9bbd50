"""Elasticity estimation on synthetic sales histories with known elasticities.

Tolerances are stated per test; they are in the estimate's own standard errors where
the data decide the precision, and absolute where many SKUs are averaged.
"""

from __future__ import annotations

import numpy as np
import pytest

from pricing.optimizer import SalesHistory
from pricing.optimizer.demand import SalesPanel, baseline_units
from pricing.optimizer.elasticity import estimate_elasticities, fit_sku_elasticities
from tests.simulator import START
from tests.simulator import stepped_history as history


def test_one_fast_mover_is_recovered_within_three_standard_errors() -> None:
    rng = np.random.default_rng(1)
    raw, se = fit_sku_elasticities([history(rng, -2.5, 30.0, price_sd=0.12)])
    assert se[0] < 0.25
    assert abs(raw[0] + 2.5) < 3 * se[0]


def test_estimates_are_unbiased_and_standard_errors_calibrated() -> None:
    """400 SKUs, true elasticities from -4 to -0.8: mean error within 0.05 and the
    95 % intervals cover between 90 and 99 % of the truths."""
    rng = np.random.default_rng(2)
    truth = rng.uniform(-4.0, -0.8, 400)
    hists = [history(rng, e, float(rng.uniform(2, 40))) for e in truth]
    raw, se = fit_sku_elasticities(hists)
    ok = np.isfinite(raw)
    assert ok.mean() > 0.95
    z = (raw[ok] - truth[ok]) / se[ok]
    assert abs(float(np.mean(raw[ok] - truth[ok]))) < 0.05
    assert 0.90 <= float(np.mean(np.abs(z) < 1.96)) <= 0.99


def test_sparse_b2b_sales_with_many_zero_weeks() -> None:
    """0.3 units a week (about three weeks in four sell nothing): single SKUs say
    little, but the pooled category estimate recovers the common elasticity within
    0.3, and nobody is pulled below the floor of sense."""
    rng = np.random.default_rng(3)
    hists = [history(rng, -2.0, 0.3, price_sd=0.1) for _ in range(300)]
    zeros = np.mean([np.mean(np.asarray(h.units) == 0) for h in hists])
    assert zeros > 0.6
    est = estimate_elasticities(hists, ["Seals"] * 300, np.full(300, -3.0))
    assert abs(float(np.median(est.value)) + 2.0) < 0.3
    assert np.all(est.value <= -0.1)


def test_lumpy_sales_keep_honest_standard_errors() -> None:
    """Gamma-Poisson weeks (shape 1): quasi-Poisson errors still cover the truth."""
    rng = np.random.default_rng(4)
    truth = rng.uniform(-3.5, -1.0, 300)
    hists = [history(rng, e, 8.0, lumpy=1.0) for e in truth]
    raw, se = fit_sku_elasticities(hists)
    ok = np.isfinite(raw)
    z = (raw[ok] - truth[ok]) / se[ok]
    assert 0.88 <= float(np.mean(np.abs(z) < 1.96)) <= 0.99


def test_shrinkage_beats_both_the_raw_estimates_and_the_prior() -> None:
    """SKU elasticities scatter (sd 0.5) around -2.2, the prior says -2.0: the shrunk
    estimates are closer to the truth on average than either source alone."""
    rng = np.random.default_rng(5)
    truth = np.clip(-2.2 + rng.normal(0, 0.5, 500), -5, -0.5)
    hists = [history(rng, e, float(np.exp(rng.normal(np.log(4), 1)))) for e in truth]
    est = estimate_elasticities(hists, ["Belts"] * 500, np.full(500, -2.0))
    ok = np.isfinite(est.raw)
    post = np.mean(np.abs(est.value[ok] - truth[ok]))
    assert post < np.mean(np.abs(est.raw[ok] - truth[ok]))
    assert post < np.mean(np.abs(-2.0 - truth[ok]))
    assert set(est.source) <= {"estimated", "pooled"}
    assert np.all(np.isfinite(est.se))


def test_group_mean_moves_from_a_wrong_prior_when_data_say_so() -> None:
    rng = np.random.default_rng(6)
    hists = [history(rng, -1.5, 10.0) for _ in range(200)]
    est = estimate_elasticities(hists, ["Hoses"] * 200, np.full(200, -2.5))
    assert abs(float(np.mean(est.value)) + 1.5) < 0.1


def test_markups_that_track_elasticity_sharpen_the_estimates() -> None:
    """Current prices set near each SKU's optimum (markup eps / (1 + eps), times noise):
    with the markups, the pool's target follows them, and the estimates get closer to
    the truth, most of all for the SKUs whose own history says little."""
    rng = np.random.default_rng(9)
    truth = np.clip(-2.0 + rng.normal(0, 0.6, 600), -5.0, -1.2)
    markup = np.log(truth / (1 + truth)) + rng.normal(0, 0.3, 600)
    hists = [history(rng, e, float(np.exp(rng.normal(np.log(2), 1)))) for e in truth]
    plain = estimate_elasticities(hists, ["Hoses"] * 600, np.full(600, -2.0))
    lined = estimate_elasticities(hists, ["Hoses"] * 600, np.full(600, -2.0), markup=markup)
    err_plain, err_lined = np.abs(plain.value - truth), np.abs(lined.value - truth)
    assert err_lined.mean() < 0.85 * err_plain.mean()
    pooled = np.array(plain.source) == "pooled"
    assert pooled.sum() > 100
    assert err_lined[pooled].mean() < 0.8 * err_plain[pooled].mean()
    # the standard errors stay honest around the line
    z = (lined.value - truth) / lined.se
    assert 0.90 <= float(np.mean(np.abs(z) < 1.96)) <= 0.99


def test_markups_unrelated_to_elasticity_change_almost_nothing() -> None:
    """Markups drawn independently of the truth: the learned line is flat, so the
    estimates are those without markups, within a small fraction of their errors."""
    rng = np.random.default_rng(10)
    truth = np.clip(-2.0 + rng.normal(0, 0.6, 600), -5.0, -0.5)
    markup = rng.normal(0.8, 0.4, 600)
    hists = [history(rng, e, float(np.exp(rng.normal(np.log(2), 1)))) for e in truth]
    plain = estimate_elasticities(hists, ["Hoses"] * 600, np.full(600, -2.0))
    lined = estimate_elasticities(hists, ["Hoses"] * 600, np.full(600, -2.0), markup=markup)
    shift = np.abs(lined.value - plain.value)
    assert float(np.median(shift)) < 0.05
    assert np.abs(lined.value - truth).mean() < 1.02 * np.abs(plain.value - truth).mean()


def test_markups_beyond_the_fitted_range_do_not_extrapolate() -> None:
    """A SKU without history whose markup lies far outside the range the pool's line
    was fitted on gets the line's end, not a value extrapolated from it."""
    rng = np.random.default_rng(12)
    markup = rng.uniform(0.4, 1.4, 300)
    truth = -3.0 + 1.2 * (markup - 0.4)  # higher markup, less price-sensitive
    hists: list[SalesHistory | None] = [history(rng, e, 6.0) for e in truth]
    lined = estimate_elasticities([*hists, None, None, None], ["Belts"] * 303,
                                  np.full(303, -2.0),
                                  markup=np.r_[markup, markup.max(), 9.0, np.nan])
    at_end, far, unknown = lined.value[300:]
    assert far == at_end
    assert at_end > unknown + 0.3  # the line rises with markup, as the data say


def test_markups_are_ignored_where_unknown_or_too_few() -> None:
    rng = np.random.default_rng(11)
    hists = [history(rng, -2.0, 10.0) for _ in range(9)]
    plain = estimate_elasticities(hists, ["Belts"] * 9, np.full(9, -2.0))
    few = estimate_elasticities(hists, ["Belts"] * 9, np.full(9, -2.0),
                                markup=np.linspace(0.2, 1.5, 9))
    np.testing.assert_array_equal(few.value, plain.value)  # under min_markup_skus
    hists = [history(rng, -2.0, 10.0) for _ in range(40)]
    unknown = np.full(40, np.nan)
    plain = estimate_elasticities(hists, ["Belts"] * 40, np.full(40, -2.0))
    blank = estimate_elasticities(hists, ["Belts"] * 40, np.full(40, -2.0), markup=unknown)
    np.testing.assert_array_equal(blank.value, plain.value)


def test_no_price_variation_or_no_sales_fall_back() -> None:
    rng = np.random.default_rng(7)
    flat = SalesHistory([START] * 52, rng.poisson(5.0, 52).astype(float).tolist(), [20.0] * 52)
    silent = SalesHistory([START] * 52, [0.0] * 52, np.linspace(18, 22, 52).tolist())
    varied = [history(rng, -2.0, 20.0) for _ in range(20)]
    est = estimate_elasticities([flat, silent, None, *varied], ["Filters"] * 23, np.full(23, -3.0))
    assert np.isnan(est.raw[:3]).all()
    assert est.source[:3] == ("pooled", "pooled", "pooled")  # the category has data
    alone = estimate_elasticities([flat, silent, None], ["Filters"] * 3, np.full(3, -3.0))
    assert alone.source == ("prior", "prior", "prior")
    assert list(alone.value) == [-3.0, -3.0, -3.0] and np.isnan(alone.se).all()


def test_pools_with_different_priors_do_not_mix() -> None:
    rng = np.random.default_rng(8)
    hists = [history(rng, -3.0, 20.0) for _ in range(50)] + [None] * 5
    groups = ["Filters"] * 50 + ["Filters"] * 5
    priors = np.array([-3.0] * 50 + [-0.9] * 5)  # the last five are proprietary
    est = estimate_elasticities(hists, groups, priors)
    assert list(est.value[50:]) == [-0.9] * 5
    assert est.source[50:] == ("prior",) * 5


def test_baseline_units_at_the_current_price_and_pack_conversion() -> None:
    rng = np.random.default_rng(9)
    h = history(rng, -2.0, 12.0, price_sd=0.0)
    q0 = baseline_units(SalesPanel.from_histories([h]), np.array([20.0]), [1], np.array([-2.0]))
    assert abs(q0[0] - 12.0) < 2.5
    # the same sales recorded in single units of a 4-pack priced 80.00
    singles = SalesHistory(h.period_start, [u * 4 for u in h.units],
                           list(h.unit_price))
    q0_pack = baseline_units(SalesPanel.from_histories([singles]), np.array([80.0]), [4],
                             np.array([-2.0]))
    assert abs(q0_pack[0] - q0[0]) < 1e-9
    none = SalesPanel.from_histories([None])
    assert baseline_units(none, np.array([5.0]), [1], np.array([-2.0]))[0] == 1.0


def ragged(rng: np.random.Generator, n: int) -> list[SalesHistory | None]:
    """Histories of 3 to 150 weeks, some with unusable (NaN, zero) prices or returns,
    some missing: the estimator lays SKUs out in blocks of similar length, padded."""
    out: list[SalesHistory | None] = []
    for _ in range(n):
        if rng.random() < 0.1:
            out.append(None)
            continue
        h = history(rng, float(rng.uniform(-3.5, -1.0)), float(rng.uniform(1, 30)),
                    weeks=int(rng.integers(3, 151)), price_sd=0.12)
        units, price = list(h.units), list(h.unit_price)
        for i in np.flatnonzero(rng.random(len(units)) < 0.05).tolist():
            price[i] = [float("nan"), 0.0, -1.0][i % 3]
        if units and rng.random() < 0.1:
            units[0] = -2.0
        out.append(SalesHistory(None, units, price))
    return out


def test_each_sku_is_fitted_as_if_alone_whatever_the_history_lengths() -> None:
    """Histories of different lengths share padded blocks; a SKU's fit must not notice:
    fitting all at once equals fitting each alone, bit for bit."""
    rng = np.random.default_rng(10)
    hists = ragged(rng, 150)
    raw, se = fit_sku_elasticities(hists)
    assert np.isfinite(raw).sum() > 50
    for i, h in enumerate(hists):
        one, one_se = fit_sku_elasticities([h])
        np.testing.assert_array_equal([raw[i], se[i]], [one[0], one_se[0]])


def test_estimates_do_not_depend_on_the_order_of_the_skus() -> None:
    """Shuffling the SKUs (and so their blocks and columns) changes nothing but the
    rounding of the pooled sums."""
    rng = np.random.default_rng(11)
    hists = ragged(rng, 300)
    groups = [["Belts", "Hoses", "Seals"][i % 3] for i in range(300)]
    priors = np.where(np.arange(300) % 7 == 0, -0.9, -2.0)
    est = estimate_elasticities(hists, groups, priors)
    perm = rng.permutation(300)
    shuffled = estimate_elasticities([hists[i] for i in perm], [groups[i] for i in perm],
                                     priors[perm])
    for a, b in ((est.value, shuffled.value), (est.se, shuffled.se), (est.raw, shuffled.raw),
                 (est.raw_se, shuffled.raw_se)):
        np.testing.assert_allclose(a[perm], b, rtol=1e-9, atol=0.0)
    assert [est.source[i] for i in perm] == list(shuffled.source)


def test_column_sums_add_rows_in_order_like_bincount() -> None:
    """The estimator's bit-for-bit agreement with per-row ``np.bincount`` sums rests on
    NumPy adding a C-contiguous array's rows one after the other."""
    from pricing.optimizer.elasticity import _col_sums, _columns

    rng = np.random.default_rng(12)
    for periods in (0, 1, 9, 104, 400):
        for k in (1, 2, 3, 8, 17, 300):
            a = rng.standard_normal((periods, k)) * np.exp(3 * rng.standard_normal((periods, k)))
            col = np.repeat(np.arange(k), periods)
            np.testing.assert_array_equal(_col_sums(a), np.bincount(col, a.T.ravel(), k))
            at = np.flatnonzero(rng.random(k) < 0.5)
            sub = _columns(a, at)
            np.testing.assert_array_equal(
                _col_sums(sub) if at.size else np.zeros(0),
                np.bincount(np.repeat(np.arange(at.size), periods), sub.T.ravel(), at.size))


def test_a_panel_with_interleaved_skus_is_refused() -> None:
    """The estimator reads each SKU's rows as one run: a hand-built panel whose rows are
    not grouped by SKU must fail loudly, not be fitted wrongly."""
    ones = np.ones(4)
    with pytest.raises(ValueError, match="grouped by SKU"):
        SalesPanel(ones, ones, np.array([0, 1, 0, 1]), 2)
    assert SalesPanel(ones, ones, np.array([0, 0, 1, 1]), 2).periods().tolist() == [2, 2]
