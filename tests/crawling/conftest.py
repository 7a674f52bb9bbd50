"""The crawling tests' fixture: the demo market's storefronts on local ports, one per
test module (a module that needs fewer shops or faults defines its own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from demo_market import DemoMarket


@pytest.fixture(scope="module")
def market() -> Iterator[DemoMarket]:
    with DemoMarket() as running:
        yield running
