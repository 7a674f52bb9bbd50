"""An observations file's checked rows as sightings, a batch at a time and a column at a
time: the time in UTC, the price's text, the unit price by the one rule
(:func:`pricing.observations.observed_unit_prices`), a row observed too far after the
import's ``as_of`` reported bad. Working on columns lets built-ins do each step for a
whole batch (``map`` and friends) instead of a Python call per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from operator import attrgetter, is_
from typing import Any, cast

from pricing.bounds import FUTURE_SKEW
from pricing.imports.steps import Bad
from pricing.observations import observed_unit_prices

SOURCE = "import"  # the source (and method) of an imported observation


@dataclass
class Sightings:
    """A batch of sightings as columns, one list per field, in file order."""

    line: list[int]
    competitor: list[str]
    url: list[str]
    title: list[str]
    brand: list[str | None]
    part_number: list[str | None]
    gtin: list[str | None]
    pack_qty: list[int]
    observed_at: list[dt.datetime]
    price: list[Any]
    price_text: list[str]
    currency: list[str]
    unit_price: list[Any]
    availability: list[str | None]

    def stage_rows(self) -> list[tuple[Any, ...]]:
        """The rows as :func:`pricing.observations.observation_stage` takes them
        (:data:`~pricing.observations.STAGE_COLUMNS` order)."""
        return list(zip(
            self.line, self.competitor, self.url, self.title, self.brand, self.part_number,
            self.gtin, self.pack_qty, self.observed_at, self.price, self.price_text,
            self.currency, repeat(None), self.unit_price, self.availability, repeat(SOURCE),
            strict=False,  # the repeats are endless
        ))

    def __len__(self) -> int:
        return len(self.line)


_is_utc = partial(is_, dt.UTC)
_tzinfo = attrgetter("tzinfo")


class SightingReader:
    """Turns the batches of :meth:`pricing.imports.reader.CsvRows.columns` (the
    ``ObservationRow`` fields) into :class:`Sightings`; rows without a time are seen at
    ``as_of``, and a row seen more than ``FUTURE_SKEW`` after it is bad."""

    def __init__(self, as_of: dt.datetime) -> None:
        self.as_of = as_of
        self.latest = as_of + FUTURE_SKEW
        self.titles: dict[str, int | None] = {}  # pack parses, kept across batches

    def batch(self, lines: list[int], values: list[list[Any]], bad: Bad) -> Sightings:
        (competitor, url, title, price, currency, brand, part_number, gtin, pack_qty,
         availability, observed_at) = values
        at = self._times(observed_at)
        columns = [lines, competitor, url, title, brand, part_number, gtin, pack_qty, at,
                   price, currency, availability]
        if at and max(at) > self.latest:
            columns = self._drop_future(columns, at, bad)
        (lines, competitor, url, title, brand, part_number, gtin, pack_qty, at, price,
         currency, availability) = columns
        return Sightings(
            lines, competitor, url, title, brand, part_number, gtin, pack_qty, at, price,
            list(map(str, price)), currency,
            observed_unit_prices(price, pack_qty, title, self.titles), availability,
        )

    def _times(self, observed: list[dt.datetime | None]) -> list[dt.datetime]:
        if None not in observed and all(map(_is_utc, map(_tzinfo, observed))):
            return cast(list[dt.datetime], observed)
        return [_as_utc(v) if v else self.as_of for v in observed]

    def _drop_future(self, columns: list[list[Any]], at: list[dt.datetime],
                     bad: Bad) -> list[list[Any]]:
        keep = []
        for i, when in enumerate(at):
            if when <= self.latest:
                keep.append(i)
                continue
            bad.append((columns[0][i], (
                f"observed_at: {when.isoformat()} is in the future (more than "
                f"{_span(FUTURE_SKEW)} after {self.as_of.isoformat(timespec='seconds')})")))
        return [[column[i] for i in keep] for column in columns]


def _span(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
