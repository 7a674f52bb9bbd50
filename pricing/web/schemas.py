"""The JSON API's request and response shapes, as FastAPI puts them in the OpenAPI
schema. Money, ratios and indexes are decimal strings, never floats; times ISO 8601."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, TypeAdapter, ValidationError

# a decimal string in JSON ("12.5000"): money, ratios and indexes are never floats
Dec = Annotated[Decimal, Field(json_schema_extra={"format": "decimal"})]
ReviewStatus = Literal["pending", "approved", "rejected", "overridden"]
# an override price: whole cents, above zero, within what the Money column stores
OverridePrice = Annotated[
    Decimal,
    Field(
        ge=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        json_schema_extra={"format": "decimal"},
        description="whole cents, 0.01 to 9999999999.99",
    ),
]
# text from a client: bounded, and without control characters (PostgreSQL refuses NUL)
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Sku = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_CONTROL)]
Name = Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)]
Note = Annotated[str, StringConstraints(max_length=2000, pattern=NO_CONTROL)]
_override_price = TypeAdapter(OverridePrice)
_note = TypeAdapter(Note)


class FormInputError(ValueError):
    """A form field a person typed is out of range; the message says which and why."""


def parse_override_price(text: str | None) -> Decimal:
    """An override price typed into a form, checked as the API checks ``price``."""
    try:
        return _override_price.validate_python((text or "").strip())
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise FormInputError(f"override price {(text or '')[:40]!r}: {reason}") from None


def parse_note(text: str | None) -> str | None:
    """A reason typed into a form (at most 2000 characters, no control characters)."""
    try:
        return _note.validate_python(text) if text else None
    except ValidationError as exc:
        raise FormInputError(f"reason: {exc.errors()[0]['msg']}") from None


class Run(BaseModel):
    id: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    base_currency: str
    summary: dict[str, Any]


class Figures(BaseModel):
    skus: int
    changed: int
    increases: int
    decreases: int
    profit_before: Dec
    profit_after: Dec
    profit_change: Dec
    margin_before: Dec | None
    margin_after: Dec | None
    competitive: int
    covered: int = Field(description="competitive SKUs with a fresh competitor price")
    floor_bound: int = Field(description="SKUs that cannot compete at their floor")


class Decision(BaseModel):
    """One entry of a run's audit trail: a review decision or an ERP export."""

    at: dt.datetime
    by: str
    action: Literal["approve", "reject", "override", "export"]
    count: int
    price: Dec | None = Field(description="the override price")
    why: str | None
    skus: str = Field(description="the SKUs decided, space-separated; for an export, its file")


class RunDetail(Run):
    figures: Figures
    flags: list[str]
    decisions: list[Decision] = Field(description="the audit trail, oldest first")


class SuggestionOut(BaseModel):
    sku: str
    description: str
    category: str
    proprietary: bool
    current_price: Dec
    suggested_price: Dec
    change_pct: Dec
    unit_cost: Dec
    margin_before: Dec
    margin_after: Dec
    competitor_reference: Dec | None
    competitor_count: int
    elasticity: float
    elasticity_se: float | None = Field(description="standard error; null for a bare prior")
    elasticity_source: str = Field(description="estimated | pooled | prior")
    expected_profit_before: Dec
    expected_profit_after: Dec
    binding_constraint: str | None
    reason_codes: list[str]
    explanation: str
    review_status: ReviewStatus
    approved_price: Dec | None
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_note: str | None


class HistoryPoint(BaseModel):
    sku: str
    competitor: str = Field(description="'ours' for our own price")
    observed_at: dt.datetime
    price: Dec
    currency: str | None
    unit_price: Dec
    pack_qty: int
    url: str | None
    title: str | None


class MatchOut(BaseModel):
    id: int
    listing_id: int
    competitor: str
    url: str
    title: str
    competitor_part_number: str | None
    sku: str | None
    method: str
    confidence: float
    status: str
    decided_by: str | None
    decided_at: dt.datetime | None
    relation: str | None = Field(
        default=None, description="same (our part resold), alternative, kit; None: no SKU"
    )
    evidence: str | None = Field(default=None, description="the fact the match rests on")
    note: str | None = None
    probability: float | None = Field(
        default=None, description="learned probability a person would confirm it"
    )


class SkuPositionOut(BaseModel):
    sku: str
    description: str
    proprietary: bool
    price: Dec
    currency: str
    pack_qty: int
    competitors: int
    reference: Dec | None = Field(description="competitor reference for our pack")
    index: Dec | None = Field(description="our price / reference")
    position: Literal["above", "at", "below", "none"]


class CategoryPositionOut(BaseModel):
    category: str
    skus: int
    compared: int = Field(description="SKUs with a fresh competitor reference")
    above: int
    at: int
    below: int
    without_reference: int
    median_index: Dec | None
    min_index: Dec | None
    max_index: Dec | None


class CategoryDetail(CategoryPositionOut):
    items: list[SkuPositionOut]


class CompetitorMovesOut(BaseModel):
    competitor: str
    listings: int = Field(description="matched listings priced in the period")
    moved: int = Field(description="listings whose price differs at the end from the start")
    skus_moved: int
    price_changes: int = Field(description="every change seen in the period, also undone ones")
    up: int
    down: int
    median_change: Dec | None = Field(description="of the listings that moved; 0.05 is +5%")
    mean_change: Dec | None
    net_change: Dec | None = Field(description="mean change over every listing")
    largest_change: Dec | None
    largest_sku: str | None


class ReviewIn(BaseModel):
    """One decision for the SKUs named, or for every suggestion that passes the filter."""

    action: Literal["approve", "reject", "override"]
    skus: list[Sku] = Field(
        default_factory=list, max_length=100_000, description="select these SKUs"
    )
    category: Name | None = None
    reason: Name | None = Field(None, description="select by reason code")
    status: Literal["pending", "approved", "rejected", "overridden", "any"] | None = Field(
        None, description="default: pending, or any when SKUs are named"
    )
    only_changes: bool = False
    price: OverridePrice | None = Field(None, description="the price, for an override")
    why: Note | None = Field(None, description="required for an override")


class LeftOutOut(BaseModel):
    sku: str
    reason: str = Field(description="why the re-check at export time refused the price")


class ExportOut(BaseModel):
    """A run's export to the ERP, as JSON (``Accept: application/json``)."""

    run_id: int
    file: str = Field(description="the price list's file name")
    rows: int = Field(description="prices in the file")
    left_out: list[LeftOutOut] = Field(description="approved prices not exported, and why")
    already_exported: bool = Field(description="the run had been exported before: the "
                                   "same file, nothing new written")
    exported_at: dt.datetime
    exported_by: str
    content: str = Field(description="the CSV file")


class ReviewOut(BaseModel):
    run_id: int
    action: str
    count: int
    skus: list[str]
    reviewed_by: str
