"""Product-page extraction shared by the spiders and ``pricing extract``.

:func:`extract_product` is a pure function from a page (HTML and its URL) to an
:class:`ExtractedProduct`; :func:`parse_price` and :func:`parse_pack_qty` are the text
parsers it uses, exposed for the importers and the matcher.
"""

from __future__ import annotations

from crawlers.extraction.availability import normalize_availability
from crawlers.extraction.packs import parse_pack_field, parse_pack_qty
from crawlers.extraction.prices import ParsedPrice, parse_price
from crawlers.extraction.product import METHODS, ExtractedProduct, extract_product

__all__ = [
    "METHODS",
    "ExtractedProduct",
    "ParsedPrice",
    "extract_product",
    "normalize_availability",
    "parse_pack_field",
    "parse_pack_qty",
    "parse_price",
]
