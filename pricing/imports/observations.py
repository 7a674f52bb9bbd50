"""Competitor observations from a file (``pricing observations import``): each row is a
sighting of a listing, stored as a crawl's are (:mod:`pricing.observations`), its rows
read as :mod:`pricing.imports.sightings`.

Two paths, one outcome. The staged path takes any file on either database: the
sightings are loaded into a stage, checked there as a whole (a sighting twice in the
file is bad on both lines) and stored by :func:`pricing.observations.store_staged`.
On PostgreSQL a plain file first takes the direct path
(:mod:`pricing.imports.observations_direct`), which stores the same rows while the
file is read; any other file is rolled back there and the staged path decides, and
reports, from scratch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Index

from pricing.imports.observations_direct import import_direct
from pricing.imports.rows import OBSERVATION_FAST, ObservationRow
from pricing.imports.sightings import SOURCE, SightingReader
from pricing.imports.steps import (
    Bad,
    ImportResult,
    NotPlain,
    csv_rows,
    drop_duplicates,
    finish,
    index_keys,
    without_gc,
)
from pricing.observations import STAGE_COLUMNS, observation_stage, store_staged
from pricing.storage import Database
from pricing.storage.bulk import copy_batches, drop_stage
from pricing.storage.models import utcnow

_KEY = ["competitor", "url", "observed_at"]


@without_gc
def import_observations(
    db: Database,
    path: Path,
    *,
    skip_bad_rows: bool = False,
    as_of: dt.datetime | None = None,
) -> ImportResult:
    """Competitor prices from a file; rows without ``observed_at`` are stamped ``as_of``
    (default now), and rows observed more than ``FUTURE_SKEW`` after it are refused."""
    as_of = as_of or utcnow()
    if db.dialect == "postgresql":
        try:
            return import_direct(db, path, as_of, skip_bad_rows=skip_bad_rows)
        except NotPlain:
            pass  # the staged path decides, and reports, from scratch
    return import_staged(db, path, as_of, skip_bad_rows=skip_bad_rows)


def import_staged(db: Database, path: Path, as_of: dt.datetime, *,
                  skip_bad_rows: bool = False) -> ImportResult:
    """The staged path: any file, either database."""
    rows = csv_rows(path, ObservationRow, OBSERVATION_FAST)
    sightings = SightingReader(as_of)
    bad: Bad = []

    def good() -> Iterator[list[tuple[Any, ...]]]:
        for lines, values, batch_bad in rows.columns():
            bad.extend(batch_bad)
            yield sightings.batch(lines, values, bad).stage_rows()

    with db.session() as session:
        stage = observation_stage(session, "_stage_import_observations")
        Index("ix_stage_import_observations_key", *(stage.c[k] for k in _KEY))
        copy_batches(session, stage, list(STAGE_COLUMNS), good())
        index_keys(session, stage)
        drop_duplicates(session, stage, _KEY, ", ".join(_KEY), bad)
        imported = finish(path, bad, rows.total, skip_bad_rows)
        store_staged(session, stage, source=SOURCE)
        drop_stage(session, stage)
    return ImportResult(str(path), imported, bad)
