"""Commands for the competitor side: extract, crawl, crawl runs, match, matches."""

from __future__ import annotations

import getpass
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from pricing.cli.context import get
from pricing.cli.options import LogFormatOpt, with_log_format
from pricing.cli.output import Format, OutOpt, console, dumps, emit, progress
from pricing.config import COMPETITORS_FILE
from pricing.errors import ExitCode, PricingError, crawl_exit_code
from pricing.settings import Settings
from pricing.storage.models import CrawlRun, CrawlStatus, Listing, Match, MatchStatus

FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]


class Relation(StrEnum):
    """How a matched listing relates to our SKU (pricing.matching MATCH_RELATIONS)."""

    same = "same"
    alternative = "alternative"
    kit = "kit"


ByOpt = Annotated[str, typer.Option("--by", help="Who decides (default: your login).")]


class FetchError(PricingError):
    pass


def _read_source(source: str) -> tuple[bytes, str]:
    """The page bytes and its URL, from an http(s) URL or a saved file."""
    if source.startswith(("http://", "https://")):
        import requests

        from crawlers.settings import USER_AGENT

        try:
            resp = requests.get(source, headers={"User-Agent": USER_AGENT}, timeout=30)
            resp.raise_for_status()
        except requests.RequestException as exc:
            raise FetchError(f"{source}: {exc}") from None
        return resp.content, resp.url
    path = Path(source)
    try:
        return path.read_bytes(), path.resolve().as_uri()
    except OSError as exc:
        raise FetchError(f"{source}: cannot read: {exc.strerror}") from None


def register(app: typer.Typer) -> None:
    @app.command()
    def extract(
        ctx: typer.Context,
        sources: Annotated[
            list[str], typer.Argument(help="Product page URLs or saved HTML files.")
        ],
        base_url: Annotated[
            str | None, typer.Option("--base-url", help="The page's original URL, for saved files.")
        ] = None,
        competitor: Annotated[
            str | None, typer.Option("--competitor", help="Use this competitor's selectors.")
        ] = None,
    ) -> None:
        """Print what the extractor reads from each page, one JSON object a line."""
        from crawlers.extraction import extract_product

        selectors = currency = None
        if competitor:
            comp = get(ctx).config.competitor(competitor)
            selectors, currency = comp.selectors, comp.currency
        for source in sources:
            body, url = _read_source(source)
            if base_url and not source.startswith(("http://", "https://")):
                url = base_url
            product = extract_product(
                body, url, selectors=selectors, default_currency=currency, source=source
            )
            sys.stdout.write(dumps(product.as_record()) + "\n")

    @app.command()
    def crawl(
        ctx: typer.Context,
        competitors: Annotated[
            list[str] | None, typer.Argument(help="Competitor names (all enabled when none).")
        ] = None,
        base_url: Annotated[
            list[str] | None,
            typer.Option("--base-url", help="NAME=URL: crawl this competitor at another address."),
        ] = None,
        log_format: LogFormatOpt = None,
    ) -> None:
        """Run competitors' spiders now and record each crawl run."""
        from crawlers.runner import run_crawls

        app_ctx = get(ctx)
        app_ctx.settings = with_log_format(app_ctx.settings, log_format)
        app_ctx.db  # noqa: B018 - refuse early when the schema is missing
        if not competitors and not any(c.enabled for c in app_ctx.config.competitors):
            where = app_ctx.config.directory / COMPETITORS_FILE
            raise PricingError(f"{where}: nothing to crawl: no enabled competitor")
        overrides = dict(item.split("=", 1) for item in base_url or [])
        with progress(f"crawling {', '.join(competitors or []) or 'every enabled competitor'}"):
            outcomes = run_crawls(
                app_ctx.settings,
                app_ctx.config,
                competitors,
                base_urls=overrides,
                log_level=_crawl_log_level(app_ctx.settings),
                tracebacks=app_ctx.settings.debug,
            )
        run_ids = [o.run_id for o in outcomes if o.run_id is not None]
        if app_ctx.settings.log_format == "json":
            statuses = _log_runs(app_ctx, run_ids)
        else:
            statuses = _print_runs(app_ctx, run_ids)
        statuses += [None for o in outcomes if o.run_id is None]
        code = crawl_exit_code(statuses)
        if code is not ExitCode.OK:
            raise typer.Exit(code)

    crawls = typer.Typer(
        help="Crawl runs: list them, confirm a suspect one.", invoke_without_command=True
    )

    @crawls.callback()
    def crawls_list(
        ctx: typer.Context,
        limit: Annotated[int, typer.Option(help="How many recent runs.")] = 20,
        fmt: FormatOpt = Format.table,
        out: OutOpt = None,
    ) -> None:
        if ctx.invoked_subcommand is None:
            with get(ctx).db.session() as session:
                runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit))
                emit([_run_row(r) for r in runs], fmt, RUN_COLUMNS, title="Crawl runs", out=out)

    @crawls.command("confirm")
    def crawls_confirm(
        ctx: typer.Context,
        run_id: Annotated[int, typer.Argument(help="Crawl run id.")],
        by: ByOpt = "",
    ) -> None:
        """Vouch for a suspect run so its prices may drive suggestions."""
        from pricing.crawlruns import confirm_run

        with get(ctx).db.session() as session:
            run = confirm_run(session, run_id, by or getpass.getuser())
            console.print(f"crawl run {run.id} ({run.competitor}) confirmed")

    app.add_typer(crawls, name="crawls")

    @app.command()
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
        from pricing.pipeline.learned import queue_order

        stmt = (
            select(Match, Listing)
            .join(Listing, Listing.id == Match.listing_id)
            .order_by(*queue_order(status))
        )
        if status:
            stmt = stmt.where(Match.status == status)
        if competitor:
            stmt = stmt.where(Listing.competitor == competitor)
        if relation:
            stmt = stmt.where(Match.relation == relation.value)
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

    app.add_typer(matches, name="matches")


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
RUN_COLUMNS = [
    "id",
    "competitor",
    "status",
    "started_at",
    "finished_at",
    "requests",
    "items",
    "errors",
    "note",
]


def _run_row(run: CrawlRun) -> dict[str, object]:
    return {c: getattr(run, c) for c in RUN_COLUMNS}


def _crawl_log_level(settings: Settings) -> str:
    """Text on a terminal: warnings and errors; JSON for a log collector: from INFO on
    (it filters); ``--debug``: everything."""
    if settings.debug:
        return "DEBUG"
    return "INFO" if settings.log_format == "json" else "WARNING"


def _log_runs(app_ctx: object, run_ids: list[int]) -> list[str | None]:
    """With JSON logs, the runs are log records (one JSON line each on stderr) instead
    of a table; returns their statuses."""
    from pricing.cli.context import AppContext

    assert isinstance(app_ctx, AppContext)
    log = logging.getLogger("pricing.crawl")
    with app_ctx.db.session() as session:
        runs = list(
            session.scalars(select(CrawlRun).where(CrawlRun.id.in_(run_ids)).order_by(CrawlRun.id))
        )
        for run in runs:
            row = _run_row(run)
            level = logging.INFO if run.status == CrawlStatus.succeeded else logging.WARNING
            log.log(
                level,
                "crawl run %d of %s: %s, %d items",
                run.id,
                run.competitor,
                run.status,
                run.items,
                extra={**row, "competitor": run.competitor, "run_id": run.id},
            )
        return [r.status for r in runs]


def _print_runs(app_ctx: object, run_ids: list[int]) -> list[str | None]:
    """Show the runs; returns their statuses."""
    from pricing.cli.context import AppContext

    assert isinstance(app_ctx, AppContext)
    with app_ctx.db.session() as session:
        runs = list(
            session.scalars(select(CrawlRun).where(CrawlRun.id.in_(run_ids)).order_by(CrawlRun.id))
        )
        emit([_run_row(r) for r in runs], Format.table, RUN_COLUMNS, title="Crawl runs")
        return [r.status for r in runs]
