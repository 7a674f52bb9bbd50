"""The demo storefronts, one module each, registered by competitor name."""

from __future__ import annotations

from demo_market.storefronts.base import Response, Storefront
from demo_market.storefronts.fleetstore import FleetStore
from demo_market.storefronts.gearhub import GearHub
from demo_market.storefronts.partsdepot import PartsDepot
from demo_market.storefronts.quickfit import QuickFit
from demo_market.storefronts.tradesupply import TradeSupply

STOREFRONTS: dict[str, type[Storefront]] = {
    "partsdepot": PartsDepot,
    "gearhub": GearHub,
    "quickfit": QuickFit,
    "tradesupply": TradeSupply,
    "fleetstore": FleetStore,
}

__all__ = [
    "STOREFRONTS",
    "FleetStore",
    "GearHub",
    "PartsDepot",
    "QuickFit",
    "Response",
    "Storefront",
    "TradeSupply",
]
