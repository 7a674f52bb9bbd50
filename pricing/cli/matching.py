"""Competitor listings to our SKUs: ``pricing match`` and ``matches`` (the review
queue: list, confirm, reject)."""

from __future__ import annotations

import getpass
from enum import StrEnum
from typing import Annotated

import typer

from pricing.cli.context import get
from pricing.cli.options import ByOpt, FormatOpt
from pricing.cli.output import Format, OutOpt, console, emit, progress
from pricing.storage.models import MatchStatus


class Relation(StrEnum):
    """How a matched listing relates to our SKU (pricing.matching MATCH_RELATIONS)."""

    same = "same"
    alternative = "alternative"
    kit = "kit"


MATCH_COLUMNS = [
    "id",
    "competitor",
    "url",
    "title",
    "competitor_part_number",
    "sku",
    "relation",
    "method",
    "confidence",
    "probability",
    "status",
    "evidence",
    "note",
]

def match(
    ctx: typer.Context,
    rematch_all: Annotated[bool, typer.Option("--all", help="Re-match every listing.")] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Processes to match on (default: all cores)."),
    ] = None,
) -> None:
    """Normalize and match new or changed competitor listings to our SKUs."""
    from pricing.pipeline.match import run_matching

    app_ctx = get(ctx)
    with progress("matching listings to SKUs"):
        summary = run_matching(
            app_ctx.db, app_ctx.config.matching, rematch_all=rematch_all, workers=workers
        )
    counts = (
        ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items())) or "nothing new"
    )
    console.print(f"matched {summary.considered} listings: {counts}")
    if summary.everything and not rematch_all:
        console.print(
            "every undecided listing was matched: first run, or the catalog, the "
            "cross-references, the matching settings or the matching code changed"
        )
    if summary.problems:
        shown = 20
        console.print(
            f"{len(summary.problems)} problem(s) in the catalog or cross-references "
            "(matching worked around them; fix the data):",
            markup=False,
        )
        for problem in summary.problems[:shown]:
            console.print(f"  - {problem}", markup=False, highlight=False, soft_wrap=True)
        if len(summary.problems) > shown:
            console.print(f"  ... and {len(summary.problems) - shown} more")


matches = typer.Typer(
    help="Listing-to-SKU matches: list, confirm, reject.", invoke_without_command=True
)


@matches.callback()
def matches_list(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option("--status", help="auto, needs_review, rejected, confirmed, unmatched"),
    ] = None,
    competitor: Annotated[str | None, typer.Option("--competitor")] = None,
    relation: Annotated[
        Relation | None,
        typer.Option(
            "--relation",
            help="same (our part resold), alternative (a competitor part that "
            "replaces ours), kit",
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from pricing.pipeline.learned import matches_query

    stmt = matches_query(status=status, competitor=competitor,
                         relation=relation.value if relation else None)
    with get(ctx).db.session() as session:
        rows = [
            {
                "id": m.id,
                "competitor": li.competitor,
                "url": li.url,
                "title": li.title,
                "competitor_part_number": m.competitor_part_number or li.part_number,
                "sku": m.sku,
                "relation": m.relation,
                "method": m.method,
                "confidence": round(m.confidence, 3),
                "probability": m.learned_probability,
                "status": m.status,
                "evidence": m.evidence,
                "note": m.note,
            }
            for m, li in session.execute(stmt)
        ]
    emit(rows, fmt, MATCH_COLUMNS, title="Matches", out=out)


def _decide(
    ctx: typer.Context,
    ids: list[int],
    status: str,
    by: str,
    sku: str | None,
    note: str | None,
    relation: Relation | None = None,
) -> None:
    from pricing.pipeline.match import decide

    with get(ctx).db.session() as session:
        for match_id in ids:
            m = decide(
                session,
                match_id,
                status=status,
                who=by or getpass.getuser(),
                sku=sku,
                note=note,
                relation=relation.value if relation else None,
            )
            console.print(f"match {m.id}: {status} ({m.sku or 'no SKU'})")


@matches.command("confirm")
def matches_confirm(
    ctx: typer.Context,
    ids: Annotated[list[int], typer.Argument(help="Match ids.")],
    sku: Annotated[
        str | None, typer.Option("--sku", help="Confirm as this SKU instead.")
    ] = None,
    by: ByOpt = "",
    note: Annotated[str | None, typer.Option("--note")] = None,
    relation: Annotated[
        Relation | None,
        typer.Option("--relation", help="Correct the relation: same, alternative, kit."),
    ] = None,
) -> None:
    """Confirm matches; kept forever, it wins over later automatic runs."""
    _decide(ctx, ids, MatchStatus.confirmed, by, sku, note, relation)


@matches.command("reject")
def matches_reject(
    ctx: typer.Context,
    ids: Annotated[list[int], typer.Argument(help="Match ids.")],
    by: ByOpt = "",
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Reject matches: these listings never feed a price for that SKU."""
    _decide(ctx, ids, MatchStatus.rejected, by, None, note)
