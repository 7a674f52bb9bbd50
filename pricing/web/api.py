"""The JSON API under ``/api``, described by FastAPI's OpenAPI schema (``/openapi.json``).

Reading follows :func:`~pricing.web.deps.require_reader`; the one write, review
decisions, needs ``Authorization: Bearer TOKEN``. Money and indexes are decimal
strings (``"12.50"``), never floats; times are ISO 8601 in UTC.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from pricing.errors import NotFoundError
from pricing.history import sku_history
from pricing.reports.nightly import load_report
from pricing.storage.models import SuggestionRun
from pricing.web import actions
from pricing.web.deps import Principal, State, require_reader, require_token
from pricing.web.market import CategoryPosition, SkuPosition, market_position

# a decimal string in JSON ("12.5000"): money, ratios and indexes are never floats
Dec = Annotated[Decimal, Field(json_schema_extra={"format": "decimal"})]
ReviewStatus = Literal["pending", "approved", "rejected", "overridden"]


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


class RunDetail(Run):
    figures: Figures
    flags: list[str]


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
    elasticity_source: str
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


class ReviewIn(BaseModel):
    """One decision for the SKUs named, or for every suggestion that passes the filter."""

    action: Literal["approve", "reject", "override"]
    skus: list[str] = Field(default_factory=list, description="select these SKUs")
    category: str | None = None
    reason: str | None = Field(None, description="select by reason code")
    status: Literal["pending", "approved", "rejected", "overridden", "any"] | None = Field(
        None, description="default: pending, or any when SKUs are named")
    only_changes: bool = False
    price: Dec | None = Field(None, description="the price, for an override")
    why: str | None = Field(None, max_length=2000, description="required for an override")


class ReviewOut(BaseModel):
    run_id: int
    action: str
    count: int
    skus: list[str]
    reviewed_by: str


router = APIRouter(prefix="/api", tags=["api"], dependencies=[Depends(require_reader)])


def _run(run: SuggestionRun) -> Run:
    return Run(id=run.id, created_at=run.created_at, finished_at=run.finished_at, status=run.status,
               base_currency=run.base_currency, summary=dict(run.summary or {}))


def _position(cat: CategoryPosition) -> dict[str, Any]:
    return {name: getattr(cat, name) for name in CategoryPositionOut.model_fields}


def _sku_position(pos: SkuPosition) -> SkuPositionOut:
    return SkuPositionOut(**{name: getattr(pos, name) for name in SkuPositionOut.model_fields})


@router.get("/runs", response_model=list[Run], summary="Suggestion runs, newest first")
def list_runs(state: State, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[Run]:
    with state.db.session() as session:
        runs = session.scalars(select(SuggestionRun).order_by(SuggestionRun.id.desc()).limit(limit))
        return [_run(r) for r in runs]


@router.get("/runs/{run_id}", response_model=RunDetail, summary="A complete run's headline figures and flags")
def get_run(state: State, run_id: int) -> RunDetail:
    with state.db.session() as session:
        data = load_report(session, run_id)
        return RunDetail(**_run(data.run).model_dump(), figures=Figures(**data.figures),
                         flags=data.flags)


@router.get("/runs/{run_id}/suggestions", response_model=list[SuggestionOut],
            summary="A run's suggestions, biggest moves first")
def list_suggestions(
    state: State,
    run_id: int,
    category: str | None = None,
    reason: Annotated[str | None, Query(description="a reason code")] = None,
    status: Literal["pending", "approved", "rejected", "overridden", "any"] = "any",
    only_changes: bool = False,
) -> list[SuggestionOut]:
    flt = actions.review_filter(category=category, reason=reason, status=status,
                                only_changes=only_changes)
    with state.db.session() as session:
        rows = actions.suggestion_rows(session, run_id, flt)
        return [SuggestionOut(**{name: getattr(r, name) for name in SuggestionOut.model_fields})
                for r in rows]


@router.get("/skus/{sku}/history", response_model=list[HistoryPoint],
            summary="Our price and every matched competitor's price over time")
def get_history(
    state: State,
    sku: str,
    competitor: Annotated[str | None, Query(description="one competitor, or 'ours'")] = None,
    since: dt.date | None = None,
) -> list[HistoryPoint]:
    with state.db.session() as session:
        rows = sku_history(session, sku, competitor=competitor, since=since)
    return [HistoryPoint(**{name: getattr(r, name) for name in HistoryPoint.model_fields})
            for r in rows]


@router.get("/matches", response_model=list[MatchOut], summary="Listing-to-SKU matches")
def list_matches(
    state: State,
    status: Annotated[str | None, Query(description="auto, needs_review, rejected, confirmed, unmatched")] = None,
    competitor: str | None = None,
    sku: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[MatchOut]:
    with state.db.session() as session:
        rows = actions.match_rows(session, status=status, competitor=competitor, sku=sku,
                                  limit=limit, offset=offset)
        return [
            MatchOut(id=r.match.id, listing_id=r.listing.id, competitor=r.listing.competitor,
                     url=r.listing.url, title=r.listing.title,
                     competitor_part_number=r.match.competitor_part_number or r.listing.part_number,
                     sku=r.match.sku, method=r.match.method, confidence=r.match.confidence,
                     status=r.match.status, decided_by=r.match.decided_by,
                     decided_at=r.match.decided_at)
            for r in rows
        ]


@router.get("/market", response_model=list[CategoryPositionOut],
            summary="Where we stand against the market, per category")
def get_market(state: State) -> list[CategoryPositionOut]:
    with state.db.session() as session:
        cats = market_position(session, state.config.policy)
    return [CategoryPositionOut(**_position(c)) for c in cats]


@router.get("/market/{category}", response_model=CategoryDetail,
            summary="One category's position, SKU by SKU")
def get_market_category(state: State, category: str) -> CategoryDetail:
    with state.db.session() as session:
        cats = market_position(session, state.config.policy, category=category)
    if not cats:
        raise NotFoundError(f"no category {category!r} in the catalog")
    return CategoryDetail(**_position(cats[0]), items=[_sku_position(p) for p in cats[0].items])


@router.post("/runs/{run_id}/review", response_model=ReviewOut,
             summary="Approve, reject or override suggestions (needs a bearer token)",
             responses={401: {"description": "no valid bearer token"},
                        400: {"description": "the decision breaks a rule (e.g. below the floor)"},
                        404: {"description": "no such run or SKU"}})
def post_review(
    state: State,
    run_id: int,
    body: ReviewIn,
    who: Annotated[Principal, Depends(require_token)],
) -> ReviewOut:
    flt = actions.review_filter(skus=tuple(body.skus), category=body.category, reason=body.reason,
                                status=body.status, only_changes=body.only_changes)
    done = actions.review(state, run_id, flt, action=body.action, who=who, why=body.why,
                          price=body.price)
    return ReviewOut(run_id=run_id, action=done.action, count=len(done.skus), skus=list(done.skus),
                     reviewed_by=done.reviewed_by)
