"""Learning from people's decisions: a model over the matcher's evidence that says how
likely a proposed match is right, ranks the review queue, and, once enough decisions
exist, accepts the candidates whose probability gives the configured precision.

Every ``confirm`` is a right (listing, SKU) pair and every ``reject`` a wrong one. Each
pair is described by the same few numbers (:data:`FEATURES`), computed from the
matcher's own reading of the listing: the method and confidence it reached for that
SKU, how similar the title is to our description (word order and units do not count),
whether the brand agrees, how many of the part's codes the title carries, whether the
title names a model number we do not know, whether the part-number field is ours, and
the matcher's warnings (a conflict, a near miss). A scikit-learn
``LogisticRegression`` on those numbers gives calibrated probabilities.

The auto-accept threshold is chosen on held-out decisions: every decision is scored by
a model fitted without it (stratified k-fold), and the threshold is the lowest
probability above which the held-out precision is at least ``auto_precision``, with at
least ``min_support`` held-out decisions above it. With fewer than ``min_decisions``
decisions, or only one kind, there is no model and matching is exactly as without
this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from pricing.matching.config import LearnedConfig
from pricing.matching.fuzzy import codes_of, compact, contains_code
from pricing.matching.fuzzy import process as fuzzy_text
from pricing.matching.matcher import Matcher
from pricing.matching.normalize import find_part_numbers, normalize_part_number
from pricing.matching.records import ListingInput, MatchResult, MatchStatus

__all__ = ["FEATURES", "Decision", "LearnedModel", "features"]

_METHODS = ("gtin", "xref", "part_number", "title_part_number", "replaces", "fuzzy")
FEATURES = (
    "proposed",  # the matcher's own best candidate is this SKU
    "confidence",  # the matcher's confidence for it (0 when it proposed another)
    *(f"method_{m}" for m in _METHODS),
    "title_sort",  # token-sort similarity of title and our brand + description
    "title_set",  # token-set similarity (one text's words inside the other's)
    "brand",  # +1 the listing's brand agrees, -1 it names another, 0 none given
    "codes_present",  # share of the part's codes (sizes, model numbers) in the title
    "codes_missing",  # the part has codes and the title carries none of them
    "unknown_model",  # the title names a model number our catalog does not know
    "field_number",  # +1 the part-number field is ours, -1 another number, 0 none
    "conflict",  # the matcher saw evidence for another SKU too
    "near_miss",  # a number one character from ours
    "not_corroborated",  # a fuzzy match the matcher could not corroborate
)


@dataclass(frozen=True, slots=True)
class Decision:
    """A person's verdict on a (listing, SKU) pair."""

    listing: ListingInput
    sku: str
    accepted: bool


def features(matcher: Matcher, listing: ListingInput, sku: str, result: MatchResult) -> list[float]:
    """The numbers describing the pair (``listing``, ``sku``), given the matcher's
    ``result`` for the listing (see :data:`FEATURES`)."""
    index = matcher.index
    part = index.parts[sku]
    proposed = result.sku == sku
    title = listing.title or ""
    query, text = fuzzy_text(title), fuzzy_text(f"{part.brand} {part.description}")
    brand = matcher.brands.of_field(listing.brand) or matcher.brands.in_title(title).leading
    agree = 0.0
    if brand:
        agree = 1.0 if matcher.brands.agree(brand, index.part_brand[sku]) else -1.0
    codes = codes_of(part.description) | {compact(part.part_number)}
    title_compact = compact(f"{title} {listing.part_number or ''}")
    present = [contains_code(title_compact, c) for c in codes if c]
    known = index.description_keys
    unknown = any(
        c.score >= 2.0
        and c.key not in known
        and c.key not in index.by_number
        and c.key not in index.xrefs_by_number
        for c in find_part_numbers(title)
    )
    field = 0.0
    if listing.part_number and normalize_part_number(listing.part_number):
        key = normalize_part_number(listing.part_number)
        field = 1.0 if key in index.codes_by_sku.get(sku, ()) else -1.0
    note = result.note or ""
    return [
        float(proposed),
        result.confidence if proposed else 0.0,
        *(float(proposed and result.method == m) for m in _METHODS),
        fuzz.token_sort_ratio(query, text) / 100,
        fuzz.token_set_ratio(query, text) / 100,
        agree,
        sum(present) / len(present) if present else 0.0,
        float(bool(present) and not any(present)),
        float(unknown),
        field,
        float(proposed and "conflicts with" in note),
        float(f"(SKU {sku})" in note and "one character" in note),
        float(proposed and "not corroborated" in note),
    ]


@dataclass(frozen=True, slots=True)
class HeldOut:
    """How the model did on review-queue decisions it was not fitted on, at its
    threshold."""

    decisions: int  # decisions on candidates the matcher left for review
    accepted: int  # of those, the ones a person accepted
    threshold: float | None  # None: no threshold reaches the precision
    precision: float  # held-out precision above the threshold
    recall: float  # share of accepted decisions above the threshold


class LearnedModel:
    """A fitted model: :meth:`probability` for a pair, :meth:`apply` for results."""

    def __init__(self, config: LearnedConfig, model: Any, held_out: HeldOut) -> None:
        self.config = config
        self._model = model
        self.held_out = held_out

    @property
    def threshold(self) -> float | None:
        """The probability from which a pending candidate is accepted (None: never)."""
        if self.config.auto_precision is None:
            return None
        return self.held_out.threshold

    @classmethod
    def fit(
        cls, matcher: Matcher, decisions: Sequence[Decision], config: LearnedConfig
    ) -> LearnedModel | None:
        """A model fitted on ``decisions``; None when there are fewer than
        ``config.min_decisions``, or not both kinds, or learning is off."""
        decisions = [d for d in decisions if d.sku in matcher.index.parts]
        if not config.enabled or len(decisions) < config.min_decisions:
            return None
        rows, pending = [], []
        for d in decisions:
            result = matcher.match(d.listing)
            rows.append(features(matcher, d.listing, d.sku, result))
            pending.append(result.sku == d.sku and result.status == MatchStatus.needs_review)
        return cls.fit_features(rows, [d.accepted for d in decisions], config, pending)

    @classmethod
    def fit_features(
        cls,
        rows: Sequence[Sequence[float]],
        accepted: Sequence[bool],
        config: LearnedConfig,
        pending: Sequence[bool] | None = None,
    ) -> LearnedModel | None:
        """:meth:`fit` on feature rows already computed (decisions from several
        catalogs, as the benchmark pools its labelled sets). ``pending``: which
        decisions were on a candidate the matcher leaves for review; the threshold is
        chosen on those alone, since only such candidates are ever accepted (all when
        None)."""
        labels = np.asarray(accepted, dtype=int)
        if (
            not config.enabled
            or len(labels) < config.min_decisions
            or labels.sum() < 2
            or (len(labels) - labels.sum()) < 2
        ):
            return None
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        x = np.asarray(rows, dtype=float)
        folds = int(min(config.folds, labels.sum(), len(labels) - labels.sum()))
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        held = cross_val_predict(_estimator(config), x, labels, cv=cv,
                                 method="predict_proba")[:, 1]
        model = _estimator(config).fit(x, labels)
        queue = np.ones(len(labels), dtype=bool) if pending is None else np.asarray(pending)
        return cls(config, model, _held_out(held[queue], labels[queue], config))

    def probability(
        self, matcher: Matcher, listing: ListingInput, result: MatchResult
    ) -> float | None:
        """How likely ``result``'s SKU is right for ``listing`` (None: no SKU)."""
        if result.sku is None or result.sku not in matcher.index.parts:
            return None
        x = np.asarray([features(matcher, listing, result.sku, result)])
        return float(self._model.predict_proba(x)[0, 1])

    def apply(
        self,
        matcher: Matcher,
        listings: Sequence[ListingInput],
        results: Sequence[MatchResult],
    ) -> list[tuple[MatchResult, float | None]]:
        """Each result with its probability; a ``needs_review`` one at or above the
        threshold becomes ``auto``, its note saying why."""
        threshold = self.threshold
        out = []
        for listing, result in zip(listings, results, strict=True):
            pending = result.status == MatchStatus.needs_review
            p = self.probability(matcher, listing, result) if pending else None
            if p is not None and threshold is not None and p >= threshold:
                h = self.held_out
                note = (
                    f"accepted by the learned model: probability {p:.3f} >= {threshold:.3f}, "
                    f"the threshold for precision {self.config.auto_precision} on "
                    f"{h.decisions} decisions (held-out precision {h.precision:.3f})"
                )
                notes = "; ".join(n for n in (result.note, note) if n)
                result = replace(result, status=MatchStatus.auto, note=notes)
            out.append((result, p))
        return out


def _estimator(config: LearnedConfig) -> Any:  # an sklearn Pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=config.regularization,
                                                              max_iter=1000))


def _held_out(held: np.ndarray, labels: np.ndarray, config: LearnedConfig) -> HeldOut:
    """The lowest threshold whose held-out precision (of the decisions at or above it)
    reaches ``auto_precision``, with at least ``min_support`` decisions above it."""
    order = np.argsort(-held, kind="stable")
    probs, ys = held[order], labels[order]
    tp = np.cumsum(ys)
    precision = tp / np.arange(1, len(ys) + 1)
    wanted = config.auto_precision if config.auto_precision is not None else 1.0
    best: int | None = None
    for i in range(config.min_support - 1, len(ys)):
        # cut only between distinct probabilities
        if precision[i] >= wanted and (i + 1 == len(ys) or probs[i + 1] < probs[i]):
            best = i
    accepted = int(labels.sum())
    if best is None:
        return HeldOut(len(labels), accepted, None, 0.0, 0.0)
    return HeldOut(
        len(labels), accepted, float(probs[best]), float(precision[best]),
        float(tp[best] / accepted) if accepted else 0.0,
    )
