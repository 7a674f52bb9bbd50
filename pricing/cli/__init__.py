"""The ``pricing`` command line: one entry point for every user of the product."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pricing.cli.context import AppContext
from pricing.cli.output import fail
from pricing.errors import PricingError
from pricing.settings import Settings

app = typer.Typer(
    name="pricing",
    help="Competitive pricing monitor and margin optimizer for aftermarket parts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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
) -> None:
    settings = Settings().with_overrides(db=db, config=config)
    ctx.obj = AppContext(settings.model_copy(update={"debug": debug or settings.debug}))


def _register() -> None:
    from pricing.cli import commands, daemon, data, market, web

    commands.register(app)
    daemon.register(app)
    data.register(app)
    market.register(app)
    web.register(app)


_register()


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        app()
    except PricingError as exc:
        if debug:
            raise
        fail(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        fail("interrupted")
        sys.exit(130)
