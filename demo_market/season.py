"""The demo market's season: what competitors do in the weeks after the world's anchor date.

Before and on the anchor nothing changes (the shops' prices drift a little from day
to day, as :meth:`demo_market.shops.ShopCatalog.price` draws them), so every test
pinned to the anchor sees the same prices. After it, a few scripted events unfold, so
a replayed season (``pricing demo --nights N``) has something to show:

- a price war on filters: Parts Depot starts cutting on day 5, GearHub follows a week
  later, each a step a week down to 15% below where they were;
- Fleet Store raises its belts 7% on day 21 and keeps them there;
- Trade Supply runs out of stock on bearings from day 28 to day 63;
- QuickFit raises every price 3% on day 49.

The events are keyed by day offsets from the anchor, so the same seed always plays
the same season.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PriceEvent:
    shop: str
    category: str | None  # None: every category
    start: int  # first day (offset from the anchor) of the event
    step: float  # fractional change per step (negative: a cut)
    steps: int  # how many weekly steps until it stops moving
    every: int = 7


@dataclass(frozen=True)
class StockEvent:
    shop: str
    category: str
    start: int
    end: int  # first day back in stock


PRICE_EVENTS: tuple[PriceEvent, ...] = (
    PriceEvent("partsdepot", "Filters", start=5, step=-0.04, steps=4),
    PriceEvent("gearhub", "Filters", start=12, step=-0.04, steps=4),
    PriceEvent("fleetstore", "Belts", start=21, step=0.07, steps=1),
    PriceEvent("quickfit", None, start=49, step=0.03, steps=1),
)
STOCK_EVENTS: tuple[StockEvent, ...] = (
    StockEvent("tradesupply", "Bearings", start=28, end=63),
)


def price_factor(shop: str, category: str, day: dt.date, anchor: dt.date) -> float:
    """What the season does to a shop's price for a product of ``category`` on ``day``."""
    offset = (day - anchor).days
    factor = 1.0
    for event in PRICE_EVENTS:
        if event.shop != shop or event.category not in (None, category) or offset < event.start:
            continue
        steps = min(event.steps, (offset - event.start) // event.every + 1)
        factor *= (1 + event.step) ** steps
    return factor


def out_of_stock(shop: str, category: str, day: dt.date, anchor: dt.date) -> bool:
    """Whether the season has emptied the shop's shelf for ``category`` on ``day``."""
    offset = (day - anchor).days
    return any(
        e.shop == shop and e.category == category and e.start <= offset < e.end
        for e in STOCK_EVENTS
    )


def describe(anchor: dt.date) -> list[str]:
    """One line per scripted event, with its dates, for the demo's printout."""
    def on(offset: int) -> str:
        return (anchor + dt.timedelta(days=offset)).isoformat()

    lines = []
    for e in PRICE_EVENTS:
        what = e.category or "every category"
        total = (1 + e.step) ** e.steps - 1
        lines.append(f"{e.shop}: {what} {total:+.0%} from {on(e.start)}")
    for s in STOCK_EVENTS:
        lines.append(f"{s.shop}: {s.category} out of stock {on(s.start)} to {on(s.end)}")
    return lines


# How strongly buyers of a competitive part follow the market: a shop-wide cut of 10%
# costs us about 15% of the units at an unchanged price. Proprietary parts have no
# equivalent to switch to.
CROSS_ELASTICITY = 1.5


def market_level(shops: Iterable[str], category: str, day: dt.date, anchor: dt.date) -> float:
    """The competitors' average price level for ``category`` on ``day`` (1 before the season)."""
    names = list(shops)
    return sum(price_factor(s, category, day, anchor) for s in names) / len(names)


def demand_factor(
    shops: Iterable[str], category: str, proprietary: bool, day: dt.date, anchor: dt.date
) -> float:
    """What the season does to our demand for a part: buyers follow cheaper competitors."""
    if proprietary or day <= anchor:
        return 1.0
    return market_level(shops, category, day, anchor) ** CROSS_ELASTICITY
