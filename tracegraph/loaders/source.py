"""What every loader shares: reading a source file once while hashing it, and handing each batch to a writer.

A loader builds a batch and a summary of where it came from (file names, their SHA-256, counts),
then calls its :data:`Writer`; :class:`tracegraph.Graph` passes one that writes the batch and its
audit entry in one transaction. The hashes are of the bytes the loader parsed, taken in the same
read, so they name exactly what was loaded even if the file changes afterwards.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import IO, Any

from ..store import Batch, Store

Writer = Callable[[Batch, dict[str, Any]], None]
"""Writes one batch; the dict describes its source for the audit trail."""


def plain_writer(store: Store) -> Writer:
    """A writer that writes the batch alone (a caller that keeps no audit trail)."""
    return lambda batch, _source: store.write(batch)


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
