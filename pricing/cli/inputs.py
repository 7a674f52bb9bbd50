"""Loading our data and competitor prices from CSV files: ``pricing catalog import``,
``xref import``, ``sales import``, ``observations import``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from pricing import imports
from pricing.cli.context import get
from pricing.cli.options import AsOfOpt, parse_as_of
from pricing.cli.output import print_line, progress

FileArg = Annotated[Path, typer.Argument(help="CSV file (UTF-8, header row).")]
SkipOpt = Annotated[
    bool, typer.Option("--skip-bad-rows", help="Import the good rows and report the bad ones.")
]


def _report(kind: str, file: Path, result: imports.ImportResult) -> None:
    print_line(f"{kind}: imported {result.imported} rows from {file}")
    for line, reason in result.skipped:
        print_line(f"{file}: line {line}: skipped: {reason}", stderr=True)
    if result.skipped:
        print_line(f"{file}: {len(result.skipped)} bad rows skipped", stderr=True)


def _importer(
    kind: str, func: Callable[..., imports.ImportResult]
) -> Callable[[typer.Context, Path, bool], None]:
    def command(ctx: typer.Context, file: FileArg, skip_bad_rows: SkipOpt = False) -> None:
        with progress(f"importing {kind} from {file}"):
            result = func(get(ctx).db, file, skip_bad_rows=skip_bad_rows)
        _report(kind, file, result)

    command.__doc__ = f"Load {kind} from a CSV file (all-or-nothing unless --skip-bad-rows)."
    return command


def _import_observations(
    ctx: typer.Context, file: FileArg, skip_bad_rows: SkipOpt = False, as_of: AsOfOpt = None
) -> None:
    """Load observations from a CSV file (all-or-nothing unless --skip-bad-rows).

    Rows without observed_at are stamped --as-of (default now); rows observed more than
    an hour after it are refused as bad rows.
    """
    result = imports.import_observations(
        get(ctx).db, file, skip_bad_rows=skip_bad_rows, as_of=parse_as_of(as_of)
    )
    _report("observations", file, result)


def _group(help_text: str, command: Callable[..., None]) -> typer.Typer:
    """A ``pricing KIND`` group whose one command is ``import``."""
    group = typer.Typer(help=help_text, no_args_is_help=True)
    group.command("import")(command)
    return group


catalog = _group("Our catalog: SKUs, costs, prices.", _importer("catalog", imports.import_catalog))
xref = _group(
    "Cross-references: competitor part numbers to our SKUs.",
    _importer("xref", imports.import_xrefs),
)
sales = _group(
    "Sales history: units and unit price per SKU and period.",
    _importer("sales", imports.import_sales),
)
observations = _group("Competitor prices from a file.", _import_observations)
