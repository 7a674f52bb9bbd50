"""A run's suggestion columns hold exactly what per-row Decimal arithmetic gives."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from pricing.optimizer.results import Cents, margins, money_text

CENT = Decimal("0.01")


def _amounts() -> np.ndarray:
    rng = np.random.default_rng(5)
    ties = np.array([0.125, 2.675, 1.005, 0.005, -0.005, -2.675, 1e13 + 0.125, 0.0, -0.0,
                     -0.001, 0.004999999999999999, 123456789.125, -7.485, 2**53 / 100])
    random = rng.normal(0, 1, 20_000) * 10.0 ** rng.integers(-3, 12, 20_000)
    halves = (rng.integers(-10**9, 10**9, 5_000) + 0.5) / 100  # near-ties after * 100
    return np.concatenate([ties, random, halves])


def test_cents_round_half_up_like_decimal_on_the_exact_float() -> None:
    amounts = _amounts()
    cents = Cents.round_half_up(amounts)
    expected = [Decimal(float(a)).quantize(CENT, ROUND_HALF_UP) for a in amounts]
    assert cents.decimals() == expected
    assert [str(d) for d in cents.decimals()] == [str(d) for d in expected]  # -0.00 too
    assert cents.floats() == [float(d) for d in expected]
    assert cents.texts(grouped=True) == [f"{d:,.2f}" for d in expected]
    assert cents.total() == sum(expected, Decimal(0))


def test_money_text_past_the_float_range() -> None:
    big = Cents.of_prices(np.array([10**17 + 5, -(10**16) - 99, 7]))
    assert big.texts(grouped=True) == ["1,000,000,000,000,000.05", "-100,000,000,000,000.99",
                                       "0.07"]
    assert money_text(0, True) == "-0.00"


def test_margins_like_decimal() -> None:
    rng = np.random.default_rng(6)
    price = [Decimal(int(p)).scaleb(-4) for p in rng.integers(1, 10**9, 5_000)]
    cost = [Decimal(int(c)).scaleb(-4) for c in rng.integers(0, 2 * 10**9, 5_000)]
    price += [Decimal("3.0000"), Decimal("0"), Decimal("-1.0000")]
    cost += [Decimal("1.0000"), Decimal("1.0000"), Decimal("1.0000")]
    scaled = [np.array([int(v.scaleb(4)) for v in values], np.int64) for values in (price, cost)]
    fast = margins(scaled[0], scaled[1], price, cost)
    slow = margins(None, None, price, cost)
    expected = [int(((p - c) / p).quantize(Decimal("0.0001"), ROUND_HALF_UP).scaleb(4))
                if p > 0 else 0 for p, c in zip(price, cost, strict=True)]
    assert fast.tolist() == expected
    assert slow.tolist() == expected
    assert expected[-3:] == [6667, 0, 0]
