"""The rows of the input files: one pydantic model per file, the one definition of a
valid row and of each error message, and for the files that get large (catalog, sales,
observations) the fast cells :mod:`pricing.imports.reader` uses to take a plain row
without the model (they accept a narrower form of each cell, with the same value).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from pricing.bounds import (
    MARGIN_PLACES,
    MAX_MONEY,
    MAX_PACK_QTY,
    MAX_UNITS,
    MONEY_PLACES,
    UNITS_PLACES,
    Blank,
    FreeText,
    Margin,
    Money,
    NoCtl,
    OptMoney,
    PackQty,
    Units,
    blank_to_none,
    column_length,
    length,
)
from pricing.imports import reader
from pricing.matching.normalize import normalize_brand, normalize_gtin, normalize_part_number

_GTIN_TEXT = 32  # a valid GTIN written with separators; stored as its 14 digits
_GTIN_COLUMN = column_length("parts", "gtin")


def _upper(value: Any) -> Any:
    value = blank_to_none(value)
    return value.upper() if isinstance(value, str) else value


Currency = Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{3}$")]


def _fits_normalized(column: tuple[str, str], normalize: Callable[[str], str]) -> Any:
    """A cell whose normalized form is stored too must fit that column as well."""
    limit = column_length(*column)

    def check(value: str | None) -> str | None:
        if value is not None and len(normalize(value)) > limit:
            raise ValueError(f"normalized it is longer than {limit} characters")
        return value

    return check


class _CsvRow(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class CatalogRow(_CsvRow):
    sku: Annotated[str, length("parts", "sku"), Blank, NoCtl]
    part_number: Annotated[str, length("parts", "part_number"), Blank, NoCtl]
    description: FreeText
    brand: Annotated[str, length("parts", "brand"), Blank, NoCtl]
    category: Annotated[str, length("parts", "category"), Blank, NoCtl]
    family: Annotated[str, length("parts", "family"), Blank, NoCtl]
    unit_cost: Money
    price: Money
    currency: Currency
    pack_qty: PackQty
    proprietary: bool
    gtin: Annotated[Annotated[str, Field(max_length=_GTIN_TEXT), NoCtl] | None, Blank] = None
    map_price: OptMoney = None
    list_price: OptMoney = None
    min_margin: Margin = None
    superseded_by: Annotated[
        Annotated[str, length("parts", "superseded_by"), NoCtl] | None, Blank
    ] = None
    tier: Annotated[Annotated[str, length("parts", "tier"), NoCtl] | None, Blank] = None
    ladder_group: Annotated[
        Annotated[str, length("parts", "ladder_group"), NoCtl] | None, Blank
    ] = None

    _part_number_norm = field_validator("part_number")(
        _fits_normalized(("parts", "part_number_norm"), normalize_part_number)
    )

    @field_validator("gtin")
    @classmethod
    def _gtin_fits(cls, value: str | None) -> str | None:
        limit = _GTIN_COLUMN
        if value is not None and len(value) > limit and normalize_gtin(value) is None:
            raise ValueError(f"not a valid GTIN, and longer than {limit} characters")
        return value


class XrefRow(_CsvRow):
    competitor_brand: Annotated[str, length("cross_references", "competitor_brand"), Blank, NoCtl]
    competitor_part_number: Annotated[
        str, length("cross_references", "competitor_part_number"), Blank, NoCtl
    ]
    sku: Annotated[str, length("cross_references", "sku"), Blank, NoCtl]
    relation: Annotated[
        Literal["equivalent", "superseded", "kit"],
        BeforeValidator(lambda v: (blank_to_none(v) or "equivalent").lower()),
    ] = "equivalent"

    _brand_norm = field_validator("competitor_brand")(
        _fits_normalized(("cross_references", "brand_norm"), normalize_brand)
    )
    _part_number_norm = field_validator("competitor_part_number")(
        _fits_normalized(("cross_references", "part_number_norm"), normalize_part_number)
    )


class SalesRow(_CsvRow):
    sku: Annotated[str, length("sales_history", "sku"), Blank, NoCtl]
    date: Annotated[dt.date, Blank]
    units: Units
    unit_price: Money


class ObservationRow(_CsvRow):
    competitor: Annotated[str, length("listings", "competitor"), Blank, NoCtl]
    url: Annotated[str, length("listings", "url"), Blank, NoCtl]
    title: FreeText
    price: Money
    currency: Currency
    brand: Annotated[Annotated[str, length("listings", "brand"), NoCtl] | None, Blank] = None
    part_number: Annotated[
        Annotated[str, length("listings", "part_number"), NoCtl] | None, Blank
    ] = None
    gtin: Annotated[Annotated[str, length("listings", "gtin"), NoCtl] | None, Blank] = None
    pack_qty: PackQty = 1
    availability: Annotated[
        Annotated[str, length("price_observations", "availability"), NoCtl] | None, Blank
    ] = None
    observed_at: Annotated[dt.datetime | None, Blank] = None


def reason(exc: ValidationError) -> str:
    """``column: reason (got 'value')`` for the first error of a row."""
    err = exc.errors()[0]
    column = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-")) or "row"
    msg = err["msg"]
    if err["type"] == "value_error":
        msg = str(err.get("ctx", {}).get("error", msg))
    elif err["type"] == "missing":
        msg = "missing (the row has fewer cells than the header)"
    elif err.get("input") is None and err["type"].endswith("_type"):
        msg = "required, but the cell is blank"
    value = err.get("input")
    shown = f" (got {str(value)[:40]!r})" if isinstance(value, str | int | float) else ""
    return f"{column}: {msg}{shown}"




# --- fast columns --------------------------------------------------------------------


def _digits(limit: object) -> int:
    """Integer digits of a value below ``limit``, a power of ten (10**8: 8)."""
    text = str(limit)
    assert text.strip("0") == "1", limit
    return len(text) - 1


_MONEY = reader.decimal(_digits(MAX_MONEY), MONEY_PLACES, positive=True)


def _text(table: str, column: str, *, required: bool = True) -> reader.FastColumn:
    return reader.text(column_length(table, column), required=required)


def _normalized_fits(cells: reader.FastColumn, column: tuple[str, str],
                     normalize: Callable[[str], str]) -> reader.FastColumn:
    limit = column_length(*column)

    def check(raw: Sequence[str]) -> list[Any]:
        values = cells(raw)
        if max(len(normalize(v)) for v in values) > limit:
            raise ValueError("the model says why")
        return values

    return check


_MARGIN = reader.decimal(0, MARGIN_PLACES, positive=False, optional=True)
_OPT_MONEY = reader.decimal(_digits(MAX_MONEY), MONEY_PLACES, positive=True, optional=True)

SALES_FAST: dict[str, reader.FastColumn] = {
    "sku": _text("sales_history", "sku"),
    "date": reader.iso_date,
    "units": reader.decimal(_digits(MAX_UNITS), UNITS_PLACES, positive=False),
    "unit_price": _MONEY,
}
OBSERVATION_FAST: dict[str, reader.FastColumn] = {
    "competitor": _text("listings", "competitor"),
    "url": _text("listings", "url"),
    "title": reader.free_text(),
    "price": _MONEY,
    "currency": reader.currency,
    "brand": _text("listings", "brand", required=False),
    "part_number": _text("listings", "part_number", required=False),
    "gtin": _text("listings", "gtin", required=False),
    "pack_qty": reader.count(MAX_PACK_QTY),
    "availability": _text("price_observations", "availability", required=False),
    "observed_at": reader.opt_iso_datetime,
}
CATALOG_FAST: dict[str, reader.FastColumn] = {
    "sku": _text("parts", "sku"),
    "part_number": _normalized_fits(
        _text("parts", "part_number"), ("parts", "part_number_norm"), normalize_part_number
    ),
    "description": reader.free_text(),
    "brand": _text("parts", "brand"),
    "category": _text("parts", "category"),
    "family": _text("parts", "family"),
    "unit_cost": _MONEY,
    "price": _MONEY,
    "currency": reader.currency,
    "pack_qty": reader.count(MAX_PACK_QTY),
    "proprietary": reader.boolean,
    "gtin": _text("parts", "gtin", required=False),  # a longer one: the model checks it
    "map_price": _OPT_MONEY,
    "list_price": _OPT_MONEY,
    "min_margin": _MARGIN,
    "superseded_by": _text("parts", "superseded_by", required=False),
    "tier": _text("parts", "tier", required=False),
    "ladder_group": _text("parts", "ladder_group", required=False),
}
