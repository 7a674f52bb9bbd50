"""Amounts of money in a currency's minor unit.

Prices are stored as the currency counts them: two decimals for most, none for the yen
or the won, three for the Bahraini dinar. An amount read with more digits (microdata
``46.248``, a gross price computed from a net one) is rounded half up, as shops
round their displayed prices.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Currencies with no minor unit, and those with three decimals.
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "IDR", "COP", "TWD"})
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def decimal_places(currency: str | None) -> int:
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def round_money(amount: Decimal, currency: str | None) -> Decimal:
    """``amount`` in the currency's minor unit: ``46.248`` GBP -> ``46.25``, ``42.5`` USD
    -> ``42.50``, ``12980.0`` JPY -> ``12980``."""
    return amount.quantize(Decimal(1).scaleb(-decimal_places(currency)), ROUND_HALF_UP)
