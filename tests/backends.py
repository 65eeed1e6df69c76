"""The backends the conformance suite runs on, in the style of SQLAlchemy's dialect compliance suite.

Each entry opens an EMPTY store for one test. ``sqlite`` always runs. ``neo4j`` runs only where
NEO4J_URI names a server (none can be installed on the build machine); without it the tests are
skipped and pytest prints why. A new backend adds one ``Backend`` line to ``BACKENDS``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tracegraph.store import SQLiteStore, Store
from tracegraph.store.columns import GraphColumns, StoreColumns


@dataclass(frozen=True)
class Backend:
    name: str
    open_empty: Callable[[Path], Store]  # tmp_path -> a store holding nothing
    open_read_only: Callable[[Store], Store]  # a store -> the same database opened read-only
    requires_env: str | None = None  # skipped, with the reason printed, when this variable is unset

    def skip_reason(self) -> str | None:
        if self.requires_env and not os.environ.get(self.requires_env):
            return f"{self.name} backend: {self.requires_env} is not set (no server to run against)"
        return None


def _sqlite(tmp_path: Path) -> Store:
    return SQLiteStore(tmp_path / "conformance.db")


def _sqlite_read_only(store: Store) -> Store:
    return type(store)(store.path, read_only=True)  # type: ignore[attr-defined]


class PrimitiveColumnsStore(SQLiteStore):
    """The embedded store with the columnar view every backend gets by default (built on ``reach``,
    ``edges`` and ``get``, as Neo4j's is), not the one from its in-memory index: so the view the
    Neo4j backend uses passes the whole suite here, where no Neo4j server can run."""

    def columns(self) -> GraphColumns:
        return StoreColumns(self)


def _sqlite_primitives(tmp_path: Path) -> Store:
    return PrimitiveColumnsStore(tmp_path / "conformance.db")


def _neo4j(tmp_path: Path) -> Store:
    # Branch issue-5 provides tracegraph.store.neo4j; its test entry point must return a store on an
    # emptied database at NEO4J_URI. Imported lazily: the driver is the optional [neo4j] extra.
    return importlib.import_module("tracegraph.store.neo4j").open_empty(os.environ["NEO4J_URI"])


def _neo4j_read_only(store: Store) -> Store:
    return importlib.import_module("tracegraph.store.neo4j").Neo4jStore(os.environ["NEO4J_URI"], read_only=True)


BACKENDS: tuple[Backend, ...] = (
    Backend("sqlite", _sqlite, _sqlite_read_only),
    Backend("sqlite-primitives", _sqlite_primitives, _sqlite_read_only),
    Backend("neo4j", _neo4j, _neo4j_read_only, requires_env="NEO4J_URI"),
)
