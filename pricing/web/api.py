"""The JSON API under ``/api``, described by FastAPI's OpenAPI schema (``/openapi.json``).

Reading follows :func:`~pricing.web.deps.require_reader`; the writes, review decisions
and the ERP export, need ``Authorization: Bearer TOKEN``. Money and indexes are decimal
strings (``"12.50"``), never floats; times are ISO 8601 in UTC.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from pricing.errors import NotFoundError, PricingError
from pricing.history import sku_history
from pricing.market_position import CategoryPosition, SkuPosition, competitor_moves, market_position
from pricing.reports.nightly import load_report
from pricing.review import decision_log
from pricing.storage.models import SuggestionRun, utcnow
from pricing.web import actions
from pricing.web.deps import (
    MAX_ID,
    Principal,
    RunId,
    State,
    price_list_download,
    require_reader,
    require_token,
)
from pricing.web.schemas import (
    CategoryDetail,
    CategoryPositionOut,
    CompetitorMovesOut,
    Decision,
    ExportOut,
    Figures,
    HistoryPoint,
    LeftOutOut,
    MatchOut,
    ReviewIn,
    ReviewOut,
    Run,
    RunDetail,
    SkuPositionOut,
    SuggestionOut,
)

router = APIRouter(prefix="/api", tags=["api"], dependencies=[Depends(require_reader)])


def _run(run: SuggestionRun) -> Run:
    return Run(
        id=run.id,
        created_at=run.created_at,
        finished_at=run.finished_at,
        status=run.status,
        base_currency=run.base_currency,
        summary=dict(run.summary or {}),
    )


def _position(cat: CategoryPosition) -> dict[str, Any]:
    return {name: getattr(cat, name) for name in CategoryPositionOut.model_fields}


def _sku_position(pos: SkuPosition) -> SkuPositionOut:
    return SkuPositionOut(**{name: getattr(pos, name) for name in SkuPositionOut.model_fields})


@router.get("/runs", response_model=list[Run], summary="Suggestion runs, newest first")
def list_runs(state: State, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[Run]:
    with state.db.session() as session:
        runs = session.scalars(select(SuggestionRun).order_by(SuggestionRun.id.desc()).limit(limit))
        return [_run(r) for r in runs]


@router.get(
    "/runs/{run_id}",
    response_model=RunDetail,
    summary="A complete run's headline figures and flags",
)
def get_run(state: State, run_id: RunId) -> RunDetail:
    with state.db.session() as session:
        data = load_report(session, run_id)
        return RunDetail(
            **_run(data.run).model_dump(),
            figures=Figures(**data.figures),
            flags=data.flags,
            decisions=[Decision.model_validate(e) for e in decision_log(session, run_id)],
        )


@router.get(
    "/runs/{run_id}/suggestions",
    response_model=list[SuggestionOut],
    summary="A run's suggestions, biggest moves first",
)
def list_suggestions(
    state: State,
    run_id: RunId,
    category: str | None = None,
    reason: Annotated[str | None, Query(description="a reason code")] = None,
    status: Literal["pending", "approved", "rejected", "overridden", "any"] = "any",
    only_changes: bool = False,
    rule: Annotated[str | None, Query(description="approved by this auto-approval rule")] = None,
    min_change: Annotated[Decimal | None, Query(
        ge=0, le=10, description="moves at least this big (fraction), either way")] = None,
    max_change: Annotated[Decimal | None, Query(
        ge=0, le=10, description="moves at most this big (fraction), either way")] = None,
    min_gain: Annotated[Decimal | None, Query(
        ge=-10**9, le=10**9, description="expected gross profit gained per period")] = None,
) -> list[SuggestionOut]:
    flt = actions.review_filter(
        category=category, reason=reason, status=status, only_changes=only_changes,
        rule=rule, min_change=min_change, max_change=max_change, min_gain=min_gain,
    )
    with state.db.session() as session:
        rows = actions.suggestion_rows(session, run_id, flt)
        return [
            SuggestionOut(**{name: getattr(r, name) for name in SuggestionOut.model_fields})
            for r in rows
        ]


@router.get(
    "/skus/{sku:path}/history",
    response_model=list[HistoryPoint],
    summary="Our price and every matched competitor's price over time",
)
def get_history(
    state: State,
    sku: str,
    competitor: Annotated[str | None, Query(description="one competitor, or 'ours'")] = None,
    since: dt.date | None = None,
) -> list[HistoryPoint]:
    with state.db.session() as session:
        rows = sku_history(session, sku, competitor=competitor, since=since)
    return [
        HistoryPoint(**{name: getattr(r, name) for name in HistoryPoint.model_fields}) for r in rows
    ]


@router.get("/matches", response_model=list[MatchOut], summary="Listing-to-SKU matches")
def list_matches(
    state: State,
    status: Annotated[
        str | None, Query(description="auto, needs_review, rejected, confirmed, unmatched")
    ] = None,
    competitor: str | None = None,
    sku: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[MatchOut]:
    with state.db.session() as session:
        rows = actions.match_rows(
            session, status=status, competitor=competitor, sku=sku, limit=limit, offset=offset
        )
        return [
            MatchOut(
                id=r.match.id,
                listing_id=r.listing.id,
                competitor=r.listing.competitor,
                url=r.listing.url,
                title=r.listing.title,
                competitor_part_number=r.match.competitor_part_number or r.listing.part_number,
                sku=r.match.sku,
                method=r.match.method,
                confidence=r.match.confidence,
                status=r.match.status,
                decided_by=r.match.decided_by,
                decided_at=r.match.decided_at,
                relation=r.match.relation,
                evidence=r.match.evidence,
                note=r.match.note,
                probability=r.match.learned_probability,
            )
            for r in rows
        ]


@router.get(
    "/market",
    response_model=list[CategoryPositionOut],
    summary="Where we stand against the market, per category",
)
def get_market(state: State) -> list[CategoryPositionOut]:
    with state.db.session() as session:
        cats = market_position(session, state.config.policy)
    return [CategoryPositionOut(**_position(c)) for c in cats]


@router.get(
    "/market/{category:path}",
    response_model=CategoryDetail,
    summary="One category's position, SKU by SKU",
)
def get_market_category(state: State, category: str) -> CategoryDetail:
    with state.db.session() as session:
        cats = market_position(session, state.config.policy, category=category)
    if not cats:
        raise NotFoundError(f"no category {category!r} in the catalog")
    return CategoryDetail(**_position(cats[0]), items=[_sku_position(p) for p in cats[0].items])


@router.get(
    "/competitor-moves",
    response_model=list[CompetitorMovesOut],
    summary="Which competitors moved their prices for our SKUs most, most-moved first",
)
def get_competitor_moves(
    state: State,
    since: Annotated[dt.datetime | None, Query(description="default: 30 days before until")] = None,
    until: Annotated[dt.datetime | None, Query(description="default: now")] = None,
    category: str | None = None,
) -> list[CompetitorMovesOut]:
    try:
        end = _utc(until) if until else utcnow()
        start = _utc(since) if since else end - dt.timedelta(days=30)
    except OverflowError:
        raise PricingError("since and until must be dates between the years 1 and 9999") from None
    if end <= start:
        raise PricingError("until must come after since")
    with state.db.session() as session:
        moves = competitor_moves(session, start, end, category=category)
    return [
        CompetitorMovesOut(**{name: getattr(m, name) for name in CompetitorMovesOut.model_fields})
        for m in moves
    ]


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@router.post(
    "/runs/{run_id}/export",
    response_class=Response,
    summary="Export the run's approved price list for the ERP (needs a bearer token)",
    description="Writes the CSV the ERP loads (as `pricing export`), records who "
    "exported it on the run, and makes the approved prices current. Each approved price "
    "is re-checked against the catalog and policy in force; what fails is left out and "
    "listed. A run is exported once: asking again returns the same file and writes "
    "nothing. With `Accept: application/json` the answer is JSON: the file's rows, what "
    "was left out and why, and the CSV itself.",
    responses={
        200: {
            "model": ExportOut,
            "content": {"text/csv": {}},
            "description": "the price list",
            "headers": {
                "X-Export-Rows": {"description": "prices exported", "schema": {"type": "integer"}},
                "X-Export-Left-Out": {"description": "approved prices left out",
                                      "schema": {"type": "integer"}},
                "X-Export-Repeat": {"description": "true: the run had been exported "
                                    "before; nothing new was written",
                                    "schema": {"type": "boolean"}},
            },
        },
        400: {"description": "refused: the run is older than the last exported run"},
        401: {"description": "no valid bearer token"},
        404: {"description": "no such complete run"},
    },
)
def post_export(
    request: Request,
    state: State,
    run_id: RunId,
    who: Annotated[Principal, Depends(require_token)],
) -> Response:
    result, body = actions.export(state, run_id, who)
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/csv" not in accept:
        out = ExportOut(
            run_id=run_id, file=result.path.name, rows=result.rows,
            left_out=[LeftOutOut(sku=e.sku, reason=e.reason) for e in result.left_out],
            already_exported=result.repeat, exported_at=result.exported_at,
            exported_by=result.exported_by, content=result.content,
        )
        return JSONResponse(out.model_dump(mode="json"))
    response = price_list_download(result.path.name, result.rows, body)
    response.headers["X-Export-Left-Out"] = str(len(result.left_out))
    response.headers["X-Export-Repeat"] = "true" if result.repeat else "false"
    return response


@router.post(
    "/runs/{run_id}/review",
    response_model=ReviewOut,
    summary="Approve, reject or override suggestions (needs a bearer token)",
    responses={
        401: {"description": "no valid bearer token"},
        400: {"description": "the decision breaks a rule (e.g. below the floor)"},
        404: {"description": "no such run or SKU"},
    },
)
def post_review(
    state: State,
    run_id: RunId,
    body: ReviewIn,
    who: Annotated[Principal, Depends(require_token)],
) -> ReviewOut:
    flt = actions.review_filter(
        skus=tuple(body.skus),
        category=body.category,
        reason=body.reason,
        status=body.status,
        only_changes=body.only_changes,
    )
    done = actions.review(
        state, run_id, flt, action=body.action, who=who, why=body.why, price=body.price
    )
    return ReviewOut(
        run_id=run_id,
        action=done.action,
        count=len(done.skus),
        skus=list(done.skus),
        reviewed_by=done.reviewed_by,
    )
