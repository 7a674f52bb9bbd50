"""Reading an input CSV as a stream of checked rows, in bounded memory.

A file is read twice from disk, never held whole: once as bytes to prove it is UTF-8
(the first bad byte is reported with its line and column before anything else, as
before), then as text, row by row, each row checked against its pydantic model
(:mod:`pricing.imports`). The model is the one definition of a valid row and of every
error message; most rows of a real file are plain (``SKU123``, ``2025-01-06``,
``12.50``), and checking those with the model costs more than everything else an
import does. So a model may come with *fast cells*: per column a converter that
accepts a strictly narrower form of the cell (``^[0-9]{1,8}(\\.[0-9]{1,4})?$`` for
money) and returns exactly what the model would, or raises to hand the whole row to
the model. A row the fast cells accept is therefore exactly a row the model accepts
with the same values (``tests/test_import_streaming.py`` holds them to it), and every
other row, good or bad, goes through the model.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pricing.bounds import CONTROL_RE, FREE_TEXT_CONTROL_RE, MAX_FREE_TEXT, NotUtf8Error
from pricing.errors import InputFileError

_BLOCK = 1 << 20

FastCell = Callable[[str], Any]  # raises (anything) when the model must decide


class _Slow(Exception):
    """A cell the fast path does not take: the model decides the row."""


# --- fast cells: each accepts a subset of what the model accepts, with the same value ---


def text(limit: int, *, required: bool = True, free: bool = False) -> FastCell:
    """A text cell of 1 to ``limit`` characters once stripped, without control
    characters (``free``: tab and line breaks allowed); blank is None when optional."""
    control = FREE_TEXT_CONTROL_RE if free else CONTROL_RE

    def cell(raw: str) -> str | None:
        value = raw.strip()
        if not value:
            if required:
                raise _Slow
            return None
        if len(value) > limit or control.search(value):
            raise _Slow
        return value

    return cell


def free_text() -> FastCell:
    return text(MAX_FREE_TEXT, free=True)


def decimal(digits: int, places: int, *, positive: bool) -> FastCell:
    """A plain decimal below ``10**digits`` with at most ``places`` decimals (``0``
    is taken only when not ``positive``)."""
    pattern = re.compile(rf"[0-9]{{1,{digits}}}(?:\.[0-9]{{1,{places}}})?")
    match = pattern.fullmatch

    def cell(raw: str) -> Decimal:
        if match(raw) is None:
            raise _Slow
        value = Decimal(raw)
        if positive and not value:
            raise _Slow
        return value

    return cell


def iso_date(raw: str) -> dt.date:
    if len(raw) != 10 or raw[4] != "-" or raw[7] != "-":
        raise _Slow
    return dt.date.fromisoformat(raw)


_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
).fullmatch


def opt_iso_datetime(raw: str) -> dt.datetime | None:
    value = raw.strip()
    if not value:
        return None
    if _DATETIME(value) is None:
        raise _Slow
    return dt.datetime.fromisoformat(value)


def currency(raw: str) -> str:
    value = raw.strip().upper()
    if len(value) != 3 or not (value.isascii() and value.isalpha()):
        raise _Slow
    return value


def count(limit: int) -> FastCell:
    """A whole number from 1 to ``limit``; blank is 1."""

    def cell(raw: str) -> int:
        value = raw.strip()
        if not value:
            return 1
        if not (value.isascii() and value.isdigit()) or len(value) > 9:
            raise _Slow
        number = int(value)
        if not 1 <= number <= limit:
            raise _Slow
        return number

    return cell


def boolean(raw: str) -> bool:
    if raw in ("true", "True", "TRUE"):
        return True
    if raw in ("false", "False", "FALSE"):
        return False
    raise _Slow


# --- the file --------------------------------------------------------------------------


def check_utf8(path: Path) -> None:
    """Read the file as bytes once; :class:`InputFileError` at its first non-UTF-8 byte
    (line and column as :func:`pricing.bounds.decode_utf8` gives them)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as f:
            while block := f.read(_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except OSError as exc:
        raise InputFileError(path, [(0, f"cannot read file: {exc.strerror}")], 0) from None
    except UnicodeDecodeError:
        exc = _locate(path)
        raise InputFileError(path, [(exc.line, str(exc))], 0) from None


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
    """The rows of ``path`` checked against ``model``: iterate for ``(line, values,
    None)`` or ``(line, None, reason)``. ``values`` follow ``fields`` (default: the
    model's fields in order). ``fast`` maps some fields to fast cells; a row is taken
    on the fast path only when every field of ``fields`` has one."""

    def __init__(
        self,
        path: Path,
        model: type[BaseModel],
        reason: Callable[[ValidationError], str],
        *,
        fields: Sequence[str] | None = None,
        fast: dict[str, FastCell] | None = None,
    ) -> None:
        self.path, self.model, self.reason = path, model, reason
        self.fields = list(fields or model.model_fields)
        self.fast = fast or {}
        self.total = 0

    def __iter__(self) -> Iterator[tuple[int, tuple[Any, ...] | None, str | None]]:
        check_utf8(self.path)
        with self.path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = self._header(reader)
            fast = self._fast_plan(header)
            width = max((i for i, _ in fast), default=-1) + 1 if fast else 0
            model, fields, reason = self.model, self.fields, self.reason
            for line, cells in _numbered(reader, self.path):
                self.total += 1
                if fast is not None and len(cells) >= width:
                    try:
                        yield line, tuple(conv(cells[i]) for i, conv in fast), None
                        continue
                    except Exception:  # noqa: BLE001 - any doubt: the model decides
                        pass
                try:
                    row = model.model_validate(dict(zip(header, cells, strict=False)))
                except ValidationError as exc:
                    yield line, None, reason(exc)
                    continue
                yield line, tuple(getattr(row, name) for name in fields), None

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

    def _fast_plan(self, header: list[str]) -> list[tuple[int, FastCell]] | None:
        """Per field, the header position and fast cell; an optional column the file
        lacks gives its default. None: no fast path for this file."""
        if not all(name in self.fast for name in self.fields):
            return None
        plan: list[tuple[int, FastCell]] = []
        for name in self.fields:
            if name in header:
                plan.append((header.index(name), self.fast[name]))
            else:
                plan.append((0, _constant(self.model.model_fields[name].get_default())))
        return plan


def _constant(value: Any) -> FastCell:
    return lambda _raw: value


def _numbered(reader: Any, path: Path) -> Iterator[tuple[int, list[str]]]:
    """Rows with the physical line they start on; blank lines are left out."""
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputFileError(path, [(line, f"unreadable CSV: {exc}")], 0) from None
        if any(c.strip() for c in cells):
            yield line, cells
