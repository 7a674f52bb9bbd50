"""Export: a run's approved prices, re-checked, as the ERP price list.

Every approved price is re-checked against the catalog and policy in force
(:func:`pricing.review.recheck`); one that fails (the cost or MAP rose since approval)
is left out of the file and reported. A run is exported at most once (``price_exports``,
UNIQUE(run_id)): exporting it again writes nothing new and hands back the same file,
and a run older than the last exported one is refused. Exports are serialized: on
PostgreSQL by a lock on ``price_exports`` and row locks on the run and its parts, on
SQLite by its single writer. Exported prices become our current prices and enter our
price history. The file carries identifiers exactly (no spreadsheet formula guards) and
is written to a temporary name and renamed, so a reader never sees half of it.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from pricing.config import PricingPolicy
from pricing.errors import NotFoundError, PricingError
from pricing.reports.cells import exact_csv_value
from pricing.review import (
    APPROVED,
    CENT,
    ReviewError,
    catalog_rows,
    lock_run,
    recheck,
    utc_text,
)
from pricing.storage import Database
from pricing.storage.bulk import claim
from pricing.storage.models import (
    OurPrice,
    Part,
    PriceExport,
    RunStatus,
    Suggestion,
    SuggestionRun,
    utcnow,
)

ERP_COLUMNS = (
    "sku", "part_number", "price", "currency", "previous_price", "effective_date", "run_id",
    "approved_by", "note",
)


@dataclass(frozen=True)
class LeftOut:
    """An approved price the export re-check refused, and why."""

    sku: str
    reason: str


@dataclass(frozen=True)
class ExportResult:
    """A run's export. ``repeat``: the run had been exported before, so nothing new
    was written to the database and ``content`` is the file that export wrote."""

    run_id: int
    path: Path
    rows: int
    left_out: tuple[LeftOut, ...]
    exported_at: dt.datetime
    exported_by: str
    content: str
    repeat: bool = False


def export_approved(
    db: Database,
    run_id: int,
    who: str,
    policy: PricingPolicy,
    out: Path | None = None,
    *,
    as_of: dt.datetime | None = None,
) -> ExportResult:
    """Export the run's approved prices (approved or overridden) as the ERP price list.

    Every approved price is re-checked (:func:`recheck`); what fails is left out and
    reported. The export is recorded, the exported prices become current and enter
    the price history, all in one transaction; the file (``out``, default
    :func:`default_export_path`) is then written whole to a temporary name and renamed,
    so a reader never sees half a file. Exporting an exported run again writes its
    recorded file once more (to ``out``, or where it was first written) and nothing
    else. Refused: a run that is not complete, or older than the last exported run.
    ``as_of`` dates the export and the prices it makes current (default now; a replayed
    season sets it).
    """
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
    with db.session() as session:
        result = _export(session, run_id, who, policy, out, as_of or utcnow())
    try:
        write_atomically(result.path, result.content)
    except OSError as exc:
        raise PricingError(
            f"{result.path}: cannot write the price list: {exc.strerror or exc}; run "
            f"{run_id}'s export is recorded, export it again to write the file"
        ) from exc
    return result


def _export(
    session: Session,
    run_id: int,
    who: str,
    policy: PricingPolicy,
    out: Path | None,
    now: dt.datetime,
) -> ExportResult:
    run = session.get(SuggestionRun, run_id)
    if run is None or run.status != RunStatus.complete:
        raise NotFoundError(f"no complete suggestion run {run_id}")
    path = out or default_export_path(run_id)
    if session.get_bind().dialect.name == "postgresql":
        # one export at a time (reads of the table go on); SQLite's claim below takes
        # its single write lock, which does the same
        session.execute(text("LOCK TABLE price_exports IN EXCLUSIVE MODE"))
    fresh = claim(
        session,
        PriceExport,
        {"run_id": run_id, "exported_at": now, "exported_by": who, "file": str(path),
         "rows": 0, "left_out": [], "content": ""},
        keys=["run_id"],
    )
    newer = session.scalar(
        select(PriceExport).where(PriceExport.run_id > run_id)
        .order_by(PriceExport.run_id.desc()).limit(1)
    )
    if newer is not None:
        raise ReviewError(
            f"run {run_id} is older than run {newer.run_id}, exported at "
            f"{utc_text(newer.exported_at)} by {newer.exported_by}: exporting it would put "
            "older prices back (make a new run with `pricing optimize`)"
        )
    record = session.scalar(
        select(PriceExport).where(PriceExport.run_id == run_id)
        .execution_options(populate_existing=True)
    )
    assert record is not None
    if not fresh:
        _still_valid(session, record, policy)
        return ExportResult(
            run_id, out or Path(record.file), record.rows,
            tuple(LeftOut(e["sku"], e["reason"]) for e in record.left_out),
            record.exported_at, record.exported_by, record.content, repeat=True,
        )
    locked = lock_run(session, run_id)
    assert locked is not None
    rows = list(session.scalars(
        select(Suggestion)
        .where(Suggestion.run_id == run_id, Suggestion.review_status.in_(APPROVED))
        .order_by(Suggestion.sku)
    ))
    parts = catalog_rows(session, (s.sku for s in rows), lock=True)
    left_out: list[LeftOut] = []
    exported: list[tuple[Suggestion, Part]] = []
    for s in rows:
        reason = recheck(s, s.approved_price, parts.get(s.sku), policy, "approved price")
        if reason:
            left_out.append(LeftOut(s.sku, reason))
        else:
            exported.append((s, parts[s.sku]))
    content = _price_list(exported, run_id, now)
    _make_current(session, [(s, p) for s, p in exported if p.price != s.approved_price],
                  run_id, now)
    left = [{"sku": e.sku, "reason": e.reason} for e in left_out]
    record.rows, record.left_out, record.content = len(exported), left, content
    summary = dict(locked.summary or {})
    entry = {"at": now.isoformat(), "by": who, "rows": len(exported), "file": str(path),
             "left_out": left}
    locked.summary = {**summary, "exports": [*summary.get("exports", []), entry]}
    return ExportResult(run_id, path, len(exported), tuple(left_out), now, who, content)


def _make_current(
    session: Session, changed: list[tuple[Suggestion, Part]], run_id: int, now: dt.datetime
) -> None:
    """The exported prices that differ from our current ones become current and enter
    the price history (bulk statements: an export can carry the whole catalog)."""
    if not changed:
        return
    session.execute(
        update(Part).execution_options(synchronize_session=False),
        [{"id": part.id, "price": s.approved_price, "updated_at": now} for s, part in changed],
    )
    session.execute(insert(OurPrice), [
        {"sku": s.sku, "effective_at": now, "price": s.approved_price,
         "currency": part.currency, "source": f"export:run{run_id}"}
        for s, part in changed
    ])


def _still_valid(session: Session, record: PriceExport, policy: PricingPolicy) -> None:
    """Refuse to hand out an exported run's file again once a price in it fails the
    re-check (the cost or MAP rose since): that file would now carry a wrong price."""
    skus = {row["sku"] for row in csv.DictReader(io.StringIO(record.content))}
    rows = [s for s in session.scalars(select(Suggestion).where(
        Suggestion.run_id == record.run_id, Suggestion.review_status.in_(APPROVED))
        .order_by(Suggestion.sku)) if s.sku in skus]
    parts = catalog_rows(session, skus)
    failing = [
        f"{s.sku}: {reason}"
        for s in rows
        if (reason := recheck(s, s.approved_price, parts.get(s.sku), policy, "approved price"))
    ]
    if failing:
        more = f" (and {len(failing) - 1} more)" if len(failing) > 1 else ""
        raise ReviewError(
            f"run {record.run_id} was exported at {utc_text(record.exported_at)} by "
            f"{record.exported_by}; its file is not written again because a price in it no "
            f"longer passes: {failing[0]}{more} (make a new run with `pricing optimize`)"
        )


def _price_list(rows: list[tuple[Suggestion, Part]], run_id: int, now: dt.datetime) -> str:
    """The ERP file: identifiers and text exactly as stored (no spreadsheet guards)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ERP_COLUMNS)
    for s, part in rows:
        assert s.approved_price is not None
        writer.writerow([
            exact_csv_value(v)
            for v in (
                s.sku,
                part.part_number,
                s.approved_price.quantize(CENT),
                part.currency,
                part.price.quantize(CENT),
                now.date().isoformat(),
                run_id,
                s.reviewed_by,
                s.review_note,
            )
        ])
    return buffer.getvalue()


def write_atomically(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same folder and a
    rename: a reader sees the old file or the new one, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def default_export_path(run_id: int, folder: Path = Path("var") / "exports") -> Path:
    """Where a run's price list goes unless told otherwise: one file name per run."""
    return folder / f"price-list-run{run_id}.csv"
