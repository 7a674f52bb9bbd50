"""Review and export: an analyst approves, rejects or overrides suggestions, then
exports the approved prices for the ERP. Every decision keeps who, when and why.

Exported prices become our current prices and enter our price history. An override
may not go below the part's margin floor or MAP: those hold for people too. Each run
keeps its audit trail in its summary: every decision (``decisions``) and every export
(``exports``), with who, when and why.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.config import PricingPolicy
from pricing.errors import NotFoundError, PricingError
from pricing.reports.cells import csv_value
from pricing.storage.models import OurPrice, Part, Suggestion, SuggestionRun, utcnow

CENT = Decimal("0.01")


class ReviewError(PricingError):
    pass


@dataclass(frozen=True)
class ReviewFilter:
    skus: tuple[str, ...] = ()
    category: str | None = None
    reason: str | None = None
    only_changes: bool = False
    status: str | None = "pending"


def selected(session: Session, run_id: int, flt: ReviewFilter) -> list[Suggestion]:
    stmt = select(Suggestion).where(Suggestion.run_id == run_id).order_by(Suggestion.sku)
    if flt.skus:
        stmt = stmt.where(Suggestion.sku.in_(flt.skus))
    if flt.category:
        stmt = stmt.where(Suggestion.category == flt.category)
    if flt.status:
        stmt = stmt.where(Suggestion.review_status == flt.status)
    rows = list(session.scalars(stmt))
    if flt.reason:
        rows = [s for s in rows if flt.reason in s.reason_codes]
    if flt.only_changes:
        rows = [s for s in rows if s.suggested_price != s.current_price]
    if flt.skus:
        missing = set(flt.skus) - {s.sku for s in rows}
        if missing:
            raise NotFoundError(
                f"run {run_id} has no {flt.status or ''} suggestion for: "
                + ", ".join(sorted(missing))
            )
    return rows


def floor_price(part: Part, policy: PricingPolicy) -> Decimal:
    resolved = policy.resolve(
        part.category,
        part.proprietary,
        row_min_margin=part.min_margin,
        row_map_price=part.map_price,
    )
    floor = (part.unit_cost / (1 - Decimal(str(resolved.min_margin)))).quantize(CENT, ROUND_UP)
    return max(floor, part.map_price or Decimal(0))


def decide(
    session: Session,
    suggestions: list[Suggestion],
    *,
    action: str,
    who: str,
    why: str | None,
    policy: PricingPolicy,
    override_price: Decimal | None = None,
) -> int:
    """Apply one decision to every selected suggestion; returns how many."""
    if action not in ("approve", "reject", "override"):
        raise ValueError(action)
    if action == "override":
        if override_price is None:
            raise ReviewError("an override needs a price (--price)")
        if not why:
            raise ReviewError("an override needs a reason (--why)")
    now = utcnow()
    for s in suggestions:
        price: Decimal | None = s.suggested_price
        status = {"approve": "approved", "reject": "rejected", "override": "overridden"}[action]
        if action == "reject":
            price = None
        elif action == "override":
            assert override_price is not None
            part = session.scalar(select(Part).where(Part.sku == s.sku))
            assert part is not None
            floor = floor_price(part, policy)
            price = override_price.quantize(CENT)
            if price < floor:
                raise ReviewError(
                    f"{s.sku}: override {price} is below the floor {floor} (margin floor or MAP)"
                )
        s.review_status, s.approved_price = status, price
        s.reviewed_by, s.reviewed_at, s.review_note = who, now, why
    if suggestions:
        _log_decision(session, suggestions, action, who, why, override_price, now)
    return len(suggestions)


def _log_decision(
    session: Session,
    suggestions: list[Suggestion],
    action: str,
    who: str,
    why: str | None,
    price: Decimal | None,
    now: dt.datetime,
) -> None:
    """Append the decision to its run's audit trail: each suggestion keeps only its
    latest decision, the run keeps them all (who, when, what, why, for which SKUs)."""
    by_run: dict[int, list[str]] = {}
    for s in suggestions:
        by_run.setdefault(s.run_id, []).append(s.sku)
    for run_id, skus in by_run.items():
        run = session.get(SuggestionRun, run_id, with_for_update=True)
        assert run is not None
        summary = dict(run.summary or {})
        entry = {
            "at": now.isoformat(),
            "by": who,
            "action": action,
            "why": why,
            "price": None if price is None else format(price.quantize(CENT), "f"),
            "skus": sorted(skus),
        }
        run.summary = {**summary, "decisions": [*summary.get("decisions", []), entry]}


def decision_log(session: Session, run_id: int) -> list[dict[str, object]]:
    """The run's review decisions and exports, oldest first."""
    run = session.get(SuggestionRun, run_id)
    if run is None:
        raise NotFoundError(f"no suggestion run {run_id}")
    summary = run.summary or {}
    events = [
        {**d, "count": len(d["skus"]), "skus": " ".join(d["skus"])}
        for d in summary.get("decisions", [])
    ]
    events += [
        {
            "at": e["at"],
            "by": e["by"],
            "action": "export",
            "why": None,
            "price": None,
            "count": e["rows"],
            "skus": e["file"],
        }
        for e in summary.get("exports", [])
    ]
    return sorted(events, key=lambda e: str(e["at"]))


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int


def export_approved(session: Session, run_id: int, out: Path, who: str) -> ExportResult:
    """Write the approved prices (approved or overridden) as the ERP price list."""
    run = session.get(SuggestionRun, run_id)
    if run is None or run.status != "complete":
        raise NotFoundError(f"no complete suggestion run {run_id}")
    rows = list(
        session.scalars(
            select(Suggestion)
            .where(
                Suggestion.run_id == run_id,
                Suggestion.review_status.in_(("approved", "overridden")),
            )
            .order_by(Suggestion.sku)
        )
    )
    now = utcnow()
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = {
        p.sku: p for p in session.scalars(select(Part).where(Part.sku.in_([s.sku for s in rows])))
    }
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "sku",
                "part_number",
                "price",
                "currency",
                "previous_price",
                "effective_date",
                "run_id",
                "approved_by",
                "note",
            ]
        )
        for s in rows:
            part = parts[s.sku]
            assert s.approved_price is not None
            writer.writerow(
                [
                    csv_value(v)
                    for v in (
                        s.sku,
                        part.part_number,
                        s.approved_price.quantize(CENT),
                        part.currency,
                        part.price.quantize(CENT),
                        now.date().isoformat(),
                        run_id,
                        s.reviewed_by,
                        s.review_note,
                    )
                ]
            )
            if part.price != s.approved_price:
                part.price = s.approved_price
                part.updated_at = now
                session.add(
                    OurPrice(
                        sku=s.sku,
                        effective_at=now,
                        price=s.approved_price,
                        currency=part.currency,
                        source=f"export:run{run_id}",
                    )
                )
    summary = dict(run.summary)
    exports = list(summary.get("exports", []))
    exports.append({"at": now.isoformat(), "by": who, "rows": len(rows), "file": str(out)})
    run.summary = {**summary, "exports": exports}
    return ExportResult(out, len(rows))


def default_export_path(run_id: int, when: dt.date) -> Path:
    return Path("var") / "exports" / f"price-list-run{run_id}-{when.isoformat()}.csv"
