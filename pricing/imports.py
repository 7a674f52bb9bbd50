"""CSV imports: catalog, cross-references, sales history and competitor observations.

Each file is UTF-8 with a header row; extra columns are ignored. Every row is checked
before anything is written, against the bounds of :mod:`pricing.bounds` (the same on
SQLite and PostgreSQL): a bad row is reported as ``FILE: line N: column: reason``, line
numbers being the file's physical lines (a quoted cell may span several). A key that
appears on two lines of one file (catalog ``sku``; cross-reference brand, part number
and SKU; sales ``sku, date``; observation ``competitor, url, observed_at``) is bad on
both lines. The file is imported all-or-nothing unless the caller asks to skip bad
rows; then every row of a duplicated key is skipped, since neither can be trusted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pricing.bounds import (
    FUTURE_SKEW,
    Blank,
    FreeText,
    Margin,
    Money,
    NoCtl,
    NotUtf8Error,
    OptMoney,
    PackQty,
    Units,
    blank_to_none,
    column_length,
    decode_utf8,
    length,
)
from pricing.errors import InputFileError
from pricing.matching.normalize import normalize_brand, normalize_gtin, normalize_part_number
from pricing.observations import ObservationIn, store_observations
from pricing.storage import Database
from pricing.storage.bulk import upsert
from pricing.storage.models import CrossReference, OurPrice, Part, SalesRecord, utcnow

_Row = TypeVar("_Row", bound=BaseModel)
_T = TypeVar("_T")
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


@dataclass
class ImportResult:
    file: str
    imported: int
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _reason(exc: ValidationError) -> str:
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


def _parse(path: Path, model: type[_Row]) -> tuple[list[tuple[int, _Row]], list[tuple[int, str]]]:
    """Every row that validates and every one that does not, with its first line."""
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    reader = csv.reader(io.StringIO(_decode(path), newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputFileError(path, [(1, "empty file: no header row")], 0) from None
    except csv.Error as exc:
        raise InputFileError(path, [(1, f"unreadable header: {exc}")], 0) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputFileError(path, [(1, f"missing required columns: {', '.join(missing)}")], 0)
    twice = sorted({h for h in header if h in model.model_fields and header.count(h) > 1})
    if twice:
        raise InputFileError(path, [(1, f"{twice[0]}: column appears twice in the header")], 0)
    good: list[tuple[int, _Row]] = []
    bad: list[tuple[int, str]] = []
    for line, cells in _numbered(reader, path):
        try:
            good.append((line, model.model_validate(dict(zip(header, cells, strict=False)))))
        except ValidationError as exc:
            bad.append((line, _reason(exc)))
    return good, bad


def _decode(path: Path) -> str:
    """The file's text; a byte that is not UTF-8 stops it with its line and column."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, [(0, f"cannot read file: {exc.strerror}")], 0) from None
    try:
        return decode_utf8(data)
    except NotUtf8Error as exc:
        raise InputFileError(path, [(exc.line, str(exc))], 0) from None


def _numbered(reader: Any, path: Path) -> Iterator[tuple[int, list[str]]]:
    """Rows with the physical line they start on; blank lines are left out."""
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputFileError(path, [(line, f"unreadable CSV: {exc}")], 0) from None
        if any(c.strip() for c in cells):
            yield line, cells


def _finish(path: Path, bad: list[tuple[int, str]], total: int, skip_bad_rows: bool) -> None:
    """All-or-nothing: any bad row stops the file unless bad rows are skipped."""
    bad.sort()
    if bad and not skip_bad_rows:
        raise InputFileError(path, bad, total)


def _unique(
    rows: list[tuple[int, _T]],
    key: Callable[[_T], Hashable],
    columns: str,
    bad: list[tuple[int, str]],
) -> list[tuple[int, _T]]:
    """The rows whose key no other row of the file has; the others are bad, naming the
    lines they share the key with."""
    lines: dict[Hashable, list[int]] = defaultdict(list)
    for line, row in rows:
        lines[key(row)].append(line)
    good = []
    for line, row in rows:
        same = lines[key(row)]
        if len(same) == 1:
            good.append((line, row))
            continue
        others = ", ".join(str(n) for n in same if n != line)
        bad.append((line, f"{columns}: duplicate key, also on line {others}"))
    return good


def _known_skus(session: Session) -> set[str]:
    return set(session.scalars(select(Part.sku)))


def _check_skus(
    rows: list[tuple[int, _Row]],
    known: set[str],
    bad: list[tuple[int, str]],
    column: str,
) -> list[tuple[int, _Row]]:
    good = []
    for line, row in rows:
        sku = getattr(row, column)
        if sku is not None and sku not in known:
            bad.append((line, f"{column}: unknown sku {sku!r} (import the catalog first)"))
        else:
            good.append((line, row))
    return good


def import_catalog(
    db: Database, path: Path, *, skip_bad_rows: bool = False, as_of: dt.datetime | None = None
) -> ImportResult:
    """Parts from a file; a changed price enters our price history at ``as_of`` (default now)."""
    rows, bad = _parse(path, CatalogRow)
    total = len(rows) + len(bad)
    rows = _unique(rows, lambda r: r.sku, "sku", bad)
    now = as_of or utcnow()
    with db.session() as session:
        known = _known_skus(session) | {r.sku for _, r in rows}
        rows = _check_skus(rows, known, bad, "superseded_by")
        _finish(path, bad, total, skip_bad_rows)
        latest = _latest_our_prices(session)
        parts = [
            {
                **row.model_dump(),
                "part_number_norm": normalize_part_number(row.part_number),
                "gtin": normalize_gtin(row.gtin) or row.gtin,
                "updated_at": now,
            }
            for _, row in rows
        ]
        columns = [c for c in parts[0] if c != "sku"] if parts else []
        upsert(session, Part, parts, keys=["sku"], update=columns)
        changed = [
            {
                "sku": r.sku,
                "effective_at": now,
                "price": r.price,
                "currency": r.currency,
                "source": "catalog",
            }
            for _, r in rows
            if latest.get(r.sku) != r.price
        ]
        upsert(session, OurPrice, changed, keys=["sku", "effective_at"], update=["price"])
    return ImportResult(str(path), len(rows), bad)


def _latest_our_prices(session: Session) -> dict[str, Decimal]:
    newest = (
        select(OurPrice.sku, func.max(OurPrice.effective_at).label("at"))
        .group_by(OurPrice.sku)
        .subquery()
    )
    stmt = select(OurPrice.sku, OurPrice.price).join(
        newest, (OurPrice.sku == newest.c.sku) & (OurPrice.effective_at == newest.c.at)
    )
    return {sku: price for sku, price in session.execute(stmt)}


def _xref_key(row: XrefRow) -> tuple[str, str, str]:
    """The stored key: rows equal on it would be merged into one cross-reference."""
    return (
        normalize_brand(row.competitor_brand),
        normalize_part_number(row.competitor_part_number),
        row.sku,
    )


def import_xrefs(db: Database, path: Path, *, skip_bad_rows: bool = False) -> ImportResult:
    rows, bad = _parse(path, XrefRow)
    total = len(rows) + len(bad)
    rows = _unique(rows, _xref_key, "competitor_brand, competitor_part_number, sku", bad)
    with db.session() as session:
        rows = _check_skus(rows, _known_skus(session), bad, "sku")
        _finish(path, bad, total, skip_bad_rows)
        values = [
            {
                **r.model_dump(),
                "brand_norm": _xref_key(r)[0],
                "part_number_norm": _xref_key(r)[1],
            }
            for _, r in rows
        ]
        upsert(
            session,
            CrossReference,
            values,
            keys=["brand_norm", "part_number_norm", "sku"],
            update=["competitor_brand", "competitor_part_number", "relation"],
        )
    return ImportResult(str(path), len(rows), bad)


def import_sales(db: Database, path: Path, *, skip_bad_rows: bool = False) -> ImportResult:
    rows, bad = _parse(path, SalesRow)
    total = len(rows) + len(bad)
    rows = _unique(rows, lambda r: (r.sku, r.date), "sku, date", bad)
    with db.session() as session:
        rows = _check_skus(rows, _known_skus(session), bad, "sku")
        _finish(path, bad, total, skip_bad_rows)
        values = (
            {"sku": r.sku, "period_start": r.date, "units": r.units, "unit_price": r.unit_price}
            for _, r in rows
        )
        upsert(
            session,
            SalesRecord,
            values,
            keys=["sku", "period_start"],
            update=["units", "unit_price"],
        )
    return ImportResult(str(path), len(rows), bad)


def import_observations(
    db: Database,
    path: Path,
    *,
    skip_bad_rows: bool = False,
    as_of: dt.datetime | None = None,
) -> ImportResult:
    """Competitor prices from a file; rows without ``observed_at`` are stamped ``as_of``
    (default now), and rows observed more than ``FUTURE_SKEW`` after it are refused."""
    as_of = as_of or utcnow()
    rows, bad = _parse(path, ObservationRow)
    total = len(rows) + len(bad)
    latest = as_of + FUTURE_SKEW
    dated = []
    for line, r in rows:
        at = _as_utc(r.observed_at) if r.observed_at else as_of
        if at > latest:
            bad.append(
                (
                    line,
                    f"observed_at: {at.isoformat()} is in the future (more than "
                    f"{_span(FUTURE_SKEW)} after {as_of.isoformat(timespec='seconds')})",
                )
            )
        else:
            dated.append((line, (r, at)))
    dated = _unique(
        dated, lambda ra: (ra[0].competitor, ra[0].url, ra[1]), "competitor, url, observed_at", bad
    )
    _finish(path, bad, total, skip_bad_rows)
    observations = [
        ObservationIn(
            competitor=r.competitor,
            url=r.url,
            title=r.title,
            observed_at=at,
            price=r.price,
            currency=r.currency,
            brand=r.brand,
            part_number=r.part_number,
            gtin=r.gtin,
            pack_qty=r.pack_qty,
            availability=r.availability,
            price_text=str(r.price),
            method="import",
        )
        for _, (r, at) in dated
    ]
    with db.session() as session:
        store_observations(session, observations, source="import")
    return ImportResult(str(path), len(observations), bad)


def _span(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
