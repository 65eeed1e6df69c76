"""What a trace needs to know about each lot and serial it reaches, whatever the trace started from.

Both directions add an item's supplier, material or product and inspections, and the process steps of
the consumptions the trace follows from it; a forward trace adds the containers that held it, the
shipments that carried it (loose or inside a container) and their customers; a recall adds where it is
now, and counts its customers and shipments. None of that depends on the start, only on the item. So a
view that holds the whole graph in memory (the embedded store's index) has the engine work it out
once for every item, by the rules of :mod:`tracegraph.trace.engine`, and keeps it with that version
of the graph: a trace then gathers the rows of the items it reached, a few passes over them instead
of joins of its own. Other views (built on a store's primitives, as Neo4j's is) have it worked out
for the reached items alone. Either way the answer is the same, by construction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
import numpy as np

from ..store.columns import EdgeColumns, GraphColumns, ordered, slots
from .columns import Carried, HeldColumns, Related, WhereColumns, WhereSelection


@dataclass
class Steps:
    """The process steps of the consumptions a trace follows from each item (out of it forward, into it
    backward), by key: a consumption names its step, which may have no record of its own."""

    rows: Related  # per item, positions in keys
    keys: np.ndarray  # the distinct step ids, sorted
    nodes: np.ndarray  # per key, its node number (-1: no such record)

    def of(self, at: np.ndarray) -> tuple[list[str], np.ndarray]:
        """The steps of the items at positions ``at``: their keys in order, and the nodes of those recorded."""
        codes = ordered(self.rows.union(at), self.keys.size)
        nodes = self.nodes[codes]
        return self.keys[codes].tolist(), nodes[nodes >= 0]


@dataclass
class ItemFacts:
    """The facts of some lots and serials (see the module docstring), in columns by item position.

    ``held``, ``carried`` and ``consumed`` are kept only for facts worked out for one trace's items, where
    the trace uses them as they are; the whole graph's are dropped once its whereabouts are made."""

    items: np.ndarray  # the items described: sorted node numbers
    slot: np.ndarray | None  # node number -> position in items, for facts of many items (else a search)
    related: Related  # supplier, material or product, inspections; for a forward trace's facts, also the
    # containers that held it, the shipments that carried it and their customers
    steps: Steps
    held_rows: np.ndarray  # per item, its (container, interval) rows
    deepest: np.ndarray  # per item, the deepest level of containers looked at for it (0: never packed)
    depth_limit: int  # containers were followed this deep; deepest is at most one more (looked, not followed)
    held: HeldColumns | None
    carried: Carried | None
    consumed: EdgeColumns | None
    _make_where: Callable[[ItemFacts, GraphColumns], WhereColumns] | None = field(default=None, repr=False)
    _where: WhereColumns | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def positions(self, items: np.ndarray) -> np.ndarray:
        """Positions of described items (node numbers) among ``items``."""
        return _positions(self.items, self.slot, items)

    def covers(self, items: np.ndarray) -> bool:
        """Whether these facts describe exactly ``items`` (sorted node numbers): one trace's own."""
        return self.items.size == items.size and bool((self.items == items).all())

    def deepest_of(self, at: np.ndarray) -> int:
        """The deepest level of containers looked at for the items at positions ``at``."""
        return int(self.deepest[at].max(initial=0))

    def where(self, view: GraphColumns) -> WhereColumns:
        """Where each item is now (lots, then serials, each in key order), made on first use."""
        if self._where is None:
            with self._lock:
                if self._where is None:
                    assert self._make_where is not None, "these facts were made without whereabouts"
                    self._where = self._make_where(self, view)
        return self._where

    def where_of(self, view: GraphColumns, lots: np.ndarray, serials: np.ndarray) -> WhereColumns | WhereSelection:
        """Where these items (lots and serials, each in key order) are now."""
        where = self.where(view)
        if where.item.size == lots.size + serials.size:  # these facts are the trace's own
            return where
        return WhereSelection(where, where.positions(np.concatenate([lots, serials])))

    @classmethod
    def make(cls, items: np.ndarray, size: int, *, related: list[tuple[np.ndarray, np.ndarray]],
             steps: tuple[tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray], held: HeldColumns,
             deepest: np.ndarray, depth_limit: int, carried: Carried, consumed: EdgeColumns | None,
             make_where: Callable[[ItemFacts, GraphColumns], WhereColumns] | None) -> ItemFacts:
        """From (item, node) pairs by node number, and ``steps`` as ((item, position in keys) pairs, keys, nodes);
        ``items``: the sorted node numbers described, out of ``size``."""
        slot = slots(size, items) if items.size * 32 > size else None

        def rows(pairs: list[tuple[np.ndarray, np.ndarray]]) -> Related:
            return Related.of(items.size, [(_positions(items, slot, i), node) for i, node in pairs])
        step_pairs, step_keys, step_nodes = steps
        return cls(items, slot, rows(related), Steps(rows([step_pairs]), step_keys, step_nodes),
                   np.bincount(_positions(items, slot, held.item), minlength=items.size), deepest, depth_limit, held,
                   carried, consumed, make_where)


def _positions(items: np.ndarray, slot: np.ndarray | None, nodes: np.ndarray) -> np.ndarray:
    """Positions in ``items`` (sorted) of some of them: by the lookup table where there is one."""
    return slot[nodes] if slot is not None else np.searchsorted(items, nodes)
