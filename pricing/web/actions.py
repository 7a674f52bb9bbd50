"""The web's read queries and its one write, shared by the pages and the JSON API.

Both go through :mod:`pricing.review` (``selected``, ``decide``), :mod:`pricing.export` and
:mod:`pricing.reports.nightly` so the web, the CLI and the report agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.errors import NotFoundError
from pricing.export import ExportResult, default_export_path, export_approved
from pricing.reports.nightly import ReportRow
from pricing.review import ReviewFilter, decide, selected
from pricing.storage.models import Listing, Match, Part, ReviewStatus, RunStatus, SuggestionRun
from pricing.web.deps import Principal, WebState

Action = Literal["approve", "reject", "override"]
REVIEW_STATUSES = tuple(ReviewStatus)


def complete_run(session: Session, run_id: int) -> SuggestionRun:
    run = session.get(SuggestionRun, run_id)
    if run is None or run.status != RunStatus.complete:
        raise NotFoundError(f"no complete suggestion run {run_id}")
    return run


def review_filter(
    *,
    skus: tuple[str, ...] = (),
    category: str | None = None,
    reason: str | None = None,
    status: str | None = None,
    only_changes: bool = False,
    rule: str | None = None,
    min_change: Decimal | None = None,
    max_change: Decimal | None = None,
    min_gain: Decimal | None = None,
) -> ReviewFilter:
    """A :class:`ReviewFilter` from loose inputs; ``status`` ``any`` (or blank) means all.

    With no status given, naming SKUs or an auto-approval rule selects them whatever
    their status (a person may change their mind), while a filter selects only pending
    suggestions.
    """
    if status is None:
        status = "any" if skus or rule else ReviewStatus.pending
    return ReviewFilter(
        skus=skus,
        category=category or None,
        reason=reason or None,
        only_changes=only_changes,
        status=None if status in ("any", "") else status,
        rule=rule or None,
        min_change=None if min_change is None else abs(min_change),
        max_change=None if max_change is None else abs(max_change),
        min_gain=min_gain,
    )


def suggestion_rows(session: Session, run_id: int, flt: ReviewFilter) -> list[ReportRow]:
    """The run's suggestions that pass ``flt``, with descriptions, biggest moves first."""
    complete_run(session, run_id)
    rows = selected(session, run_id, flt)
    stmt = select(Part.sku, Part.description).where(Part.sku.in_([s.sku for s in rows]))
    descriptions = {sku: text for sku, text in session.execute(stmt)} if rows else {}
    out = [ReportRow(s, descriptions.get(s.sku, "")) for s in rows]
    out.sort(key=lambda r: (-abs(r.change_pct), r.sku))
    return out


@dataclass(frozen=True)
class ReviewOutcome:
    run_id: int
    action: Action
    skus: tuple[str, ...]
    reviewed_by: str


def review(
    state: WebState,
    run_id: int,
    flt: ReviewFilter,
    *,
    action: Action,
    who: Principal,
    why: str | None,
    price: Decimal | None,
) -> ReviewOutcome:
    """Apply one decision to the selected suggestions, recording who decided and why."""
    with state.db.session() as session:
        complete_run(session, run_id)
        rows = selected(session, run_id, flt)
        done = decide(
            session,
            rows,
            action=action,
            who=who.name,
            why=why or None,
            policy=state.config.policy,
            override_price=price,
        )
        pending = {line.split(":", 1)[0] for line in done.refused}
        return ReviewOutcome(run_id, action, tuple(s.sku for s in rows if s.sku not in pending),
                             who.name)


def export(state: WebState, run_id: int, who: Principal) -> tuple[ExportResult, bytes]:
    """Export the run's approved price list for the ERP (:func:`export_approved`: kept
    in the export folder under one name per run, recorded on the run; what fails the
    re-check is left out); approved prices become current. Returns it and its bytes."""
    result = export_approved(
        state.db, run_id, who.name, state.config.policy,
        default_export_path(run_id, state.export_dir),
    )
    return result, result.content.encode("utf-8")


@dataclass(frozen=True)
class MatchRow:
    match: Match
    listing: Listing


def match_rows(
    session: Session,
    *,
    status: str | None = None,
    competitor: str | None = None,
    sku: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[MatchRow]:
    """Listing-to-SKU matches with their listings, oldest first (the review queue: most
    probable first, once the learned model gives probabilities)."""
    from pricing.pipeline.learned import matches_query

    stmt = matches_query(status=status, competitor=competitor, sku=sku)
    return [MatchRow(m, li) for m, li in session.execute(stmt.limit(limit).offset(offset))]
