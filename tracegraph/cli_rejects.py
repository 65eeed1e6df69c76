"""Where a load command keeps its rejected records: one rule for ``load tables``, ``epcis`` and ``gudid``.

A load commits before its rejects are written, so a rejects path that cannot be written (no such
folder, a folder, no permission) would lose them after the fact: :func:`kept_rejects` checks it first
and stops with BAD_INPUT, nothing loaded. Whatever the load's outcome (clean, records rejected, or
stopped by BAD_INPUT, a store error or an interrupt), the file then holds that load's rejects only, so
old rejects never pass for new ones: the records it rejected before it ended, or, with none, only the
header line of a file an earlier load left (no file is made where there was none).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from .errors import BadInput

R = TypeVar("R")  # a loader's rejected record (Rejected, RejectedEvent, InvalidDI)


def _writable(path: Path) -> None:
    """BAD_INPUT naming ``path`` and why, unless a rejects file can be written there."""
    folder = path.parent
    if path.is_dir():
        why = "it is a folder"
    elif not folder.is_dir():
        why = f"there is no folder {folder}"
    elif not os.access(path if path.exists() else folder, os.W_OK):
        why = "permission denied"
    else:
        return
    raise BadInput(f"cannot write the rejects to {path}: {why}; nothing was loaded")


@contextmanager
def kept_rejects(path: Path, header: Sequence[str], row: Callable[[R], Sequence[Any]]) -> Iterator[list[R]]:
    """Around a load: check ``path`` first, then yield the list the load's rejects go in, and write them
    (``row`` of each) as CSV when the load ends, however it ends (with none, only empty a file an earlier
    load left). A loader that commits in several batches fills the list as it goes (``load epcis``)."""
    _writable(path)
    rejected: list[R] = []
    try:
        yield rejected
    finally:
        if rejected or path.exists():
            with path.open("w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh)
                out.writerow(header)
                out.writerows(row(r) for r in rejected)
