"""Small shared helpers: seeded random streams, money rounding, GTIN check digits, slugs.

Every random choice in the demo market comes from :func:`rng`, keyed by the seed and
a purpose, so adding a new random draw in one place never shifts the numbers drawn
anywhere else (and the same seed always yields the same bytes).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

DEFAULT_SEED = 20261123
CENT = Decimal("0.01")


def rng(seed: int, *keys: object) -> random.Random:
    """An independent, reproducible stream for one purpose (string seeds hash with SHA-512)."""
    return random.Random(":".join([str(seed), *map(str, keys)]))


def money(value: float | Decimal) -> Decimal:
    """Round to the cent, half up, as a shop would."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def anchor_date(seed: int) -> dt.date:
    """The demo world's "today": the seed read as YYYYMMDD when it is a date, else a
    date derived from it; always a Monday, so weekly sales periods end the day before."""
    try:
        day = dt.date(seed // 10000, seed // 100 % 100, seed % 100)
    except ValueError:
        day = dt.date(2026, 1, 5) + dt.timedelta(days=seed % 700)
    return day - dt.timedelta(days=day.weekday())


def gtin13(body12: str) -> str:
    """Append the GS1 mod-10 check digit to 12 digits."""
    if len(body12) != 12 or not body12.isdigit():
        raise ValueError(f"a GTIN-13 body is 12 digits, got {body12!r}")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def gtin_is_valid(code: str) -> bool:
    return len(code) == 13 and code.isdigit() and gtin13(code[:12]) == code


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def normalize_part_number(text: str) -> str:
    """How a part number compares: case and punctuation do not count."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())
