"""A generated plant loaded into an embedded store: the source graph for copy, export and Neo4j tests."""

from __future__ import annotations

from pathlib import Path

import tracegraph
from tracegraph.generate import generate
from tracegraph.store import SQLiteStore


def embedded_plant(root: Path, serials: int, seed: int) -> SQLiteStore:
    """Generate a plant under ``root``, load it with the real loader (no rejects), open it read-only."""
    generate(root / "tables", serials, seed=seed)
    with tracegraph.connect(f"sqlite:///{root / 'plant.db'}") as g:
        assert g.load_tables(root / "tables").rejected == []
    return SQLiteStore(root / "plant.db", read_only=True)
