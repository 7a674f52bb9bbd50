"""Pack quantity (how many units the price buys) from titles and pack fields.

The parser lives in :mod:`pricing.matching.units` so that the crawler's extraction,
the matcher and the optimizer read the same pack from the same title; this module
re-exports it for the extraction code.
"""

from __future__ import annotations

from pricing.matching.units import MAX_PACK, parse_pack_field, parse_pack_qty

__all__ = ["MAX_PACK", "parse_pack_field", "parse_pack_qty"]
