"""Columnar reads for the trace engine: nodes as integers, edges and record fields as numpy columns.

The trace rules run on whole columns at a time: a recall reaches a hundred thousand items, and a
Python object per item and step would cost far more than the search itself. Every backend offers
this view (:meth:`Store.columns`). The base, :class:`StoreColumns`, builds it from the store's
primitives (``reach``, ``edges``, ``get``) and numbers nodes as it meets them; the embedded store
answers from its in-memory index, where nodes are numbered already. Either way a view is read by
one trace and then dropped: its numbers mean nothing to another view.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import lru_cache
from typing import Any, Protocol, TypeVar

import numpy as np

from ..errors import StoreError
from ..schema import KINDS, RELS, normalize_datetime
from .base import Direction, Edge, NodeRef, Store

T = TypeVar("T")
KIND_NAMES: tuple[str, ...] = tuple(KINDS)
KIND_CODE: dict[str, int] = {name: code for code, name in enumerate(KIND_NAMES)}

NO_END = np.iinfo(np.int64).max
"""The moment of a missing end (still packed, still attached): later than any recorded one."""
NO_START = -1
"""Earlier than any recorded moment (an item is inside itself from the beginning)."""

_DIGITS = str.maketrans("", "", "-:TZ.")


_CANONICAL = re.compile(r"\d{1,4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\d\dZ")


@lru_cache(maxsize=1 << 18)
def moment_number(text: str | None) -> int:
    """A canonical UTC time ("2025-12-07T05:32:00.000Z") as an integer in time order: how every trace rule
    compares times. None (no end) is NO_END, "" (no start) NO_START.

    The digits after the year are fixed-width, so a year written with fewer digits (an older version wrote
    the year 999 as "999") gives a smaller number, as it should, where the text would sort after "2025"."""
    if text is None:
        return NO_END
    if not text:
        return NO_START
    if _CANONICAL.fullmatch(text):
        return int(text.translate(_DIGITS))
    try:  # written to the store without the loaders' normalisation
        return moment_number(normalize_datetime(text))
    except ValueError:
        raise StoreError(f"a stored time {text!r} is not an ISO 8601 date-time") from None


def moment_numbers(values: Sequence[str | None] | np.ndarray) -> np.ndarray:
    return np.fromiter(map(moment_number, values), dtype=np.int64, count=len(values))


def object_column(values: Sequence[Any]) -> np.ndarray:
    """An object array of exactly these values (np.array would split tuples into a second dimension)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct node numbers: a sort and a mask, several times faster than ``np.unique`` (numpy 2);
    no sort at all for values already strictly increasing (what a view returns)."""
    if values.size > 1 and not (values[1:] > values[:-1]).all():
        values = np.sort(values)
        values = values[np.concatenate(([True], values[1:] != values[:-1]))]
    return values


def ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every position of the ranges [start, start + count), range after range, and for each the index of
    its range: a CSR row's entries, or a join's matches, without a Python loop."""
    if counts.size and counts.max() <= 1:  # one edge or none per row (a serial's product, a unit's case)
        row = np.flatnonzero(counts)
        return starts[row], row
    row = np.repeat(np.arange(starts.size, dtype=np.int64), counts)
    return np.arange(row.size, dtype=np.int64) + (starts - (np.cumsum(counts) - counts))[row], row


def row_entries(indptr: np.ndarray, rows: np.ndarray, *columns: np.ndarray) -> list[np.ndarray]:
    """The entries of CSR rows ``rows`` of each column, row after row. Rows that follow one another are read
    as one run (a lot's units sit side by side); runs are read as slices where they hold many entries each,
    else by an index array."""
    if not rows.size:
        return [column[:0] for column in columns]
    breaks = np.flatnonzero(rows[1:] != rows[:-1] + 1) + 1
    first = indptr[rows[np.concatenate(([0], breaks))]]
    end = indptr[rows[np.concatenate((breaks - 1, [rows.size - 1]))] + 1]
    if first.size * 32 > int((end - first).sum()):  # few entries per slice: the runs' positions instead
        at = ranges(first, end - first)[0]
        return [column[at] for column in columns]
    return [np.concatenate([column[a:b] for a, b in zip(first.tolist(), end.tolist())]) for column in columns]


def group_rows(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each value of ``wanted``, the positions of ``keys`` equal to it: (position in wanted, position in
    keys) pairs, wanted by wanted. A join on equal node numbers without a Python loop; it sorts ``keys``,
    so pass the shorter side there."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    first = np.searchsorted(ordered, wanted, side="left")
    at, which = ranges(first, np.searchsorted(ordered, wanted, side="right") - first)
    return which, order[at]


def ordered(values: np.ndarray, size: int) -> np.ndarray:
    """Distinct non-negative integers below ``size`` in order: as they are when they are in order already, a
    scan of a mask when they are a good part of the range, else a sort."""
    if values.size * 32 < size:
        return distinct(values)
    if (values[1:] > values[:-1]).all():
        return values
    mask = np.zeros(size, dtype=bool)
    mask[values] = True
    return np.flatnonzero(mask)


def slots(size: int, nids: np.ndarray) -> np.ndarray:
    """A table from node number to its position in ``nids`` (-1: absent), for joins by lookup."""
    table = np.full(size, -1, dtype=np.int64)
    table[nids] = np.arange(nids.size, dtype=np.int64)
    return table


def member(values: np.ndarray, of: np.ndarray) -> np.ndarray:
    """Whether each node number is in ``of``: a lookup table over their range, not a sort."""
    if not values.size or not of.size:
        return np.zeros(values.size, dtype=bool)
    return np.isin(values, of, kind="table")


class ViewChanged(StoreError):
    """The store changed while a view was read (another writer): take a new view and start again. The
    engine does; one that reaches a caller is a StoreError like any other."""


class EdgeSource(Protocol):
    """Where an :class:`EdgeColumns` reads properties: whole columns by edge number."""

    rel: str

    def column(self, name: str) -> np.ndarray: ...

    def moments(self, name: str) -> np.ndarray: ...

    def props(self, numbers: np.ndarray) -> list[dict[str, Any]]: ...

    def retracted(self) -> np.ndarray:
        """Whether each edge carries ``retracted_at`` (none can, for a relationship without the field)."""


def retracted_flags(source: EdgeSource, count: int) -> np.ndarray:
    """:meth:`EdgeSource.retracted` from the ``retracted_at`` column."""
    if all(f.name != "retracted_at" for f in RELS[source.rel].fields):
        return np.zeros(count, dtype=bool)
    column = source.column("retracted_at")
    return np.not_equal(column, None) & np.not_equal(column, "")


class EdgeColumns:
    """Some edges of one relationship: endpoints as node numbers, properties read by column."""

    def __init__(self, source: EdgeSource, numbers: np.ndarray, src: np.ndarray, dst: np.ndarray) -> None:
        self.source, self.numbers, self.src, self.dst = source, numbers, src, dst

    @property
    def rel(self) -> str:
        return self.source.rel

    def __len__(self) -> int:
        return int(self.numbers.size)

    def column(self, name: str) -> np.ndarray:
        return self.source.column(name)[self.numbers]

    def moments(self, name: str) -> np.ndarray:
        """A time property as :func:`moment_number` integers."""
        return self.source.moments(name)[self.numbers]

    def where(self, selection: np.ndarray) -> EdgeColumns:
        """The edges a boolean mask or an index array picks."""
        return EdgeColumns(self.source, self.numbers[selection], self.src[selection], self.dst[selection])

    def live_mask(self) -> np.ndarray:
        """Which of them are not retracted (see :mod:`tracegraph.trace.engine`)."""
        return ~self.source.retracted()[self.numbers]

    def live(self) -> EdgeColumns:
        """Without the retracted ones."""
        mask = self.live_mask()
        return self if mask.all() else self.where(mask)

    def props(self) -> list[dict[str, Any]]:
        return self.source.props(self.numbers)


class GraphColumns(ABC):
    """One consistent columnar view of a store (see the module docstring)."""

    numbering: object
    """Views with the same numbering (the same object) give a node the same number."""

    @abstractmethod
    def nids(self, refs: Iterable[NodeRef]) -> np.ndarray:
        """Sorted distinct numbers of the nodes that exist."""

    @abstractmethod
    def refs(self, nids: np.ndarray) -> list[NodeRef]: ...

    @property
    @abstractmethod
    def size(self) -> int:
        """More than the largest node number: the length of a table by node number."""

    @abstractmethod
    def kinds(self, nids: np.ndarray) -> np.ndarray:
        """Each node's kind as its position in KIND_NAMES."""

    def retractions(self, rel: str) -> bool:
        """Whether any edge of ``rel`` may be retracted (True when the view cannot tell cheaply)."""
        return any(f.name == "retracted_at" for f in RELS[rel].fields)

    @abstractmethod
    def in_key_order(self, nids: np.ndarray) -> np.ndarray:
        """Distinct nodes ordered by (kind, key)."""

    @abstractmethod
    def reach(self, seeds: np.ndarray, rels: Collection[str], direction: Direction,
              max_depth: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`Store.reach` as (nids in order, least hop counts)."""

    @abstractmethod
    def edges(self, rel: str, nids: np.ndarray, direction: Direction) -> EdgeColumns:
        """:meth:`Store.edges` of these nodes, retracted ones included."""

    @abstractmethod
    def fields(self, kind: str, nids: np.ndarray, names: Collection[str]) -> dict[str, np.ndarray]:
        """Record fields of nodes of one kind, a column per name (None where a node has no record)."""

    def edges_of(self, rel: str, nids: np.ndarray, direction: Direction) -> tuple[np.ndarray, EdgeColumns]:
        """The edges of each entry of ``nids`` (which may repeat), with the position of that entry: a join
        of rows about nodes to their edges."""
        edges = self.edges(rel, distinct(nids), direction)
        row, at = group_rows(edges.src if direction == "out" else edges.dst, nids)
        return row, edges.where(at)

    def live_edges_of(self, rel: str, nids: np.ndarray, direction: Direction) -> tuple[np.ndarray, EdgeColumns]:
        """:meth:`edges_of` without the retracted edges."""
        row, edges = self.edges_of(rel, nids, direction)
        live = edges.live_mask()
        return (row, edges) if live.all() else (row[live], edges.where(live))

    def prepare(self, kinds: Iterable[str]) -> None:
        """Build now whatever reading these kinds' records will need (a server warming up)."""

    def whole_graph(self, name: str, build: Callable[[], T]) -> T | None:
        """``build()``, an answer about the whole graph, kept under ``name`` for as long as this version of the
        graph lasts and shared by every view of it; None where the graph is not in memory (a view that reads
        the store as it goes would read all of it)."""
        return None

    def keys(self, nids: np.ndarray) -> list[str]:
        return [key for _, key in self.refs(nids)]

    def of_kind(self, nids: np.ndarray, kind: str) -> np.ndarray:
        return nids[self.kinds(nids) == KIND_CODE[kind]]


class _ListSource:
    """Every edge of one relationship a view has read from :meth:`Store.edges`, numbered as they first
    came (an edge read again keeps its number), with its properties by column."""

    def __init__(self, rel: str) -> None:
        self.rel = rel
        self._identity = RELS[rel].identity
        self._edges: list[Edge] = []
        self._number: dict[tuple[Any, ...], int] = {}
        self._columns: dict[str, np.ndarray] = {}  # each as long as _edges was when it was built

    def extend(self, edges: list[Edge]) -> np.ndarray:
        """Number these edges; returns their numbers."""
        numbers = []
        for e in edges:
            key = (e.src, e.dst, *(e.props.get(n) for n in self._identity))
            number = self._number.get(key)
            if number is None:
                number = self._number[key] = len(self._edges)
                self._edges.append(e)
            numbers.append(number)
        return np.array(numbers, dtype=np.int64)

    def column(self, name: str) -> np.ndarray:
        found = self._columns.get(name)
        if found is None or found.size != len(self._edges):
            found = self._columns[name] = object_column([e.props.get(name) for e in self._edges])
        return found

    def moments(self, name: str) -> np.ndarray:
        return moment_numbers(self.column(name))

    def props(self, numbers: np.ndarray) -> list[dict[str, Any]]:
        return [self._edges[n].props for n in numbers.tolist()]

    def retracted(self) -> np.ndarray:
        return retracted_flags(self, len(self._edges))


class StoreColumns(GraphColumns):
    """The columnar view any store gives through its primitives, numbering nodes as they come."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.numbering = self
        self._ref_of: list[NodeRef] = []
        self._nid_of: dict[NodeRef, int] = {}
        self._kind_of = np.empty(64, dtype=np.int8)  # by number; doubled when full, so kinds() copies no list
        self._exists: set[NodeRef] = set()  # refs checked against the store (edge ends exist by construction)
        self._sources: dict[str, _ListSource] = {}

    def _number(self, ref: NodeRef) -> int:
        nid = self._nid_of.get(ref)
        if nid is None:
            nid = self._nid_of[ref] = len(self._ref_of)
            self._ref_of.append(ref)
            if nid == self._kind_of.size:
                self._kind_of = np.concatenate((self._kind_of, np.empty_like(self._kind_of)))
            self._kind_of[nid] = KIND_CODE[ref[0]]
        return nid

    def nids(self, refs: Iterable[NodeRef]) -> np.ndarray:
        wanted = {ref for ref in refs if ref[0] in KINDS}
        unknown: dict[str, list[str]] = {}
        for kind, key in wanted - self._exists:
            unknown.setdefault(kind, []).append(key)
        for kind, keys in unknown.items():
            self._exists.update((kind, key) for key in self.store.get(kind, keys))
        return distinct(np.array([self._number(r) for r in wanted & self._exists], dtype=np.int64))

    def refs(self, nids: np.ndarray) -> list[NodeRef]:
        return [self._ref_of[n] for n in nids.tolist()]

    @property
    def size(self) -> int:
        return len(self._ref_of)

    def kinds(self, nids: np.ndarray) -> np.ndarray:
        return self._kind_of[:self.size][nids] if nids.size else np.empty(0, dtype=np.int8)

    def in_key_order(self, nids: np.ndarray) -> np.ndarray:
        return np.array(sorted(set(nids.tolist()), key=self._ref_of.__getitem__), dtype=np.int64)

    def reach(self, seeds: np.ndarray, rels: Collection[str], direction: Direction,
              max_depth: int) -> tuple[np.ndarray, np.ndarray]:
        found = self.store.reach(self.refs(seeds), rels, direction, max_depth)
        self._exists.update(found)
        nids = np.array([self._number(r) for r in found], dtype=np.int64)
        order = np.argsort(nids)
        return nids[order], np.array(list(found.values()), dtype=np.int64)[order]

    def edges(self, rel: str, nids: np.ndarray, direction: Direction) -> EdgeColumns:
        found = self.store.edges(rel, self.refs(nids), direction) if nids.size else []
        self._exists.update(e.src for e in found)
        self._exists.update(e.dst for e in found)
        source = self._sources.setdefault(rel, _ListSource(rel))
        return EdgeColumns(source, source.extend(found),
                           np.array([self._number(e.src) for e in found], dtype=np.int64),
                           np.array([self._number(e.dst) for e in found], dtype=np.int64))

    def fields(self, kind: str, nids: np.ndarray, names: Collection[str]) -> dict[str, np.ndarray]:
        keys = self.keys(nids)
        records = self.store.get(kind, keys) if keys else {}
        return {name: object_column([records.get(k, {}).get(name) for k in keys]) for name in names}
