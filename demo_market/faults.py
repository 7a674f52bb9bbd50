"""Faults a demo shop can be told to inject, and the rate limiter in front of it.

Real competitor sites fail in a handful of ways a crawler must survive and report.
A storefront switched into one or more of these modes (``DemoMarket(faults=...)``,
``market.set_faults(...)`` or ``python -m demo_market --fault SHOP=MODE``) misbehaves
on its product pages, always the same pages for the same mode, so tests know what to
expect:

``ratelimit``
    a strict token bucket: past it every request gets ``429 Too Many Requests`` with
    ``Retry-After: 1``; and, however slowly the crawler goes, two product pages in
    twenty are refused that way the first time they are asked for (a throttle that
    counts per page, as some CDNs do), so a slow crawler meets the limit too.
``5xx``
    one product page in twenty always answers 500; two in twenty answer 503 the first
    time only (a retry succeeds).
``slow``
    one page in twenty answers after ``slow_seconds`` every time (past a short
    download timeout); one in twenty is slow the first time only.
``truncated``
    one page in twenty drops the connection half way through its body (the
    ``Content-Length`` promised more); one in twenty sends complete HTTP but HTML cut
    off before the product.
``redesign``
    the shop's new templates: class names and page structure change, so the
    selectors in ``competitors.yaml`` stop matching (only shops that implement it).

Without faults a shop with a rate limit still enforces a generous one, as real shops do.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

FAULTS = ("ratelimit", "5xx", "slow", "truncated", "redesign")


BUCKETS = 20


def bucket(path: str) -> int:
    """Which twentieth of the pages ``path`` falls in (stable across runs and processes)."""
    return zlib.crc32(path.encode("utf-8")) % BUCKETS


class TokenBucket:
    """``capacity`` requests at once, refilled at ``rate`` a second; thread-safe."""

    def __init__(self, capacity: float, rate: float) -> None:
        self.capacity, self.rate = capacity, rate
        self._tokens = capacity
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 when the request may go ahead, else seconds until a token is free."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate


@dataclass(frozen=True)
class Injected:
    """What a fault does to one answer: replace it, slow it, or cut it."""

    status: int | None = None  # answer with this error status instead
    delay: float = 0.0  # seconds to wait before answering
    drop_after: float | None = None  # send this share of the body, then close
    cut_html: bool = False  # send a well-formed answer whose HTML stops early


class FaultPlan:
    """The fault modes a shop is in, and how often it has served each page since."""

    def __init__(
        self,
        modes: Iterable[str] = (),
        supported: Iterable[str] = FAULTS,
        slow_seconds: float = 3.0,
    ) -> None:
        self.supported = tuple(supported)
        self.slow_seconds = slow_seconds
        self.modes: frozenset[str] = frozenset()
        self._served: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.set(modes)

    def set(self, modes: Iterable[str]) -> None:
        wanted = frozenset(modes)
        unknown = sorted(wanted - set(self.supported))
        if unknown:
            raise ValueError(
                f"unknown fault {unknown[0]!r} for this shop "
                f"(supported: {', '.join(self.supported)})"
            )
        with self._lock:
            self.modes = wanted
            self._served.clear()

    def __contains__(self, mode: str) -> bool:
        return mode in self.modes

    def for_page(self, path: str) -> Injected | None:
        """The fault for this request of a product page, if any."""
        if not self.modes:
            return None
        with self._lock:
            self._served[path] += 1
            first = self._served[path] == 1
        n = bucket(path)
        if "ratelimit" in self.modes and n in (7, 8) and first:
            return Injected(status=429)
        if "5xx" in self.modes:
            if n == 0:
                return Injected(status=500)
            if n in (1, 2) and first:
                return Injected(status=503)
        if "slow" in self.modes and (n == 3 or (n == 4 and first)):
            return Injected(delay=self.slow_seconds)
        if "truncated" in self.modes:
            if n == 5:
                return Injected(drop_after=0.5)
            if n == 6:
                return Injected(cut_html=True)
        return None
