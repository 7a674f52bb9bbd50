"""Text files users give us are UTF-8: the one decoder, naming the first bad byte."""

from __future__ import annotations

import codecs


class NotUtf8Error(ValueError):
    """Bytes that are not UTF-8, with the physical line and column of the first bad one."""

    def __init__(self, line: int, column: int, byte: int) -> None:
        self.line, self.column, self.byte = line, column, byte
        super().__init__(f"not UTF-8 (byte 0x{byte:02X} at column {column}); save it as UTF-8")


def decode_utf8(data: bytes) -> str:
    """``data`` as text (a UTF-8 byte order mark is dropped), or :class:`NotUtf8Error`."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        raise NotUtf8Error(line, column, data[exc.start]) from None
