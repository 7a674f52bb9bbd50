"""Commands for our own data: schema, imports, and price history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from pricing import imports
from pricing.cli.context import get
from pricing.cli.output import Format, console, emit, err_console
from pricing.history import sku_history
from pricing.storage import Database

FileArg = Annotated[Path, typer.Argument(help="CSV file (UTF-8, header row).", dir_okay=False)]
SkipOpt = Annotated[
    bool, typer.Option("--skip-bad-rows", help="Import the good rows and report the bad ones.")
]
FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]


def _importer(
    kind: str, func: Callable[..., imports.ImportResult]
) -> Callable[[typer.Context, Path, bool], None]:
    def command(ctx: typer.Context, file: FileArg, skip_bad_rows: SkipOpt = False) -> None:
        result = func(get(ctx).db, file, skip_bad_rows=skip_bad_rows)
        console.print(f"{kind}: imported {result.imported} rows from {file}")
        for line, reason in result.skipped:
            err_console.print(f"{file}: line {line}: skipped: {reason}", highlight=False)

    command.__doc__ = f"Load {kind} from a CSV file (all-or-nothing unless --skip-bad-rows)."
    return command


def register(app: typer.Typer) -> None:
    @app.command()
    def init(ctx: typer.Context) -> None:
        """Create the database schema, or upgrade it to the current version."""
        db: Database = get(ctx).raw_db
        db.upgrade()
        console.print(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")

    for kind, func, help_text in [
        ("catalog", imports.import_catalog, "Our catalog: SKUs, costs, prices."),
        ("xref", imports.import_xrefs, "Cross-references: competitor part numbers to our SKUs."),
        ("sales", imports.import_sales, "Sales history: units and unit price per SKU and period."),
        ("observations", imports.import_observations, "Competitor prices from a file."),
    ]:
        group = typer.Typer(help=help_text, no_args_is_help=True)
        group.command("import")(_importer(kind, func))
        app.add_typer(group, name=kind)

    @app.command()
    def history(
        ctx: typer.Context,
        sku: Annotated[str, typer.Argument(help="Internal SKU.")],
        competitor: Annotated[
            str | None,
            typer.Option("--competitor", help="Only this competitor ('ours' for our price)."),
        ] = None,
        since: Annotated[
            dt.datetime | None,
            typer.Option("--since", formats=["%Y-%m-%d"], help="From this date."),
        ] = None,
        fmt: FormatOpt = Format.json,
    ) -> None:
        """Our price and every matched competitor's price for a SKU over time."""
        with get(ctx).db.session() as session:
            rows = sku_history(
                session, sku, competitor=competitor, since=since.date() if since else None
            )
        columns = [
            "sku",
            "competitor",
            "observed_at",
            "price",
            "currency",
            "unit_price",
            "pack_qty",
            "url",
            "title",
        ]
        emit([r.as_json() for r in rows], fmt, columns, title=f"Price history of {sku}")
