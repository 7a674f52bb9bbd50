"""Matching many listings on several cores: the same decisions as one process, sooner.

A :class:`~pricing.matching.matcher.Matcher` is pure, so listings can be matched in any
order and in any process. The index is built once in this process and shared with the
workers by ``fork`` (copy-on-write: only the listings, the results and, once, the fuzzy
index, built in a helper beside the near-miss table, cross a pipe). Where ``fork`` does
not exist, or the batch is too small to repay starting workers, everything runs here.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterator, Sequence

from pricing.matching.fuzzy import FuzzyIndex
from pricing.matching.index import CatalogIndex
from pricing.matching.matcher import Matcher
from pricing.matching.records import ListingInput, MatchResult

__all__ = ["default_workers", "imatch", "match_parallel"]

# Below this many listings a worker pool costs more than it saves.
MIN_PARALLEL = 4_000
_CHUNK = 2_000

_WORKER: Matcher | None = None


def default_workers() -> int:
    """The cores this process may use (its CPU affinity where the OS reports one)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def _match_chunk(chunk: Sequence[ListingInput]) -> list[MatchResult]:
    assert _WORKER is not None, "the worker pool is forked from imatch"
    return _WORKER.match_many(chunk)


def _build_fuzzy() -> FuzzyIndex:
    assert _WORKER is not None
    return _WORKER.index.fuzzy


def _prepare(index: CatalogIndex) -> None:
    """Build the lazy parts of ``index`` before the workers fork, once for all of them:
    the fuzzy index in a helper process while this one builds the near-miss table."""
    if "fuzzy" in vars(index):
        index.near_index  # noqa: B018
        return
    with mp.get_context("fork").Pool(1) as helper:
        pending = helper.apply_async(_build_fuzzy)
        index.near_index  # noqa: B018
        # a cached_property keeps its value in the instance dict
        vars(index)["fuzzy"] = pending.get()


def _chunks(listings: Sequence[ListingInput], size: int) -> Iterator[Sequence[ListingInput]]:
    for start in range(0, len(listings), size):
        yield listings[start : start + size]


def imatch(
    matcher: Matcher, listings: Sequence[ListingInput], workers: int
) -> Iterator[MatchResult]:
    """``matcher.match(listing)`` for each listing, in order, on up to ``workers``
    processes, yielded as they come, so the caller can store them meanwhile."""
    global _WORKER
    if workers <= 1 or len(listings) < MIN_PARALLEL or "fork" not in mp.get_all_start_methods():
        for listing in listings:
            yield matcher.match(listing)
        return
    _WORKER = matcher
    try:
        _prepare(matcher.index)
        with mp.get_context("fork").Pool(workers) as pool:
            for part in pool.imap(_match_chunk, _chunks(listings, _CHUNK)):
                yield from part
    finally:
        _WORKER = None


def match_parallel(
    matcher: Matcher, listings: Sequence[ListingInput], workers: int
) -> list[MatchResult]:
    """``matcher.match_many(listings)``, in order, on up to ``workers`` processes."""
    return list(imatch(matcher, listings, workers))
