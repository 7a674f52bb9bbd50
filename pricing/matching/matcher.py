"""Match competitor listings to our SKUs: pure functions over an indexed catalog.

Evidence is gathered in this order, and the first stage that finds any decides:

1. GTIN (valid check digit) equal to a catalog GTIN: ``gtin``, 0.99, auto. A GTIN-14
   whose base item is ours (a case of it) is reviewed. Field part-number evidence is
   gathered alongside, so a GTIN and a part number that disagree are reviewed.
2. The listing's part-number field, normalized:
   cross-reference on (brand, number) -> ``xref`` (auto; kit relations get
   ``kit_confidence``, reviewed by default); our own number with the brand agreeing
   or absent -> ``part_number`` (auto); then the same number with a brand prefix or
   suffix removed (``BOSCH0986452041``), then, for all-digit numbers, with leading
   zeros dropped (auto only when the brand agrees explicitly), then numbers inside
   the field's text (``Art.-Nr. FX-4471``).
3. Part numbers found in the title -> ``title_part_number`` (our number) or ``xref``:
   auto only when the listing's brand (field, or a brand named in the title) agrees
   and every hit resolves to one SKU; a hit that the title might continue (``HU 7008``
   in ``HU 7008 z``) is reviewed.
4. Fuzzy title similarity with blocking -> ``fuzzy``: reviewed, unless very strong and
   corroborated (see :class:`~pricing.matching.config.MatchingConfig`).

Everywhere: every SKU is followed through its supersession chain to the current SKU
(a cycle is reviewed); evidence for two different SKUs is a conflict and is reviewed;
a number one character away from ours is never a match (it is named in the note, and
any fuzzy match for that listing is reviewed at most); a different brand is never an
automatic match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from pricing.matching.config import MatchingConfig
from pricing.matching.index import CatalogIndex, IndexedXref
from pricing.matching.normalize import (
    _ascii_fold,
    find_part_numbers,
    gtin_check_digit,
    normalize_brand,
    normalize_gtin,
    normalize_part_number,
)
from pricing.matching.records import CatalogPart, CrossRef, ListingInput, MatchResult
from pricing.matching.units import parse_pack_qty

__all__ = ["CatalogIndex", "CatalogPart", "CrossRef", "ListingInput", "MatchResult", "Matcher"]

# Confidence of each kind of evidence; the thresholds in MatchingConfig turn them into
# a status. Evidence marked "may not auto" below is reviewed whatever its confidence.
GTIN = 0.99
GTIN_CASE = 0.75  # may not auto: a case of our item, the pack differs
XREF = {"equivalent": 0.98, "superseded": 0.97}
XREF_BRAND_IN_TITLE = 0.95  # brand field empty, the xref's brand is named in the title
XREF_NO_BRAND = 0.75  # may not auto
OWN = 0.97  # our number, brand agrees
OWN_NO_BRAND = 0.93  # our number, no brand anywhere
OWN_OTHER_BRAND = 0.65  # may not auto; weak: dropped when anything else is found
AFFIX = 0.94  # our number once a brand prefix/suffix is removed, that brand agrees
UNPADDED = 0.92  # leading zeros dropped, brand agrees explicitly
UNPADDED_NO_BRAND = 0.8  # may not auto
IN_FIELD_TEXT = 0.92  # a number inside the part-number field's text
TITLE = 0.93  # our number in the title, brand agrees
TITLE_XREF = 0.92  # a cross-referenced number in the title, its brand agrees
TITLE_NO_BRAND = 0.75  # may not auto when title_requires_brand
TITLE_OTHER_BRAND = 0.62  # may not auto; weak
DESCRIPTION = 0.91  # a model number written in our description, brand agrees

_WORDS = re.compile(r"[A-Z0-9]+")
_MAX_BRAND_WORDS = 3


@dataclass(frozen=True, slots=True)
class _Evidence:
    sku: str  # the current SKU, after supersession
    method: str
    confidence: float
    may_auto: bool
    number: str | None
    notes: tuple[str, ...] = ()
    weak: bool = False  # a brand conflict: counts only when nothing else was found


@dataclass(slots=True)
class _Ctx:
    listing: ListingInput
    brand: str  # the brand field, normalized and aliased
    title_brand: str  # a known brand leading the title
    mentioned: frozenset[str]  # known brands anywhere in the title
    pack_qty: int | None
    near: dict[str, str] = field(default_factory=dict)  # near-miss SKU -> its number
    number_missed: bool = False  # a part number was given and found nothing

    @property
    def effective_brand(self) -> str:
        return self.brand or self.title_brand


class Matcher:
    """Matches listings against a :class:`CatalogIndex` under a :class:`MatchingConfig`.

    Stateless between calls apart from caches; safe to reuse for any number of listings.
    """

    def __init__(self, index: CatalogIndex, config: MatchingConfig | None = None) -> None:
        self.index = index
        self.config = config or MatchingConfig()
        self._aliases = self.config.brand_aliases
        # every spelling of a known brand, as normalize_brand writes it
        self._known = (
            index.brands
            | frozenset(self._canon(b) for b in index.brands)
            | frozenset(self._aliases)
            | frozenset(self._aliases.values())
        )
        self._brand_pids: dict[str, frozenset[int]] = {}

    # --- public ----------------------------------------------------------------------

    def match(self, listing: ListingInput) -> MatchResult:
        """The best SKU for ``listing`` with method, confidence and status."""
        ctx = self._context(listing)
        evidence: list[_Evidence] = []
        gtin = normalize_gtin(listing.gtin)
        if gtin:
            evidence += self._by_gtin(gtin)
        if listing.part_number and normalize_part_number(listing.part_number):
            evidence += self._by_field_number(ctx, listing.part_number)
        if not evidence and listing.title:
            evidence += self._by_text_numbers(ctx, listing.title, in_field=False)
        if evidence:
            return self._decide(ctx, evidence)
        return self._by_fuzzy(ctx)

    def match_many(self, listings: Iterable[ListingInput]) -> list[MatchResult]:
        """:meth:`match` for each listing, in order."""
        return [self.match(listing) for listing in listings]

    # --- brands ----------------------------------------------------------------------

    def _canon(self, brand: str) -> str:
        return self._aliases.get(brand, brand)

    def _agree(self, a: str, b: str) -> bool:
        """Same maker: equal after aliasing, or one a prefix/suffix of the other
        (``MANN``/``MANNHUMMEL``, ``BOSCH``/``ROBERTBOSCH``)."""
        if not a or not b:
            return False
        a, b = self._canon(a), self._canon(b)
        if a == b:
            return True
        short, long_ = (a, b) if len(a) < len(b) else (b, a)
        return len(short) >= 3 and (long_.startswith(short) or long_.endswith(short))

    def _mentioned(self, ctx: _Ctx, brand: str) -> bool:
        return any(self._agree(brand, m) for m in ctx.mentioned)

    def _context(self, listing: ListingInput) -> _Ctx:
        words = _WORDS.findall(_ascii_fold(listing.title or "").upper().replace("&", ""))
        leading, mentioned = "", set()
        for i in range(len(words)):
            for n in range(1, _MAX_BRAND_WORDS + 1):
                if i + n > len(words):
                    break
                window = "".join(words[i : i + n])
                if window in self._known:
                    mentioned.add(self._canon(window))
                    if i == 0:
                        leading = self._canon(window)
        pack = listing.pack_qty or parse_pack_qty(listing.title)
        brand = self._canon(normalize_brand(listing.brand))
        return _Ctx(listing, brand, leading, frozenset(mentioned), pack)

    # --- evidence ----------------------------------------------------------------------

    def _evidence(
        self,
        sku: str,
        method: str,
        confidence: float,
        may_auto: bool,
        number: str | None,
        notes: tuple[str, ...] = (),
        weak: bool = False,
    ) -> _Evidence:
        resolved = self.index.current_sku(sku)
        if resolved.note:
            notes = (*notes, resolved.note)
        return _Evidence(
            resolved.sku, method, confidence, may_auto and resolved.ok, number, notes, weak
        )

    def _by_gtin(self, gtin: str) -> list[_Evidence]:
        skus = self.index.by_gtin.get(gtin, [])
        if skus:
            return [self._evidence(s, "gtin", GTIN, True, None) for s in skus]
        if gtin[0] in "12345678":  # a GTIN-14 for a case of a base item
            body = "0" + gtin[1:13]
            base = body + str(gtin_check_digit(body))
            note = f"GTIN {gtin} is a case or pack of {base}"
            return [
                self._evidence(s, "gtin", GTIN_CASE, False, None, (note,))
                for s in self.index.by_gtin.get(base, [])
            ]
        return []

    def _xref_evidence(
        self, ctx: _Ctx, entry: IndexedXref, number: str, *, in_text: bool
    ) -> _Evidence | None:
        relation = entry.xref.relation
        brand = ctx.effective_brand
        notes: list[str] = []
        if brand:
            if not self._agree(brand, entry.brand):
                return None
            conf, may = (TITLE_XREF if in_text else XREF.get(relation, XREF["equivalent"])), True
        elif self._mentioned(ctx, entry.brand):
            conf, may = (TITLE_XREF if in_text else XREF_BRAND_IN_TITLE), True
        else:
            conf, may = XREF_NO_BRAND, False
            notes.append(f"no brand given; {entry.xref.competitor_brand} number")
        if in_text:
            notes.append("number found in the title")
        if relation == "kit":
            conf = min(conf, self.config.kit_confidence)
            notes.append(f"kit: {entry.xref.competitor_brand} {entry.xref.competitor_part_number}")
        elif relation == "superseded":
            notes.append("competitor number is superseded")
        return self._evidence(entry.xref.sku, "xref", conf, may, number, tuple(notes))

    def _brand_fits(self, brand: str, sku: str) -> bool | None:
        """Whether the listing's ``brand`` is the part's maker: True, False, or None when
        it cannot be told (no brand given; the part has no brand and its description
        does not name this one)."""
        if not brand:
            return None
        part_brand = self.index.part_brand[sku]
        if part_brand:
            return self._agree(brand, part_brand)
        words = _WORDS.findall(_ascii_fold(self.index.parts[sku].description).upper())
        windows = {"".join(words[i : i + n]) for i in range(len(words)) for n in (1, 2)}
        return True if brand in windows else None

    def _own_evidence(
        self,
        ctx: _Ctx,
        sku: str,
        number: str,
        *,
        in_text: bool,
        method: str,
        in_description: bool = False,
    ) -> _Evidence:
        fits = self._brand_fits(ctx.effective_brand, sku)
        notes = ("number found in our description",) if in_description else ()
        if fits is False:
            conf = TITLE_OTHER_BRAND if in_text else OWN_OTHER_BRAND
            part = self.index.parts[sku]
            listed = ctx.listing.brand or ctx.title_brand
            notes += (f"brand {listed} differs from {part.brand}",)
            return self._evidence(sku, method, conf, False, number, notes, weak=True)
        if fits is None and (in_text or in_description):
            part_brand = self.index.part_brand[sku]
            if (part_brand and self._mentioned(ctx, part_brand)) or (
                not self.config.title_requires_brand
            ):
                fits = True
        if fits is True:
            conf = TITLE if in_text else OWN
        elif in_text or in_description:
            conf, notes = TITLE_NO_BRAND, (*notes, "no brand to confirm the number")
            return self._evidence(sku, method, conf, False, number, notes)
        else:
            conf = OWN_NO_BRAND  # our number, no brand to contradict it
        if in_description:
            conf = min(conf, DESCRIPTION)
        return self._evidence(sku, method, conf, True, number, notes)

    def _exact(
        self, ctx: _Ctx, key: str, number: str, *, in_text: bool, method: str
    ) -> list[_Evidence]:
        out = [
            ev
            for entry in self.index.xrefs_by_number.get(key, ())
            if (ev := self._xref_evidence(ctx, entry, number, in_text=in_text))
        ]
        out += [
            self._own_evidence(ctx, sku, number, in_text=in_text, method=method)
            for sku in self.index.by_number.get(key, ())
        ]
        if not out:
            out = [
                self._own_evidence(
                    ctx, sku, number, in_text=in_text, method=method, in_description=True
                )
                for sku in self.index.by_description_code.get(key, ())
            ]
        return out

    def _by_field_number(self, ctx: _Ctx, raw: str) -> list[_Evidence]:
        key = normalize_part_number(raw)
        found = self._exact(ctx, key, raw, in_text=False, method="part_number")
        if not found:
            found = self._by_brand_affix(ctx, key, raw)
        if not found and self.config.zero_padding_tolerant and key.isdigit():
            found = self._by_unpadded(ctx, key, raw)
        if not found:
            found = [
                e
                for e in self._by_text_numbers(ctx, raw, in_field=True)
                if e.number is None or normalize_part_number(e.number) != key
            ]
        if not found:
            ctx.number_missed = True
            self._note_near(ctx, key)
        return found

    def _by_brand_affix(self, ctx: _Ctx, key: str, raw: str) -> list[_Evidence]:
        out: list[_Evidence] = []
        for n in range(2, len(key) - 2):
            for brand, rest in ((key[:n], key[n:]), (key[-n:], key[:-n])):
                if brand not in self._known or not any(ch.isdigit() for ch in rest):
                    continue
                if ctx.effective_brand and not self._agree(ctx.effective_brand, brand):
                    continue
                note = f"brand {brand} removed from the number"
                for entry in self.index.xrefs_by_number.get(rest, ()):
                    if self._agree(brand, entry.brand):
                        sku = entry.xref.sku
                        out.append(self._evidence(sku, "xref", AFFIX, True, raw, (note,)))
                for sku in self.index.by_number.get(rest, ()):
                    if self._agree(brand, self.index.part_brand[sku]):
                        out.append(self._evidence(sku, "part_number", AFFIX, True, raw, (note,)))
        return out

    def _by_unpadded(self, ctx: _Ctx, key: str, raw: str) -> list[_Evidence]:
        short = key.lstrip("0")
        if len(short) < 4:
            return []
        brand = ctx.effective_brand
        note = "equal once leading zeros are dropped"
        out: list[_Evidence] = []
        owners = [
            (s, self.index.part_brand[s]) for s in self.index.by_number_unpadded.get(short, ())
        ]
        owners += [(e.xref.sku, e.brand) for e in self.index.xrefs_by_unpadded.get(short, ())]
        for sku, owner_brand in owners:
            if brand and self._agree(brand, owner_brand):
                out.append(self._evidence(sku, "part_number", UNPADDED, True, raw, (note,)))
            elif not brand:
                conf = UNPADDED_NO_BRAND
                out.append(self._evidence(sku, "part_number", conf, False, raw, (note,)))
        return out

    def _note_near(self, ctx: _Ctx, key: str) -> None:
        if len(key) < 4:
            return
        for near in sorted(self.index.near_numbers(key)):
            for sku in self.index.by_number.get(near, ()):
                ctx.near[self.index.current_sku(sku).sku] = near
            for entry in self.index.xrefs_by_number.get(near, ()):
                if not ctx.effective_brand or self._agree(ctx.effective_brand, entry.brand):
                    ctx.near[self.index.current_sku(entry.xref.sku).sku] = near

    def _by_text_numbers(self, ctx: _Ctx, text: str, *, in_field: bool) -> list[_Evidence]:
        method = "part_number" if in_field else "title_part_number"
        hits = []
        for cand in find_part_numbers(text):
            found = self._exact(ctx, cand.key, cand.raw, in_text=not in_field, method=method)
            if in_field:
                found = [replace(e, confidence=min(e.confidence, IN_FIELD_TEXT)) for e in found]
            if found:
                hits.append((cand, found))
        out: list[_Evidence] = []
        for cand, found in hits:
            if any(
                o.start <= cand.start
                and cand.end <= o.end
                and (o.start, o.end) != (cand.start, cand.end)
                for o, _ in hits
            ):
                continue  # a longer number around it was found too; that one counts
            for e in found:
                if cand.extendable or e.sku in ctx.near:
                    note = f"'{cand.raw}' may be part of a longer number in the text"
                    e = replace(e, may_auto=False, notes=(*e.notes, note))
                out.append(e)
        return out

    # --- fuzzy -------------------------------------------------------------------------

    def _pids_for_brand(self, brand: str) -> frozenset[int]:
        pids = self._brand_pids.get(brand)
        if pids is None:
            fz = self.index.fuzzy
            ok = {b for b in set(fz.part_brands) if self._agree(brand, normalize_brand(b))}
            pids = frozenset(i for i, b in enumerate(fz.part_brands) if b in ok)
            self._brand_pids[brand] = pids
        return pids

    def _by_fuzzy(self, ctx: _Ctx) -> MatchResult:
        cfg, title = self.config, ctx.listing.title
        if not cfg.fuzzy_enabled or not title or not len(self.index.fuzzy):
            return self._unmatched(ctx)
        brand = ctx.effective_brand
        brand_ok = None
        if brand:
            allowed = self._pids_for_brand(brand)
            if not allowed:
                return self._unmatched(ctx, f"no part of brand {brand}")
            brand_ok = allowed.__contains__
        fz = self.index.fuzzy
        pids = fz.candidates(
            title,
            brand_ok=brand_ok,
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
        ev = self._evidence(best.sku, "fuzzy", conf, strong, ctx.listing.part_number, tuple(notes))
        return self._decide(ctx, [ev])

    # --- decision ----------------------------------------------------------------------

    def _decide(self, ctx: _Ctx, evidence: list[_Evidence]) -> MatchResult:
        cfg = self.config
        strong = [e for e in evidence if not e.weak] or evidence
        best_per_sku: dict[str, _Evidence] = {}
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
        status = cfg.status_for(best.confidence, best.may_auto and not rivals)
        if status == "unmatched":
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
        )

    def _by_pack(self, ctx: _Ctx, ranked: list[_Evidence]) -> tuple[list[_Evidence], str | None]:
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
                return [same[0], *rest], f"pack of {pack}: SKU with pack {wanted} chosen"
        return ranked, None

    def _near_notes(self, ctx: _Ctx) -> list[str]:
        return [
            f"number differs by one character from {near} (SKU {sku}): a different part"
            for sku, near in sorted(ctx.near.items())
        ]

    def _unmatched(self, ctx: _Ctx, *notes: str, confidence: float = 0.0) -> MatchResult:
        all_notes = [*notes, *self._near_notes(ctx)]
        return MatchResult(
            ctx.listing.listing_id,
            None,
            "none",
            round(confidence, 4),
            "unmatched",
            ctx.listing.part_number,
            "; ".join(dict.fromkeys(all_notes)) or None,
        )
