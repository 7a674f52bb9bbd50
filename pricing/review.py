"""Review: an analyst approves, rejects or overrides suggestions; every decision keeps
who, when and why.

Nothing wrong reaches the ERP: approving and overriding re-check the price against the
catalog and the policy in force at that moment (:func:`recheck`: the part is still sold,
in the currency the run priced it in, at a positive whole-cent price no lower than its
floor or MAP), and so does the export (:mod:`pricing.export`). A decision that fails is
refused, naming the SKU; a run already exported takes no more decisions. Each run keeps
its audit trail in its summary: every decision (``decisions``) and every export
(``exports``), with who, when and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pricing.config import PricingPolicy
from pricing.errors import NotFoundError, PricingError
from pricing.optimizer.constraints import Floor, price_floor
from pricing.storage.models import (
    Part,
    PriceExport,
    ReviewStatus,
    RunStatus,
    Suggestion,
    SuggestionRun,
    utcnow,
)

CENT = Decimal("0.01")
MAX_PRICE = Decimal(10) ** 9  # no part sells for a billion; a typo or an overflow does
APPROVED = (ReviewStatus.approved, ReviewStatus.overridden)
_CHUNK = 10_000  # SKUs per IN (...): SQLite allows 32,766 bound parameters


class ReviewError(PricingError):
    pass


AUTO_ACTOR = "auto-approval"  # who an auto-approval rule's decisions are recorded as


def rule_note(name: str) -> str:
    """The review note (and the audit trail's why) of a decision made by the named
    auto-approval rule: what ``--rule NAME`` selects by."""
    return f"auto-approval rule {name}"


def change_fraction(s: Suggestion) -> Decimal:
    """The suggested move as a fraction of the current price (negative: down)."""
    return (s.suggested_price - s.current_price) / s.current_price


def expected_gain(s: Suggestion) -> Decimal:
    """Expected gross profit per period the suggestion adds (after minus before)."""
    return s.expected_profit_after - s.expected_profit_before


@dataclass(frozen=True)
class ReviewFilter:
    """Which suggestions of a run a listing or a decision applies to. ``rule``: those an
    auto-approval rule decided; ``min_change``/``max_change``: the size of the move as
    a fraction of the current price, either direction; ``min_gain``: expected gross
    profit per period gained, at least."""

    skus: tuple[str, ...] = ()
    category: str | None = None
    reason: str | None = None
    only_changes: bool = False
    status: str | None = ReviewStatus.pending
    rule: str | None = None
    min_change: Decimal | None = None
    max_change: Decimal | None = None
    min_gain: Decimal | None = None


def selected(session: Session, run_id: int, flt: ReviewFilter) -> list[Suggestion]:
    stmt = select(Suggestion).where(Suggestion.run_id == run_id).order_by(Suggestion.sku)
    if flt.skus:
        stmt = stmt.where(Suggestion.sku.in_(flt.skus))
    if flt.category:
        stmt = stmt.where(Suggestion.category == flt.category)
    if flt.status:
        stmt = stmt.where(Suggestion.review_status == flt.status)
    if flt.rule:
        stmt = stmt.where(Suggestion.review_note == rule_note(flt.rule))
    rows = list(session.scalars(stmt))
    if flt.reason:
        rows = [s for s in rows if flt.reason in s.reason_codes]
    if flt.only_changes:
        rows = [s for s in rows if s.suggested_price != s.current_price]
    if flt.min_change is not None:
        rows = [s for s in rows if abs(change_fraction(s)) >= flt.min_change]
    if flt.max_change is not None:
        rows = [s for s in rows if abs(change_fraction(s)) <= flt.max_change]
    if flt.min_gain is not None:
        rows = [s for s in rows if expected_gain(s) >= flt.min_gain]
    if flt.skus:
        missing = set(flt.skus) - {s.sku for s in rows}
        if missing:
            raise NotFoundError(
                f"run {run_id} has no {flt.status or ''} suggestion for: "
                + ", ".join(sorted(missing))
            )
    return rows


# --- the checks ---------------------------------------------------------------------


def _shown(price: Decimal) -> str:
    """A price as typed, or as stored to the cent (the 4 decimals storage adds dropped)."""
    exponent = price.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= -2:
        return str(price)
    cents = price.quantize(CENT)
    return format(cents if cents == price else price.normalize(), "f")


def price_problem(price: Decimal) -> str | None:
    """Why ``price`` cannot be a selling price, or None: it must be a finite, positive
    amount in whole cents, at most :data:`MAX_PRICE`."""
    if not price.is_finite():
        return f"{price} is not a finite price"
    if price <= 0:
        return f"{_shown(price)} is not a positive price"
    if price > MAX_PRICE:
        return f"{_shown(price)} is above the largest price allowed, {MAX_PRICE:,}"
    if price != price.quantize(CENT):
        return f"{_shown(price)} has more than two decimals (prices are in whole cents)"
    return None


def parse_price(value: str, what: str) -> Decimal:
    """A price a person typed, or a one-line :class:`ReviewError` naming ``what``."""
    try:
        price = Decimal(value.strip())
    except InvalidOperation:
        raise ReviewError(f"{what}: not a price: {value!r}") from None
    problem = price_problem(price)
    if problem:
        raise ReviewError(f"{what}: {problem}")
    return price


def parse_fraction(value: str, what: str) -> Decimal:
    """A fraction a person typed, as ``0.05``, ``5%``, ``+5%`` or ``-10%``; a one-line
    :class:`ReviewError` naming ``what`` otherwise."""
    text = value.strip()
    percent = text.endswith("%")
    try:
        number = Decimal(text[:-1].strip() if percent else text)
    except InvalidOperation:
        raise ReviewError(f"{what}: not a fraction or a percentage: {value!r}") from None
    if not number.is_finite():
        raise ReviewError(f"{what}: not a finite number: {value!r}")
    fraction = number / 100 if percent else number
    if abs(fraction) > 10:
        raise ReviewError(f"{what}: {value!r} is out of range (at most 1000%)")
    return fraction


def parse_amount(value: str, what: str) -> Decimal:
    """An amount of money a person typed (may be negative or zero)."""
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise ReviewError(f"{what}: not an amount: {value!r}") from None
    if not amount.is_finite() or abs(amount) > MAX_PRICE:
        raise ReviewError(f"{what}: {value!r} is out of range")
    return amount


def floor_price(part: Part, policy: PricingPolicy) -> Floor:
    """The part's floor under the policy in force (the optimizer's own definition)."""
    resolved = policy.resolve(
        part.category,
        part.proprietary,
        row_min_margin=part.min_margin,
        row_map_price=part.map_price,
    )
    return price_floor(part.unit_cost, resolved)


def recheck(
    suggestion: Suggestion, price: Decimal | None, part: Part | None, policy: PricingPolicy,
    what: str,
) -> str | None:
    """Why ``price`` for ``suggestion`` may not reach the ERP now, or None.

    Checked against the catalog row ``part`` and ``policy`` as they are at this moment:
    the part is still in the catalog and not superseded, its currency is the one the
    run priced it in, and ``price`` (``what``: "override", "approved price", ...) is a
    valid price no lower than the part's floor (margin floor or MAP).
    """
    if part is None:
        return "no longer in the catalog"
    if part.superseded_by:
        return f"superseded by {part.superseded_by} in the catalog"
    if suggestion.currency is not None and part.currency != suggestion.currency:
        return (f"the catalog's currency is now {part.currency}; the run priced it in "
                f"{suggestion.currency}")
    if price is None:
        return f"no {what}"
    problem = price_problem(price)
    if problem:
        return f"{what} {problem}"
    try:
        floor = floor_price(part, policy)
    except (ValueError, ArithmeticError) as exc:
        return f"no floor can be computed: {exc}"
    if price < floor.price:
        return f"{what} {_shown(price)} is below the floor {floor.price} in force ({floor.label})"
    return None


def catalog_rows(session: Session, skus: Iterable[str], *, lock: bool = False) -> dict[str, Part]:
    """The catalog rows of ``skus`` as they are now (row-locked on PostgreSQL with
    ``lock``), read in chunks that stay within SQLite's limit on bound parameters."""
    wanted = sorted(set(skus))
    found: dict[str, Part] = {}
    for start in range(0, len(wanted), _CHUNK):
        stmt = select(Part).where(Part.sku.in_(wanted[start : start + _CHUNK]))
        if lock:
            stmt = stmt.with_for_update()
        stmt = stmt.execution_options(populate_existing=True)
        found.update((p.sku, p) for p in session.scalars(stmt))
    return found


def lock_run(session: Session, run_id: int) -> SuggestionRun | None:
    """The run, locked for this transaction: a row lock on PostgreSQL; on SQLite a
    no-op write that takes the database's single write lock, so what is read next is
    what the transaction commits against."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(SuggestionRun)
            .where(SuggestionRun.id == run_id)
            .values(status=SuggestionRun.status)
            .execution_options(synchronize_session=False)
        )
    return session.get(SuggestionRun, run_id, with_for_update=True, populate_existing=True)


def _open_run(session: Session, run_id: int) -> SuggestionRun:
    """A complete run, locked, that has not been exported: decisions on it still count."""
    run = lock_run(session, run_id)
    if run is None or run.status != RunStatus.complete:
        raise NotFoundError(f"no complete suggestion run {run_id}")
    done = session.scalar(select(PriceExport).where(PriceExport.run_id == run_id))
    if done is not None:
        raise ReviewError(
            f"run {run_id} was exported to the ERP at {utc_text(done.exported_at)} by "
            f"{done.exported_by}; its decisions can no longer change (make a new run "
            "with `pricing optimize`)"
        )
    return run


def utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# --- decisions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    """What a decision did: how many suggestions it applied to, and the approvals it
    left pending because they fail the re-check (``SKU: reason``)."""

    count: int
    refused: tuple[str, ...] = ()


def decide(
    session: Session,
    suggestions: list[Suggestion],
    *,
    action: str,
    who: str,
    why: str | None,
    policy: PricingPolicy,
    override_price: Decimal | None = None,
    rule: str | None = None,
) -> Decided:
    """Apply one decision to every selected suggestion.

    Approvals and overrides are re-checked (:func:`recheck`) against the catalog and
    policy in force. An approval that fails is left pending and reported, the others
    go through (one bad SKU never blocks the rest); if none passes, nothing is decided
    and the error names the first SKU. An override is a person's one price: if it fails
    for any selected SKU, nothing is decided. A run already exported takes no more
    decisions. ``rule`` names the auto-approval rule that decided, for the audit trail.
    """
    if action not in ("approve", "reject", "override"):
        raise ValueError(action)
    if action == "override":
        if override_price is None:
            raise ReviewError("an override needs a price (--price)")
        if not why:
            raise ReviewError("an override needs a reason (--why)")
        problem = price_problem(override_price)
        if problem:
            raise ReviewError(f"override: {problem}")
    for run_id in sorted({s.run_id for s in suggestions}):
        _open_run(session, run_id)
    status = {
        "approve": ReviewStatus.approved,
        "reject": ReviewStatus.rejected,
        "override": ReviewStatus.overridden,
    }[action]
    prices: dict[int, Decimal | None] = {
        s.id: None if action == "reject"
        else override_price.quantize(CENT) if override_price is not None
        else s.suggested_price
        for s in suggestions
    }
    refused: list[str] = []
    if action != "reject":
        parts = catalog_rows(session, (s.sku for s in suggestions))
        what = "override" if action == "override" else "suggested price"
        failing = {s.id: f"{s.sku}: {reason}" for s in suggestions
                   if (reason := recheck(s, prices[s.id], parts.get(s.sku), policy, what))}
        if failing and (action == "override" or len(failing) == len(suggestions)):
            first = next(iter(failing.values()))
            more = (f" ({len(failing) - 1} more selected suggestions fail the checks too)"
                    if len(failing) > 1 else "")
            raise ReviewError(f"{first}{more}; nothing {status}")
        refused = [failing[s.id] for s in suggestions if s.id in failing]
        suggestions = [s for s in suggestions if s.id not in failing]
    now = utcnow()
    for s in suggestions:
        s.review_status, s.approved_price = status, prices[s.id]
        s.reviewed_by, s.reviewed_at, s.review_note = who, now, why
    if suggestions:
        _log_decision(session, suggestions, action, who, why, override_price, now, rule)
    return Decided(len(suggestions), tuple(refused))


def _log_decision(
    session: Session,
    suggestions: list[Suggestion],
    action: str,
    who: str,
    why: str | None,
    price: Decimal | None,
    now: dt.datetime,
    rule: str | None = None,
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
        if rule is not None:
            entry["rule"] = rule
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
            "why": _left_out_note(e.get("left_out", [])),
            "price": None,
            "count": e["rows"],
            "skus": e["file"],
        }
        for e in summary.get("exports", [])
    ]
    return sorted(events, key=lambda e: str(e["at"]))


def _left_out_note(left_out: list[dict[str, str]], shown: int = 10) -> str | None:
    if not left_out:
        return None
    listed = "; ".join(f"{e['sku']}: {e['reason']}" for e in left_out[:shown])
    more = f"; and {len(left_out) - shown} more" if len(left_out) > shown else ""
    return f"{len(left_out)} left out: {listed}{more}"
