"""Spreadsheet safety: scraped or typed text must never become a formula.

A cell whose text starts with ``= + - @`` (or a tab or carriage return, which some
programs strip first) is read as a formula by Excel, LibreOffice and Sheets. Such
text gets a leading apostrophe, the OWASP-recommended neutralization. Numbers are
written as numbers and left alone.
"""

from __future__ import annotations

from decimal import Decimal

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_value(value: object) -> object:
    """A value for ``csv.writer``: text neutralized, Decimals in plain notation."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if value is None:
        return ""
    return neutralize(value)
