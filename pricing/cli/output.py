"""Printing lists as a table, CSV or JSON (``--format``), and one-line errors."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pricing.errors import PricingError
from pricing.reports.cells import csv_value, neutralize

console = Console()
err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=jsonable, ensure_ascii=False)


# A table is for a person to read: past this many rows it shows the first ones and says
# how to get them all (CSV or JSON write every row, fast, whatever the size).
TABLE_ROWS = 50


OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="FILE",
        help="Write every row to FILE (CSV or JSON: --format csv|json, or the file's "
        ".csv/.json suffix); the terminal gets a one-line summary.",
    ),
]


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: Format,
    columns: Sequence[str],
    title: str = "",
    out: Path | None = None,
) -> None:
    """Print ``rows`` as a table, CSV or JSON; with ``out``, write them all there (CSV
    or JSON) and print a summary line instead."""
    if out is not None:
        kind = out_format(fmt, out)
        write_out(out, lambda fh: _write_rows(rows, kind, columns, fh))
        print_line(f"{title or 'rows'}: {len(rows)} rows written to {out} ({kind})")
    elif fmt is Format.table:
        _print_table(rows, columns, title)
    else:
        _write_rows(rows, fmt, columns, sys.stdout)


def _write_rows(
    rows: Sequence[dict[str, Any]], fmt: Format, columns: Sequence[str], stream: TextIO
) -> None:
    if fmt is Format.json:
        stream.write(dumps([{c: jsonable(r.get(c)) for c in columns} for r in rows]) + "\n")
    else:
        writer = csv.writer(stream)
        writer.writerow(columns)
        cell = _CSV_CELLS.get
        writer.writerows(
            [cell(type(v), _csv_cell)(v) for v in map(r.get, columns)] for r in rows
        )


def _print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str) -> None:
    shown = rows[:TABLE_ROWS]
    table = Table(title=title or None)
    for c in columns:
        table.add_column(c)
    for r in shown:
        # scraped text may contain rich markup; show it literally
        table.add_row(
            *("" if r.get(c) is None else escape(str(jsonable(r.get(c)))) for c in columns)
        )
    console.print(table)
    if len(rows) > len(shown):
        console.print(
            f"{len(rows)} rows; the first {len(shown)} shown. "
            "All of them: --format csv or --format json (e.g. > rows.csv), or --out FILE",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def out_format(fmt: Format, out: Path) -> Format:
    """What ``--out FILE`` holds: the ``--format`` asked for, or for a table the file's
    suffix (a table is for a terminal, not a file)."""
    _check_out(out)
    if fmt is not Format.table:
        return fmt
    by_suffix = {".csv": Format.csv, ".json": Format.json}
    kind = by_suffix.get(out.suffix.lower())
    if kind is None:
        raise PricingError(
            f"--out {out}: choose the file's format with --format csv or --format json "
            "(or name a .csv or .json file)"
        )
    return kind


def _check_out(out: Path) -> None:
    if out.is_dir():
        raise PricingError(f"--out {out}: is a folder; name a file")
    if not out.parent.is_dir():
        raise PricingError(f"--out {out}: no folder {out.parent}")


def write_out(out: Path, write: Callable[[TextIO], object]) -> None:
    """Write a file whole or not at all: into a temporary file next to it, then renamed
    over it (an interrupted command never leaves half a price list behind)."""
    _check_out(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            write(fh)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def progress(message: str) -> AbstractContextManager[object]:
    """A spinner with ``message`` while a long step runs, on a terminal only: piped
    output and cron mail stay free of control characters."""
    if console.is_terminal:
        return console.status(escape(message))
    return nullcontext()


def _csv_cell(value: Any) -> Any:
    """Numbers stay numbers (a negative one is no formula); text is neutralized."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return csv_value(value)
    return csv_value(jsonable(value))


# _csv_cell by the value's exact type, for the common ones (a CSV of 100,000 rows)
_CSV_CELLS: dict[type, Callable[[Any], Any]] = {
    str: neutralize,
    int: int,
    float: float,
    Decimal: lambda value: format(value, "f"),
    type(None): lambda value: "",
}


def print_line(message: str, *, stderr: bool = False) -> None:
    """One line exactly as given: no markup, highlighting or wrapping (it may hold paths
    and text from input files)."""
    (err_console if stderr else console).print(
        message, highlight=False, markup=False, soft_wrap=True
    )


def fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
