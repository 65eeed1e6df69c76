"""Reading a source file once while hashing it, so a load's audit entry names exactly what was loaded.

A loader hands each batch with a summary of its source (file names, their SHA-256, counts) to its
:data:`~tracegraph.store.Writer`; the hashes are of the bytes the loader parsed, taken in the same
read, so they hold even if the file changes afterwards.
"""

from __future__ import annotations

import hashlib
import io
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
