"""Reading a source file once while hashing it, so a load's audit entry names exactly what was loaded.

A loader hands each batch with a summary of its source (file names, their SHA-256, counts) to its
:data:`~tracegraph.store.Writer`; the hashes are of the bytes the loader parsed, taken in the same
read, so they hold even if the file changes afterwards.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from typing import IO, Any


class HashingReader(io.RawIOBase):
    """A binary stream that feeds every byte read from ``raw`` into ``sha256`` (a new one if None)."""

    def __init__(self, raw: IO[bytes], sha256: Any = None) -> None:
        super().__init__()
        self._raw = raw
        self.sha256 = hashlib.sha256() if sha256 is None else sha256

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[:len(data)] = data
        self.sha256.update(data)
        return len(data)


def not_utf8(lines: Iterable[bytes]) -> str:
    """Why and where a file a decoder refused first stops being UTF-8, by line and byte of the whole file (a
    byte-order mark counted): a decoder's own position is within the chunk it was decoding. Lines decode
    alone, since no UTF-8 sequence holds a newline byte, so one of them fails as the file did (a sequence cut
    off at the end of the file fails as the last line)."""
    offset = 0
    for number, line in enumerate(lines, start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"{exc.reason} at line {number}, byte {offset + exc.start}"
        offset += len(line)
    raise ValueError("not_utf8 was given UTF-8 text: ask it only about bytes a decoder refused")
