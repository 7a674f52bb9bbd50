"""Thresholds and knobs of the matcher, as one validated settings object.

The CLI loads it from ``config/matching.yaml`` (every key optional); the matcher only
receives the object. Confidences are in [0, 1].
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pricing.matching.normalize import normalize_brand
from pricing.matching.records import MatchStatus

__all__ = ["LearnedConfig", "MatchingConfig"]


class LearnedConfig(BaseModel):
    """Learning from confirm/reject decisions (:mod:`pricing.matching.learned`).

    With fewer than ``min_decisions`` decisions nothing changes. From there a model
    ranks the review queue (``pricing matches --status needs_review``, most likely
    first, column ``probability``) and, unless ``auto_precision`` is null, a pending
    candidate whose probability reaches the threshold that gave ``auto_precision`` on
    held-out decisions becomes ``auto``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    """Set false to ignore decisions entirely."""

    min_decisions: int = Field(default=50, ge=4)
    """Decisions (confirms plus rejects) needed before a model is fitted."""

    auto_precision: float | None = Field(default=0.99, gt=0.5, le=1.0)
    """Precision the auto-accept threshold must reach on held-out decisions; null:
    the model only ranks the review queue, it never accepts."""

    min_support: int = Field(default=10, ge=1)
    """Held-out decisions that must lie above the threshold for it to count."""

    folds: int = Field(default=5, ge=2, le=20)
    """Cross-validation folds for the held-out probabilities."""

    regularization: float = Field(default=1.0, gt=0.0)
    """Inverse regularization strength of the logistic regression (``C``)."""


class MatchingConfig(BaseModel):
    """How sure the matcher must be before a match is used, and how hard it looks.

    Status from confidence: ``auto`` at or above ``auto_threshold`` (only for methods
    allowed to decide alone), ``needs_review`` at or above ``review_threshold``,
    ``unmatched`` (no SKU) below it. A one-character part-number difference, a
    conflict between two pieces of evidence, and any fuzzy match that is not
    corroborated never become ``auto``, whatever the thresholds.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    auto_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    """Confidence from which a match is used without review (reaches the optimizer)."""

    review_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    """Confidence from which a candidate is shown for review; below it: unmatched."""

    kit_confidence: float = Field(default=0.9, ge=0.0, le=1.0)
    """Confidence of a cross-reference with ``relation: kit`` (it maps to our kit SKU,
    with the note ``kit``). A curated kit reference is used like any other at the
    default 0.9; a kit's contents need not equal ours one for one, so set it below
    ``auto_threshold`` to have every kit match reviewed."""

    zero_padding_tolerant: bool = True
    """Accept a part number that equals ours once leading zeros are dropped
    (``986452041`` for ``0986452041``, as spreadsheets write it), as a weaker match:
    auto only when the brand agrees explicitly."""

    title_requires_brand: bool = True
    """A part number found only in the title is auto only when the listing's brand (field,
    or a brand named in the title) agrees with the part's; else it is reviewed."""

    fuzzy_enabled: bool = True
    """Try title/brand/attribute similarity for listings whose numbers found nothing."""

    fuzzy_min_score: float = Field(default=0.8, ge=0.0, le=1.0)
    """Similarity (0-1) below which a fuzzy candidate is dropped."""

    fuzzy_auto_score: float = Field(default=0.95, ge=0.0, le=1.0)
    """Similarity from which a fuzzy match may be auto, and only when corroborated: the
    brand is given and agrees, every code-like attribute of the part (tokens with
    digits) is in the title, and the runner-up is ``fuzzy_margin`` behind."""

    fuzzy_margin: float = Field(default=0.06, ge=0.0, le=1.0)
    """How far the best fuzzy candidate must lead the runner-up (another SKU) to be auto."""

    fuzzy_review_cap: float = Field(default=0.85, ge=0.0, le=1.0)
    """Highest confidence an uncorroborated fuzzy match gets (it is reviewed at most)."""

    block_max_postings: int = Field(default=2000, ge=1)
    """Blocking: a title token shared by more catalog parts than this is too common to
    propose candidates (it still counts when scoring them)."""

    block_tokens: int = Field(default=6, ge=1)
    """Blocking: how many of a title's rarest tokens propose candidates."""

    max_candidates: int = Field(default=25, ge=1)
    """Blocking: how many proposed parts are scored with the fuzzy scorer."""

    brand_aliases: dict[str, str] = Field(default_factory=dict)
    """Brand spellings that name the same maker, e.g. ``{"Hewlett-Packard": "HP"}``;
    keys and values are normalized like every brand."""

    learned: LearnedConfig = Field(default_factory=LearnedConfig)
    """Learning from people's confirm/reject decisions; see :class:`LearnedConfig`."""

    @field_validator("brand_aliases")
    @classmethod
    def _normalize_aliases(cls, value: dict[str, str]) -> dict[str, str]:
        out = {}
        for key, target in value.items():
            k, t = normalize_brand(key), normalize_brand(target)
            if not k or not t:
                raise ValueError(f"brand alias {key!r} -> {target!r} has an empty side")
            out[k] = t
        return out

    @model_validator(mode="after")
    def _ordered(self) -> MatchingConfig:
        if self.review_threshold > self.auto_threshold:
            raise ValueError(
                f"review_threshold ({self.review_threshold}) must not exceed "
                f"auto_threshold ({self.auto_threshold})"
            )
        if self.fuzzy_min_score > self.fuzzy_auto_score:
            raise ValueError("fuzzy_min_score must not exceed fuzzy_auto_score")
        return self

    def status_for(self, confidence: float, may_auto: bool = True) -> MatchStatus:
        """``auto``, ``needs_review`` or ``unmatched`` for ``confidence``."""
        if may_auto and confidence >= self.auto_threshold:
            return MatchStatus.auto
        if confidence >= self.review_threshold:
            return MatchStatus.needs_review
        return MatchStatus.unmatched
