"""Spreadsheet safety: scraped or typed text must never become a formula.

A cell whose text starts with ``= + - @`` (or a tab or carriage return, which some
programs strip first) is read as a formula by Excel, LibreOffice and Sheets. Such
text gets a leading apostrophe, the OWASP-recommended neutralization. Numbers are
written as numbers and left alone.

The ERP price list is not such a file: it is read by a program that must find each SKU
and part number exactly as stored, so it is written with :func:`exact_csv_value`.
"""

from __future__ import annotations

from decimal import Decimal

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def exact_csv_value(value: object) -> object:
    """A value for ``csv.writer`` exactly as stored: Decimals in plain notation, None
    empty, text untouched (for files a program reads, never a spreadsheet)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if value is None:
        return ""
    return value


def csv_value(value: object) -> object:
    """A value for ``csv.writer`` in a file people open: :func:`exact_csv_value` with
    text neutralized (a number, negative ones included, stays a number)."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return exact_csv_value(value)
    return neutralize(exact_csv_value(value))
