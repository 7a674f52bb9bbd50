"""The ``pricing`` command line: one entry point for every user of the product."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import typer

from pricing.cli.context import AppContext
from pricing.cli.output import fail
from pricing.errors import ExitCode, PricingError
from pricing.settings import Settings

app = typer.Typer(
    name="pricing",
    help="Competitive pricing monitor and margin optimizer for aftermarket parts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def package_version() -> str:
    """The installed distribution's version (the package's own when not installed)."""
    try:
        return metadata.version("pricing-monitor")
    except metadata.PackageNotFoundError:
        from pricing import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"pricing {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy database URL (env PRICING_DATABASE_URL).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Config folder (env PRICING_CONFIG_DIR).")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            is_eager=True,
            callback=_print_version,
        ),
    ] = False,
) -> None:
    settings = Settings().with_overrides(db=db, config=config)
    ctx.obj = AppContext(settings.model_copy(update={"debug": debug or settings.debug}))


def _register() -> None:
    """Every command, grouped in modules by what users do, in ``pricing --help`` order."""
    from pricing.cli import crawling, history, inputs, matching, operations, pricing_run

    commands: list[tuple[str, Callable[..., Any]]] = [
        ("optimize", pricing_run.optimize),
        ("report", pricing_run.report),
        ("review", pricing_run.review),
        ("export", pricing_run.export),
        ("demo", operations.demo),
        ("daemon", operations.daemon),
        ("deploy-crawlers", operations.deploy_crawlers),
        ("status", operations.status),
        ("init", operations.init),
        ("nightly", operations.nightly),
        ("history", history.history),
        ("market-position", history.market_position_cmd),
        ("competitor-moves", history.competitor_moves_cmd),
        ("extract", crawling.extract),
        ("crawl", crawling.crawl),
        ("match", matching.match),
        ("serve", operations.serve),
        ("web-user", operations.web_user),
        ("whatif", pricing_run.whatif),
    ]
    for name, command in commands:
        app.command(name)(command)
    for name, group in [
        ("catalog", inputs.catalog),
        ("xref", inputs.xref),
        ("sales", inputs.sales),
        ("observations", inputs.observations),
        ("crawls", crawling.crawls),
        ("matches", matching.matches),
    ]:
        app.add_typer(group, name=name)


_register()


TRUE = {"1", "true", "yes", "on"}


def main() -> None:
    """Run the command; every error is one line on stderr (``--debug``: the traceback).

    Exit codes: see :class:`pricing.errors.ExitCode`.
    """
    debug = "--debug" in sys.argv or os.environ.get("PRICING_DEBUG", "").lower() in TRUE
    # what start-up loaded (modules, classes, the command tree) lives as long as the
    # process: the garbage collector leaves it alone from now on, instead of walking it
    # at every full collection and once more at exit
    gc.freeze()
    try:
        app()
    except KeyboardInterrupt:
        fail("interrupted")
        sys.exit(ExitCode.INTERRUPTED)
    except Exception as exc:
        if debug:
            raise
        fail(one_line(exc))
        sys.exit(ExitCode.ERROR)


def one_line(exc: BaseException) -> str:
    """A user's view of an error: our own errors as they are; anything else by its kind
    and first line, pointing at ``--debug``."""
    if isinstance(exc, PricingError):
        return str(exc)
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    kind = type(exc).__name__
    return f"{kind}: {first} (run with --debug for the traceback)" if first else kind
