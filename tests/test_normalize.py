"""Normalization: part numbers, brands, GTINs, numbers in free text, packs and currencies.

Tables of real-world spellings, grouped by where they come from.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from pricing.fx import FxRateMissingError, FxRates, FxTableError
from pricing.matching.normalize import (
    find_part_numbers,
    gtin_check_digit,
    normalize_brand,
    normalize_gtin,
    normalize_part_number,
    part_number_candidates,
)
from pricing.matching.units import parse_pack_qty, unit_price

PART_NUMBERS = [
    # aftermarket catalogs: separators and case do not matter
    ("FX-4471", "FX4471"),
    ("fx 4471", "FX4471"),
    ("Fx.4471", "FX4471"),
    ("FX_4471", "FX4471"),
    ("  FX - 4471 ", "FX4471"),
    ("B 5PK1150", "B5PK1150"),
    ("5PK-1150", "5PK1150"),
    ("SP/22-110", "SP22110"),
    ("W 712/75", "W71275"),
    ("HU 7008 z", "HU7008Z"),
    ("OC 264", "OC264"),
    # Bosch-style digit groups: leading zeros are kept, they are significant
    ("0986 452 041", "0986452041"),
    ("0 986 452 041", "0986452041"),
    ("0.986.452.041", "0986452041"),
    ("00123", "00123"),
    # typography from web pages: non-breaking spaces, Unicode dashes, full-width forms
    ("FX\u00a04471", "FX4471"),
    ("FX\u20134471", "FX4471"),
    ("FX\u20144471", "FX4471"),
    ("\uff26\uff38\uff0d\uff14\uff14\uff17\uff11", "FX4471"),
    # every other character is kept, so one-character differences stay different
    ("FX-4471+", "FX4471+"),
    ("6204-2RS#", "62042RS#"),
    ("MB402LL/A", "MB402LLA"),
    ("", ""),
]


@pytest.mark.parametrize(("raw", "expected"), PART_NUMBERS)
def test_normalize_part_number(raw: str, expected: str) -> None:
    assert normalize_part_number(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("FX-4471", "FX-4472"),
        ("FX-4471", "FX-4417"),
        ("W 712/75", "W 712/76"),
        ("0986452041", "986452041"),
        ("5PK1150", "6PK1150"),
        ("DMC-FZ28K", "DMC-FZ28S"),
    ],
)
def test_one_character_differences_stay_different(a: str, b: str) -> None:
    assert normalize_part_number(a) != normalize_part_number(b)


BRANDS = [
    ("Mann-Filter", "MANN"),
    ("MANN FILTER GmbH", "MANN"),
    ("mann", "MANN"),
    ("MANN+HUMMEL", "MANNHUMMEL"),
    ("Robert Bosch GmbH", "ROBERTBOSCH"),
    ("BOSCH", "BOSCH"),
    ("K&N Filters", "KN"),
    ("Würth", "WURTH"),
    ("Lemförder", "LEMFORDER"),
    ("febi bilstein", "FEBIBILSTEIN"),
    ("ContiTech", "CONTITECH"),
    ("Gates Corporation", "GATES"),
    ("Filter", "FILTER"),
    # placeholders shops write when they do not know the maker
    ("Unbranded", ""),
    ("Generic", ""),
    ("N/A", ""),
    ("Does not apply", ""),
    ("", ""),
    (None, ""),
]


@pytest.mark.parametrize(("raw", "expected"), BRANDS)
def test_normalize_brand(raw: str | None, expected: str) -> None:
    assert normalize_brand(raw) == expected


GTINS = [
    # EAN-13, UPC-A, GTIN-8 and GTIN-14, all given back in 14-digit form
    ("4006381333931", "04006381333931"),
    ("036000291452", "00036000291452"),
    ("96385074", "00000096385074"),
    ("10036000291459", "10036000291459"),
    ("00036000291452", "00036000291452"),
    # as shops print them
    ("4 006381 333931", "04006381333931"),
    ("0-36000-29145-2", "00036000291452"),
    # invalid: check digit, length, letters, empty, all zeros
    ("4006381333932", None),
    ("036000291453", None),
    ("40063813339", None),
    ("400638133393100", None),
    ("4006381A33931", None),
    ("EAN 4006381333931", None),
    ("00000000000000", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), GTINS)
def test_normalize_gtin(raw: str | None, expected: str | None) -> None:
    assert normalize_gtin(raw) == expected


def test_gtin_check_digit() -> None:
    assert gtin_check_digit("400638133393") == 1
    assert gtin_check_digit("03600029145") == 2


TITLES = [
    # aftermarket shop titles
    ("MANN-FILTER W 712/75 oil filter, fits VW Golf", "W71275"),
    ("Bosch 0 986 452 041 Oil Filter for VW Golf 1.6 TDI 2010-2015", "0986452041"),
    ("Gates 5PK1150 Micro-V belt 1150mm", "5PK1150"),
    ("MANN HU 7008 z filter element", "HU7008Z"),
    ("ACME fx 4471 oil filter (pack of 4)", "FX4471"),
    ("PN: sp/22-110 silicone hose", "SP22110"),
    ("Ölfilter Art.-Nr. FX-4471", "FX4471"),
    # consumer-electronics titles (model numbers in free text)
    ("Sony Bravia KDL-40V4100 40in LCD HDTV", "KDL40V4100"),
    ("Apple iPod nano 8GB Black MB403LL/A", "MB403LLA"),
    ("Garmin nuvi 260W GPS 010-00538-20", "0100053820"),
]


@pytest.mark.parametrize(("title", "first"), TITLES)
def test_part_number_candidates_most_likely_first(title: str, first: str) -> None:
    assert part_number_candidates(title)[0] == first


@pytest.mark.parametrize(
    "title",
    [
        "Oil filter 100mm 12V",
        "Fits 2010-2015 models",
        "Wiper blade 600 mm, 2 pcs",
        "1.6 TDI",
        "Relay 40A",
        "",
        "Bearing 20x47",
    ],
)
def test_measurements_years_and_small_numbers_are_not_part_numbers(title: str) -> None:
    assert all(not c.isdigit() or len(c) >= 5 for c in part_number_candidates(title))
    assert "100MM" not in part_number_candidates(title)
    assert "20102015" not in part_number_candidates(title)


def test_words_are_not_glued_to_numbers() -> None:
    keys = part_number_candidates("MANN W 712/75 oil filter for VW")
    assert "W71275" in keys
    assert not any("OIL" in k or "FOR" in k for k in keys)


def test_candidate_that_the_text_may_continue_is_marked() -> None:
    found = {c.key: c for c in find_part_numbers("MANN HU 7008 z filter")}
    assert not found["HU7008Z"].extendable
    assert found["HU7008"].extendable


PACKS = [
    ("Oil filter FX-4471 (pack of 4)", 4),
    ("Oil filter, 4-pack", 4),
    ("Oil filter 4 pack", 4),
    ("Spark plug 4pk", 4),
    ("Bearing 6204, box of 10", 10),
    ("Relay 2 pcs", 2),
    ("Ölfilter (10 Stück)", 10),
    ("Seal qty: 6", 6),
    ("Brake pads x2", 2),
    ("Set of 2 wiper blades", 2),
    ("Oil filter FX-4471", None),
    ("Alternator 14V 120A", None),
    ("Poly V-belt 5PK1150", None),
    ("Oil seal 45x62x8", None),
    ("4 x Spark plug", 4),
    ("Wiper blade (x2)", 2),
    # dimensions are not packs (real titles from the demo shops)
    ("Spin-On Oil Filter 13/16-16 UNF, 76 x 110 mm – Filtrex FX-9480", None),
    ("Cabin Air Filter, Activated Carbon, 275 x 215 x 35 mm – ProLine PL-F90976", None),
    ("Spin-On Oil Filter M20 x 1.5, 93 x 180 mm – Filtrex FX-8659", None),
    ("Primary Air Filter Element, Radial Seal, 265 mm OD x 260 mm, Economy", None),
    ("Hydraulic Hose Assembly SAE 100R1AT -16 x 850 mm, JIC female x ORFS female", None),
    ("Poly V-belt 6PK 1220", None),
    ("Hose clamp x 12 mm", None),
    ("Cabin Air Filter, Particulate, 305 x 185 x 40 mm – Box/2", 2),
    ("Blade fuse 20A, 10/box", 10),
    ("TorqMaster TO-7845 Bearing Puller Set, 3-Jaw, 6 pc", None),
    (None, None),
]


@pytest.mark.parametrize(("title", "qty"), PACKS)
def test_parse_pack_qty(title: str | None, qty: int | None) -> None:
    assert parse_pack_qty(title) == qty


FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def test_the_quick_refusal_never_hides_a_stated_pack() -> None:
    """Titles with none of the pack words are refused by one scan; on titles put
    together from every pattern's words, numbers and separators (upper and lower case),
    the answer is always what running every pattern gives."""
    from pricing.matching.units import _scan

    rng = random.Random(7)
    words = ["of", "pack", "PK", "er-set", "Satz", "set", "box", "Case", "bag", "lot", "kit",
             "pcs", "Pieces", "Stück", "STK", "st.", "pezzi", "pièces", "unidades", "units",
             "pkg", "BX", "ctn", "carton", "qty", "Quantity", "menge", "PU", "VPE", "x", "×",
             "X", "Filter", "Oil", "belt", "mm", "V", "Bosch", "seal", "brake", "disc",
             # the crawler's words, merged in: containers, pieces, labels, joiners
             "package", "packs", "cs", "tube", "tin", "jar", "bundle", "pail", "bucket",
             "roll", "reel", "sleeve", "Packung", "packet", "Paket", "Karton", "Beutel",
             "Dose", "Schachtel", "Eimer", "Rolle", "boîte", "BOÎTE", "boite", "sachet",
             "paquete", "caja", "bolsa", "juego", "confezione", "scatola", "busta", "doos",
             "zak", "opakowanie", "paczka", "zestaw", "förpackning", "FÖRPACKNING", "pakke",
             "pakkaus", "pc", "pce", "pces", "piece", "pièce", "stuck", "stueck", "ea",
             "each", "unit", "count", "ct", "unids", "uds", "pz", "stuks", "szt", "sztuk",
             "kpl", "kappaletta", "個入り", "個入", "本入り", "本入", "枚入り", "枚入", "入り",
             "個", "本", "枚", "入", "VE", "pe", "PE:", "Inhalt", "content", "contents",
             "conditionnement", "Verpackungseinheit", "qté", "Quantité", "cantidad",
             "quantità", "aantal", "ilość", "de", "mit", "à", "da", "van", "met", "med", "z",
             "con", "per", "pro", "par", "je", "er", "(", "[", ")", "]", "=", ":", "l", "ft",
             '"', "seals", "pads", "Plugs",
             # NFKC: full-width letters, digits and signs read as their ASCII forms
             "４個入り", "ｘ", "Ｘ", "ＰＡＣＫ", "ｐｃｓ", "Ｂｏｘ", "／", "：", "\u00a0"]
    glue = [" ", "", "-", "/", ": ", ", ", " (", ") ", ".", "\u3000"]

    def number() -> str:
        n = str(rng.choice([rng.randint(1, 1200), rng.randint(1, 12_000)]))
        return n.translate(FULL_WIDTH_DIGITS) if rng.random() < 0.1 else n

    stated = ["Wiper blade (×2)", "4× Zündkerze", "PACK×4", "オイルフィルター (４個入り)",
              "Ｂｏｘ／１０", "ＶＥ ２５ Ｓｔｋ", "Brake Pads Ｘ２", "10\u00a0Stück", "Qté : 6"]
    titles = [t for t, _ in PACKS if t] + stated + [
        "".join(rng.choice(words) if rng.random() < 0.6 else number()
                for _ in range(rng.randint(1, 7))).strip()
        for _ in range(20_000)
    ]
    titles += [rng.choice(glue).join(t.split()) for t in titles[:5000]]
    found = 0
    for title in titles:
        expected = _scan(title)
        assert parse_pack_qty(title) == expected, title
        found += expected is not None
    assert found > 300  # many of the generated titles do state packs


def test_unit_price_is_decimal_per_unit() -> None:
    assert unit_price(Decimal("19.96"), 4) == Decimal("4.9900")
    assert unit_price(Decimal("10"), 3) == Decimal("3.3333")
    assert unit_price(Decimal("7.90"), None) == Decimal("7.9000")
    assert unit_price(Decimal("7.90"), 0) == Decimal("7.9000")


FX_CSV = """date,currency,rate,source
2024-05-01,EUR,1.0700,ecb
2024-05-02,EUR,1.0712,ecb
2024-05-01,GBP,1.2500,ecb
2024-04-01,JPY,0.0066,ecb
"""


def test_fx_uses_latest_rate_on_or_before_the_date() -> None:
    fx = FxRates.from_csv_text("USD", FX_CSV)
    assert fx.convert(Decimal("10.00"), "EUR", dt.date(2024, 5, 1)) == Decimal("10.7000")
    assert fx.convert(Decimal("10.00"), "eur", dt.date(2024, 5, 9)) == Decimal("10.7120")
    assert fx.convert(Decimal("9.49"), "GBP", dt.date(2024, 5, 2)) == Decimal("11.8625")
    assert fx.convert(Decimal("5"), "USD", dt.date(2000, 1, 1)) == Decimal("5.0000")


@pytest.mark.parametrize(
    ("currency", "on", "why"),
    [
        ("EUR", dt.date(2024, 4, 30), "first rate"),
        ("CHF", dt.date(2024, 5, 2), "not in"),
        ("JPY", dt.date(2024, 5, 20), "days old"),
    ],
)
def test_fx_refuses_missing_or_stale_rates(currency: str, on: dt.date, why: str) -> None:
    fx = FxRates.from_csv_text("USD", FX_CSV)
    with pytest.raises(FxRateMissingError, match=why):
        fx.rate(currency, on)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("date,currency\n", 1),
        ("date,currency,rate\n2024-13-01,EUR,1.1\n", 2),
        ("date,currency,rate\n2024-05-01,EURO,1.1\n", 2),
        ("date,currency,rate\n2024-05-01,EUR,abc\n", 2),
        ("date,currency,rate\n2024-05-01,EUR,1\n2024-05-02,EUR,-1\n", 3),
    ],
)
def test_fx_table_errors_name_the_line(text: str, line: int) -> None:
    with pytest.raises(FxTableError, match=f"line {line}"):
        FxRates.from_csv_text("USD", text)
