"""Reading competitors' shops: ``pricing extract``, ``crawl``, ``crawls``."""

from __future__ import annotations

import getpass
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from pricing.cli.context import get
from pricing.cli.options import ByOpt, FormatOpt, LogFormatOpt, with_log_format
from pricing.cli.output import Format, OutOpt, console, dumps, emit, progress
from pricing.config import COMPETITORS_FILE
from pricing.crawlruns import crawl_exit_code
from pricing.errors import ExitCode, PricingError
from pricing.settings import Settings
from pricing.storage.models import CrawlRun, CrawlStatus


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
