"""Competitor prices on the catalog's tax basis.

A page says what it says: an amount, and whether it includes tax when it tells
(:attr:`crawlers.extraction.ExtractedProduct.price_includes_tax`). Where the
configuration is known, :func:`price_on_basis` is the one place that turns it into the
amount stored: on the catalog's basis (``pricing.yaml`` ``prices_include_tax``), using
the page's own other-basis amount when it shows both, else the competitor's
``tax_rate``, rounded to the currency's minor unit.

Which basis the read amount is on: the page's labels when it shows net and gross both
(nothing is ambiguous then); otherwise the competitor's ``prices_include_tax`` when it
is ``true`` or ``false``, and the page's word (labels, ``valueAddedTaxIncluded``) when
it is ``auto``. A price whose basis stays unknown is stored as shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pricing.money import round_money


@dataclass(frozen=True)
class PriceBasis:
    """The catalog's basis (``None``: not stated, nothing is converted) and what one
    competitor's configuration says about its prices."""

    catalog_includes_tax: bool | None = None
    competitor: bool | Literal["auto"] = "auto"
    tax_rate: Decimal | None = None


@dataclass(frozen=True)
class OnBasis:
    price: Decimal | None
    list_price: Decimal | None
    includes_tax: bool | None  # the stored price's basis; None: unknown, stored as shown
    converted: bool = False  # computed with the tax rate (not shown on the page)
    unconverted: bool = False  # on another basis than the catalog's, and no rate to convert


def price_on_basis(
    price: Decimal | None,
    currency: str | None,
    *,
    includes_tax: bool | None,
    other_basis_price: Decimal | None = None,
    list_price: Decimal | None = None,
    basis: PriceBasis = PriceBasis(),
) -> OnBasis:
    """The price (and list price) to store for a competitor page."""
    if price is None:
        return OnBasis(None, _round(list_price, currency), None)
    shows_both = includes_tax is not None and other_basis_price is not None
    read = includes_tax if basis.competitor == "auto" or shows_both else basis.competitor
    target = basis.catalog_includes_tax
    if target is None or read is None or read == target:
        return OnBasis(_round(price, currency), _round(list_price, currency), read)
    if shows_both and other_basis_price is not None:
        ratio = other_basis_price / price
        scaled = None if list_price is None else list_price * ratio
        return OnBasis(_round(other_basis_price, currency), _round(scaled, currency), target)
    if basis.tax_rate is None:
        return OnBasis(
            _round(price, currency), _round(list_price, currency), read, unconverted=True
        )
    factor = 1 + basis.tax_rate
    if target:  # net shown, gross wanted

        def convert(amount: Decimal) -> Decimal:
            return amount * factor
    else:

        def convert(amount: Decimal) -> Decimal:
            return amount / factor

    return OnBasis(
        _round(convert(price), currency),
        _round(None if list_price is None else convert(list_price), currency),
        target,
        converted=True,
    )


def _round(amount: Decimal | None, currency: str | None) -> Decimal | None:
    return None if amount is None else round_money(amount, currency)
