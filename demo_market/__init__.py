"""The bundled demo market: a deterministic, offline fake world for ``pricing demo`` and tests.

A fictional OEM (Northline) with about 400 aftermarket parts, cross-references from
competitor brands, two years of weekly sales drawn from known demand curves, and
competitor storefronts served on local ports that look and behave like real parts
shops (server-rendered HTML, JSON-LD in euros, a JavaScript app, a B2B price list, and
a rate-limited shop that injects faults on demand). Everything comes from one seed;
the ground truth (which SKU a shop product really is, its true price, each SKU's true
elasticity) stays reachable from Python.
"""

from __future__ import annotations

from demo_market.catalog import CrossRef, Part
from demo_market.common import DEFAULT_SEED
from demo_market.data import DemoInputs, write_demo_inputs
from demo_market.faults import FAULTS
from demo_market.sales import DemandModel
from demo_market.server import DEFAULT_PORT_BASE, DemoMarket, RequestRecord, default_ports
from demo_market.shops import ListingTruth
from demo_market.world import SHOP_NAMES, DemoWorld, build_world

__all__ = [
    "DEFAULT_PORT_BASE",
    "DEFAULT_SEED",
    "FAULTS",
    "SHOP_NAMES",
    "CrossRef",
    "DemandModel",
    "DemoInputs",
    "DemoMarket",
    "DemoWorld",
    "ListingTruth",
    "Part",
    "RequestRecord",
    "build_world",
    "default_ports",
    "write_demo_inputs",
]
