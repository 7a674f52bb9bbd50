"""Auto-approval: the rules a team writes under ``auto_approve:`` in ``pricing.yaml``
approve the suggestions that stay within their limits, right after the nightly run.

A rule approves a pending price change when every limit it writes holds: the size of
the move (``max_change``, ``direction``), the expected gain (``min_gain``), the part
(``categories``, ``proprietary``) and the competitor prices behind the reference
(``min_competitors``, ``min_confidence``, ``relations``). Rules are tried in the order
written; the first that holds approves. Whatever a rule says, these are never approved
automatically (:func:`excluded`): a suggestion already decided by a person (overrides
included), one that keeps the price, one a hard constraint bound (floor, MAP, step
limit, a cap or ceiling, a ladder) and one with a flag (:data:`~pricing.optimizer.
reasons.FLAGS`: cannot compete at the floor, ladder conflict, ...).

Approvals go through :func:`pricing.review.decide`, so they are re-checked against the
catalog and policy in force like a person's, and recorded in the same audit trail with
the rule's name (``by: auto-approval``, ``why: auto-approval rule NAME``); the export
re-checks them again. The run's summary keeps what each rule approved
(``auto_approval``) for the report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.config import AutoApproveRule, PricingPolicy
from pricing.errors import NotFoundError
from pricing.optimizer.constraints import HARD_KINDS, KINDS
from pricing.optimizer.reasons import FLAGS
from pricing.review import (
    AUTO_ACTOR,
    catalog_rows,
    change_fraction,
    decide,
    expected_gain,
    recheck,
    rule_note,
)
from pricing.storage import Database
from pricing.storage.models import (
    TRUSTED_MATCH_STATUSES,
    Match,
    MatchStatus,
    ReviewStatus,
    RunStatus,
    Suggestion,
    SuggestionRun,
    utcnow,
)

HARD = frozenset(KINDS[k] for k in HARD_KINDS)
CONFIRMED_CONFIDENCE = 1.0  # a match a person confirmed


@dataclass(frozen=True)
class Reference:
    """The matches behind one part's competitor prices: each one's confidence (1.0
    where a person confirmed it) and relation."""

    confidences: tuple[float, ...] = ()
    relations: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class AutoApprovalSummary:
    """What the rules did on one run: SKUs approved per rule (in rule order), and the
    SKUs a rule would have approved that failed the re-check (``SKU: reason``)."""

    run_id: int
    approved: dict[str, tuple[str, ...]] = field(default_factory=dict)
    refused: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return sum(len(skus) for skus in self.approved.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "approved": self.count,
            "by_rule": {name: len(skus) for name, skus in self.approved.items()},
            "refused": list(self.refused),
        }


def excluded(s: Suggestion) -> str | None:
    """Why no rule may approve ``s``, or None: a person decided it already, it keeps
    the price, a hard constraint bound it, or it carries a flag."""
    if s.review_status != ReviewStatus.pending:
        return f"already {s.review_status}"
    if s.suggested_price == s.current_price:
        return "keeps the price"
    codes = set(s.reason_codes)
    if s.binding_constraint in HARD or codes & HARD:
        return f"bound by {s.binding_constraint or sorted(codes & HARD)[0]}"
    flags = codes & FLAGS
    if flags:
        return f"flagged {sorted(flags)[0]}"
    return None


def _fraction(value: float) -> Decimal:
    return Decimal(repr(value))


def breaks(rule: AutoApproveRule, s: Suggestion, ref: Reference) -> str | None:
    """The first limit of ``rule`` that ``s`` does not keep, or None."""
    move = change_fraction(s)
    if abs(move) > _fraction(rule.max_change):
        return "max_change"
    if rule.direction == "up" and move < 0 or rule.direction == "down" and move > 0:
        return "direction"
    if expected_gain(s) < rule.min_gain:
        return "min_gain"
    if rule.categories is not None and s.category not in rule.categories:
        return "categories"
    if rule.proprietary is not None and s.proprietary != rule.proprietary:
        return "proprietary"
    if s.competitor_count < rule.min_competitors:
        return "min_competitors"
    if rule.min_confidence is not None and any(c < rule.min_confidence
                                               for c in ref.confidences):
        return "min_confidence"
    if rule.relations is not None and any(r not in rule.relations for r in ref.relations):
        return "relations"
    return None


def first_rule(rules: Sequence[AutoApproveRule], s: Suggestion, ref: Reference
               ) -> AutoApproveRule | None:
    """The first rule that approves ``s`` (None: none does, or it is :func:`excluded`)."""
    if excluded(s) is not None:
        return None
    return next((rule for rule in rules if breaks(rule, s, ref) is None), None)


def references(session: Session, skus: Sequence[str]) -> dict[str, Reference]:
    """Every match that may feed each SKU's competitor prices (status ``auto`` or
    ``confirmed``, as they are now: a match rejected since the run stops counting),
    whether or not its listing had a fresh price this run: a rule's confidence and
    relation limits hold for all of them."""
    found: dict[str, tuple[list[float], list[str | None]]] = defaultdict(lambda: ([], []))
    wanted = sorted(set(skus))
    for start in range(0, len(wanted), 10_000):
        stmt = select(Match.sku, Match.confidence, Match.status, Match.relation).where(
            Match.sku.in_(wanted[start : start + 10_000]),
            Match.status.in_(TRUSTED_MATCH_STATUSES))
        for sku, confidence, status, relation in session.execute(stmt):
            if sku is None:
                continue
            confidences, relations = found[sku]
            confidences.append(CONFIRMED_CONFIDENCE if status == MatchStatus.confirmed
                               else float(confidence))
            relations.append(relation)
    return {sku: Reference(tuple(c), tuple(r)) for sku, (c, r) in found.items()}


def auto_approve(
    session: Session,
    run_id: int,
    rules: Sequence[AutoApproveRule],
    policy: PricingPolicy,
    *,
    actor: str = AUTO_ACTOR,
) -> AutoApprovalSummary:
    """Approve the run's pending suggestions that a rule allows (see the module), in
    ``session`` (the caller commits). ``policy`` is the policy in force, for the
    re-check every approval goes through. A run already exported takes no decisions
    (:class:`~pricing.review.ReviewError`)."""
    run = session.get(SuggestionRun, run_id)
    if run is None or run.status != RunStatus.complete:
        raise NotFoundError(f"no complete suggestion run {run_id}")
    if not rules:
        return AutoApprovalSummary(run_id)
    pending = list(session.scalars(select(Suggestion).where(
        Suggestion.run_id == run_id, Suggestion.review_status == ReviewStatus.pending
    ).order_by(Suggestion.sku)))
    candidates = [s for s in pending if excluded(s) is None]
    refs = references(session, [s.sku for s in candidates])
    by_rule: dict[str, list[Suggestion]] = defaultdict(list)
    for s in candidates:
        rule = first_rule(rules, s, refs.get(s.sku, Reference()))
        if rule is not None:
            by_rule[rule.name].append(s)
    parts = catalog_rows(session, (s.sku for group in by_rule.values() for s in group))
    approved: dict[str, tuple[str, ...]] = {}
    refused: list[str] = []
    for rule in rules:
        group = by_rule.get(rule.name, [])
        failing = {s.id: f"{s.sku}: {why}" for s in group
                   if (why := recheck(s, s.suggested_price, parts.get(s.sku), policy,
                                      "suggested price"))}
        refused += [failing[s.id] for s in group if s.id in failing]
        passing = [s for s in group if s.id not in failing]
        if passing:
            decide(session, passing, action="approve", who=actor, why=rule_note(rule.name),
                   policy=policy, rule=rule.name)
            approved[rule.name] = tuple(s.sku for s in passing)
    summary = AutoApprovalSummary(run_id, approved, tuple(refused))
    run = session.get(SuggestionRun, run_id)
    assert run is not None
    run.summary = {**(run.summary or {}), "auto_approval": {
        **summary.as_json(), "at": utcnow().isoformat(), "by": actor,
        "rules": [rule.name for rule in rules]}}
    return summary


def run_auto_approval(
    db: Database, run_id: int, policy: PricingPolicy, *, actor: str = AUTO_ACTOR
) -> AutoApprovalSummary:
    """:func:`auto_approve` with the policy's own ``auto_approve`` rules, in a
    transaction of its own: the step the nightly sequence runs after the optimizer."""
    with db.session() as session:
        return auto_approve(session, run_id, policy.auto_approve, policy, actor=actor)
