"""Real-world price strings, grouped by where shops print them (price-parser style).

Each case is ``(text, amount, currency)``; ``amount`` None means "no price here".
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from crawlers.extraction import ParsedPrice, parse_pack_qty, parse_price

Case = tuple[str, str | None, str | None]

US: list[Case] = [
    ("$1,234.56", "1234.56", "USD"),
    ("$19.99", "19.99", "USD"),
    ("$ 19.99", "19.99", "USD"),
    ("19.99$", "19.99", "USD"),
    ("$12.99 USD", "12.99", "USD"),
    ("USD 1,299", "1299", "USD"),
    ("US $12.50", "12.50", "USD"),
    ("Sale price $42.50", "42.50", "USD"),
    ("From $9.95", "9.95", "USD"),
    ("$0.125", "0.125", "USD"),
    ("$12.99 - $24.99", "12.99", "USD"),
]
UK_IE: list[Case] = [
    ("£12.50 inc. VAT", "12.50", "GBP"),
    ("£1,299", "1299", "GBP"),
    ("GBP 74.99", "74.99", "GBP"),
    ("€1,299.00", "1299.00", "EUR"),
]
DE_AT: list[Case] = [
    ("1.234,56 €", "1234.56", "EUR"),
    ("1.234,56\u00a0€", "1234.56", "EUR"),
    ("€ 1.234,56", "1234.56", "EUR"),
    ("Preis: 1.234,56 EUR*", "1234.56", "EUR"),
    ("12,-", "12", None),
    ("12,– €", "12", "EUR"),
    ("1.299,- €", "1299", "EUR"),
    ("ab 12,99 €", "12.99", "EUR"),
    ("0,99 €", "0.99", "EUR"),
    ("1.234 €", "1234", "EUR"),
    ("19,99 EUR / Stück", "19.99", "EUR"),
]
FR_BE: list[Case] = [
    ("1 234,56 €", "1234.56", "EUR"),
    ("1\u202f234,56\u00a0€", "1234.56", "EUR"),
    ("42,90 € TTC", "42.90", "EUR"),
    ("12 €", "12", "EUR"),
]
PL_CZ_HU: list[Case] = [
    ("1 234,56 zł", "1234.56", "PLN"),
    ("1\u00a0234,56\u00a0zł", "1234.56", "PLN"),
    ("12.99 zł", "12.99", "PLN"),
    ("1 299 Kč", "1299", "CZK"),
    ("12 990 Ft", "12990", "HUF"),
]
CH: list[Case] = [
    ("CHF 1'234.50", "1234.50", "CHF"),
    ("CHF 1\u2019234.50", "1234.50", "CHF"),
    ("CHF 1 234.50", "1234.50", "CHF"),
    ("Fr. 12.50", "12.50", "CHF"),
    ("12.- CHF", "12", "CHF"),
]
NORDICS: list[Case] = [
    ("SEK 1 299:-", "1299", "SEK"),
    ("kr. 1.299,00", "1299.00", None),
    ("1 299 kr", "1299", None),
]
JP_CN_IN: list[Case] = [
    ("¥1,234", "1234", "JPY"),
    ("￥12,340(税込)", "12340", "JPY"),
    ("１２３４円", "1234", "JPY"),
    ("1,234円", "1234", "JPY"),
    ("₹1,23,456.00", "123456.00", "INR"),
]
AMERICAS_OCEANIA: list[Case] = [
    ("C$ 12.50", "12.50", "CAD"),
    ("CA$12.99", "12.99", "CAD"),
    ("AU$12.99", "12.99", "AUD"),
    ("R$ 1.234,56", "1234.56", "BRL"),
    ("MX$ 1,299.00", "1299.00", "MXN"),
]
MORE_WORLD: list[Case] = [
    ("£1,234.56", "1234.56", "GBP"),
    ("Now £9.99 Was £12.99", "9.99", "GBP"),
    ("¥12,800", "12800", "JPY"),
    ("12,800円(税込)", "12800", "JPY"),
    ("JPY 3,300", "3300", "JPY"),
    ("CHF 1'234.–", "1234", "CHF"),
    ("Fr. 1'299.95", "1299.95", "CHF"),
    ("₹ 1,299", "1299", "INR"),
    ("Rs. 12,34,567.50", "1234567.50", "INR"),
    ("INR 2,499.00", "2499.00", "INR"),
    ("R$ 12,90", "12.90", "BRL"),
    ("R$1.299,00", "1299.00", "BRL"),
    ("BRL 49,90", "49.90", "BRL"),
]
RANGES_AND_FROM: list[Case] = [
    ("$12.99–$24.99", "12.99", "USD"),
    ("12,99 € – 24,99 €", "12.99", "EUR"),
    ("from £4.50", "4.50", "GBP"),
    ("à partir de 9,90 €", "9.90", "EUR"),
    ("ab 1.099,00 €", "1099.00", "EUR"),
    ("Starting at $1,049.00", "1049.00", "USD"),
]
NO_PRICE: list[Case] = [
    ("Call for price", None, None),
    ("Request a quote", None, None),
    ("Preis auf Anfrage", None, None),
    ("Prix sur demande", None, None),
    ("Price on request", None, None),
    ("Call for pricing", None, None),
    ("POA", None, None),
    ("", None, None),
    ("Free", None, None),
]

GROUPS = {
    "us": US,
    "uk_ie": UK_IE,
    "de_at": DE_AT,
    "fr_be": FR_BE,
    "pl_cz_hu": PL_CZ_HU,
    "ch": CH,
    "nordics": NORDICS,
    "jp_cn_in": JP_CN_IN,
    "americas_oceania": AMERICAS_OCEANIA,
    "more_world": MORE_WORLD,
    "ranges_from": RANGES_AND_FROM,
    "b2b_no_price": NO_PRICE,
}
CASES = [
    pytest.param(text, amount, currency, id=f"{group}:{text}")
    for group, cases in GROUPS.items()
    for text, amount, currency in cases
]


@pytest.mark.parametrize(("text", "amount", "currency"), CASES)
def test_price_strings(text: str, amount: str | None, currency: str | None) -> None:
    parsed = parse_price(text)
    if amount is None:
        assert parsed is None
        return
    assert parsed is not None
    assert parsed.amount == Decimal(amount)
    assert parsed.currency == currency
    assert isinstance(parsed.amount, Decimal)


def test_keeps_the_text_it_read() -> None:
    assert parse_price("  1.234,56\u00a0€ ") == ParsedPrice(Decimal("1234.56"), "EUR", "1.234,56 €")


@pytest.mark.parametrize(
    ("text", "hint", "currency"),
    [
        ("$12.50", "CAD", "CAD"),
        ("$12.50", "AUD", "AUD"),
        ("$12.50", "EUR", "USD"),
        ("1 299 kr", "NOK", "NOK"),
        ("¥1,234", "CNY", "CNY"),
        ("19,99", "EUR", "EUR"),
    ],
)
def test_currency_hint_settles_ambiguous_symbols(text: str, hint: str, currency: str) -> None:
    parsed = parse_price(text, currency_hint=hint)
    assert parsed is not None and parsed.currency == currency


@pytest.mark.parametrize(
    ("text", "separator", "amount"),
    [
        ("1.234", ",", "1234"),
        ("1.234", ".", "1.234"),
        ("1,234", ",", "1.234"),
        ("1,234", ".", "1234"),
        ("1.234,56", ".", "1234.56"),
        ("1,234.56", ",", "1234.56"),
    ],
)
def test_decimal_separator_only_settles_ambiguous_numbers(
    text: str, separator: str, amount: str
) -> None:
    parsed = parse_price(text, decimal_separator=separator)
    assert parsed is not None and parsed.amount == Decimal(amount)


def test_three_decimal_currencies_read_dot_as_decimal() -> None:
    parsed = parse_price("1.234 KWD")
    assert parsed is not None and parsed.amount == Decimal("1.234")


PACKS = [
    ("Oil Filter Pack of 4", 4),
    ("Socket Set, 1/2 in Drive, 24 pc, Metric", None),
    ("Washer kit 50 pcs", None),
    ("4-pack spark plugs", 4),
    ("Wiper blades 2 pack", 2),
    ("Cable ties Box/10", 10),
    ("Box of 10 fuses", 10),
    ("Sechskantschraube M8 VE 25 Stk", 25),
    ("Scheibe 25 Stück", 25),
    ("6er Pack Zündkerzen", 6),
    ("Set of 2 brake discs", 2),
    ("O-Ring 20x2 (10 pcs)", 10),
    ("Cotter pins 100 pieces", 100),
    ("Qty: 6", 6),
    ("Spark plug (x4)", 4),
    ("Pack x4 glow plugs", 4),
    ("4x Zündkerze NGK", 4),
    ("Lot de 4 bougies", 4),
    ("Fuses 10/box", 10),
    ("オイルフィルター (10個入)", 10),
    ("3/4 inch hose", None),
    ("Socket 10 mm", None),
    ("Bolt M8 x 40", None),
    ("Spark plug x4", None),
    ("Brake pads x2", 2),
    ("Fiskars X27 Splitting Axe", None),  # a model name after a word ending in "s"
    ("Siemens X10 relay", None),
    ("V-Ribbed Belt 6PK 1200", None),
    ("Hose 3/4 in x 50 ft", None),
    ("1st gear synchro ring", None),
    ('Hydraulic Hose 1/2" 4-wire', None),
    ("", None),
]


@pytest.mark.parametrize(("text", "qty"), PACKS, ids=[t or "empty" for t, _ in PACKS])
def test_pack_quantity(text: str, qty: int | None) -> None:
    assert parse_pack_qty(text) == qty


def test_a_bare_number_is_a_pack_only_in_a_pack_field() -> None:
    """A shop's pack field saying "12" sells 12; a title that is only a number is a part
    number (a 6204 bearing), never a pack of 6204."""
    from crawlers.extraction import parse_pack_field

    assert parse_pack_field("12") == 12
    assert parse_pack_field(" 5000 ") == 5000  # B2B fasteners come by the thousand
    assert parse_pack_field("20000") is None  # past MAX_PACK
    assert parse_pack_field("VE 25 Stk") == 25
    assert parse_pack_field("") is None
    assert parse_pack_qty("6204") is None
    assert parse_pack_qty("1120") is None
