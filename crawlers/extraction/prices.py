"""Money from text: ``1.234,56 €``, ``$1,234.56``, ``CHF 1'234.50``, ``12,-``, ``¥1,234``.

A thin layer over :class:`price_parser.Price` that normalizes what shops really print
(no-break and thin spaces, typographic apostrophes, full-width digits, ``,-`` endings),
settles the one truly ambiguous shape, a single separator followed by exactly three
digits, with the currency's conventions, and maps the symbol to an ISO 4217 code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from price_parser import Price

from crawlers.extraction.currency import THREE_DECIMAL, currency_code

MAX_PRICE_TEXT = 200
# A price this large is a part number or a phone number read as money.
MAX_AMOUNT = Decimal("100000000")

_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_APOSTROPHES = re.compile(r"(?<=\d)[\u2019\u02bc\u00b4`'](?=\d{3})")
_NUMBER = re.compile(r"\d[\d.,' ]*")
# "1.234" or "1,234": one separator, exactly three digits after it.
_AMBIGUOUS = re.compile(r"^(\d{1,3})([.,])(\d{3})$")
_PLAIN_DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")
_US_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


@dataclass(frozen=True)
class ParsedPrice:
    """An amount read from text, with its ISO currency when the text shows one."""

    amount: Decimal
    currency: str | None
    text: str


def normalize_price_text(text: str) -> str:
    """Text as price-parser reads it best: one plain space, ASCII digits and apostrophes."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACES.sub(" ", text).strip()
    text = _APOSTROPHES.sub("'", text)
    return text[:MAX_PRICE_TEXT]


def parse_price(
    text: str,
    *,
    currency_hint: str | None = None,
    decimal_separator: str | None = None,
) -> ParsedPrice | None:
    """The first price in ``text``, or None when it holds no number ("Call for price").

    ``currency_hint`` (an ISO code) names an ambiguous symbol (``$`` with ``CAD``) and is
    the currency when the text shows none; ``decimal_separator`` settles ``1.234`` and
    ``1,234``, which otherwise read as thousands.
    """
    parsed = read_price(text, currency_hint=currency_hint, decimal_separator=decimal_separator)
    if parsed is None or parsed.currency is not None or not currency_hint:
        return parsed
    return ParsedPrice(parsed.amount, currency_code(currency_hint), parsed.text)


def read_price(
    text: str,
    *,
    currency_hint: str | None = None,
    decimal_separator: str | None = None,
) -> ParsedPrice | None:
    """Like :func:`parse_price`, but the currency is only what the text itself shows."""
    if not isinstance(text, str):
        return None
    cleaned = normalize_price_text(text)
    if not any(ch.isdigit() for ch in cleaned):
        return None
    hint_code = currency_code(currency_hint) if currency_hint else None
    parsed = Price.fromstring(cleaned)
    if parsed.amount is None or parsed.amount_text is None:
        return None
    currency = currency_code(parsed.currency, hint_code) if parsed.currency else None
    amount = _settle_ambiguous(
        parsed.amount_text, parsed.amount, decimal_separator, currency or hint_code
    )
    if amount is None or amount < 0 or amount >= MAX_AMOUNT:
        return None
    return ParsedPrice(amount=amount, currency=currency, text=cleaned)


def _settle_ambiguous(
    amount_text: str, amount: Decimal, decimal_separator: str | None, currency: str | None
) -> Decimal | None:
    digits = amount_text.strip().replace(" ", "")
    match = _AMBIGUOUS.match(digits)
    if not match:
        return amount
    whole, separator, tail = match.groups()
    as_decimal = Decimal(f"{whole}.{tail}")
    as_thousands = Decimal(f"{whole}{tail}")
    if whole == "0":
        return as_decimal  # 0.125: nobody groups thousands of nothing
    if decimal_separator in {".", ","}:
        return as_decimal if separator == decimal_separator else as_thousands
    if currency in THREE_DECIMAL:
        return as_decimal
    return as_thousands


def to_decimal(value: object, *, currency_hint: str | None = None) -> Decimal | None:
    """A price value from structured data: a JSON number, ``"1234.56"``, ``"1,234.56"``,
    or a shop's own ``"1.234,56 €"``. Zero and negative amounts are not prices."""
    if isinstance(value, bool) or value is None:
        return None
    amount: Decimal | None
    if isinstance(value, int | float | Decimal):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return None
    elif isinstance(value, str):
        text = normalize_price_text(value)
        if _PLAIN_DECIMAL.match(text):
            amount = Decimal(text)
        elif _US_GROUPED.match(text):
            amount = Decimal(text.replace(",", ""))
        else:
            parsed = read_price(text, currency_hint=currency_hint)
            amount = parsed.amount if parsed else None
    else:
        return None
    if amount is None or not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT:
        return None
    return amount


def format_amount(amount: Decimal | None) -> str | None:
    """A decimal string without exponent: ``Decimal('1E+3')`` -> ``'1000'``."""
    if amount is None:
        return None
    text = format(amount, "f")
    return text


def count_numbers(text: str) -> int:
    """How many separate numbers a snippet holds (``$29 $19`` holds two)."""
    return len(_NUMBER.findall(normalize_price_text(text)))
