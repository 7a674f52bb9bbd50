"""Match competitor listings to our SKUs: pure functions over an indexed catalog.

Evidence is gathered in this order; the first stage that finds any decides:

1. GTIN (valid check digit; also a valid 12-14 digit code in the part-number field)
   equal to a catalog GTIN: ``gtin``, 0.99, auto. A GTIN-14 whose base item is ours (a
   case of it) is reviewed. Part-number evidence is gathered alongside, so a GTIN and a
   part number that disagree are reviewed.
2. The listing's part-number field, normalized: cross-reference on (brand, number) ->
   ``xref`` (auto; a ``kit`` relation gets ``kit_confidence`` and the note ``kit``); our
   own number with the brand agreeing or absent -> ``part_number`` (auto); then the
   number with a brand prefix or suffix removed (``BOSCH0986452041``); for all-digit
   numbers, with leading zeros dropped (auto only when the brand agrees explicitly);
   then numbers inside the field's text (``Art.-Nr. FX-4471``); then model numbers
   written in our descriptions (unique ones only).
3. Part numbers found in the title -> ``title_part_number`` (our number) or ``xref``:
   auto only when the listing's brand (field, or a brand named in the title) agrees
   and every hit resolves to one SKU; a hit that the title might continue (``HU 7008``
   in ``HU 7008 z``) is reviewed.
   Each hit is read with the words in front of it (:mod:`pricing.matching.context`):
   our exact number after "replaces / interchange / OEM ref ..." on a listing whose
   brand is not the part's -> ``replaces``, relation ``alternative``, auto; after
   "fits / for / compatible with" the same, reviewed; a model code of our description
   after such words names a machine and is dropped.
4. Fuzzy title similarity with blocking -> ``fuzzy``: reviewed, unless very strong and
   corroborated (see :class:`~pricing.matching.config.MatchingConfig`).

Every match carries a relation (``same``: our part resold; ``alternative``: a
cross-reference or a replace phrase; ``kit``: a kit cross-reference) and the evidence
it rests on, in words.

Everywhere: every SKU is followed through its supersession chain to the current SKU (a
cycle is reviewed); evidence for two different SKUs is a conflict and is reviewed, except
between pack variants of one number, where the listing's pack (or the single unit)
decides; a number one character away from ours is never a match (the note names it, and
no other evidence for that SKU is auto); a different brand is never an automatic match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from pricing.matching.brands import BrandRules, acronym_aliases
from pricing.matching.config import MatchingConfig
from pricing.matching.evidence import (
    Evidence,
    ListingContext,
    NumberEvidence,
    gtin_in_number_field,
)
from pricing.matching.index import CatalogIndex
from pricing.matching.normalize import normalize_brand, normalize_gtin, normalize_part_number
from pricing.matching.records import (
    CatalogPart,
    CrossRef,
    ListingInput,
    MatchResult,
    MatchStatus,
)
from pricing.matching.units import effective_pack

__all__ = ["CatalogIndex", "CatalogPart", "CrossRef", "ListingInput", "MatchResult", "Matcher"]


class Matcher:
    """Matches listings against a :class:`CatalogIndex` under a :class:`MatchingConfig`.

    Stateless between calls apart from caches; safe to reuse for any number of listings.
    """

    def __init__(self, index: CatalogIndex, config: MatchingConfig | None = None) -> None:
        self.index = index
        self.config = config or MatchingConfig()
        # configured aliases win over the initials of multi-word brands (WD, HP)
        aliases = {**acronym_aliases(index.brand_names, index.brands),
                   **self.config.brand_aliases}
        self.brands = BrandRules(index.brands, aliases)
        self.numbers = NumberEvidence(index, self.config, self.brands)
        self._brand_masks: dict[str, np.ndarray] = {}

    # --- public ----------------------------------------------------------------------

    def match(self, listing: ListingInput) -> MatchResult:
        """The best SKU for ``listing`` with method, confidence and status."""
        ctx = self._context(listing)
        evidence: list[Evidence] = []
        gtin = normalize_gtin(listing.gtin)
        if gtin is None and listing.part_number and not listing.gtin:
            gtin = gtin_in_number_field(listing.part_number)
        if gtin:
            evidence += self.numbers.by_gtin(gtin)
        if listing.part_number and normalize_part_number(listing.part_number):
            evidence += self.numbers.by_field_number(ctx, listing.part_number)
        if not evidence and listing.title:
            evidence += self._title_numbers(ctx)
        if evidence:
            return self._decide(ctx, evidence)
        return self._by_fuzzy(ctx)

    def _title_numbers(self, ctx: ListingContext) -> list[Evidence]:
        """Numbers in the title. When the part-number field holds a model number that is
        not ours, that field is the listing's identity: our number in the title (a
        series name, a compatible model) is reviewed, not automatic
        (``Bosch drill GSR12V-300B22`` with ``GSR12V-300N`` in the field)."""
        found = self.numbers.by_text_numbers(ctx, ctx.listing.title, in_field=False)
        if not ctx.number_missed:
            return found
        note = f"the part-number field says {ctx.listing.part_number}, not this number"
        return [
            replace(e, may_auto=False, notes=(*e.notes, note))
            if e.method == "title_part_number" and e.may_auto else e
            for e in found
        ]

    def match_many(self, listings: Iterable[ListingInput]) -> list[MatchResult]:
        """:meth:`match` for each listing, in order."""
        return [self.match(listing) for listing in listings]

    def _context(self, listing: ListingInput) -> ListingContext:
        found = self.brands.in_title(listing.title)
        stated, _ = effective_pack(listing.pack_qty, listing.title)
        pack = stated if listing.pack_qty or stated > 1 else None  # None: no pack stated
        brand = self.brands.of_field(listing.brand)
        return ListingContext(listing, brand, found, pack)

    # --- fuzzy -------------------------------------------------------------------------

    def _brand_mask(self, brand: str) -> np.ndarray:
        mask = self._brand_masks.get(brand)
        if mask is None:
            mask = self.index.fuzzy.brand_mask(
                lambda name: self.brands.agree(brand, normalize_brand(name))
            )
            self._brand_masks[brand] = mask
        return mask

    def _by_fuzzy(self, ctx: ListingContext) -> MatchResult:
        cfg, title = self.config, ctx.listing.title
        if not cfg.fuzzy_enabled or not title or not len(self.index.fuzzy):
            return self._unmatched(ctx)
        brand = ctx.effective_brand
        allowed = None
        if brand:
            allowed = self._brand_mask(brand)
            if not allowed.any():
                return self._unmatched(ctx, f"no part of brand {brand}")
        fz = self.index.fuzzy
        pids = fz.candidates(
            title,
            allowed=allowed,
            block_tokens=cfg.block_tokens,
            block_max_postings=cfg.block_max_postings,
            max_candidates=cfg.max_candidates,
        )
        hits = [h for h in fz.score(title, pids) if h.score >= cfg.fuzzy_min_score]
        if not hits:
            return self._unmatched(ctx)
        best = hits[0]
        # a rival counts only if the title does not contradict it (all its codes present)
        runner = next((h.score for h in hits[1:] if h.sku != best.sku and h.corroborated), 0.0)
        notes = [f"title similarity {best.score:.2f}"]
        strong = (
            best.score >= cfg.fuzzy_auto_score
            and best.corroborated
            and bool(ctx.brand)
            and best.score - runner >= cfg.fuzzy_margin
            and not ctx.number_missed
        )
        if not strong:
            notes.append("not corroborated")
        conf = best.score if strong else min(best.score, cfg.fuzzy_review_cap)
        ev = self.numbers.evidence(
            best.sku, "fuzzy", conf, strong, ctx.listing.part_number, tuple(notes),
            reason=f"title similar to our description of SKU {best.sku} ({best.score:.2f})",
        )
        return self._decide(ctx, [ev])

    # --- decision ----------------------------------------------------------------------

    def _decide(self, ctx: ListingContext, evidence: list[Evidence]) -> MatchResult:
        cfg = self.config
        strong = [e for e in evidence if not e.weak] or evidence
        best_per_sku: dict[str, Evidence] = {}
        for e in strong:
            cur = best_per_sku.get(e.sku)
            if cur is None or (e.confidence, e.may_auto) > (cur.confidence, cur.may_auto):
                best_per_sku[e.sku] = e
        ranked = sorted(best_per_sku.values(), key=lambda e: (-e.confidence, not e.may_auto))
        notes: list[str] = []
        if len(ranked) > 1:
            ranked, note = self._by_pack(ctx, ranked)
            notes += [note] if note else []
        best = ranked[0]
        rivals = [e for e in ranked[1:] if e.confidence >= cfg.review_threshold]
        notes = [*best.notes, *notes]
        notes += [f"conflicts with SKU {r.sku} ({r.method})" for r in rivals]
        notes += self._near_notes(ctx)
        if best.sku in ctx.near:
            # the listing's own number is one character away from this SKU's: another part
            notes.insert(0, f"candidate SKU {best.sku} by {best.method} ruled out")
            return self._unmatched(ctx, *notes, confidence=0.0)
        status = cfg.status_for(best.confidence, best.may_auto and not rivals)
        if status == MatchStatus.unmatched:
            notes.insert(0, f"best candidate SKU {best.sku} by {best.method}")
            return self._unmatched(ctx, *notes, confidence=best.confidence)
        return MatchResult(
            ctx.listing.listing_id,
            best.sku,
            best.method,
            round(best.confidence, 4),
            status,
            best.number or ctx.listing.part_number,
            "; ".join(dict.fromkeys(notes)) or None,
            best.relation,
            best.reason or None,
        )

    def _by_pack(
        self, ctx: ListingContext, ranked: list[Evidence]
    ) -> tuple[list[Evidence], str | None]:
        """Among pack variants of one part (same evidence, different ``pack_qty``), keep
        the one with the listing's pack; failing that, the single unit, whose per-unit
        price compares with any pack. A listing that states no pack is a single unit."""
        top = ranked[0]
        tied = [e for e in ranked if (e.confidence, e.may_auto) == (top.confidence, top.may_auto)]
        if len(tied) < 2:
            return ranked, None
        pack = ctx.pack_qty or 1
        for wanted in dict.fromkeys((pack, 1)):
            same = [e for e in tied if self.index.parts[e.sku].pack_qty == wanted]
            if len(same) == 1:
                rest = [e for e in ranked if e not in tied]
                if ctx.pack_qty is None:
                    return [same[0], *rest], "no pack stated: the single unit is chosen"
                return [same[0], *rest], f"pack of {pack}: SKU with pack {wanted} chosen"
        return ranked, None

    def _near_notes(self, ctx: ListingContext) -> list[str]:
        return [
            f"number differs by one character from {near} (SKU {sku}): a different part"
            for sku, near in sorted(ctx.near.items())
        ]

    def _unmatched(self, ctx: ListingContext, *notes: str, confidence: float = 0.0) -> MatchResult:
        all_notes = [*notes, *self._near_notes(ctx)]
        return MatchResult(
            ctx.listing.listing_id,
            None,
            "none",
            round(confidence, 4),
            MatchStatus.unmatched,
            ctx.listing.part_number,
            "; ".join(dict.fromkeys(all_notes)) or None,
        )
