"""What a page says about a price's tax: included (gross), excluded (net), or nothing.

The extractor only reports what the page says; turning a price into the catalog's
basis happens where the configuration is known (:func:`pricing.tax.price_on_basis`).
Labels are read in the languages the rest of the extraction reads: "inc. VAT",
"Ex Tax", "inkl. MwSt.", "zzgl. MwSt.", "netto"/"brutto", "HT"/"TTC", "s DPH"/"bez DPH",
"税込"/"税抜", "inc GST"... "zzgl. Versandkosten" (shipping) says nothing about tax.
"""

from __future__ import annotations

import re
from decimal import Decimal

_RATE = r"(?:\d{1,2}(?:[.,]\d{1,2})?\s*%\s*)?"
_TAXES = r"(?:vat|tax|taxes|gst|hst|mwst|ust|btw|iva|tva|dph|moms|mva|alv|vat-?a)"
GROSS_TEXT = re.compile(
    rf"\binc(?:l(?:uding|usive|\.)?)?\.?\s*{_RATE}{_TAXES}\b|"
    rf"\binkl\.?\s*{_RATE}(?:gesetzl\w*\.?\s*|der\s*)?(?:mwst|ust|mehrwertsteuer)|"
    r"\bbrutto\b|\bttc\b|taxes? incluses?|tax(?:es)? incl|"
    rf"\bprices? includes? {_RATE}{_TAXES}\b|\bs dph\b|včetně dph|\bz vat\b|"
    r"税込|内税|iva incl\w*|con iva|w tym vat|inclusief btw|tva incluse|"
    r"mwst\.? inbegriffen|inkl\. moms|inkl\. mva|sis\. alv",
    re.IGNORECASE,
)
NET_TEXT = re.compile(
    rf"\bex(?:cl(?:uding|usive|\.)?)?\.?\s*{_RATE}{_TAXES}\b|"
    rf"\bexkl\.?\s*{_RATE}(?:gesetzl\.?\s*)?(?:mwst|ust|mehrwertsteuer)|"
    rf"\bzzgl\.?\s*{_RATE}(?:gesetzl\w*\.?\s*|der\s*)?(?:mwst|ust|mehrwertsteuer)|"
    r"\bnetto\b|\bnet(?:\s*price)?\s*:|\bnet$|^\s*net\b|\bht\b|hors tax\w*|bez dph|"
    r"sin iva|senza iva|iva esclusa|\+\s*(?:vat|gst|iva|tva)\b|\bplus (?:vat|gst)\b|"
    r"税抜|税別|本体価格|exclusief btw|ohne mwst|bez vat|ekskl\. mva|exkl\. moms|alv 0",
    re.IGNORECASE,
)
GROSS_CLASS = re.compile(
    r"incl(?:uding)?[-_]?tax|tax[-_]?incl|with[-_]?tax|price[-_]*gross|\bgross\b|brutto|"
    r"price[-_]*inc\b|[-_]inc(?:[-_]vat)?\b|\bttc\b|prix[-_]ttc|incvat|inc[-_]vat",
    re.IGNORECASE,
)
NET_CLASS = re.compile(
    r"excl(?:uding)?[-_]?tax|tax[-_]?excl|without[-_]?tax|exkl|netto|price[-_]*net\b|"
    r"\bnet[-_]*price|price[-_]*ex\b|[-_]ex(?:[-_]vat)?\b|\bht\b|prix[-_]ht|exvat|ex[-_]vat",
    re.IGNORECASE,
)
# Gross over net is at most this (the highest VAT/GST rates are below 30 %).
MAX_TAX_FACTOR = Decimal("1.30")


def basis_of_text(text: str | None) -> bool | None:
    """True for "inc. VAT", False for "ex VAT", None when the text says neither (or both)."""
    if not text:
        return None
    gross, net = GROSS_TEXT.search(text), NET_TEXT.search(text)
    if gross and not net:
        return True
    if net and not gross:
        return False
    return None


def basis_of_class(attrs: str) -> bool | None:
    """The same from class names ("price-including-tax", "price--net", "prix-ttc")."""
    gross, net = GROSS_CLASS.search(attrs), NET_CLASS.search(attrs)
    if gross and not net:
        return True
    if net and not gross:
        return False
    return None


def plausible_pair(gross: Decimal, net: Decimal) -> bool:
    """Whether two amounts can be one price with and without tax."""
    return net < gross <= net * MAX_TAX_FACTOR
