"""Where a load command keeps its rejected records: a path checked before the load starts.

A load commits before its rejects are written, so a rejects path that cannot be written (no such
folder, a folder, no permission) would lose them after the fact. The load commands check it first and
stop with BAD_INPUT, nothing loaded. The file always holds the last load's rejects: a clean load
empties one an earlier load left (to its header), so old rejects never pass for new ones.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import BadInput


def writable_rejects(path: Path) -> Path:
    """``path`` if a rejects file can be written there; BAD_INPUT naming it and why not otherwise."""
    folder = path.parent
    if path.is_dir():
        why = "it is a folder"
    elif not folder.is_dir():
        why = f"there is no folder {folder}"
    elif not os.access(path if path.exists() else folder, os.W_OK):
        why = "permission denied"
    else:
        return path
    raise BadInput(f"cannot write the rejects to {path}: {why}; nothing was loaded")


def keep_rejects(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Write a load's rejects to ``path`` as CSV; with none, only empty a file an earlier load left there."""
    if not rows and not path.exists():
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)
