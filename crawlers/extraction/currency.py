"""Currencies: ISO 4217 codes from symbols, codes and a page's locale hints.

A price's currency comes from the data when the page states it, then from the symbol
next to the number, then from the competitor's configured currency, then from what the
page says about its locale (``html lang``, ``og:locale``, the domain). Ambiguous symbols
(``$``, ``kr``, ``¥``) are resolved with the best of those hints.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# The minor units live with the domain's money; re-exported for the extraction code.
from pricing.money import THREE_DECIMAL as THREE_DECIMAL
from pricing.money import ZERO_DECIMAL as ZERO_DECIMAL
from pricing.money import decimal_places as decimal_places
from pricing.money import round_money as round_money

# fmt: off
# Currencies a parts shop is likely to quote in; unknown 3-letter codes are not guessed.
ISO_CODES = frozenset({
    "AED", "ARS", "AUD", "BGN", "BHD", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK",
    "DKK", "EGP", "EUR", "GBP", "HKD", "HRK", "HUF", "IDR", "ILS", "INR", "ISK", "JOD",
    "JPY", "KRW", "KWD", "MAD", "MXN", "MYR", "NGN", "NOK", "NZD", "OMR", "PEN", "PHP",
    "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SEK", "SGD", "THB", "TND", "TRY",
    "TWD", "UAH", "USD", "VND", "ZAR",
})


DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "TWD", "ARS", "CLP", "COP"})
KRONER = frozenset({"SEK", "NOK", "DKK", "ISK"})

# Unambiguous symbols and local abbreviations, matched case-insensitively without dots.
_SYMBOLS: dict[str, str] = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP",
    "us$": "USD", "usd$": "USD", "u$s": "USD",
    "c$": "CAD", "ca$": "CAD", "cad$": "CAD", "can$": "CAD",
    "a$": "AUD", "au$": "AUD", "aud$": "AUD",
    "nz$": "NZD", "hk$": "HKD", "s$": "SGD", "sg$": "SGD", "mx$": "MXN", "nt$": "TWD",
    "r$": "BRL",
    "chf": "CHF", "fr": "CHF", "sfr": "CHF",
    "zł": "PLN", "zl": "PLN", "pln": "PLN",
    "kč": "CZK", "kc": "CZK",
    "ft": "HUF",
    "lei": "RON",
    "лв": "BGN",
    "₽": "RUB", "руб": "RUB", "р": "RUB",
    "₴": "UAH", "грн": "UAH",
    "₺": "TRY", "tl": "TRY",
    "₹": "INR", "rs": "INR",
    "₩": "KRW", "원": "KRW",
    "₪": "ILS",
    "฿": "THB",
    "₫": "VND", "đ": "VND",
    "₱": "PHP",
    "rp": "IDR",
    "rm": "MYR",
    "円": "JPY",
    "元": "CNY", "rmb": "CNY",
}

# Region part of a locale (``de-CH``, ``en_GB``) to currency.
_REGIONS: dict[str, str] = {
    "US": "USD", "GB": "GBP", "UK": "GBP", "IE": "EUR", "CA": "CAD", "AU": "AUD",
    "NZ": "NZD", "JP": "JPY", "CH": "CHF", "LI": "CHF", "PL": "PLN", "SE": "SEK",
    "NO": "NOK", "DK": "DKK", "IS": "ISK", "CZ": "CZK", "HU": "HUF", "RO": "RON",
    "BG": "BGN", "RU": "RUB", "UA": "UAH", "TR": "TRY", "IN": "INR", "BR": "BRL",
    "MX": "MXN", "AR": "ARS", "CL": "CLP", "CO": "COP", "PE": "PEN", "CN": "CNY",
    "HK": "HKD", "TW": "TWD", "SG": "SGD", "MY": "MYR", "ID": "IDR", "PH": "PHP",
    "TH": "THB", "VN": "VND", "KR": "KRW", "IL": "ILS", "AE": "AED", "SA": "SAR",
    "ZA": "ZAR", "EG": "EGP", "MA": "MAD", "NG": "NGN", "PK": "PKR", "RS": "RSD",
    "DE": "EUR", "AT": "EUR", "FR": "EUR", "IT": "EUR", "ES": "EUR", "NL": "EUR",
    "BE": "EUR", "LU": "EUR", "FI": "EUR", "PT": "EUR", "GR": "EUR", "SK": "EUR",
    "SI": "EUR", "EE": "EUR", "LV": "EUR", "LT": "EUR", "MT": "EUR", "CY": "EUR",
    "HR": "EUR",
}

# Language alone, only where it nearly always means one currency.
_LANGUAGES: dict[str, str] = {
    "de": "EUR", "fr": "EUR", "it": "EUR", "es": "EUR", "nl": "EUR", "fi": "EUR",
    "el": "EUR", "sk": "EUR", "sl": "EUR", "et": "EUR", "lv": "EUR", "lt": "EUR",
    "ja": "JPY", "pl": "PLN", "sv": "SEK", "da": "DKK", "nb": "NOK", "nn": "NOK",
    "no": "NOK", "cs": "CZK", "hu": "HUF", "ro": "RON", "bg": "BGN", "ru": "RUB",
    "uk": "UAH", "tr": "TRY", "ko": "KRW", "he": "ILS", "th": "THB", "vi": "VND",
    "zh": "CNY", "is": "ISK",
}

# Second-level country domains first, so ``.co.uk`` wins over ``.uk``.
_DOMAINS: dict[str, str] = {
    "co.uk": "GBP", "org.uk": "GBP", "com.au": "AUD", "net.au": "AUD", "co.nz": "NZD",
    "co.jp": "JPY", "com.br": "BRL", "com.mx": "MXN", "com.tr": "TRY", "co.za": "ZAR",
    "com.sg": "SGD", "com.hk": "HKD", "co.in": "INR", "com.cn": "CNY", "co.kr": "KRW",
    "com.ar": "ARS", "com.tw": "TWD", "com.my": "MYR", "co.id": "IDR", "com.ph": "PHP",
    "com.pl": "PLN",
}
# fmt: on


# Country domains used worldwide as generic ones (.co for "company", .me, .tv...).
_GENERIC_CCTLDS = frozenset({"CO", "IO", "AI", "ME", "TV", "CC", "LY", "TO", "FM", "GG", "WS"})


def _domain_currency(host: str) -> str | None:
    parts = host.lower().rstrip(".").split(".")
    if len(parts) >= 3 and ".".join(parts[-2:]) in _DOMAINS:
        return _DOMAINS[".".join(parts[-2:])]
    tld = parts[-1].upper() if parts else ""
    if tld in _GENERIC_CCTLDS:
        return None
    return _REGIONS.get(tld) if len(tld) == 2 else None


def _locale_parts(locale: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?\b", locale or "")
    if not match:
        return "", ""
    return match.group(1).lower(), (match.group(2) or "").upper()


def locale_currency(url: str | None, locales: list[str] | tuple[str, ...] = ()) -> str | None:
    """The currency a page's locale hints point to: a locale's region, the domain, then
    the language alone."""
    for locale in locales:
        region = _locale_parts(locale)[1]
        if region in _REGIONS:
            return _REGIONS[region]
    host = urlsplit(url or "").hostname or ""
    by_domain = _domain_currency(host) if host else None
    if by_domain:
        return by_domain
    for locale in locales:
        language = _locale_parts(locale)[0]
        if language in _LANGUAGES:
            return _LANGUAGES[language]
    return None


def currency_code(value: object, hint: str | None = None) -> str | None:
    """An ISO 4217 code for a currency code, symbol or abbreviation (``€``, ``zł``,
    ``US$``, ``eur``); ``hint`` settles ``$``, ``kr`` and ``¥``."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 12:
        return None
    upper = text.upper()
    if upper in ISO_CODES:
        return upper
    key = re.sub(r"[\s.]", "", text).lower()
    if key in _SYMBOLS:
        return _SYMBOLS[key]
    if key.upper() in ISO_CODES:
        return key.upper()
    if key in {"$", "dollar", "dollars"}:
        return hint if hint in DOLLARS else "USD"
    if key in {"kr", "kr:-", ":-", "kn"}:
        return hint if hint in KRONER else None
    if key in {"¥", "￥"}:
        return "CNY" if hint == "CNY" else "JPY"
    if key in {"r"}:
        return "ZAR" if hint == "ZAR" else None
    return None
