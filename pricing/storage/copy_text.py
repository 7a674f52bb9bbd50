"""Rows to PostgreSQL as COPY's text format, written by a thread of their own.

For the direct paths of the imports (:mod:`pricing.imports`): the rows of a large
file are turned into COPY text a column at a time (:func:`text_cells`,
:func:`texts_by_run`), gathered into chunks, and each chunk copied
(:func:`copy_lines`) by a :class:`Background` writer while the caller reads the next
one. psycopg waits for the database without holding the GIL, so the database
stores a chunk (inserts, indexes, foreign-key checks) while Python reads the next.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Sequence
from itertools import compress, islice, repeat
from operator import ne
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_PIECE_ROWS = 5000  # lines joined and sent at once
_Chunk = TypeVar("_Chunk")


def text_cells(values: Sequence[str | None]) -> Sequence[str]:
    """Text values as COPY's text format writes them: null as ``\\N``, a backslash
    or a separator escaped (most columns have none, and are given back as they are)."""
    if None not in values and not _SPECIAL.search("".join(cast(Sequence[str], values))):
        return cast(Sequence[str], values)
    return ["\\N" if v is None else v.translate(_ESCAPES) for v in values]


def texts_by_run(values: Sequence[Any]) -> list[str]:
    """``str`` of each value (dates, times), once per run of equal ones: the rows of a
    file share a few moments, and a moment's text costs far more than comparing two."""
    if not values:
        return []
    ends = [*compress(range(1, len(values)), map(ne, values, islice(values, 1, None))),
            len(values)]
    texts: list[str] = []
    start = 0
    for end in ends:
        texts += repeat(str(values[start]), end - start)
        start = end
    return texts


def copy_lines(raw: Any, table: str, columns: Sequence[str], lines: Sequence[str]) -> None:
    """COPY ``lines`` (each a row's text, ending in a line break) into ``table`` on the
    psycopg connection ``raw``, a piece at a time."""
    with raw.cursor() as cur, cur.copy(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    ) as copy:
        for start in range(0, len(lines), _PIECE_ROWS):
            copy.write("".join(lines[start : start + _PIECE_ROWS]))


class Background(Generic[_Chunk]):
    """Runs ``write`` on each chunk :meth:`submit` gives, in a thread of its own, while
    the caller prepares the next. One chunk waits at most; :meth:`drain` waits until
    all are written (before the caller uses the connection itself). An error in the
    thread is raised in the caller's (at the next chunk, a drain, or the end of the
    ``with`` block); an error in the caller's stops the thread."""

    def __init__(self, write: Callable[[_Chunk], None]) -> None:
        self.write = write
        self.waiting: queue.Queue[_Chunk | None] = queue.Queue(maxsize=1)
        self.failed: list[BaseException] = []
        self.stopped = False
        self.thread = threading.Thread(target=self._work, name="copy-writer", daemon=True)

    def __enter__(self) -> Background[_Chunk]:
        self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stopped = kind is not None
        self.waiting.put(None)
        self.thread.join()
        if kind is None:
            self._raise()

    def submit(self, chunk: _Chunk) -> None:
        self._raise()
        self.waiting.put(chunk)

    def drain(self) -> None:
        self.waiting.join()
        self._raise()

    def _raise(self) -> None:
        if self.failed:
            raise self.failed[0]

    def _work(self) -> None:
        while (chunk := self.waiting.get()) is not None:
            try:
                if not (self.failed or self.stopped):
                    self.write(chunk)
            except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
                self.failed.append(exc)
            finally:
                del chunk
                self.waiting.task_done()
        self.waiting.task_done()
