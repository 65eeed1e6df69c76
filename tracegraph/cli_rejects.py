"""Where a load command keeps its rejected records: a path checked before the load starts.

A load commits before its rejects are written, so a rejects path that cannot be written (no such
folder, a folder, no permission) would lose them after the fact. The load commands check it first and
stop with BAD_INPUT, nothing loaded.
"""

from __future__ import annotations

import os
from pathlib import Path

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
