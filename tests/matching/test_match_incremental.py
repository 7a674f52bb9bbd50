"""`pricing match` on several processes and incrementally stores exactly what one full
single-process run stores, on SQLite and PostgreSQL: a run with nothing changed
matches nothing, a changed listing is matched again, a changed catalog row makes every
undecided listing be matched again."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from pricing.matching.parallel import MIN_PARALLEL
from pricing.storage import Database
from pricing.storage.models import Listing, Match
from tests.support import DATA_DIR, run_cli

DATA = DATA_DIR
# copies of the labelled listings, each under its own URL: enough for a worker pool
COPIES = MIN_PARALLEL // 280 + 1
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HEADER = ["competitor", "url", "title", "price", "currency", "brand", "part_number", "gtin",
          "pack_qty", "observed_at"]  # fmt: skip


def _csv(rows: list[list[object]], header: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _labelled() -> list[dict[str, str]]:
    with (DATA / "matching_labeled.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _observations(when: dt.datetime) -> str:
    rows = [
        [r["competitor"], f"{r['url']}?copy={copy}", r["title"], r["price"], r["currency"],
         r["brand"], r["part_number"], r["gtin"], r["pack_qty"], when.isoformat()]
        for copy in range(COPIES)
        for r in _labelled()
    ]  # fmt: skip
    return _csv(rows, HEADER)


def _stored(db_url: str) -> dict[str, tuple[object, ...]]:
    """Every stored match by listing URL, with everything `pricing matches` shows."""
    db = Database(db_url)
    try:
        with db.session() as session:
            rows = session.execute(
                select(Listing.url, Match.sku, Match.status, Match.method, Match.confidence,
                       Match.relation, Match.note, Match.evidence)
                .join(Match, Match.listing_id == Listing.id)
            )  # fmt: skip
            return {url: tuple(rest) for url, *rest in rows}
    finally:
        db.dispose()


def _ok(*args: str, db_url: str) -> str:
    done = run_cli(*args, db_url=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_parallel_and_incremental_runs_store_what_one_full_run_stores(
    db_url: str, tmp_path: Path
) -> None:
    observations = tmp_path / "observations.csv"
    observations.write_text(_observations(NOW - dt.timedelta(days=2)), encoding="utf-8")
    _ok("init", db_url=db_url)
    _ok("catalog", "import", str(DATA / "matching_catalog.csv"), db_url=db_url)
    # the file carries one reference to an unknown SKU on purpose (a problem to report)
    _ok("xref", "import", "--skip-bad-rows", str(DATA / "matching_xrefs.csv"), db_url=db_url)
    _ok("observations", "import", str(observations), db_url=db_url)
    listings = COPIES * len(_labelled())
    assert listings >= MIN_PARALLEL

    out = _ok("match", "--workers", "2", db_url=db_url)
    assert f"matched {listings} listings" in out
    parallel = _stored(db_url)
    assert len(parallel) == listings
    statuses = {row[1] for row in parallel.values()}
    assert {"auto", "needs_review", "unmatched"} <= statuses
    first = "https://partsplanet.example/p/1"
    # every copy of a listing is decided alike, whichever worker had it
    assert {parallel[f"{first}?copy={c}"] for c in range(COPIES)} == {parallel[f"{first}?copy=0"]}

    out = _ok("match", "--all", "--workers", "1", db_url=db_url)
    assert f"matched {listings} listings" in out
    assert _stored(db_url) == parallel

    assert "matched 0 listings: nothing new" in _ok("match", db_url=db_url)

    # one listing now carries another of our numbers: it alone is matched again
    assert parallel[f"{first}?copy=0"][:2] == ("A-OF-100", "auto")
    changed = tmp_path / "changed.csv"
    changed.write_text(
        _csv([["partsplanet", f"{first}?copy=0", "Acme FX-4477 Oil Filter", "9.99", "USD",
               "Acme", "FX-4477", "", "", NOW.isoformat()]], HEADER),
        encoding="utf-8",
    )  # fmt: skip
    _ok("observations", "import", str(changed), db_url=db_url)
    out = _ok("match", db_url=db_url)
    assert "matched 1 listings: 1 auto" in out
    after_listing = _stored(db_url)
    assert after_listing[f"{first}?copy=0"][:2] == ("A-OF-101", "auto")
    assert after_listing[f"{first}?copy=1"] == parallel[f"{first}?copy=1"]

    # our FX-4477 is renumbered: every listing is matched again against the new catalog
    catalog = (DATA / "matching_catalog.csv").read_text(encoding="utf-8")
    assert catalog.count("A-OF-101,FX-4477,") == 1
    renumbered = tmp_path / "catalog.csv"
    renumbered.write_text(catalog.replace("A-OF-101,FX-4477,", "A-OF-101,FX-5577,"), "utf-8")
    _ok("catalog", "import", str(renumbered), db_url=db_url)
    out = _ok("match", db_url=db_url)
    assert f"matched {listings} listings" in out
    assert "every undecided listing was matched" in out
    incremental = _stored(db_url)
    assert incremental[f"{first}?copy=0"][:2] != ("A-OF-101", "auto")
    moved = [url for url, row in after_listing.items() if incremental[url] != row]
    assert moved, "renumbering a part changed no match"

    # what the incremental runs left equals one full single-process run on this data
    out = _ok("match", "--all", "--workers", "1", db_url=db_url)
    assert _stored(db_url) == incremental


def test_worker_processes_give_the_single_process_results() -> None:
    """The matcher on two processes returns, in order, what one process returns."""
    from pricing.matching import CatalogIndex, Matcher
    from pricing.matching.labelled import load_catalog, load_labelled, load_xrefs
    from pricing.matching.parallel import match_parallel

    index = CatalogIndex.build(
        load_catalog(DATA / "matching_catalog.csv"), load_xrefs(DATA / "matching_xrefs.csv")
    )
    labelled = [item.listing for item in load_labelled(DATA / "matching_labeled.csv")]
    listings = [
        replace(listing, listing_id=copy * 1000 + listing.listing_id)
        for copy in range(COPIES)
        for listing in labelled
    ]
    assert len(listings) >= MIN_PARALLEL
    single = Matcher(index).match_many(listings)
    parallel = match_parallel(Matcher(index), listings, 2)
    assert parallel == single
    assert [r.listing_id for r in parallel] == [item.listing_id for item in listings]
    assert {r.status for r in parallel} >= {"auto", "needs_review", "unmatched"}
