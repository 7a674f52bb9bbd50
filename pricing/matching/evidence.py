"""Evidence from numbers: GTINs, part-number fields and part numbers in titles.

Each piece of evidence names a (current) SKU, a method, a confidence, and whether it
may decide alone. :class:`~pricing.matching.matcher.Matcher` weighs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property

from pricing.matching.brands import BrandRules, TitleBrands, words_of
from pricing.matching.config import MatchingConfig
from pricing.matching.context import (
    FITS,
    REPLACES,
    NumberContext,
    names_what_it_fits,
    number_context,
    token_words,
)
from pricing.matching.index import CatalogIndex, IndexedXref
from pricing.matching.normalize import (
    Candidate,
    find_part_numbers,
    gtin_check_digit,
    normalize_gtin,
    normalize_part_number,
    text_tokens,
)
from pricing.matching.records import ListingInput

__all__ = ["Evidence", "ListingContext", "NumberEvidence", "gtin_in_number_field"]

# Confidence of each kind of evidence; the thresholds in MatchingConfig turn them into
# a status. Evidence marked "may not auto" below is reviewed whatever its confidence.
GTIN = 0.99
GTIN_CASE = 0.75  # may not auto: a case of our item, the pack differs
XREF = {"equivalent": 0.98, "superseded": 0.97}
XREF_BRAND_IN_TITLE = 0.95  # brand field empty, the xref's brand is named in the title
XREF_NO_BRAND = 0.75  # may not auto
OWN = 0.97  # our number, brand agrees
OWN_NO_BRAND = 0.93  # our number, no brand anywhere
# Our number under another maker's brand: below review_threshold by default, so the
# listing stays unmatched and the note names the candidate; weak: dropped when anything
# else is found.
OWN_OTHER_BRAND = 0.5
AFFIX = 0.94  # our number once a brand prefix/suffix is removed, that brand agrees
UNPADDED = 0.92  # leading zeros dropped, brand agrees explicitly
UNPADDED_NO_BRAND = 0.8  # may not auto
IN_FIELD_TEXT = 0.92  # a number inside the part-number field's text
TITLE = 0.93  # our number in the title, brand agrees
TITLE_XREF = 0.92  # a cross-referenced number in the title, its brand agrees
TITLE_NO_BRAND = 0.75  # may not auto when title_requires_brand
TITLE_OTHER_BRAND = 0.5  # the same in a title
DESCRIPTION = 0.91  # a model number written in our description, brand agrees
# Our exact number after "replaces / interchange / OEM ref ..." on a listing whose brand
# is not the part's: a competitor's part that replaces ours (relation alternative).
REPLACES_OURS = 0.93
# Our exact number after "fits / for / compatible with": may not auto (it may be a part
# the product merely works with); relation alternative.
FITS_OURS = 0.75

_MODEL_LIKE = 2.0  # candidate score of letters+digits or a long digit run
_NEAR_CHECKS = 3  # title candidates checked for one-character near misses


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason to think a listing is a SKU."""

    sku: str  # the current SKU, after supersession
    method: str
    confidence: float
    may_auto: bool
    number: str | None
    notes: tuple[str, ...] = ()
    weak: bool = False  # a brand conflict: counts only when nothing else was found
    relation: str = "same"  # see records.MATCH_RELATIONS
    reason: str = ""  # the fact it rests on, for MatchResult.evidence
    from_description: bool = False  # a model number written in our description


@dataclass(slots=True)
class ListingContext:
    """What the matcher knows about a listing beyond its fields."""

    listing: ListingInput
    brand: str  # the brand field, normalized and aliased
    title_brands: TitleBrands  # known brands in the title
    pack_qty: int | None
    near: dict[str, str] = field(default_factory=dict)  # near-miss SKU -> its number
    number_missed: bool = False  # a part number was given and found nothing

    @property
    def title_brand(self) -> str:
        """The known brand the title starts with, if any."""
        return self.title_brands.leading

    @property
    def effective_brand(self) -> str:
        """The brand field, or failing that the brand the title starts with."""
        return self.brand or self.title_brand


class NumberEvidence:
    """Finds SKUs by GTIN and part number for one catalog index."""

    def __init__(self, index: CatalogIndex, config: MatchingConfig, brands: BrandRules) -> None:
        self.index = index
        self.config = config
        self.brands = brands

    def _agree(self, a: str, b: str) -> bool:
        return self.brands.agree(a, b)

    def _mentioned(self, ctx: ListingContext, brand: str) -> bool:
        return self.brands.mentioned(brand, ctx.title_brands)

    def evidence(
        self,
        sku: str,
        method: str,
        confidence: float,
        may_auto: bool,
        number: str | None,
        notes: tuple[str, ...] = (),
        weak: bool = False,
        *,
        relation: str = "same",
        reason: str = "",
        from_description: bool = False,
    ) -> Evidence:
        """Evidence for ``sku`` moved to its current SKU; a broken supersession chain
        makes it reviewed."""
        resolved = self.index.current_sku(sku)
        if resolved.note:
            notes = (*notes, resolved.note)
        return Evidence(
            resolved.sku,
            method,
            confidence,
            may_auto and resolved.ok,
            number,
            notes,
            weak,
            relation,
            reason,
            from_description,
        )

    def by_gtin(self, gtin: str) -> list[Evidence]:
        """Evidence from a valid 14-digit GTIN, or from the base item of a case GTIN."""
        skus = self.index.by_gtin.get(gtin, [])
        if skus:
            return [
                self.evidence(s, "gtin", GTIN, True, None, reason=f"GTIN {gtin} is SKU {s}'s")
                for s in skus
            ]
        if gtin[0] in "12345678":  # a GTIN-14 for a case of a base item
            body = "0" + gtin[1:13]
            base = body + str(gtin_check_digit(body))
            note = f"GTIN {gtin} is a case or pack of {base}"
            return [
                self.evidence(s, "gtin", GTIN_CASE, False, None, (note,), reason=note)
                for s in self.index.by_gtin.get(base, [])
            ]
        return []

    def _xref_evidence(
        self, ctx: ListingContext, entry: IndexedXref, number: str, *, in_text: bool
    ) -> Evidence | None:
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
        return self.evidence(
            entry.xref.sku,
            "xref",
            conf,
            may,
            number,
            tuple(notes),
            relation=_xref_relation(relation),
            reason=_xref_reason(entry),
        )

    def _own_evidence(
        self,
        ctx: ListingContext,
        sku: str,
        number: str,
        *,
        in_text: bool,
        method: str,
        in_description: bool = False,
    ) -> Evidence:
        part = self.index.parts[sku]
        fits = self.brands.fits(ctx.effective_brand, self.index.part_brand[sku], part.description)
        notes: tuple[str, ...] = ("number found in our description",) if in_description else ()
        where = "the title" if in_text else "the part-number field"
        if in_description:
            reason = f"{number} in {where} is written in our description of SKU {sku}"
        else:
            reason = f"{number} in {where} is our part number {part.part_number} ({part.brand})"
        if fits is False:
            conf = TITLE_OTHER_BRAND if in_text else OWN_OTHER_BRAND
            listed = ctx.listing.brand or ctx.title_brand
            notes += (f"brand {listed} differs from {part.brand}",)
            return self.evidence(
                sku, method, conf, False, number, notes, weak=True, reason=reason,
                from_description=in_description,
            )
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
            return self.evidence(sku, method, conf, False, number, notes, reason=reason,
                                 from_description=in_description)
        else:
            conf = OWN_NO_BRAND  # our number, no brand to contradict it
        if in_description:
            conf = min(conf, DESCRIPTION)
        return self.evidence(sku, method, conf, True, number, notes, reason=reason,
                             from_description=in_description)

    def _exact(
        self, ctx: ListingContext, key: str, number: str, *, in_text: bool, method: str
    ) -> list[Evidence]:
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

    def by_field_number(self, ctx: ListingContext, raw: str) -> list[Evidence]:
        """Evidence from the listing's part-number field (see the matcher's stage 2)."""
        key = normalize_part_number(raw)
        found = self._exact(ctx, key, raw, in_text=False, method="part_number")
        if not found:
            found = self._by_brand_affix(ctx, key, raw)
        if not found:
            found = self._by_stem(ctx, key, raw)
        if not found and self.config.zero_padding_tolerant and key.isdigit():
            found = self._by_unpadded(ctx, key, raw)
        if not found:
            found = self.by_text_numbers(ctx, raw, in_field=True)
        if not found and len(key) >= 3 and any(ch.isdigit() for ch in key):
            ctx.number_missed = True  # a real number that is not ours: no guessing
            self._note_near(ctx, key)
        return found

    def _by_brand_affix(self, ctx: ListingContext, key: str, raw: str) -> list[Evidence]:
        out: list[Evidence] = []
        for n in range(2, len(key) - 2):
            for brand, rest in ((key[:n], key[n:]), (key[-n:], key[:-n])):
                if brand not in self.brands.known or not any(ch.isdigit() for ch in rest):
                    continue
                if ctx.effective_brand and not self._agree(ctx.effective_brand, brand):
                    continue
                note = f"brand {brand} removed from the number"
                for entry in self.index.xrefs_by_number.get(rest, ()):
                    if self._agree(brand, entry.brand):
                        out.append(
                            self.evidence(
                                entry.xref.sku, "xref", AFFIX, True, raw, (note,),
                                relation=_xref_relation(entry.xref.relation),
                                reason=_xref_reason(entry),
                            )
                        )
                for sku in self.index.by_number.get(rest, ()):
                    if self._agree(brand, self.index.part_brand[sku]):
                        reason = f"{raw} is our part number {self.index.parts[sku].part_number}"
                        out.append(
                            self.evidence(
                                sku, "part_number", AFFIX, True, raw, (note,), reason=reason
                            )
                        )
        return out

    @cached_property
    def _stems(self) -> dict[str, list[tuple[str, str]]]:
        """Our part numbers as shops shorten them: without a trailing region or
        packaging code of letters (``MZ-77E1T0B/AM`` -> ``MZ77E1T0B``) and without our
        brand in front (``FLUKE-117`` -> ``117``); stem -> [(SKU, what was dropped)]."""
        out: dict[str, list[tuple[str, str]]] = {}
        for sku, part in self.index.parts.items():
            number = part.part_number.strip()
            brand = self.index.part_brand[sku]
            region = _REGION_SUFFIX.search(number)
            if region:
                out.setdefault(normalize_part_number(number[: region.start()]), []).append(
                    (sku, region.group(0)))
            key = normalize_part_number(number)
            if brand and key.startswith(brand) and len(key) - len(brand) >= 3:
                out.setdefault(key[len(brand):], []).append((sku, part.brand))
        return {k: v for k, v in out.items() if k and k not in self.index.by_number}

    def _by_stem(self, ctx: ListingContext, key: str, raw: str) -> list[Evidence]:
        """Our number written shorter (see :attr:`_stems`): automatic only with the
        brand agreeing and one SKU for the stem."""
        owners = self._stems.get(key, ())
        brand = ctx.effective_brand
        out = []
        for sku, dropped in owners:
            if not brand or not self._agree(brand, self.index.part_brand[sku]):
                continue
            part = self.index.parts[sku]
            out.append(self.evidence(
                sku, "part_number", STEM, len(owners) == 1, raw,
                (f"{raw} is our {part.part_number} without {dropped!r}",),
                reason=f"{raw} in the part-number field is our part number "
                       f"{part.part_number} ({part.brand}) without {dropped!r}",
            ))
        return out

    def _by_unpadded(self, ctx: ListingContext, key: str, raw: str) -> list[Evidence]:
        short = key.lstrip("0")
        if len(short) < 4:
            return []
        brand = ctx.effective_brand
        note = "equal once leading zeros are dropped"
        out: list[Evidence] = []
        owners = [
            (s, self.index.part_brand[s], "same", f"{raw} is our part number "
             f"{self.index.parts[s].part_number} without its leading zeros")
            for s in self.index.by_number_unpadded.get(short, ())
        ]
        owners += [
            (e.xref.sku, e.brand, _xref_relation(e.xref.relation), _xref_reason(e))
            for e in self.index.xrefs_by_unpadded.get(short, ())
        ]
        for sku, owner_brand, relation, reason in owners:
            if brand and self._agree(brand, owner_brand):
                conf, may = UNPADDED, True
            elif not brand:
                conf, may = UNPADDED_NO_BRAND, False
            else:
                continue
            out.append(
                self.evidence(
                    sku, "part_number", conf, may, raw, (note,), relation=relation, reason=reason
                )
            )
        return out

    def _note_near(self, ctx: ListingContext, key: str) -> None:
        if len(key) < 4:
            return
        for near in sorted(self.index.near_numbers(key)):
            for sku in self.index.by_number.get(near, ()):
                ctx.near[self.index.current_sku(sku).sku] = near
            for entry in self.index.xrefs_by_number.get(near, ()):
                if not ctx.effective_brand or self._agree(ctx.effective_brand, entry.brand):
                    ctx.near[self.index.current_sku(entry.xref.sku).sku] = near

    def by_text_numbers(self, ctx: ListingContext, text: str, *, in_field: bool) -> list[Evidence]:
        """Evidence from part numbers written in ``text`` (a title, or a part-number field
        holding more than a number). A hit inside a longer hit is dropped; a hit the text
        may continue is reviewed; with no hit, model-like numbers one character from ours
        are recorded in ``ctx.near``."""
        method = "part_number" if in_field else "title_part_number"
        hits = []
        candidates = find_part_numbers(text)
        for cand in candidates:
            found = self._exact(ctx, cand.key, cand.raw, in_text=not in_field, method=method)
            if in_field:
                found = [replace(e, confidence=min(e.confidence, IN_FIELD_TEXT)) for e in found]
            if found:
                hits.append((cand, found))
        if not hits:
            variants = self._by_variant_suffix(ctx, candidates, in_field=in_field, method=method)
            if variants:
                return variants
        if not hits and not in_field:
            # a model number in the title one character away from ours rules that part out
            for cand in [c for c in candidates if c.score >= _MODEL_LIKE][:_NEAR_CHECKS]:
                self._note_near(ctx, cand.key)
        if not in_field:
            hits = self._read_context(ctx, text, candidates, hits)
        unknown = self._unknown_model(candidates, hits)
        out: list[Evidence] = []
        for cand, found in hits:
            if any(
                o.start <= cand.start
                and cand.end <= o.end
                and (o.start, o.end) != (cand.start, cand.end)
                for o, _ in hits
            ):
                continue  # a longer number around it was found too; that one counts
            extendable = cand.extendable and self._extendable(text, cand)
            # "compatible toner for HP CF226X": the number names what it fits, and the
            # maker is someone else unless the brand field says it is ours
            fits_other = not in_field and not ctx.brand and names_what_it_fits(text, cand.start)
            for e in found:
                if extendable:
                    note = f"'{cand.raw}' may be part of a longer number in the text"
                    e = replace(e, may_auto=False, notes=(*e.notes, note))
                if fits_other and e.method not in ("xref", "replaces"):
                    note = f"the title says it fits or replaces {cand.raw}"
                    e = replace(e, may_auto=False, notes=(*e.notes, note))
                if unknown and e.from_description and not self._variant_of(unknown, e.sku):
                    # "Canon SX620 ... 1073C001": the title's model number is another's
                    note = f"the text also names {unknown.raw}, a model number not ours"
                    e = replace(e, may_auto=False, notes=(*e.notes, note))
                out.append(e)
        return out

    def _unknown_model(
        self, candidates: list[Candidate], hits: list[tuple[Candidate, list[Evidence]]]
    ) -> Candidate | None:
        """The most model-like number of a text that found nothing, overlaps no number
        that did, and is written nowhere in our catalog (not a series or a spec such as
        ``DDR4``), if any."""
        spans = [(c.start, c.end) for c, _ in hits]
        for cand in candidates:  # most likely first
            if cand.score < _MODEL_LIKE:
                return None
            if cand.key in self.index.description_keys:
                continue
            if not any(s < cand.end and cand.start < e for s, e in spans):
                return cand
        return None

    def _variant_of(self, cand: Candidate, sku: str) -> bool:
        """Whether ``cand`` is one of the SKU's codes with a suffix added or dropped
        (``CHDHX-901`` for ``CHDHX-901-RW``): the same model, written shorter or longer."""
        key = cand.key
        return any(
            len(code) >= _VARIANT_MIN_HEAD and len(key) >= _VARIANT_MIN_HEAD
            and (code.startswith(key) or key.startswith(code))
            for code in self.index.codes_by_sku.get(sku, ())
        )

    def _read_context(
        self,
        ctx: ListingContext,
        text: str,
        candidates: list[Candidate],
        hits: list[tuple[Candidate, list[Evidence]]],
    ) -> list[tuple[Candidate, list[Evidence]]]:
        """Title hits as the words in front of them say: our number after "replaces /
        interchange / OEM ref" is a competitor's alternative to it; after "fits / for /
        compatible with", a reviewed alternative; a model code of our description after
        such words names a machine the product fits, not the product. When the title
        also names a number without such words, that number is what the listing is, and
        the replaced ones are dropped."""
        tokens = text_tokens(text)
        words = token_words(tokens)
        skip = self._brand_positions(words)
        for cand in candidates:
            skip.update(range(cand.start, cand.end))
        read: list[tuple[Candidate, list[Evidence], bool]] = []
        for cand, found in hits:
            around = number_context(tokens, cand.start, cand.end, skip, words)
            if around is None:
                read.append((cand, found, False))
                continue
            said = [e for e in (self._in_context(ctx, cand, e, around) for e in found) if e]
            read.append((cand, said, around.kind == REPLACES))
        plain = any(not stated and any(not e.weak for e in found) for _, found, stated in read)
        return [
            (cand, found) for cand, found, stated in read if found and not (plain and stated)
        ]

    def _in_context(
        self, ctx: ListingContext, cand: Candidate, e: Evidence, around: NumberContext
    ) -> Evidence | None:
        if e.method == "xref":
            return e  # a competitor's number: the cross-reference says what it is
        if cand.key not in self.index.by_number:
            return None  # a model code of our description ("fits 5075E"): a machine
        part = self.index.parts[e.sku]
        listed = self.brands.fits(ctx.effective_brand, self.index.part_brand[e.sku],
                                  part.description)
        reason = f'title: "{around.phrase}"'
        if listed is True:
            if around.kind == FITS:
                return e
            note = f"our own brand says it replaces {cand.raw}: a person decides"
            return replace(e, may_auto=False, notes=(*e.notes, note))
        if around.kind == REPLACES and not (around.oe_label_only and listed is None):
            note = f"the title says it replaces our {cand.raw}"
            return self.evidence(
                e.sku, "replaces", REPLACES_OURS, True, cand.raw, (note,),
                relation="alternative", reason=reason,
            )
        note = f"the title says it fits or is compatible with {cand.raw}: a person decides"
        return self.evidence(
            e.sku, "replaces", FITS_OURS, False, cand.raw, (note,),
            relation="alternative", reason=reason,
        )

    def _brand_positions(self, words: list[str]) -> set[int]:
        """Token positions covered by a known brand name (one to three tokens)."""
        out: set[int] = set()
        for i in range(len(words)):
            for n in (1, 2, 3):
                if i + n <= len(words) and "".join(words[i : i + n]) in self.brands.known:
                    out.update(range(i, i + n))
        return out

    def _extendable(self, text: str, cand: Candidate) -> bool:
        """Whether a letter group next to ``cand`` may really continue it: a brand name
        (``WD40EZRX WD Green``, ``HP CF226X``) does not."""
        tokens = text_tokens(text)
        around = [tokens[i] for i in (cand.start - 1, cand.end) if 0 <= i < len(tokens)]
        letters = [t for t in around if t.isalpha() and len(t) <= 2]
        return any("".join(words_of(t)) not in self.brands.known for t in letters)

    def _by_variant_suffix(
        self, ctx: ListingContext, candidates: list[Candidate], *, in_field: bool, method: str
    ) -> list[Evidence]:
        """Our number with a variant suffix after a separator (``WD40EZRZ-00GXCB0``,
        ``SM-G991B/DS``): likely the same product or a regional or packaging variant of
        it, so a person decides; never automatic."""
        out: list[Evidence] = []
        for cand in candidates:
            if cand.score < _MODEL_LIKE or not any(sep in cand.raw for sep in _VARIANT_SEPS):
                continue
            for head in _variant_heads(cand.raw):
                key = normalize_part_number(head)
                if len(key) < _VARIANT_MIN_HEAD or key == cand.key:
                    continue
                found = self._exact(ctx, key, head, in_text=not in_field, method=method)
                note = f"'{cand.raw}' is our number {head} with a variant suffix"
                out += [
                    replace(e, confidence=min(e.confidence, VARIANT), may_auto=False,
                            notes=(*e.notes, note))
                    for e in found
                    if not e.weak
                ]
                if found:
                    break
        return out


_VARIANT_SEPS = ("-", "/")
# A trailing region or packaging code of letters only: "/AM", "-RW", "#ABA"
_REGION_SUFFIX = re.compile(r"[-/#][A-Za-z]{2,3}$")
STEM = 0.92  # our number without a region code or our brand in front, brand agrees
_VARIANT_MIN_HEAD = 5
VARIANT = 0.8  # may not auto: our number plus a suffix (another region, colour, pack?)


def _variant_heads(raw: str) -> list[str]:
    """Prefixes of ``raw`` ending before a ``-`` or ``/``, longest first
    (``WD40EZRZ-00GXCB0`` -> ``WD40EZRZ``; ``SM-G991B/DS`` -> ``SM-G991B``, ``SM``)."""
    cuts = [i for i, ch in enumerate(raw) if ch in _VARIANT_SEPS and i > 0]
    return [raw[:i] for i in reversed(cuts)]


def gtin_in_number_field(text: str) -> str | None:
    """Shops put EAN/UPC codes in the part-number field; a 12- to 14-digit value with a
    valid check digit is taken as a GTIN as well."""
    digits = normalize_part_number(text)
    return normalize_gtin(digits) if digits.isdigit() and len(digits) >= 12 else None


def _xref_relation(relation: str) -> str:
    """A match's relation from a cross-reference's: a kit stays a kit; an equivalent or
    superseded competitor number is an alternative to our part."""
    return "kit" if relation == "kit" else "alternative"


def _xref_reason(entry: IndexedXref) -> str:
    x = entry.xref
    return f"cross-reference {x.competitor_brand} {x.competitor_part_number} ({x.relation})"
