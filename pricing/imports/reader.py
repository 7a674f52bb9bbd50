"""Reading an input CSV as a stream of checked rows, in bounded memory.

A file is read twice from disk, never held whole: once as bytes to prove it is UTF-8
(the first bad byte is reported with its line and column before anything else), then
as text, a batch of rows at a time, each row checked against its
pydantic model (:mod:`pricing.imports.rows`). The model is the one definition of a
valid row and of every error message. Most rows of a real file are plain
(``SKU123``, ``2025-01-06``, ``12.50``), and checking them one by one with the model
costs more than everything else an import does; so a model may come with *fast
columns*: per field a function that takes that field's cells of a whole batch and
accepts only a strictly narrower form of the cell (``^[0-9]{1,8}(\\.[0-9]{1,4})?$``
for money), returning exactly the values the model would, or raises. Working a column
at a time lets ``map`` with built-ins do the work instead of a Python call per cell.
A batch the fast columns do not all accept goes through the model row by row, so
every bad row, and every row of its batch, is judged by the model
(``tests/test_import_streaming.py`` holds the fast columns to the model's values).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pricing.bounds import CONTROL_RE, FREE_TEXT_CONTROL_RE, MAX_FREE_TEXT
from pricing.errors import InputFileError
from pricing.utf8 import NotUtf8Error

_BLOCK = 1 << 20
BATCH_ROWS = 5000

# A field's cells of a batch -> their values; raises (anything) when the model must decide.
FastColumn = Callable[[Sequence[str]], list[Any]]


class _Slow(Exception):
    """Cells the fast path does not take: the model decides."""


def _require(ok: object) -> None:
    if not ok:
        raise _Slow


# --- fast columns: each accepts a subset of what the model accepts, with its values ---


def text(limit: int, *, required: bool = True, free: bool = False) -> FastColumn:
    """Text cells of 1 to ``limit`` characters once stripped, without control
    characters (``free``: tab and line breaks allowed); blank is None when optional."""
    control = FREE_TEXT_CONTROL_RE if free else CONTROL_RE

    def column(cells: Sequence[str]) -> list[Any]:
        values = list(map(str.strip, cells))
        # joined, no control character can appear that is not in one cell
        _require(max(map(len, values)) <= limit and control.search("".join(values)) is None)
        if required:
            _require(all(values))
            return values
        return values if all(values) else [v or None for v in values]

    return column


def free_text() -> FastColumn:
    return text(MAX_FREE_TEXT, free=True)


def decimal(digits: int, places: int, *, positive: bool, optional: bool = False) -> FastColumn:
    """Plain decimals below ``10**digits`` (``digits`` 0: below 1) with at most
    ``places`` decimals (``0`` only when not ``positive``); ``optional``: blank is None."""
    whole = rf"[0-9]{{1,{digits}}}" if digits else "0"
    match = re.compile(rf"{whole}(?:\.[0-9]{{1,{places}}})?").fullmatch

    def column(cells: Sequence[str]) -> list[Any]:
        if optional:
            return _optional(cells, column_of_values)
        return column_of_values(cells)

    def column_of_values(cells: Sequence[str]) -> list[Any]:
        _require(all(map(match, cells)))
        values = list(map(Decimal, cells))
        if positive:
            _require(all(values))
        return values

    return column


def _optional(cells: Sequence[str], column: FastColumn) -> list[Any]:
    """``column`` on the cells that are not blank; None for the blank ones."""
    if all(map(str.strip, cells)):
        return column(cells)
    present = [i for i, cell in enumerate(cells) if cell.strip()]
    values: list[Any] = [None] * len(cells)
    for i, value in zip(present, column([cells[i] for i in present]) if present else [],
                        strict=True):
        values[i] = value
    return values


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch


def iso_date(cells: Sequence[str]) -> list[dt.date]:
    _require(all(map(_DATE, cells)))
    return list(map(dt.date.fromisoformat, cells))


_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
).fullmatch


def opt_iso_datetime(cells: Sequence[str]) -> list[dt.datetime | None]:
    def column(present: Sequence[str]) -> list[Any]:
        values = list(map(str.strip, present))
        _require(all(map(_DATETIME, values)))
        return list(map(dt.datetime.fromisoformat, values))

    return _optional(cells, column)


_CURRENCY = re.compile("[A-Z]{3}").fullmatch


def currency(cells: Sequence[str]) -> list[str]:
    values = list(map(str.upper, map(str.strip, cells)))
    _require(all(map(_CURRENCY, values)))
    return values


def count(limit: int) -> FastColumn:
    """Whole numbers from 1 to ``limit``; blank is 1."""
    match = re.compile("[0-9]{1,9}").fullmatch

    def column(cells: Sequence[str]) -> list[Any]:
        stripped = list(map(str.strip, cells))
        if not all(stripped):
            stripped = [cell or "1" for cell in stripped]
        _require(all(map(match, stripped)))
        values = list(map(int, stripped))
        _require(min(values) >= 1 and max(values) <= limit)
        return values

    return column


_BOOLEANS = {"true": True, "True": True, "TRUE": True,
             "false": False, "False": False, "FALSE": False}


def boolean(cells: Sequence[str]) -> list[bool]:
    return [_BOOLEANS[cell] for cell in cells]


# --- the file --------------------------------------------------------------------------


def check_utf8(path: Path) -> None:
    """Read the file as bytes once; :class:`InputFileError` at its first non-UTF-8 byte
    (line and column as :func:`pricing.utf8.decode_utf8` gives them)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as f:
            while block := f.read(_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except OSError as exc:
        raise InputFileError(path, [(0, f"cannot read file: {exc.strerror}")], 0) from None
    except UnicodeDecodeError:
        bad = _locate(path)
        raise InputFileError(path, [(bad.line, str(bad))], 0) from None


def _locate(path: Path) -> NotUtf8Error:
    """The first bad byte, found line by line (a line is bytes up to ``\\n``)."""
    with path.open("rb") as f:
        for number, data in enumerate(f, start=1):
            if number == 1 and data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8) :]
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                column = len(data[: exc.start].decode("utf-8", "replace")) + 1
                return NotUtf8Error(number, column, data[exc.start])
    raise AssertionError("the file changed while it was read")


class CsvRows:
    """The rows of ``path`` checked against ``model``, read a batch at a time: iterate
    for ``(good, bad)`` per batch, ``good`` rows as tuples ``(line, *values)`` with
    values in ``fields`` order (default: the model's fields), ``bad`` as ``(line,
    reason)``. ``fast`` maps fields to fast columns; a file gets the fast path only
    when every field has one. ``total`` counts the rows read so far."""

    def __init__(
        self,
        path: Path,
        model: type[BaseModel],
        reason: Callable[[ValidationError], str],
        *,
        fields: Sequence[str] | None = None,
        fast: dict[str, FastColumn] | None = None,
    ) -> None:
        self.path, self.model, self.reason = path, model, reason
        self.fields = list(fields or model.model_fields)
        self.fast = fast or {}
        self.total = 0

    def __iter__(self) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[int, str]]]]:
        for lines, values, bad in self.columns():
            yield list(zip(lines, *values, strict=True)), bad

    def columns(self) -> Iterator[tuple[list[int], list[list[Any]], list[tuple[int, str]]]]:
        """The batches as columns: ``(lines, values, bad)``, ``values`` one list per
        field (in ``fields`` order) holding the good rows' values, ``lines`` their
        lines; what iterating gives, without building a tuple per row."""
        check_utf8(self.path)
        with self.path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = self._header(reader)
            plan = self._fast_plan(header)
            for lines, rows in _batches(reader, self.path):
                self.total += len(rows)
                if plan is not None:
                    try:
                        yield lines, self._fast(plan, rows), []
                        continue
                    except Exception:  # noqa: BLE001 - any doubt: the model decides
                        pass
                good, bad = self._slow(header, lines, rows)
                values = [list(c) for c in zip(*good, strict=True)] or [
                    [] for _ in range(1 + len(self.fields))]
                yield values[0], values[1:], bad

    @staticmethod
    def _fast(plan: list[tuple[int, FastColumn | None, Any]],
              rows: list[list[str]]) -> list[list[Any]]:
        width = max(i for i, _, _ in plan) + 1
        _require(min(map(len, rows)) >= width)
        cells = list(zip(*rows, strict=False))  # stops at the shortest row, >= width
        return [
            column(cells[i]) if column is not None else [default] * len(rows)
            for i, column, default in plan
        ]

    def _slow(self, header: list[str], lines: list[int],
              rows: list[list[str]]) -> tuple[list[tuple[Any, ...]], list[tuple[int, str]]]:
        good: list[tuple[Any, ...]] = []
        bad: list[tuple[int, str]] = []
        for line, cells in zip(lines, rows, strict=True):
            try:
                row = self.model.model_validate(dict(zip(header, cells, strict=False)))
            except ValidationError as exc:
                bad.append((line, self.reason(exc)))
                continue
            good.append((line, *(getattr(row, name) for name in self.fields)))
        return good, bad

    def _header(self, reader: Any) -> list[str]:
        path, model = self.path, self.model
        required = [n for n, f in model.model_fields.items() if f.is_required()]
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InputFileError(path, [(1, "empty file: no header row")], 0) from None
        except csv.Error as exc:
            raise InputFileError(path, [(1, f"unreadable header: {exc}")], 0) from None
        missing = [c for c in required if c not in header]
        if missing:
            raise InputFileError(
                path, [(1, f"missing required columns: {', '.join(missing)}")], 0
            )
        twice = sorted({h for h in header if h in model.model_fields and header.count(h) > 1})
        if twice:
            raise InputFileError(path, [(1, f"{twice[0]}: column appears twice in the header")], 0)
        return header

    def _fast_plan(self, header: list[str]) -> list[tuple[int, FastColumn | None, Any]] | None:
        """Per field: its header position and fast column, or (for an optional column
        the file lacks) its default. None: no fast path for this model."""
        if not all(name in self.fast for name in self.fields):
            return None
        return [
            (header.index(name), self.fast[name], None)
            if name in header
            else (0, None, self.model.model_fields[name].get_default())
            for name in self.fields
        ]


def _batches(reader: Any, path: Path) -> Iterator[tuple[list[int], list[list[str]]]]:
    """Rows, :data:`BATCH_ROWS` at a time, with the physical line each starts on;
    blank lines are left out. The csv module reads a batch in one call; a batch that
    took as many lines as it has rows (no cell broken over lines) is numbered at once,
    any other by the line breaks in its cells."""
    while True:
        before = reader.line_num
        try:
            rows = list(islice(reader, BATCH_ROWS))
        except csv.Error:
            line, message = _csv_error(path)
            raise InputFileError(path, [(line, f"unreadable CSV: {message}")], 0) from None
        if not rows:
            return
        if reader.line_num - before == len(rows):
            lines = list(range(before + 1, reader.line_num + 1))
        else:
            lines = _starts(before, rows)
        # a row whose first cell has text is not blank: most rows, told apart cheaply
        if not (all(rows) and all(map(str.strip, map(_first, rows)))):
            kept = [i for i, cells in enumerate(rows) if "".join(cells).strip()]
            lines, rows = [lines[i] for i in kept], [rows[i] for i in kept]
            if not rows:
                continue
        yield lines, rows


_first = itemgetter(0)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what ends a line read with newline=""


def _starts(before: int, rows: list[list[str]]) -> list[int]:
    """The line each row starts on, after ``before`` lines: a row takes one line plus
    one per line break inside its (quoted) cells."""
    lines = []
    for cells in rows:
        lines.append(before + 1)
        before += 1 + sum(len(_LINE_BREAK.findall(cell)) for cell in cells)
    return lines


def _csv_error(path: Path) -> tuple[int, str]:
    """The line and reason of the file's first unreadable row: read again row by row
    (only when reading failed), so the line is the one the row starts on."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        end = 0
        try:
            for _ in reader:
                end = reader.line_num
        except csv.Error as exc:
            return end + 1, str(exc)
    raise AssertionError("the file changed while it was read")
