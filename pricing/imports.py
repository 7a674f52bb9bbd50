"""CSV imports: catalog, cross-references, sales history and competitor observations.

Each file is UTF-8 with a header row; extra columns are ignored. Every row is checked
before anything is written: a bad row is reported with its line number and reason,
and the file is imported all-or-nothing unless the caller asks to skip bad rows.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pricing.errors import InputFileError
from pricing.matching.normalize import normalize_brand, normalize_gtin, normalize_part_number
from pricing.observations import ObservationIn, store_observations
from pricing.storage import Database
from pricing.storage.bulk import upsert
from pricing.storage.models import CrossReference, OurPrice, Part, SalesRecord, utcnow

_Row = TypeVar("_Row", bound=BaseModel)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _upper(value: Any) -> Any:
    value = _blank_to_none(value)
    return value.upper() if isinstance(value, str) else value


Opt = BeforeValidator(_blank_to_none)
Text = Annotated[str, BeforeValidator(_blank_to_none), Field(min_length=1, max_length=1000)]
OptText = Annotated[Annotated[str, Field(max_length=1000)] | None, Opt]
Currency = Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{3}$")]
PositiveMoney = Annotated[Decimal, BeforeValidator(_blank_to_none), Field(gt=0, max_digits=14)]
OptMoney = Annotated[Annotated[Decimal, Field(gt=0, max_digits=14)] | None, Opt]
Qty = Annotated[int, BeforeValidator(lambda v: _blank_to_none(v) or 1), Field(ge=1, le=100000)]


class _CsvRow(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class CatalogRow(_CsvRow):
    sku: Text
    part_number: Text
    description: Text
    brand: Text
    category: Text
    family: Text
    unit_cost: Annotated[Decimal, BeforeValidator(_blank_to_none), Field(ge=0, max_digits=14)]
    price: PositiveMoney
    currency: Currency
    pack_qty: Qty
    proprietary: bool
    gtin: OptText = None
    map_price: OptMoney = None
    list_price: OptMoney = None
    min_margin: Annotated[Annotated[Decimal, Field(ge=0, lt=1)] | None, Opt] = None
    superseded_by: OptText = None
    tier: OptText = None


class XrefRow(_CsvRow):
    competitor_brand: Text
    competitor_part_number: Text
    sku: Text
    relation: Annotated[
        Literal["equivalent", "superseded", "kit"],
        BeforeValidator(lambda v: (_blank_to_none(v) or "equivalent").lower()),
    ] = "equivalent"


class SalesRow(_CsvRow):
    sku: Text
    date: dt.date
    units: Annotated[Decimal, BeforeValidator(_blank_to_none), Field(ge=0)]
    unit_price: PositiveMoney


class ObservationRow(_CsvRow):
    competitor: Text
    url: Text
    title: Text
    price: PositiveMoney
    currency: Currency
    brand: OptText = None
    part_number: OptText = None
    gtin: OptText = None
    pack_qty: Qty = 1
    availability: OptText = None
    observed_at: Annotated[dt.datetime | None, Opt] = None


@dataclass
class ImportResult:
    file: str
    imported: int
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _reason(exc: ValidationError) -> str:
    err = exc.errors()[0]
    column = ".".join(str(p) for p in err["loc"]) or "row"
    value = err.get("input")
    shown = f" (got {str(value)[:40]!r})" if isinstance(value, str | int | float) else ""
    return f"column {column}: {err['msg']}{shown}"


def read_rows(
    path: Path, model: type[_Row], *, skip_bad_rows: bool = False
) -> tuple[list[tuple[int, _Row]], list[tuple[int, str]]]:
    """Parse and validate every row; raise InputFileError unless skipping bad rows."""
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    good: list[tuple[int, _Row]] = []
    bad: list[tuple[int, str]] = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputFileError(path, [(0, f"cannot read file: {exc.strerror}")], 0) from None
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = [h.strip() for h in (reader.fieldnames or [])]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputFileError(path, [(1, f"unreadable header: {exc}")], 0) from None
        missing = [c for c in required if c not in header]
        if missing:
            raise InputFileError(path, [(1, f"missing required columns: {', '.join(missing)}")], 0)
        reader.fieldnames = header
        for line, raw in _numbered(reader, path, bad):
            try:
                good.append((line, model.model_validate(raw)))
            except ValidationError as exc:
                bad.append((line, _reason(exc)))
    if bad and not skip_bad_rows:
        raise InputFileError(path, bad, len(good) + len(bad))
    return good, bad


def _numbered(
    reader: csv.DictReader[str], path: Path, bad: list[tuple[int, str]]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows with the line they start on; undecodable bytes stop the file with its line."""
    line = reader.line_num + 1
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputFileError(path, [(line, f"unreadable: {exc}")], 0) from None
        if None in raw:  # more cells than header columns: keep them out of the model
            raw.pop(None)
        yield line, raw
        line = reader.line_num + 1


def _known_skus(session: Session) -> set[str]:
    return set(session.scalars(select(Part.sku)))


def _check_skus(
    rows: list[tuple[int, _Row]],
    known: set[str],
    path: Path,
    skip_bad_rows: bool,
    bad: list[tuple[int, str]],
    get: Callable[[_Row], str | None],
) -> list[tuple[int, _Row]]:
    good = []
    for line, row in rows:
        sku = get(row)
        if sku is not None and sku not in known:
            bad.append((line, f"unknown sku {sku!r} (import the catalog first)"))
        else:
            good.append((line, row))
    if bad and not skip_bad_rows:
        raise InputFileError(path, sorted(bad), len(rows))
    return good


def import_catalog(db: Database, path: Path, *, skip_bad_rows: bool = False) -> ImportResult:
    rows, bad = read_rows(path, CatalogRow, skip_bad_rows=skip_bad_rows)
    now = utcnow()
    with db.session() as session:
        known = _known_skus(session) | {r.sku for _, r in rows}
        rows = _check_skus(rows, known, path, skip_bad_rows, bad, lambda r: r.superseded_by)
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


def import_xrefs(db: Database, path: Path, *, skip_bad_rows: bool = False) -> ImportResult:
    rows, bad = read_rows(path, XrefRow, skip_bad_rows=skip_bad_rows)
    with db.session() as session:
        rows = _check_skus(rows, _known_skus(session), path, skip_bad_rows, bad, lambda r: r.sku)
        values = {
            (
                normalize_brand(r.competitor_brand),
                normalize_part_number(r.competitor_part_number),
                r.sku,
            ): {
                **r.model_dump(),
                "brand_norm": normalize_brand(r.competitor_brand),
                "part_number_norm": normalize_part_number(r.competitor_part_number),
            }
            for _, r in rows
        }
        upsert(
            session,
            CrossReference,
            values.values(),
            keys=["brand_norm", "part_number_norm", "sku"],
            update=["competitor_brand", "competitor_part_number", "relation"],
        )
    return ImportResult(str(path), len(rows), bad)


def import_sales(db: Database, path: Path, *, skip_bad_rows: bool = False) -> ImportResult:
    rows, bad = read_rows(path, SalesRow, skip_bad_rows=skip_bad_rows)
    with db.session() as session:
        rows = _check_skus(rows, _known_skus(session), path, skip_bad_rows, bad, lambda r: r.sku)
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


def import_observations(db: Database, path: Path, *, skip_bad_rows: bool = False) -> ImportResult:
    """Competitor prices from a file; rows without ``observed_at`` are stamped now."""
    rows, bad = read_rows(path, ObservationRow, skip_bad_rows=skip_bad_rows)
    now = utcnow()
    observations = [
        ObservationIn(
            competitor=r.competitor,
            url=r.url,
            title=r.title,
            observed_at=_as_utc(r.observed_at) if r.observed_at else now,
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
        for _, r in rows
    ]
    with db.session() as session:
        store_observations(session, observations, source="import")
    return ImportResult(str(path), len(rows), bad)


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
