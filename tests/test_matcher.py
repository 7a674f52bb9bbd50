"""Matching: listings to SKUs, rule by rule, and precision/recall on a labeled set."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pydantic import ValidationError

from pricing.matching import (
    CatalogIndex,
    CatalogPart,
    CrossRef,
    ListingInput,
    Matcher,
    MatchingConfig,
    MatchResult,
    normalize_part_number,
)
from pricing.matching.labelled import (
    LABELLED_SETS,
    load_catalog,
    load_labelled,
    load_xrefs,
    score,
)

DATA = Path(__file__).parent / "data"

PARTS = [
    CatalogPart(
        "OF-1", "FX-4471", "Acme", "Oil filter, spin-on, M20x1.5, 79 mm", "Filters", "4006381333931"
    ),
    CatalogPart(
        "OF-1-4",
        "FX-4471",
        "Acme",
        "Oil filter, spin-on, M20x1.5, 79 mm, pack of 4",
        "Filters",
        None,
        4,
    ),
    CatalogPart("OF-2", "FX-4477", "Acme", "Oil filter, spin-on, M20x1.5, 100 mm", "Filters"),
    CatalogPart("OF-OLD", "FX-4400", "Acme", "Oil filter (old)", "Filters", None, 1, "OF-MID"),
    CatalogPart("OF-MID", "FX-4400A", "Acme", "Oil filter (revised)", "Filters", None, 1, "OF-1"),
    CatalogPart("HS-A", "HS-9001", "Acme", "Heater hose 16 mm", "Hoses", None, 1, "HS-B"),
    CatalogPart("HS-B", "HS-9002", "Acme", "Heater hose 16 mm revised", "Hoses", None, 1, "HS-A"),
    CatalogPart("BT-1", "5PK1150", "Acme", "Poly V-belt 5 ribs 1150 mm", "Belts"),
    CatalogPart("BT-2", "5PK1200", "Acme", "Poly V-belt 5 ribs 1200 mm", "Belts"),
    CatalogPart("KIT-1", "TB-3021K", "Acme", "Timing belt kit with tensioner", "Belts"),
    CatalogPart("EL-1", "AL-1420", "Acme", "Alternator 14V 120A", "Electrical"),
    CatalogPart("EL-2", "ST-0012", "Acme", "Starter motor 12V 1.4 kW", "Electrical"),
    CatalogPart("EL-3", "0986452041", "Acme", "Ignition coil, pencil type", "Electrical"),
    CatalogPart("TV-1", "KDL-40V4100", "Sony", "Sony Bravia V Series 40 inch LCD HDTV", "TVs"),
]
XREFS = [
    CrossRef("MANN-FILTER", "W 712/75", "OF-1"),
    CrossRef("Bosch", "0 986 452 044", "OF-1"),
    CrossRef("Gates", "K015603XS", "KIT-1", "kit"),
    CrossRef("Gates", "02-1650", "HS-A"),
    CrossRef("Hella", "AL-1420", "EL-2"),
    CrossRef("Acme", "FX-4300", "OF-1", "superseded"),
    CrossRef("Mahle", "OC 999", "NOPE"),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(CatalogIndex.build(PARTS, XREFS))


def listing(
    title: str = "",
    brand: str | None = None,
    pn: str | None = None,
    gtin: str | None = None,
    pack: int | None = None,
) -> ListingInput:
    return ListingInput(1, "shop", title, brand, pn, gtin, pack)


def check(result: MatchResult, sku: str | None, status: str, method: str | None = None) -> None:
    assert (result.sku, result.status) == (sku, status), result
    if method:
        assert result.method == method, result


@pytest.mark.parametrize(
    ("brand", "pn", "sku"),
    [
        ("Acme", "FX-4471", "OF-1"),
        ("ACME", "fx 4471", "OF-1"),
        ("Acme GmbH", "FX.4471", "OF-1"),
        (None, "FX_4471", "OF-1"),
        ("Acme", "FX-4477", "OF-2"),
        ("Acme", "5 PK 1150", "BT-1"),
        ("Acme", "0986 452 041", "EL-3"),
        ("Acme", "ACME-FX-4471", "OF-1"),
    ],
)
def test_own_part_number_is_auto(matcher: Matcher, brand: str | None, pn: str, sku: str) -> None:
    check(matcher.match(listing("Oil filter", brand, pn)), sku, "auto", "part_number")


@pytest.mark.parametrize(
    "pn", ["FX-4472", "FX-4417", "FX-4471B", "FX-447", "5PK1151", "6PK1150", "FX-4478", "HS-9003"]
)
def test_one_character_difference_is_never_auto(matcher: Matcher, pn: str) -> None:
    result = matcher.match(listing(f"Acme {pn} oil filter spin-on M20x1.5 79 mm", "Acme", pn))
    assert result.status != "auto", result
    assert "differs by one character" in (result.note or "")


def test_one_character_difference_in_the_title_is_not_matched(matcher: Matcher) -> None:
    result = matcher.match(listing("Acme FX-4472 spin-on oil filter M20x1.5 79 mm", "Acme"))
    assert result.status != "auto", result


def test_random_one_character_mutations_never_auto_match() -> None:
    parts = _labeled_parts()
    m = Matcher(CatalogIndex.build(parts, _labeled_xrefs()))
    known = set(m.index.by_number) | set(m.index.xrefs_by_number) | set(m.index.by_description_code)
    rng = random.Random(7)
    alphabet = "0123456789ABCDEFGHJKLMNPRSTVXZ"
    tried = 0
    for part in parts:
        key = normalize_part_number(part.part_number)
        for _ in range(6):
            i = rng.randrange(len(key))
            mutated = key[:i] + rng.choice(alphabet) + key[i + 1 :]
            if mutated in known or mutated.lstrip("0") != mutated:
                continue
            tried += 1
            for title in (part.description, f"{part.brand} {mutated} {part.description}"):
                result = m.match(ListingInput(1, "s", title, part.brand, mutated, None, None))
                assert result.status != "auto", (part.sku, mutated, result)
    assert tried > 150


def test_gtin_is_auto_and_checked(matcher: Matcher) -> None:
    check(matcher.match(listing("Filter", gtin="4006381333931")), "OF-1", "auto", "gtin")
    check(matcher.match(listing("Filter", gtin="4 006381 333931")), "OF-1", "auto", "gtin")
    bad = matcher.match(listing("Filter", gtin="4006381333932"))
    check(bad, None, "unmatched")


def test_gtin_in_the_part_number_field(matcher: Matcher) -> None:
    check(matcher.match(listing("Filter", pn="4006381333931")), "OF-1", "auto", "gtin")


def test_gtin_and_number_that_disagree_are_reviewed(matcher: Matcher) -> None:
    result = matcher.match(listing("Filter", "Acme", "FX-4477", "4006381333931"))
    check(result, "OF-1", "needs_review", "gtin")
    assert "conflicts with SKU OF-2" in (result.note or "")


def test_case_gtin_is_reviewed(matcher: Matcher) -> None:
    result = matcher.match(listing("Filter case", gtin="14006381333938"))
    check(result, "OF-1", "needs_review", "gtin")


def test_cross_reference_is_auto(matcher: Matcher) -> None:
    for brand, pn in [
        ("MANN-FILTER", "W 712/75"),
        ("Mann", "W712/75"),
        ("MANN+HUMMEL", "W712-75"),
        ("Robert Bosch GmbH", "0986452044"),
        ("Bosch", "BOSCH 0 986 452 044"),
    ]:
        check(matcher.match(listing("oil filter", brand, pn)), "OF-1", "auto", "xref")


def test_cross_reference_needs_the_right_brand(matcher: Matcher) -> None:
    check(matcher.match(listing("oil filter", "Mahle", "W 712/75")), None, "unmatched")
    no_brand = matcher.match(listing("oil filter", None, "W 712/75"))
    check(no_brand, "OF-1", "needs_review", "xref")
    in_title = matcher.match(listing("MANN-FILTER oil filter", None, "W 712/75"))
    check(in_title, "OF-1", "auto", "xref")


def test_cross_reference_versus_own_number(matcher: Matcher) -> None:
    """AL-1420 is our alternator and Hella's number for a starter: the brand decides."""
    check(matcher.match(listing("starter", "Hella", "AL-1420")), "EL-2", "auto", "xref")
    check(matcher.match(listing("alternator", "Acme", "AL-1420")), "EL-1", "auto", "part_number")
    unsure = matcher.match(listing("alternator or starter", None, "AL-1420"))
    assert unsure.status == "needs_review" and "conflicts" in (unsure.note or "")


def test_supersession_chain_resolves_to_current_sku(matcher: Matcher) -> None:
    result = matcher.match(listing("oil filter", "Acme", "FX-4400"))
    check(result, "OF-1", "auto", "part_number")
    assert "OF-OLD -> OF-MID -> OF-1" in (result.note or "")
    superseded_xref = matcher.match(listing("oil filter", "Acme", "FX-4300"))
    check(superseded_xref, "OF-1", "auto", "xref")


def test_supersession_cycle_is_safe_and_reviewed(matcher: Matcher) -> None:
    assert any("cycle" in p for p in matcher.index.problems)
    check(matcher.match(listing("hose", "Acme", "HS-9001")), "HS-A", "needs_review")
    check(matcher.match(listing("hose", "Gates", "02-1650")), "HS-A", "needs_review", "xref")


def test_dangling_cross_reference_is_reported_and_ignored(matcher: Matcher) -> None:
    assert any("unknown SKU NOPE" in p for p in matcher.index.problems)
    check(matcher.match(listing("oil filter", "Mahle", "OC 999")), None, "unmatched")


def test_kit_maps_to_the_kit_sku_with_a_note(matcher: Matcher) -> None:
    result = matcher.match(listing("timing belt kit", "Gates", "K015603XS"))
    check(result, "KIT-1", "auto", "xref")
    assert result.confidence == pytest.approx(0.9) and "kit" in (result.note or "")
    strict = Matcher(matcher.index, MatchingConfig(kit_confidence=0.8))
    check(strict.match(listing("kit", "Gates", "K015603XS")), "KIT-1", "needs_review", "xref")


@pytest.mark.parametrize(
    ("title", "brand", "sku", "status"),
    [
        ("Acme FX-4471 spin-on oil filter", "Acme", "OF-1", "auto"),
        ("ACME FX 4471 Oil Filter", None, "OF-1", "auto"),
        ("Oil filter FX-4477 by Acme", None, "OF-2", "auto"),
        ("MANN-FILTER W 712/75 Ölfilter", None, "OF-1", "auto"),
        ("Sony KDL40V4100 Bravia", None, "TV-1", "auto"),
        ("Spin-on oil filter FX-4471", None, "OF-1", "needs_review"),
        ("Febi FX-4471 oil filter", "Febi", None, "unmatched"),
        ("Acme FX-4471 / FX-4477 oil filters", "Acme", "OF-1", "needs_review"),
    ],
)
def test_part_numbers_in_titles(
    matcher: Matcher, title: str, brand: str | None, sku: str | None, status: str
) -> None:
    result = matcher.match(listing(title, brand))
    assert (result.sku, result.status) == (sku, status), result


def test_number_the_title_may_continue_is_reviewed() -> None:
    parts = [CatalogPart("X", "HU-7008", "Mann", "Filter element", "Filters")]
    m = Matcher(CatalogIndex.build(parts, []))
    check(m.match(listing("MANN HU 7008 z filter", "Mann")), "X", "needs_review")
    check(m.match(listing("MANN HU 7008 filter", "Mann")), "X", "auto")


@pytest.mark.parametrize("brand", ["Febi", "Bosch", "Sharp"])
def test_same_title_different_brand_is_not_a_match(matcher: Matcher, brand: str) -> None:
    for part in PARTS:
        result = matcher.match(listing(part.description, brand))
        assert result.status != "auto" and result.sku is None, (brand, part.sku, result)


def test_fuzzy_strong_and_corroborated_is_auto(matcher: Matcher) -> None:
    result = matcher.match(listing("Acme spin-on oil filter M20x1.5 79mm", "Acme"))
    check(result, "OF-1", "auto", "fuzzy")


@pytest.mark.parametrize(
    ("title", "brand", "sku"),
    [
        ("oil filter spin-on M20x1.5 79 mm", None, "OF-1"),  # no brand: never auto
        ("Acme Oil Filter Spin On 100mm thread M20", "Acme", "OF-2"),  # weaker similarity
        ("Acme poly V belt 1150", "Acme", "BT-1"),
    ],  # rib count missing: not corroborated
)
def test_fuzzy_is_reviewed_unless_corroborated(
    matcher: Matcher, title: str, brand: str | None, sku: str
) -> None:
    check(matcher.match(listing(title, brand)), sku, "needs_review", "fuzzy")


def test_fuzzy_never_auto_for_a_listing_whose_number_is_unknown(matcher: Matcher) -> None:
    result = matcher.match(listing("Acme spin-on oil filter M20x1.5 79mm", "Acme", "ZZ-1234"))
    assert result.status != "auto", result


def test_code_attributes_must_not_conflict(matcher: Matcher) -> None:
    result = matcher.match(listing("Acme Poly V-belt 5 ribs 1250 mm", "Acme"))
    assert result.status != "auto", result


def test_pack_variants(matcher: Matcher) -> None:
    check(matcher.match(listing("Acme FX-4471 (pack of 4)", "Acme", "FX-4471")), "OF-1-4", "auto")
    check(matcher.match(listing("Acme FX-4471", "Acme", "FX-4471", pack=4)), "OF-1-4", "auto")
    default_one = listing("Acme FX-4471 (pack of 4)", "Acme", "FX-4471", pack=1)
    check(matcher.match(default_one), "OF-1-4", "auto")
    check(matcher.match(listing("Acme FX-4471", "Acme", "FX-4471")), "OF-1", "auto")
    check(matcher.match(listing("Acme FX-4471, 2 pcs", "Acme", "FX-4471")), "OF-1", "auto")


def test_match_many_keeps_order(matcher: Matcher) -> None:
    items = [
        ListingInput(i, "s", "Acme oil filter", "Acme", pn, None, None)
        for i, pn in enumerate(["FX-4471", "nothing", "FX-4477"])
    ]
    results = matcher.match_many(items)
    assert [r.listing_id for r in results] == [0, 1, 2]
    assert [r.sku for r in results] == ["OF-1", None, "OF-2"]
    assert results[1].method == "none" and results[1].status == "unmatched"


def test_blocking_bounds_the_candidates() -> None:
    parts = [
        CatalogPart(f"S{i}", f"P{i:05d}", "Acme", f"Oil filter type {i} spin-on", "Filters")
        for i in range(3000)
    ]
    index = CatalogIndex.build(parts, [])
    proposed = index.fuzzy.candidates(
        "Acme oil filter spin-on type 1234",
        allowed=None,
        block_tokens=6,
        block_max_postings=500,
        max_candidates=25,
    )
    assert 0 < len(proposed) <= 25 and index.fuzzy.skus[proposed[0]] == "S1234"
    common_only = index.fuzzy.candidates(
        "Acme oil filter", allowed=None, block_tokens=6, block_max_postings=500, max_candidates=25
    )
    assert common_only == []


def test_config_is_validated() -> None:
    with pytest.raises(ValidationError):
        MatchingConfig(auto_treshold=0.9)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="review_threshold"):
        MatchingConfig(auto_threshold=0.5, review_threshold=0.7)
    with pytest.raises(ValidationError):
        MatchingConfig(auto_threshold=1.5)
    cfg = MatchingConfig(brand_aliases={"Hewlett-Packard": "HP"})
    assert cfg.brand_aliases == {"HEWLETTPACKARD": "HP"}
    assert [cfg.status_for(c) for c in (0.95, 0.7, 0.3)] == ["auto", "needs_review", "unmatched"]
    assert cfg.status_for(0.99, may_auto=False) == "needs_review"


def test_brand_aliases() -> None:
    parts = [CatalogPart("P", "C-1234", "HP", "Toner cartridge black", "Printing")]
    index = CatalogIndex.build(parts, [])
    plain = Matcher(index).match(listing("toner", "Canon", "C-1234"))
    check(plain, None, "unmatched")
    assert "best candidate SKU P" in (plain.note or "") and "differs" in (plain.note or "")
    aliased = Matcher(index, MatchingConfig(brand_aliases={"Hewlett Packard": "HP"}))
    check(aliased.match(listing("toner", "Hewlett-Packard", "C-1234")), "P", "auto")
    # learned without configuration: a brand field spelling out a known brand's
    # initials, or joining its words with "and", is that brand
    check(Matcher(index).match(listing("toner", "Hewlett Packard", "C-1234")), "P", "auto")
    deck = CatalogIndex.build(
        [CatalogPart("D", "LDX120C", "Black & Decker", "Cordless drill 20V", "Tools")], []
    )
    for brand in ("Black and Decker", "BLACK+DECKER", "B&D"):
        check(Matcher(deck).match(listing("drill", brand, "LDX120C")), "D", "auto")
    check(Matcher(deck).match(listing("drill", "Black Diamond", "LDX120C")), None, "unmatched")


# --- retail model numbers in free text ---------------------------------------------------

ELECTRONICS = [
    CatalogPart("HD1", "WD40EZRZ", "Western Digital", "WD Blue 4TB desktop hard drive", "IT"),
    CatalogPart("HD2", "WD40EZRX", "Western Digital", "WD Green 4TB desktop hard drive", "IT"),
    CatalogPart("PH1", "SM-G991B", "Samsung", "Galaxy S21 5G 128GB", "Phones"),
    CatalogPart("TN1", "CF226X", "Hewlett-Packard", "LaserJet toner 26X black", "Printing"),
]


@pytest.mark.parametrize(
    ("title", "brand", "sku", "status"),
    [
        # initials of a multi-word brand are an alias: WD, HP
        ("WD Blue 4TB Desktop Hard Drive - WD40EZRZ", None, "HD1", "auto"),
        ("Disque dur interne WD Blue 4 To (WD40EZRZ)", "WD", "HD1", "auto"),
        ("Toner HP CF226X high yield", None, "TN1", "auto"),
        # a brand next to the number does not continue it
        ("WD40EZRX WD Green 4TB", "WD", "HD2", "auto"),
        ("Smartphone Samsung Galaxy S21 SMG991B 128 Go gris", None, "PH1", "auto"),
        # our number plus a variant suffix: a person decides
        ("WD 4TB Blue WD40EZRZ-00GXCB0", None, "HD1", "needs_review"),
        ("Samsung Galaxy S21 5G (SM-G991B/DS) Dual SIM", "Samsung", "PH1", "needs_review"),
        # one character away, in the title: never
        ("Samsung Galaxy S21 5G SM-G991U", "Samsung", None, "unmatched"),
        ("WD Green 4TB WD40EZRY", "WD", None, "unmatched"),
        # a product that fits or replaces our number is not our product
        ("Compatible toner for HP CF226X, 2-pack", None, "TN1", "needs_review"),
        ("Kompatibler Toner passend für HP CF226X", None, "TN1", "needs_review"),
        ("Compatible toner for HP CF226X", "Generic", "TN1", "needs_review"),
    ],
)
def test_retail_model_numbers(title: str, brand: str | None, sku: str | None,
                              status: str) -> None:
    matcher = Matcher(CatalogIndex.build(ELECTRONICS, []))
    check(matcher.match(listing(title, brand)), sku, status)


def test_an_acronym_that_is_a_brand_of_its_own_is_not_an_alias() -> None:
    parts = [*ELECTRONICS, CatalogPart("X", "WD-7", "WD", "another maker's part", "IT")]
    matcher = Matcher(CatalogIndex.build(parts, []))
    check(matcher.match(listing("Hard drive WD40EZRZ", "WD")), None, "unmatched")


# --- the labeled set -------------------------------------------------------------------


def _labeled_parts() -> list[CatalogPart]:
    return load_catalog(DATA / "matching_catalog.csv")


def _labeled_xrefs() -> list[CrossRef]:
    return load_xrefs(DATA / "matching_xrefs.csv")


# Recall measured when the relation and size rules were written (issue 16: 0.922 dev,
# 0.949 frozen), kept as floors:
# `python benchmarks/bench_matching.py --labelled` prints the current figures.
RECALL_FLOOR = {"matching_labeled.csv": 0.92, "matching_frozen.csv": 0.94}


@pytest.mark.parametrize("name", ["matching_labeled.csv", "matching_frozen.csv"])
def test_labelled_sets_precision_first(name: str) -> None:
    """The development part and the frozen part (never tuned on; tests/data/README.md):
    precision at least 0.99 on both, for the SKU and for each relation; recall reported
    and held to its measured floor."""
    matcher = Matcher(CatalogIndex.build(_labeled_parts(), _labeled_xrefs()))
    labelled = load_labelled(DATA / name)
    assert len(labelled) >= 50
    scores = score(matcher, labelled)
    per = ", ".join(
        f"{rel} P={t.precision:.3f} R={t.recall:.3f} (tp={t.tp} fp={t.fp} fn={t.fn})"
        for rel, t in scores.by_relation.items()
    )
    print(
        f"\n{name}: {scores.listings} listings, SKU tp={scores.sku.tp} fp={scores.sku.fp} "
        f"fn={scores.sku.fn} precision={scores.sku.precision:.3f} "
        f"recall={scores.sku.recall:.3f} F1={scores.sku.f1:.3f}; {per}"
    )
    assert scores.sku.precision >= 0.99, scores.wrong
    for relation, tally in scores.by_relation.items():
        assert tally.precision >= 0.99, (relation, tally)
    assert scores.sku.recall >= RECALL_FLOOR[name], scores.missed


# The free-text and structured sets of issue 16 (tests/data/README.md), measured before
# the rules for them (free text: dev 0.333 / frozen 0.314; structured: dev 0.902 at
# precision 0.902 / frozen 0.758) and after (0.911 / 0.857; 1.000 / 0.848), all at
# precision 1.0; the floors hold the after figures.
NEW_SET_RECALL_FLOOR = {
    ("freetext", "development"): 0.91, ("freetext", "frozen"): 0.85,
    ("structured", "development"): 0.99, ("structured", "frozen"): 0.84,
}


@pytest.mark.parametrize(("set_name", "part"), sorted(NEW_SET_RECALL_FLOOR))
def test_free_text_and_structured_sets(set_name: str, part: str) -> None:
    """Model numbers buried in descriptions, brand aliases, reordered words, and
    variants that differ only in a suffix, a colour code or a capacity: precision at
    least 0.99, recall held to its measured floor."""
    (labelled_set,) = [s for s in LABELLED_SETS if s.name == set_name]
    matcher = Matcher(CatalogIndex.build(*labelled_set.index_inputs(DATA)))
    scores = score(matcher, load_labelled(DATA / labelled_set.parts()[part]))
    assert scores.listings >= 50
    assert scores.sku.precision >= 0.99, scores.wrong
    assert scores.sku.recall >= NEW_SET_RECALL_FLOOR[set_name, part], scores.missed


# --- relations: our part resold, or a competitor's part that replaces it -------------------

DEERE = [
    CatalogPart("SL", "RE464325", "John Deere", "Shaft seal 80x100x10", "Seals"),
    CatalogPart("OF", "RE504836", "John Deere", "Engine oil filter", "Filters"),
    CatalogPart("HF", "AL221098", "John Deere", "Hydraulic filter for 6120M tractors", "Filters"),
    CatalogPart("FF", "RE533910", "John Deere", "Fuel filter element, 5075E, 5085E", "Filters"),
    CatalogPart("TV", "PS-LX350H", "Sony", "Sony turntable - PSLX350X", "Audio"),
]


@pytest.mark.parametrize(
    ("title", "brand", "pn", "sku", "status", "relation"),
    [
        ("John Deere RE464325 crankshaft seal", "John Deere", "RE464325", "SL", "auto", "same"),
        ("Replacement shaft seal - replaces RE464325", None, None, "SL", "auto", "alternative"),
        ("Corteco seal, interchange: RE464325", "Corteco", "12019837B", "SL", "auto",
         "alternative"),
        ("Lube filter, cross reference John Deere RE504836", "Wix", "51348", "OF", "auto",
         "alternative"),
        ("Ölfilter, Vergleichsnummer RE504836", "Hengst", None, "OF", "auto", "alternative"),
        ("Filtre à huile, remplace RE504836", "Purflux", None, "OF", "auto", "alternative"),
        ("Filtro olio, sostituisce RE504836", "UFI", None, "OF", "auto", "alternative"),
        ("Oil filter (OEM ref. RE504836)", "Wix", "51348", "OF", "auto", "alternative"),
        # "OEM" alone also means genuine: with no brand to say otherwise, a person decides
        ("OEM RE504836 oil filter", None, None, "OF", "needs_review", "alternative"),
        # fits / compatible with our number: an alternative, reviewed
        ("Oil filter compatible with RE504836", None, None, "OF", "needs_review",
         "alternative"),
        ("Seal kit for RE464325", "Corteco", None, "SL", "needs_review", "alternative"),
        # the listing names its own (our) number and what it replaces: it is the first
        ("John Deere RE504836 oil filter, replaces RE464325", None, None, "OF", "auto",
         "same"),
        # one character off our number: another part, whatever the words say
        ("Shaft seal - replaces RE464326", None, None, None, "unmatched", None),
        ("Corteco seal, replaces RE464352", "Corteco", None, None, "unmatched", None),
        # a machine, not a part: a model code of our description after 'fits' / 'for'
        ("Cab mirror, fits John Deere 6120M", None, None, None, "unmatched", None),
        ("Water pump for John Deere 6120M", "Airtex", None, None, "unmatched", None),
    ],
)
def test_relations(
    title: str, brand: str | None, pn: str | None, sku: str | None, status: str,
    relation: str | None,
) -> None:
    matcher = Matcher(CatalogIndex.build(DEERE, []))
    result = matcher.match(listing(title, brand, pn))
    assert (result.sku, result.status, result.relation) == (sku, status, relation), result
    if sku and result.method == "replaces":  # the words a person reads on the page
        assert (result.evidence or "").startswith('title: "')
        assert (result.evidence or "").endswith(f'{matcher.index.parts[sku].part_number}"')


def test_machine_codes_in_our_descriptions_are_not_part_numbers() -> None:
    index = CatalogIndex.build(DEERE, [])
    # "for 6120M" and "5075E, 5085E" name machines; one model code alone names the product
    assert {"6120M", "5075E", "5085E"}.isdisjoint(index.by_description_code)
    assert index.by_description_code["PSLX350X"] == ["TV"]


@pytest.mark.parametrize(
    ("title", "sku", "status"),
    [
        ("Acme Poly V-belt 5 ribs 115 cm", "BT-1", "auto"),  # 115 cm is 1150 mm
        ("Acme Poly V-belt 5 ribs 1,2 m", "BT-2", "auto"),
        ("Acme Poly V-belt 5 ribs 125 cm", None, "unmatched"),  # 1250 mm: neither
        ("Acme alternator 14 volt 120 amp", "EL-1", "auto"),
    ],
)
def test_sizes_compare_in_any_unit(matcher: Matcher, title: str, sku: str | None,
                                   status: str) -> None:
    result = matcher.match(listing(title, "Acme"))
    if sku is None:
        assert result.status != "auto", result
    else:
        check(result, sku, status, "fuzzy")


def test_a_code_two_descriptions_share_names_neither() -> None:
    # found by bench_matching --command: "NBR 118" alone in one description and among
    # other codes in another is no model number of the first part
    parts = [
        CatalogPart("G1", "C 533/15", "Acme", "Valve cover gasket, NBR, 118 mm", "Seals"),
        CatalogPart("G2", "C 536/15", "Acme", "Head gasket, NBR, 118 mm, for BMW 320d 4.1",
                    "Seals"),
    ]
    index = CatalogIndex.build(parts, [])
    assert "NBR118" not in index.by_description_code
    result = Matcher(index).match(listing("Head gasket, NBR, 118 mm", "Acme", "C 536/16"))
    assert result.status != "auto", result


# --- issue 16: model numbers in long descriptions, field identity, shortened numbers ----

RETAIL = [
    CatalogPart("CAM-B", "IT-1", "Canon",
                "Canon PowerShot SX620 HS 20.2 MP camera, 25x zoom, black (1072C001)", "Cameras"),
    CatalogPart("SSD", "MZ-77E1T0B/AM", "Samsung", "870 EVO 1TB SATA SSD", "Storage"),
    CatalogPart("DMM", "FLUKE-117", "Fluke", "Electricians true RMS multimeter", "Tools"),
    CatalogPart("DRL", "GSR12V-300B22", "Bosch", "12V max brushless drill driver", "Tools"),
]


@pytest.mark.parametrize(
    ("title", "brand", "pn", "sku", "status"),
    [
        # a long description names the part by several codes; either one finds it
        ("Canon 1072C001 PowerShot SX620 HS (Black)", None, None, "CAM-B", "auto"),
        ("Canon PowerShot SX620 HS digital camera", None, None, "CAM-B", "auto"),
        # the title's own model number is another colour: the series name does not decide
        ("Canon PowerShot SX620 HS (Red) 1073C001", None, None, "CAM-B", "needs_review"),
        # our number without its region code, or without our brand in front
        ("Samsung 870 EVO 1TB", "Samsung", "MZ-77E1T0B", "SSD", "auto"),
        ("Fluke 117 multimeter", "Fluke", "117", "DMM", "auto"),
        ("Samsung 870 EVO 1TB", "Corsair", "MZ-77E1T0B", None, "unmatched"),
        # the part-number field is the listing's identity: our number in the title is
        # then a compatible model or a series name, for a person to check
        ("Bosch drill driver GSR12V-300B22", "Bosch", "GSR12V-300N", "DRL", "needs_review"),
        ("Bosch drill driver GSR12V-300B22", "Bosch", None, "DRL", "auto"),
    ],
)
def test_model_numbers_in_descriptions_and_fields(title: str, brand: str | None, pn: str | None,
                                                   sku: str | None, status: str) -> None:
    result = Matcher(CatalogIndex.build(RETAIL, [])).match(listing(title, brand, pn))
    assert (result.sku, result.status) == (sku, status), result


def test_codes_of_one_shape_side_by_side_are_a_list_of_machines() -> None:
    parts = [
        CatalogPart("R", "IT-2", "Netgear", "Nighthawk router (R7000) - AC1900 dual band", "Net"),
        CatalogPart("F", "RE533910", "John Deere", "Fuel filter element, 5075E, 5085E", "F"),
    ]
    codes = CatalogIndex.build(parts, []).by_description_code
    assert codes["R7000"] == ["R"] and codes["AC1900"] == ["R"]  # a model and a spec
    assert {"5075E", "5085E"}.isdisjoint(codes)
