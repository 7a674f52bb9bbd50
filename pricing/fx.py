"""Currency conversion to the base currency with dated rates, no network.

Rates come from config or a CSV with the columns ``date, currency, rate``, where
``rate`` is the number of base-currency units one unit of ``currency`` buys on that
date (base USD: ``2024-05-02,EUR,1.0712``). A conversion uses the latest rate on or
before the observation date, and refuses one older than ``max_age_days``. Amounts are
``Decimal`` end to end.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Protocol

from pricing.errors import PricingError

__all__ = ["CurrencyConverter", "FxRateMissingError", "FxRates", "FxTableError"]

_UNIT_Q = Decimal("0.0001")


class Priced(Protocol):
    """A price seen on a day: a competitor's unit price."""

    @property
    def unit_price(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def observed_at(self) -> dt.datetime: ...


class FxRateMissingError(PricingError):
    """No usable rate for a currency on a date."""

    def __init__(self, currency: str, on: dt.date, why: str) -> None:
        self.currency, self.on = currency, on
        super().__init__(f"no exchange rate for {currency} on {on.isoformat()}: {why}")


class FxTableError(PricingError):
    """A row of an FX rate table is invalid."""

    def __init__(self, line: int, reason: str) -> None:
        self.line, self.reason = line, reason
        super().__init__(f"FX rates line {line}: {reason}")


class FxRates:
    """Dated exchange rates into one base currency."""

    def __init__(
        self,
        base: str,
        rates: Mapping[str, Iterable[tuple[dt.date, Decimal]]] | None = None,
        max_age_days: int | None = 31,
    ) -> None:
        self.base = base.upper()
        self.max_age_days = max_age_days
        self._dates: dict[str, list[dt.date]] = {}
        self._values: dict[str, list[Decimal]] = {}
        for currency, series in (rates or {}).items():
            for on, rate in series:
                self.add(currency, on, rate)

    def add(self, currency: str, on: dt.date, rate: Decimal) -> None:
        """Record that one ``currency`` buys ``rate`` base units on ``on``."""
        rate = Decimal(rate)
        if rate <= 0:
            raise ValueError(f"rate for {currency} on {on} must be positive, got {rate}")
        code = currency.upper()
        dates = self._dates.setdefault(code, [])
        values = self._values.setdefault(code, [])
        at = bisect.bisect_left(dates, on)
        if at < len(dates) and dates[at] == on:
            values[at] = rate
        else:
            dates.insert(at, on)
            values.insert(at, rate)

    @classmethod
    def from_csv_text(cls, base: str, text: str, max_age_days: int | None = 31) -> FxRates:
        """Rates from CSV text with a ``date, currency, rate`` header (extra columns are
        ignored); the caller reads the file."""
        table = cls(base, max_age_days=max_age_days)
        reader = csv.DictReader(io.StringIO(text))
        missing = {"date", "currency", "rate"} - set(reader.fieldnames or ())
        if missing:
            raise FxTableError(1, f"missing column(s): {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            try:
                on = dt.date.fromisoformat((row["date"] or "").strip())
                currency = (row["currency"] or "").strip().upper()
                rate = Decimal((row["rate"] or "").strip())
                if len(currency) != 3 or not currency.isalpha():
                    raise ValueError(f"currency {currency!r} is not an ISO 4217 code")
                table.add(currency, on, rate)
            except (ValueError, InvalidOperation) as exc:
                raise FxTableError(line, str(exc) or "invalid number") from None
        return table

    def rate(self, currency: str, on: dt.date) -> Decimal:
        """Base units per one ``currency`` on ``on`` (1 for the base currency itself)."""
        code = currency.upper()
        if code == self.base:
            return Decimal(1)
        dates = self._dates.get(code)
        if not dates:
            raise FxRateMissingError(code, on, "currency not in the rate table")
        at = bisect.bisect_right(dates, on) - 1
        if at < 0:
            raise FxRateMissingError(code, on, f"first rate is on {dates[0].isoformat()}")
        age = (on - dates[at]).days
        if self.max_age_days is not None and age > self.max_age_days:
            raise FxRateMissingError(
                code, on, f"latest rate is {age} days old (limit {self.max_age_days})"
            )
        return self._values[code][at]

    def convert(self, amount: Decimal, currency: str, on: dt.date, places: int = 4) -> Decimal:
        """``amount`` in ``currency`` expressed in the base currency on ``on``, rounded
        half-even to ``places`` decimals."""
        value = Decimal(amount) * self.rate(currency, on)
        return value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)


class CurrencyConverter:
    """Competitor unit prices into a part's currency, through the base currency, with
    each (currency, day) rate looked up once per run."""

    def __init__(self, fx: FxRates) -> None:
        self.fx = fx
        self._rates: dict[tuple[str, dt.date], Decimal | None] = {}

    def rate(self, currency: str, on: dt.date) -> Decimal | None:
        key = (currency, on)
        if key not in self._rates:
            try:
                self._rates[key] = self.fx.rate(currency, on)
            except FxRateMissingError:
                self._rates[key] = None
        return self._rates[key]

    def convert(self, price: Priced, to: str) -> Decimal | None:
        """``price.unit_price`` in ``to`` at the rates in force on the day it was seen, to
        four decimals (half-even); None where a rate is missing."""
        if price.currency == to:
            return price.unit_price
        on = price.observed_at.date()
        source, target = self.rate(price.currency, on), self.rate(to, on)
        if source is None or target is None:
            return None
        return (price.unit_price * source / target).quantize(_UNIT_Q, ROUND_HALF_EVEN)
