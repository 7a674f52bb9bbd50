"""A run's suggestions column by column, and exact money arithmetic over arrays.

The optimizer decides prices in whole cents over NumPy arrays; a suggestion row has
money as :class:`~decimal.Decimal`. Making 100,000 Decimal-laden objects (and taking
them apart again to store them) cost more than the optimization itself, so a run keeps
its results as columns: integer cents and ten-thousandths, floats, and the few Python
objects the inputs already were. Rows (:class:`SuggestionResult`) are made only when
someone asks for them, and the storage layer reads the columns directly.

The integer columns hold exactly what the per-row Decimal arithmetic gives (the same
rounding, ``ROUND_HALF_UP``, on the exact values); amounts that do not fit the integer
fast path are computed one by one in Decimal.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from pricing.optimizer.constraints import KINDS
from pricing.optimizer.inputs import SuggestionResult

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MONEY_Q = Decimal("0.01")
MARGIN_Q = Decimal("0.0001")
_SCALE = 10_000  # ten-thousandths: the scale money is stored at
_MAX_EXACT = 1e13  # below this, a float times 100 is off by well under a cent
_MAX_FLOAT_CENTS = 10**15
# SuggestionTable columns kept in whole units (see its docstring)
_CENTS_COLUMNS = frozenset({"suggested_price", "expected_profit_before", "expected_profit_after"})
_MARGIN_COLUMNS = frozenset({"margin_before", "margin_after"})


@dataclass(frozen=True)
class Cents:
    """Money rounded to whole cents (``ROUND_HALF_UP``), with the sign of a zero kept
    (``Decimal("-0.001")`` rounds to ``-0.00``)."""

    value: IntArray
    negative_zero: BoolArray

    @classmethod
    def of_prices(cls, cents: IntArray) -> Cents:
        return cls(np.asarray(cents, np.int64), np.zeros(len(cents), bool))

    @classmethod
    def round_half_up(cls, amounts: FloatArray) -> Cents:
        """``Decimal(a).quantize(Decimal("0.01"), ROUND_HALF_UP)`` for each float ``a``,
        exactly: ``a * 100`` is rounded in floating point, and the few amounts whose
        product lands within rounding error of a half cent (or that are too large or
        not finite) are redone in Decimal on the exact binary value."""
        amounts = np.asarray(amounts, np.float64)
        scaled = np.abs(amounts) * 100.0
        with np.errstate(invalid="ignore"):
            frac = scaled - np.floor(scaled)
            doubtful = ~(np.abs(amounts) < _MAX_EXACT) | (
                np.abs(frac - 0.5) <= 1e-9 + 4 * np.finfo(np.float64).eps * scaled)
        safe = np.where(doubtful, 0.0, scaled)
        cents = np.floor(safe + 0.5).astype(np.int64) * np.where(amounts < 0, -1, 1)
        for i in np.flatnonzero(doubtful).tolist():
            exact = Decimal(float(amounts[i])).quantize(MONEY_Q, ROUND_HALF_UP)
            cents[i] = int(exact.scaleb(2))
        return cls(cents, (cents == 0) & np.signbit(amounts))

    def __len__(self) -> int:
        return len(self.value)

    def floats(self) -> list[float]:
        """As SQLite stores them (what ``float(decimal)`` gives)."""
        return np.where(self.negative_zero, -0.0, self.value / 100.0).tolist()

    def texts(self, *, grouped: bool = False) -> list[str]:
        """As decimal text with two places (``"-1234.50"``; ``"-1,234.50"`` grouped).

        Formatting the float ``cents / 100`` to two places gives exactly these digits
        while it is within half a cent of the true amount, which holds far beyond any
        price (below 10**15 cents); larger amounts are written digit by digit."""
        spec = ",.2f" if grouped else ".2f"
        if not len(self) or int(np.abs(self.value).max()) < _MAX_FLOAT_CENTS:
            return list(map(format, self.floats(), repeat(spec)))
        return [money_text(c, n, grouped=grouped) for c, n in zip(
            self.value.tolist(), self.negative_zero.tolist(), strict=True)]

    def decimals(self) -> list[Decimal]:
        return [Decimal(t) for t in self.texts()]

    def total(self) -> Decimal:
        """The exact sum, as a Decimal with two places."""
        return Decimal(money_text(sum(self.value.tolist())))


def money_text(cents: int, negative_zero: bool = False, *, grouped: bool = False) -> str:
    """Whole cents as ``"1234.50"`` (``"1,234.50"`` grouped): what formatting the
    two-place Decimal gives."""
    sign = "-" if cents < 0 or negative_zero else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d}" if grouped else f"{sign}{whole}.{part:02d}"


def margins(price: IntArray | None, cost: IntArray | None, price_dec: Sequence[Decimal],
            cost_dec: Sequence[Decimal]) -> IntArray:
    """``(price - cost) / price`` in ten-thousandths, rounded half up, per part (0 for
    a price of zero or less). ``price`` and ``cost`` are ten-thousandths when both fit
    (see :func:`~pricing.optimizer.constraints.scaled`); otherwise each margin is
    computed in Decimal."""
    if price is not None and cost is not None:
        num = (price - cost) * _SCALE
        den = np.where(price > 0, price, 1)
        mag = (2 * np.abs(num) + den) // (2 * den)  # half away from zero
        return np.where(price > 0, np.where(num < 0, -mag, mag), 0)
    out = []
    for p, k in zip(price_dec, cost_dec, strict=True):
        m = ((p - k) / p).quantize(MARGIN_Q, ROUND_HALF_UP) if p > 0 else Decimal(0)
        out.append(int(m.scaleb(4)))
    return np.array(out, np.int64)


def _margin_decimal(ten_thousandths: int) -> Decimal:
    return Decimal(ten_thousandths).scaleb(-4).quantize(MARGIN_Q)


@dataclass(frozen=True)
class SuggestionTable:
    """One entry per part, in input order; the names are those of
    :class:`SuggestionResult` (which :meth:`row` and :meth:`rows` make), except where
    a column is kept in whole units: ``suggested_price`` and the expected profits in
    :class:`Cents`, the margins in ten-thousandths, the binding constraint as an
    index into ``KINDS`` (-1: none) and a missing standard error as NaN."""

    sku: list[str]
    category: list[str]
    proprietary: list[bool]
    current_price: list[Decimal]
    suggested_price: Cents
    unit_cost: list[Decimal]
    margin_before: IntArray
    margin_after: IntArray
    competitor_reference: list[Decimal | None]
    competitor_count: list[int]
    elasticity: FloatArray
    elasticity_se: FloatArray
    elasticity_source: list[str]
    expected_units_before: FloatArray
    expected_units_after: FloatArray
    expected_profit_before: Cents
    expected_profit_after: Cents
    binding: IntArray
    reason_codes: list[tuple[str, ...]]
    explanation: list[str]

    @classmethod
    def empty(cls) -> SuggestionTable:
        ints, floats = np.zeros(0, np.int64), np.zeros(0)
        none = Cents.of_prices(ints)
        return cls([], [], [], [], none, [], ints, ints, [], [], floats, floats, [], floats,
                   floats, none, none, ints, [], [])

    def __len__(self) -> int:
        return len(self.sku)

    def __iter__(self) -> Iterator[SuggestionResult]:
        return iter(self.rows)

    def column(self, name: str) -> list[Any]:
        """A :class:`SuggestionResult` field over all rows, as the row would hold it."""
        value = getattr(self, name, None)
        if name in _CENTS_COLUMNS:
            return value.decimals()  # type: ignore[union-attr]
        if name in _MARGIN_COLUMNS:
            return [_margin_decimal(m) for m in value.tolist()]  # type: ignore[union-attr]
        if name == "binding_constraint":
            return [KINDS[b] if b >= 0 else None for b in self.binding.tolist()]
        if name == "elasticity_se":
            return [v if np.isfinite(v) else None for v in self.elasticity_se.tolist()]
        if isinstance(value, np.ndarray):
            return value.tolist()
        assert isinstance(value, list), name
        return value

    def sqlite_column(self, name: str) -> list[Any]:
        """:meth:`column` as SQLite stores it: money and margins as floats (SQLite has
        no decimal type; SQLAlchemy binds a Decimal as ``float(value)``)."""
        if name in _CENTS_COLUMNS:
            return getattr(self, name).floats()
        if name in _MARGIN_COLUMNS:
            return (getattr(self, name) / _SCALE).tolist()
        if name in ("current_price", "unit_cost", "competitor_reference"):
            return [None if v is None else float(v) for v in getattr(self, name)]
        return self.column(name)

    def text_column(self, name: str) -> list[Any]:
        """:meth:`column` with exact money as decimal text (for ``COPY``)."""
        if name in _CENTS_COLUMNS:
            return getattr(self, name).texts()
        if name in _MARGIN_COLUMNS:
            return [str(_margin_decimal(m)) for m in getattr(self, name).tolist()]
        return self.column(name)

    @cached_property
    def rows(self) -> list[SuggestionResult]:
        """Every suggestion as a :class:`SuggestionResult`, in input order."""
        names = list(SuggestionResult.__dataclass_fields__)
        return [SuggestionResult(*values) for values in zip(
            *(self.column(n) for n in names), strict=True)]

    # --- figures for the run summary ------------------------------------------------

    def changed(self, current_scaled: IntArray | None) -> int:
        """How many suggested prices differ from the current ones."""
        if current_scaled is not None:
            return int(np.count_nonzero(self.suggested_price.value * 100 != current_scaled))
        return sum(s != c for s, c in zip(self.column("suggested_price"), self.current_price,
                                          strict=True))
