"""The Python API: one object that owns a store and answers trace questions.

The CLI, the GraphQL API and notebooks all go through :class:`Graph`, so they share one core.
"""

from __future__ import annotations

from pathlib import Path

from .loaders.tables import LoadReport, Progress, load_tables
from .store import Store, open_store
from .trace import Limits, RecallScope, SupplierExposure, TraceEngine, TraceResult, TraceStart

Ids = str | list[str] | None


class Graph:
    def __init__(self, store: Store, limits: Limits | None = None) -> None:
        self.store = store
        self.engine = TraceEngine(store, limits)

    def forward(self, *, lot: Ids = None, serial: Ids = None, container: Ids = None, supplier: Ids = None,
                material: Ids = None) -> TraceResult:
        """Everything downstream of the start: lots, serials, containers, shipments, customers."""
        return self.engine.forward(TraceStart.of(lot, serial, container, supplier, material))

    def backward(self, *, lot: Ids = None, serial: Ids = None, container: Ids = None) -> TraceResult:
        """Everything upstream of the start: lots, serials, suppliers, materials, steps, inspections."""
        return self.engine.backward(TraceStart.of(lot, serial, container))

    def recall_scope(self, *, lots: Ids = None, serials: Ids = None, containers: Ids = None,
                     suppliers: Ids = None, materials: Ids = None) -> RecallScope:
        """The forward trace of a trigger, with where each affected item is now and counts per customer."""
        return self.engine.recall_scope(TraceStart.of(lots, serials, containers, suppliers, materials))

    def supplier_exposure(self, supplier_id: str) -> SupplierExposure:
        return self.engine.supplier_exposure(supplier_id)

    def load_tables(self, directory: str | Path, progress: Progress | None = None) -> LoadReport:
        return load_tables(self.store, directory, progress)

    def counts(self) -> dict[str, int]:
        return self.store.counts()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(url: str = "sqlite:///tracegraph.db", *, read_only: bool = False, limits: Limits | None = None) -> Graph:
    """Open a graph by URL: ``sqlite:///trace.db`` (or a plain path) for the embedded store,
    ``neo4j://host:7687`` (``neo4j+s``, ``bolt``, ``bolt+s``) for Neo4j (the ``[neo4j]`` extra)."""
    return Graph(open_store(url, read_only=read_only), limits)
