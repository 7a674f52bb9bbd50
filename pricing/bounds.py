"""What an input value may be: the range, precision and length every file row is held to.

The limits are checked in Python before anything is written, so SQLite and PostgreSQL
refuse the same values with the same message (SQLite would store a 100-character SKU
that PostgreSQL refuses, and both round a price of 0.00001 to 0.0000). Lengths come
from the columns of :mod:`pricing.storage.models`; precisions from their scale.

- Money (prices, costs, MAP): above 0, below ``MAX_MONEY``, at most 4 decimal places
  (the storage scale). ``unit_cost`` too must be above 0: a cost of 0 makes the margin
  floor 0, so the part could be priced at a cent.
- Sales units: 0 or more, below ``MAX_UNITS`` per period, at most 3 decimal places.
- Pack quantities: whole numbers from 1 to ``MAX_PACK_QTY``.
- ``min_margin``: in [0, 1), at most 4 decimal places.
- Text: no control characters (free text such as a description may hold tabs and line
  breaks), no longer than its column.
- Observation dates: at most ``FUTURE_SKEW`` after the import's ``--as-of`` (now by
  default); a later one would stay a listing's "latest" price until that date.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field
from sqlalchemy import String

from pricing.storage.models import Base
from pricing.utf8 import NotUtf8Error as NotUtf8Error
from pricing.utf8 import decode_utf8 as decode_utf8

MAX_MONEY = Decimal("100000000")  # exclusive; storage allows 10^14, but price x units must fit
MONEY_PLACES = 4  # Numeric(18, 4)
MAX_UNITS = Decimal("1000000")  # exclusive, per SKU and period
UNITS_PLACES = 3  # Numeric(14, 3)
MAX_PACK_QTY = 100_000
MARGIN_PLACES = 4  # Numeric(6, 4)
MAX_FREE_TEXT = 1000  # descriptions and titles (Text columns)
FUTURE_SKEW = dt.timedelta(hours=1)

CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
FREE_TEXT_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # but tab, LF, CR


def column_length(table: str, column: str) -> int:
    """The length of a ``String`` column of the schema (the one place it is written)."""
    col_type = Base.metadata.tables[table].c[column].type
    assert isinstance(col_type, String) and col_type.length is not None, (table, column)
    return col_type.length


def blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _no_controls(free: bool) -> AfterValidator:
    """Refuse control characters (Unicode category Cc); free text keeps tab and breaks."""
    pattern = FREE_TEXT_CONTROL_RE if free else CONTROL_RE

    def check(value: str) -> str:
        found = pattern.search(value)
        if found is not None:
            raise ValueError(
                f"control character U+{ord(found.group()):04X} at character "
                f"{found.start() + 1} is not allowed"
            )
        return value

    return AfterValidator(check)


Blank = BeforeValidator(blank_to_none)  # a blank cell is None (a required one: missing)
NoCtl = _no_controls(free=False)
FreeCtl = _no_controls(free=True)  # tabs and line breaks allowed (descriptions, titles)


def length(table: str, column: str) -> Any:
    """Field limits for a text cell stored in ``table.column``: 1 to its length."""
    return Field(min_length=1, max_length=column_length(table, column))


FreeText = Annotated[str, Field(min_length=1, max_length=MAX_FREE_TEXT), Blank, FreeCtl]


def _places(places: int) -> AfterValidator:
    """At most ``places`` decimal places, trailing zeros aside: what the column keeps
    (pydantic's own ``decimal_places`` check is a third of the time of an import)."""
    quantum = Decimal(1).scaleb(-places)

    def check(value: Decimal) -> Decimal:
        if value != value.quantize(quantum):
            raise ValueError(f"more than {places} decimal places (storage would round it)")
        return value

    return AfterValidator(check)


def _money_field() -> Any:
    return Field(gt=0, lt=int(MAX_MONEY), allow_inf_nan=False)


Money = Annotated[Decimal, Blank, _money_field(), _places(MONEY_PLACES)]
OptMoney = Annotated[Annotated[Decimal, _money_field(), _places(MONEY_PLACES)] | None, Blank]
Units = Annotated[
    Decimal,
    Blank,
    Field(ge=0, lt=int(MAX_UNITS), allow_inf_nan=False),
    _places(UNITS_PLACES),
]
Margin = Annotated[
    Annotated[Decimal, Field(ge=0, lt=1, allow_inf_nan=False), _places(MARGIN_PLACES)] | None,
    Blank,
]
PackQty = Annotated[
    int, BeforeValidator(lambda v: blank_to_none(v) or 1), Field(ge=1, le=MAX_PACK_QTY)
]


def money_problem(name: str, value: Decimal | None, *, required: bool = True) -> str | None:
    """Why a stored amount is outside the bounds above (data written before they were
    enforced), or None: the optimizer's pipeline skips such a part rather than fail."""
    if value is None:
        return f"{name} is missing" if required else None
    if not value.is_finite() or value <= 0:
        return f"{name} {value} is not positive"
    if value >= MAX_MONEY:
        return f"{name} {value} is not below {MAX_MONEY}"
    return None
