"""The demo storefronts, one module each, registered by competitor name."""

from __future__ import annotations

from demo_market.storefronts.base import Response, Storefront
from demo_market.storefronts.gearhub import GearHub
from demo_market.storefronts.partsdepot import PartsDepot

STOREFRONTS: dict[str, type[Storefront]] = {"partsdepot": PartsDepot, "gearhub": GearHub}

__all__ = ["STOREFRONTS", "GearHub", "PartsDepot", "Response", "Storefront"]
