"""What a trace computes, kept as columns, and the objects it hands out made from them on demand.

The engine (:mod:`tracegraph.trace.engine`, where the rules are) works on whole columns of node
numbers of one :class:`~tracegraph.store.columns.GraphColumns` view. Callers that want objects (an
explanation, a page of whereabouts, the recall workflow) get them from these holders when they
first ask, so a recall scope over 100k items pays for Python objects only where they are used.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
import numpy as np

from ..store.columns import (KIND_CODE, KIND_NAMES, EdgeColumns, EdgeSource, GraphColumns, ViewChanged, distinct,
                             object_column, ordered, row_entries, slots)
from ..schema import KINDS
from .model import Held, Link, Whereabouts

STATUSES = ("shipped", "consumed", "in_stock")
SHIPPED, CONSUMED, IN_STOCK = range(3)


@dataclass
class HeldColumns:
    """Every (item, container, [start, end)) a forward trace found: :class:`~tracegraph.trace.model.Held` as
    columns. Times are moment numbers; the texts are read from the packings that set them when asked for."""

    item: np.ndarray
    container: np.ndarray
    start: np.ndarray  # moment numbers (tracegraph.store.columns.moment_number)
    end: np.ndarray
    start_edge: np.ndarray  # the packing whose packed_at starts the interval
    end_edge: np.ndarray  # the packing whose unpacked_at ends it; -1: still inside
    via: np.ndarray
    edge: np.ndarray  # the packing of ``via`` into ``container``
    level: np.ndarray
    source: EdgeSource | None = None  # where the PACKED_IN edge numbers above are read

    @classmethod
    def empty(cls) -> HeldColumns:
        none = np.empty(0, dtype=np.int64)
        return cls(none, none, none, none, none, none, none, none, none)

    @classmethod
    def concat(cls, parts: list[HeldColumns]) -> HeldColumns:
        if not parts:
            return cls.empty()
        names = [f for f in cls.__dataclass_fields__ if f != "source"]
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in names), source=parts[0].source)

    def __len__(self) -> int:
        return int(self.item.size)

    def rows(self, view: GraphColumns) -> list[Held]:
        if self.source is None or not len(self):
            return []
        packed, unpacked = self.source.column("packed_at"), self.source.column("unpacked_at")
        starts = np.where(self.start_edge >= 0, packed[np.maximum(self.start_edge, 0)], "")  # "": no packed_at
        ends = np.where(self.end_edge >= 0, unpacked[np.maximum(self.end_edge, 0)], None)
        return [Held(*row) for row in zip(view.refs(self.item), view.keys(self.container),
                                          starts.tolist(), ends.tolist(), view.refs(self.via),
                                          packed[self.edge].tolist(), unpacked[self.edge].tolist(),
                                          self.level.tolist())]


@dataclass
class Carried:
    """Shipments that carried reached items: the item links and the container links that count, and for
    each container link the items inside it when it left (``boxed_item`` on ``boxed_shipment``)."""

    loose: EdgeColumns | None
    boxes: EdgeColumns | None
    boxed_item: np.ndarray
    boxed_shipment: np.ndarray

    @classmethod
    def empty(cls) -> Carried:
        none = np.empty(0, dtype=np.int64)
        return cls(None, None, none, none)

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(item, shipment) for each way a shipment took an item: its own line (these first), or inside a
        container on the shipment's line."""
        none = np.empty(0, dtype=np.int64)
        loose = self.loose
        return (np.concatenate([none if loose is None else loose.src, self.boxed_item]),
                np.concatenate([none if loose is None else loose.dst, self.boxed_shipment]))

    def links(self, view: GraphColumns) -> dict[str, list[Link]]:
        """shipment -> the links that put a reached item on it, item links first."""
        out: dict[str, list[Link]] = defaultdict(list)
        for edges in (self.loose, self.boxes):
            if edges is None or not len(edges):
                continue
            for src, dst, props in zip(view.refs(edges.src), view.refs(edges.dst), edges.props()):
                out[dst[1]].append(Link(edges.rel, src, dst, props))
        return dict(out)


@dataclass
class Related:
    """Nodes related to each item, as CSR rows by the item's position among the items described (each node
    once per row), and each row less the row before it (``new``): the nodes related to a run of consecutive
    items are the first one's row and the others' new ones. Neighbours share most of theirs (a lot's units:
    its product, their case, its shipment and customer), so a trace reads a fraction of the rows."""

    indptr: np.ndarray
    nodes: np.ndarray
    new_indptr: np.ndarray
    new_nodes: np.ndarray

    @classmethod
    def of(cls, count: int, pairs: list[tuple[np.ndarray, np.ndarray]]) -> Related:
        """From (item position, node) pairs, which may repeat."""
        at = np.concatenate([p for p, _ in pairs] + [np.empty(0, dtype=np.int64)])
        nodes = np.concatenate([n for _, n in pairs] + [np.empty(0, dtype=np.int64)])
        span = int(nodes.max(initial=0)) + 1
        key = distinct(at * span + nodes)  # by item, then node
        at, nodes = key // span, key % span
        previous = key - span  # the same node in the row before
        found = np.searchsorted(key, previous)
        new = np.ones(key.size, dtype=bool)
        inside = found < key.size
        new[inside] = key[found[inside]] != previous[inside]
        return cls(csr_starts(at, count), nodes, csr_starts(at[new], count), nodes[new])

    def union(self, positions: np.ndarray) -> np.ndarray:
        """Every node related to any of the items at ``positions`` (ascending), some more than once."""
        if not positions.size:
            return self.nodes[:0]
        firsts = positions[np.concatenate(([True], positions[1:] != positions[:-1] + 1))]  # of each run
        return np.concatenate([row_entries(self.indptr, firsts, self.nodes)[0],
                               row_entries(self.new_indptr, positions, self.new_nodes)[0]])


def csr_starts(rows: np.ndarray, count: int) -> np.ndarray:
    """CSR row starts (``indptr``) of entries sorted by their row, ``rows``, for rows 0 to ``count`` - 1."""
    indptr = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=count), out=indptr[1:])
    return indptr


@dataclass
class WhereColumns:
    """Where each affected lot and serial is now (rules in :mod:`tracegraph.trace.engine`), as columns;
    ``*_pairs`` join an item to the shipments that took it, what consumed it and the containers it is in."""

    item: np.ndarray  # lots, then serials, each in key order
    lots: int  # how many of them are lots
    status: np.ndarray  # positions in STATUSES
    remaining: np.ndarray  # NaN where unknown (or a serial)
    shipped_pairs: tuple[np.ndarray, np.ndarray]  # (item, position in ``shipment``); a pair may repeat
    lot_quantity: np.ndarray  # per shipped pair, the quantity of a loose lot line (else 0)
    consumed_pairs: tuple[np.ndarray, np.ndarray]
    in_pairs: tuple[np.ndarray, np.ndarray]
    shipment: np.ndarray  # the carried shipments (sorted), with their customer and time
    customer_key: np.ndarray
    shipped_at: np.ndarray
    _frame_made: tuple[list[str], np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @cached_property
    def customers(self) -> tuple[np.ndarray, np.ndarray]:
        """The carried shipments' distinct customers, in order, and each shipment's position among them."""
        names, code_of = np.unique(self.customer_key, return_inverse=True)
        return names, code_of.reshape(-1)

    def positions(self, items: np.ndarray) -> np.ndarray:
        """Positions in ``item`` of some of the items."""
        return self._slot[items]

    def counts_by_customer(self, at: np.ndarray | None = None) -> dict[str, dict[str, float]]:
        """Per customer of the shipments that took the items at positions ``at`` (ascending; every item by
        default): how many of those lots and of those serials it received (each once, however many of the
        shipments took it), how many of the shipments it got, and the quantity of their loose lot lines."""
        at = np.arange(self.item.size) if at is None else at
        lots = int(np.searchsorted(at, self.lots))  # the lots come first
        names, code_of = self.customers
        n = max(names.size, 1)
        indptr, codes = self._customers_by_item
        lot_counts = np.bincount(row_entries(indptr, at[:lots], codes)[0], minlength=n)
        serial_counts = np.bincount(row_entries(indptr, at[lots:], codes)[0], minlength=n)
        shipments = ordered(self._shipments_by_item.union(at), self.shipment.size)
        shipment_counts = np.bincount(code_of[shipments], minlength=n)
        _, shipped, quantity = self._rows_of("shipped_pairs", at[:lots])  # only a lot line has a quantity
        quantities = np.bincount(code_of[shipped], weights=quantity, minlength=n)
        used = np.flatnonzero(shipment_counts)
        return {name: {"lots": lo, "serials": se, "shipments": sh, "lot_quantity": q} for name, lo, se, sh, q in zip(
            names[used].tolist(), lot_counts[used].tolist(), serial_counts[used].tolist(),
            shipment_counts[used].tolist(), quantities[used].tolist())}

    def restrict(self, at: np.ndarray) -> WhereColumns:
        """The same for the items at positions ``at`` (ascending)."""
        shipped_item, shipped_to, lot_quantity = self._rows_of("shipped_pairs", at)
        taken = np.zeros(self.shipment.size, dtype=bool)
        taken[shipped_to] = True
        kept = np.flatnonzero(taken)
        return WhereColumns(self.item[at], int(np.searchsorted(at, self.lots)), self.status[at], self.remaining[at],
                            (shipped_item, (np.cumsum(taken) - 1)[shipped_to]), lot_quantity,
                            tuple(self._rows_of("consumed_pairs", at)), tuple(self._rows_of("in_pairs", at)),
                            self.shipment[kept], self.customer_key[kept], self.shipped_at[kept])

    def prepare(self, view: GraphColumns) -> None:
        """Make now what a selection of these items reads (a server warming up)."""
        self.affected_table(view)
        _ = self._customers_by_item, self._shipments_by_item, self._rows_by_item

    def _rows_of(self, pairs: str, at: np.ndarray) -> list[np.ndarray]:
        """The columns of ``pairs`` (for shipped pairs, with ``lot_quantity``) about the items at ``at``."""
        indptr, columns = self._rows_by_item[pairs]
        return row_entries(indptr, at, *columns)

    @cached_property
    def _slot(self) -> np.ndarray:
        """Node number -> position in ``item``."""
        return slots(int(self.item.max(initial=-1)) + 1, self.item)

    @cached_property
    def _rows_by_item(self) -> dict[str, tuple[np.ndarray, list[np.ndarray]]]:
        """Each kind of pairs as CSR rows by item position: (indptr, its columns in that order)."""
        out = {}
        for name in ("shipped_pairs", "consumed_pairs", "in_pairs"):
            columns = [*getattr(self, name)] + ([self.lot_quantity] if name == "shipped_pairs" else [])
            position = self._slot[columns[0]]
            order = np.argsort(position, kind="stable")
            out[name] = (csr_starts(position[order], self.item.size), [column[order] for column in columns])
        return out

    @cached_property
    def _customers_by_item(self) -> tuple[np.ndarray, np.ndarray]:
        """Each item's distinct customers (positions in ``customers``), as CSR rows by item position."""
        items, shipments = self.shipped_pairs
        n = max(self.customers[0].size, 1)
        pairs = distinct(self._slot[items] * n + self.customers[1][shipments])
        return csr_starts(pairs // n, self.item.size), pairs % n

    @cached_property
    def _shipments_by_item(self) -> Related:
        """Each item's shipments (positions in ``shipment``), as related rows by item position."""
        items, shipments = self.shipped_pairs
        return Related.of(self.item.size, [(self._slot[items], shipments)])

    def rows(self, view: GraphColumns, at: np.ndarray | None = None) -> dict[tuple[str, str], Whereabouts]:
        """Where each item (or each at positions ``at``, ascending) is now, as objects."""
        if at is not None:
            return self.restrict(at).rows(view)
        refs = view.refs(self.item)
        shipment_keys = view.keys(self.shipment)
        order = {i: (t, k) for i, (t, k) in enumerate(zip(self.shipped_at.tolist(), shipment_keys))}
        customers = self.customer_key.tolist()
        sent: dict[int, set[int]] = defaultdict(set)
        items, at = self.shipped_pairs
        for i, s in zip(items.tolist(), at.tolist()):
            sent[i].add(s)
        consumed: dict[int, set[tuple[str, str]]] = defaultdict(set)
        c_items, c_into = self.consumed_pairs
        for i, ref in zip(c_items.tolist(), view.refs(c_into)):
            consumed[i].add(ref)
        inside: dict[int, set[str]] = defaultdict(set)
        n_items, n_in = self.in_pairs
        for i, key in zip(n_items.tolist(), view.keys(n_in)):
            inside[i].add(key)
        out: dict[tuple[str, str], Whereabouts] = {}
        for nid, ref, status, remaining in zip(self.item.tolist(), refs, self.status.tolist(), self.remaining.tolist()):
            shipped = sorted(sent.get(nid, ()), key=order.__getitem__)
            out[ref] = Whereabouts(
                ref, STATUSES[status],  # type: ignore[arg-type]
                tuple(sorted({customers[s] for s in shipped})), tuple(shipment_keys[s] for s in shipped),
                tuple(sorted(consumed.get(nid, ()))), None if remaining != remaining else remaining,
                tuple(sorted(inside.get(nid, ()))))
        return out

    def frame_columns(self, view: GraphColumns) -> dict[str, np.ndarray]:
        """The ``affected`` table's columns (see :func:`tracegraph.notebook.scope_frames`), items in key
        order, lists joined with ";": built from the columns, with a Python object only per row of text."""
        names, texts, remaining = self.affected_table(view)
        return _frame(names, texts.copy(), remaining.copy())  # the caller's to change, not the kept ones

    def affected_table(self, view: GraphColumns) -> tuple[list[str], np.ndarray, np.ndarray]:
        """:meth:`frame_columns` as kept, made on first use: (text column names, texts as rows, ``remaining``).
        Read-only (the views that read these whereabouts number nodes alike)."""
        if self._frame_made is None:
            columns = self._make_frame(view)
            remaining = columns.pop("remaining")
            texts = np.empty((self.item.size, len(columns)), dtype=object)
            for i, column in enumerate(columns.values()):
                texts[:, i] = column
            self._frame_made = (list(columns), texts, remaining)
        return self._frame_made

    def _make_frame(self, view: GraphColumns) -> dict[str, np.ndarray]:
        n = self.item.size
        kinds = view.kinds(self.item)
        try:  # the items are lots, then serials
            ids = np.concatenate([view.fields(kind, self.item[kinds == KIND_CODE[kind]], [KINDS[kind].key])[KINDS[kind].key]
                                  for kind in ("Lot", "Serial")])
        except ViewChanged:  # the store changed since: a node's key never does, read it from the numbering
            ids = object_column(view.keys(self.item))
        slot = slots(view.size, self.item)

        def joined(at: np.ndarray, codes: np.ndarray, texts: np.ndarray, first: bool = False) -> np.ndarray:
            """Per item (``at``: its position), the texts of its distinct codes in code order joined with ";"
            (or the first alone). Most items have one: those are taken as they are, the others joined."""
            extra: list[str | None] = [None if first else ""]  # texts past ``texts``: none, then joined ones
            code = np.full(n, texts.size, dtype=np.int64)  # per item, its text's position in texts + extra
            one = np.bincount(at, minlength=n)[at] == 1
            code[at[one]] = codes[one]
            several: dict[int, set[int]] = defaultdict(set)
            for i, c in zip(at[~one].tolist(), codes[~one].tolist()):
                several[i].add(c)
            for i, found in several.items():
                chosen = sorted(found)
                if first:
                    code[i] = chosen[0]
                else:
                    code[i] = texts.size + len(extra)
                    extra.append(";".join(texts[chosen].tolist()))
            return np.concatenate([texts, np.array(extra, dtype=object)])[code]

        items, at = self.shipped_pairs
        shipped = slot[items]
        names, customer_code = self.customers
        shipment_keys = np.array(view.keys(self.shipment), dtype=object)
        by_time = np.lexsort((shipment_keys, self.shipped_at)) if self.shipment.size else np.empty(0, dtype=np.int64)
        rank = np.empty(self.shipment.size, dtype=np.int64)
        rank[by_time] = np.arange(self.shipment.size)
        inside, containers = slot[self.in_pairs[0]], view.in_key_order(self.in_pairs[1])
        container_keys = np.array(view.keys(containers), dtype=object)
        container_code = positions_in(containers, self.in_pairs[1])
        into = view.in_key_order(self.consumed_pairs[1])
        return {
            "kind": np.array(KIND_NAMES, dtype=object)[kinds],
            "id": ids,
            "status": np.array(STATUSES, dtype=object)[self.status],
            "customers": joined(shipped, customer_code[at], names.astype(object)),
            "shipments": joined(shipped, rank[at], shipment_keys[by_time]),
            "container": joined(inside, container_code, container_keys, first=True),
            "consumed_into": joined(slot[self.consumed_pairs[0]], positions_in(into, self.consumed_pairs[1]),
                                    np.array([f"{k}:{i}" for k, i in view.refs(into)], dtype=object)),
            "containers": joined(inside, container_code, container_keys),
            "remaining": self.remaining,
        }


def positions_in(nodes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Positions in ``nodes`` (distinct node numbers in any order) of each value, which must be among them."""
    order = np.argsort(nodes)
    return order[np.searchsorted(nodes[order], values)]


@dataclass
class WhereSelection:
    """Where some of the items of ``whole`` are now (those at positions ``at``, ascending): how a recall reads
    the whereabouts a view keeps for every item (:mod:`tracegraph.trace.facts`). The counts and the affected
    table come from the whole's; the whereabouts as objects from a copy of the rows asked for."""

    whole: WhereColumns
    at: np.ndarray

    def counts_by_customer(self) -> dict[str, dict[str, float]]:
        return self.whole.counts_by_customer(self.at)

    def frame_columns(self, view: GraphColumns) -> dict[str, np.ndarray]:
        names, texts, remaining = self.whole.affected_table(view)
        return _frame(names, np.take(texts, self.at, axis=0), remaining[self.at])  # a row of texts at a time

    def rows(self, view: GraphColumns, at: np.ndarray | None = None) -> dict[tuple[str, str], Whereabouts]:
        return self.whole.rows(view, self.at if at is None else self.at[at])


def _frame(names: list[str], texts: np.ndarray, remaining: np.ndarray) -> dict[str, np.ndarray]:
    """The ``affected`` table's columns from its texts as rows and ``remaining``."""
    return {**{name: texts[:, i] for i, name in enumerate(names)}, "remaining": remaining}
