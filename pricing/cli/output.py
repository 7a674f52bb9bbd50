"""Printing lists as a table, CSV or JSON (``--format``), and one-line errors."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pricing.reports.cells import csv_value

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


def emit(
    rows: Sequence[dict[str, Any]], fmt: Format, columns: Sequence[str], title: str = ""
) -> None:
    if fmt is Format.json:
        sys.stdout.write(dumps([{c: jsonable(r.get(c)) for c in columns} for r in rows]) + "\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for r in rows:
            writer.writerow([_csv_cell(r.get(c)) for c in columns])
    else:
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
                "All of them: --format csv or --format json (e.g. > rows.csv)",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


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


def print_line(message: str, *, stderr: bool = False) -> None:
    """One line exactly as given: no markup, highlighting or wrapping (it may hold paths
    and text from input files)."""
    (err_console if stderr else console).print(
        message, highlight=False, markup=False, soft_wrap=True
    )


def fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
