"""An in-memory adjacency index over the embedded store's tables: CSR arrays per relationship.

SQLite answers one breadth-first hop with an indexed query per relationship, paying a JSON round
trip for the frontier and a B-tree probe per node; the index answers it with numpy slices, so a
trace costs in proportion to its answer, not to the graph. It numbers nodes in (kind, key) order, not
by the store's ids, so that numbers in order are in key order: a trace's groups need no sort of keys,
and a lot's units, side by side, are read as slices. It is a cache of the tables, never a
second source of truth: built from them on first use, inside one read transaction, and thrown
away when the store's change counter moves (a write by this process or by any other). The version
built next reads what the last one was asked for together with its nodes, so that a question does not
meet a later write half-way through (it would be retried on a fresh view) however often others write.
"""

from __future__ import annotations

import sqlite3
import threading
from array import array
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Any, TypeVar

import numpy as np

from ..errors import StoreError
from ..gcpause import paused_gc
from ..schema import KINDS, RELS
from .base import Direction, Edge, NodeRef
from .columns import (KIND_CODE, KIND_NAMES, EdgeColumns, GraphColumns, ViewChanged, distinct, moment_numbers,
                      object_column, ordered, ranges, retracted_flags, row_entries)


UNKNOWN_KIND = len(KIND_NAMES)
T = TypeVar("T")


class Stale(Exception):
    """The tables changed while the index was being built; the caller rebuilds it."""


def change_counter(con: sqlite3.Connection) -> int:
    """The write counter, kept in the database header's user_version so that it is no table's row."""
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def bump_change_counter(con: sqlite3.Connection) -> None:
    """Count one more write; call inside the write's transaction, so a rollback undoes it."""
    con.execute(f"PRAGMA user_version = {(change_counter(con) + 1) % 2**31}")


def _positions(indptr: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of every entry of the CSR rows ``nodes``, row after row, and for each the index in
    ``nodes`` of its row."""
    starts = indptr[nodes]
    return ranges(starts, indptr[nodes + 1] - starts)


def renumber(number: np.ndarray, ids: np.ndarray, table: str) -> np.ndarray:
    """The index's numbers of the store's node ``ids`` read from ``table``, through ``number`` (see
    :class:`AdjacencyIndex`). An id the node table lacks, which only a writer around this store leaves, is a
    StoreError, not some other node."""
    known = (ids >= 0) & (ids < number.size)
    numbered = np.where(known, number[np.where(known, ids, 0)], -1)
    if (numbered < 0).any():
        raise StoreError(f"the {table} table names a node id the node table lacks")
    return numbered


@dataclass
class _Adjacency:
    """One relationship in one direction: CSR rows by near node, ordered by (near, far)."""

    indptr: np.ndarray  # near nid -> first position
    order: np.ndarray  # position -> edge number
    far: np.ndarray  # position -> far nid

    @cached_property
    def has_edges(self) -> np.ndarray:
        """Whether each node has any edge here: a search skips the others (a recall's last level, its units)."""
        return self.indptr[1:] > self.indptr[:-1]


class Relation:
    """Every edge of one relationship, by edge number, with its properties as columns."""

    @paused_gc()
    def __init__(self, con: sqlite3.Connection, rel: str, number: np.ndarray, size: int) -> None:
        """``number``: the store's node id -> the index's node number (of ``size``; see :class:`AdjacencyIndex`)."""
        self.rel = rel
        self.fields = [f.name for f in RELS[rel].fields]
        table = RELS[rel].sql_table
        self.values: list[tuple[Any, ...]] = []  # edge number -> its field values
        if self.fields:
            intern: dict[Any, Any] = {}  # repeated values (a case's timestamps) share one object
            ends: list[int] = []
            for row in con.execute(f"SELECT src, dst, {', '.join(self.fields)} FROM {table}"):
                ends += row[:2]
                values = tuple(intern.setdefault(v, v) for v in row[2:])
                self.values.append(intern.setdefault(values, values))
            pairs = np.array(ends, dtype=np.int64)
        else:
            pairs = np.fromiter(chain.from_iterable(con.execute(f"SELECT src, dst FROM {table}")), dtype=np.int64)
        numbered = renumber(number, pairs, table)
        self.src, self.dst = numbered[0::2], numbered[1::2]
        self.by_direction = {"out": self._csr(self.src, self.dst, size), "in": self._csr(self.dst, self.src, size)}
        self._columns: dict[str, np.ndarray] = {}
        self._moments: dict[str, np.ndarray] = {}
        self._retracted: np.ndarray | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _csr(near: np.ndarray, far: np.ndarray, size: int) -> _Adjacency:
        order = np.lexsort((far, near))
        indptr = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(near, minlength=size), out=indptr[1:])
        return _Adjacency(indptr, order, far[order])

    # -- an EdgeSource (tracegraph.store.columns): properties by column, built on first use ----------
    def column(self, name: str) -> np.ndarray:
        found = self._columns.get(name)
        if found is None:
            with self._lock:  # one thread builds it; one that waited finds it built
                found = self._columns.get(name)
                if found is None:
                    i = self.fields.index(name)
                    found = self._columns[name] = object_column([v[i] for v in self.values])
        return found

    def moments(self, name: str) -> np.ndarray:
        found = self._moments.get(name)
        if found is None:
            column = self.column(name)
            with self._lock:
                found = self._moments.get(name)
                if found is None:
                    found = self._moments[name] = moment_numbers(column)
        return found

    def props(self, numbers: np.ndarray) -> list[dict[str, Any]]:
        fields, values = self.fields, self.values
        return [dict(zip(fields, values[n])) for n in numbers.tolist()]

    def retracted(self) -> np.ndarray:
        if self._retracted is None:
            self._retracted = retracted_flags(self, self.src.size)
        return self._retracted


class KindTable:
    """The records of one kind in key order, a column per field; ``row`` (shared by the index's tables:
    a node has one kind) gives each node's row. Every column ends with one extra None, for row -1.

    The key column shares the index's key strings, and repeated values (a lot's serials name one
    product) share one object, so a million serials cost about a hundred megabytes here."""

    @paused_gc()
    def __init__(self, con: sqlite3.Connection, kind: str, ref_of: list[NodeRef], number: np.ndarray,
                 row: np.ndarray) -> None:
        k = KINDS[kind]
        others = [f.name for f in k.fields if f.name != k.key]
        nids: list[int] = []
        values: list[list[Any]] = [[] for _ in others]
        intern: dict[Any, Any] = {}
        for r in con.execute(f"SELECT nid{''.join(', ' + n for n in others)} FROM {k.sql_table} ORDER BY {k.key}"):
            nids.append(r[0])
            for column, value in zip(values, r[1:]):
                column.append(intern.setdefault(value, value))
        self.nid = renumber(number, np.array(nids, dtype=np.int64), k.sql_table)
        row[self.nid] = np.arange(self.nid.size, dtype=row.dtype)
        # nodes are numbered in key order: where every node of the kind has a record, they are one range
        self.first = int(self.nid[0]) if self.nid.size else 0
        self.dense = not self.nid.size or int(self.nid[-1]) - self.first + 1 == self.nid.size
        self.columns = {name: object_column(column + [None]) for name, column in zip(others, values)}
        self.columns[k.key] = object_column([ref_of[n][1] for n in self.nid.tolist()] + [None])


class IndexColumns(GraphColumns):
    """The columnar view of one version of the index (see :mod:`tracegraph.store.columns`)."""

    def __init__(self, index: AdjacencyIndex, connect: Callable[[], sqlite3.Connection],
                 check: Callable[[], None]) -> None:
        """``check`` raises LimitExceeded once the caller's time is up: called before each read, as no
        database interrupts work on the index. Relationships and record tables are built on first use,
        from the tables as they were when the index was built, or ViewChanged."""
        self.index, self._connect, self._check = index, connect, check
        self.numbering = index

    def _built(self, build: Callable[[sqlite3.Connection], T]) -> T:
        """``build(connection)`` of parts of this view's index; ViewChanged if the store was written since."""
        try:
            return build(self._connect())
        except Stale:
            raise ViewChanged from None

    def _relation(self, rel: str) -> Relation:
        return self._built(lambda con: self.index.relation(con, rel))

    def _table(self, kind: str) -> KindTable:
        return self._built(lambda con: self.index.table(con, kind))

    def prepare(self, kinds: Iterable[str]) -> None:
        self._built(lambda con: self.index.tables(con, list(kinds)))

    def whole_graph(self, name: str, build: Callable[[], T]) -> T:
        return self.index.whole_graph(name, build)

    def nids(self, refs: Iterable[NodeRef]) -> np.ndarray:
        return self.index.nids(refs)

    def refs(self, nids: np.ndarray) -> list[NodeRef]:
        return self.index.refs(nids)

    @property
    def size(self) -> int:
        return self.index.size

    def kinds(self, nids: np.ndarray) -> np.ndarray:
        return self.index.kind_of[nids]

    def retractions(self, rel: str) -> bool:
        return bool(self._relation(rel).retracted().any())

    def in_key_order(self, nids: np.ndarray) -> np.ndarray:
        return ordered(nids, self.size)  # nodes are numbered in (kind, key) order

    def reach(self, seeds: np.ndarray, rels: Collection[str], direction: Direction,
              max_depth: int) -> tuple[np.ndarray, np.ndarray]:
        self._check()
        relations = self._built(lambda con: self.index.relations(con, rels))
        return self.index.reach(relations, distinct(seeds), direction, max_depth)

    def edges(self, rel: str, nids: np.ndarray, direction: Direction) -> EdgeColumns:
        return self.edges_of(rel, ordered(nids, self.size), direction)[1]

    def edges_of(self, rel: str, nids: np.ndarray, direction: Direction) -> tuple[np.ndarray, EdgeColumns]:
        self._check()
        relation = self._relation(rel)
        adj = relation.by_direction[direction]
        at, row = _positions(adj.indptr, nids)
        near, far = nids[row], adj.far[at]
        src, dst = (near, far) if direction == "out" else (far, near)
        return row, EdgeColumns(relation, adj.order[at], src, dst)

    def fields(self, kind: str, nids: np.ndarray, names: Collection[str]) -> dict[str, np.ndarray]:
        self._check()
        if not nids.size:
            return {name: np.empty(0, dtype=object) for name in names}
        table = self._table(kind)
        if table.dense and int(nids.min()) >= table.first and int(nids.max()) < table.first + table.nid.size:
            rows = nids - table.first  # all of this kind, each with a record
        else:
            rows = np.where(self.index.kind_of[nids] == KIND_CODE[kind], self.index.row_in_kind[nids], -1)
        return {name: table.columns[name][rows] for name in names}



class AdjacencyIndex:
    """Node ids, keys and CSR adjacency of one version of the tables (see the module docstring)."""

    @paused_gc()
    def __init__(self, con: sqlite3.Connection, asked: tuple[set[str], set[str]]) -> None:
        """Reads the nodes, and builds the relationships and record tables in ``asked`` in one read. The store
        passes every version the same two sets, where each notes what it is asked for: a question asks this
        version for what it asked the last one for, and finds it built from the same tables as the nodes,
        however often other writers commit meanwhile (a note made on an old version, or before a rebuild
        stopped half-way, is not lost)."""
        con.execute("BEGIN")
        try:
            self.version = change_counter(con)
            # nodes numbered in (kind, key) order, so that numbers in order are in key order: one shared tuple
            # per node, so refs come back as the very keys the lookups hash
            self.ref_of: list[NodeRef] = []
            self.nid_of: dict[NodeRef, int] = {}
            ref_of, nid_of = self.ref_of, self.nid_of
            codes: list[int] = []
            stored = array("q")  # the store's node ids, without an int object each
            for nid, kind, key in con.execute("SELECT nid, kind, key FROM node ORDER BY kind, key"):
                ref = (kind, key)
                nid_of[ref] = len(ref_of)
                ref_of.append(ref)
                stored.append(nid)
                codes.append(KIND_CODE.get(kind, UNKNOWN_KIND))  # a kind a later version added: never traced
            self.size = size = len(ref_of)
            self.kind_of = np.array(codes, dtype=np.int8)  # number -> position in KIND_NAMES
            ids = np.frombuffer(stored, dtype=np.int64)
            self.number = np.full(int(ids.max(initial=-1)) + 1, -1, dtype=np.int64)  # the store's node id -> number
            self.number[ids] = np.arange(size, dtype=np.int64)
            self.row_in_kind = np.full(size, -1, dtype=np.int32)  # number -> its row in its kind's table
            # the relationships and the record tables asked for, on this version or an earlier one (sorted
            # makes a list of each set at once, so another thread's note meanwhile cannot disturb it)
            self.asked = asked
            self._relations = {rel: self._relation(con, rel) for rel in sorted(self.asked[0])}
            self._tables = {kind: self._table(con, kind) for kind in sorted(self.asked[1])}
        finally:
            con.execute("COMMIT")
        self._build_lock = threading.Lock()
        self._whole: dict[str, Any] = {}  # answers about the whole graph (IndexColumns.whole_graph)
        self._whole_lock = threading.Lock()
        self._scratch = np.full(size, -1, dtype=np.int32)  # depth per nid during reach, reset after
        self._reach_lock = threading.Lock()

    # -- nodes -----------------------------------------------------------------------------------
    def nids(self, nodes: Iterable[NodeRef]) -> np.ndarray:
        """Sorted unique ids of the nodes that exist."""
        get = self.nid_of.get
        return distinct(np.array([n for n in map(get, nodes) if n is not None], dtype=np.int64))

    def refs(self, nids: np.ndarray) -> list[NodeRef]:
        ref_of = self.ref_of
        return [ref_of[n] for n in nids.tolist()]

    # -- edges -----------------------------------------------------------------------------------
    def relation(self, con: sqlite3.Connection, rel: str) -> Relation:
        self.asked[0].add(rel)
        return self._once(con, self._relations, rel, lambda: self._relation(con, rel))

    def relations(self, con: sqlite3.Connection, rels: Collection[str]) -> list[Relation]:
        """:meth:`relation` of each, all noted as asked first: when this version is stale, the next builds
        every one of them with its nodes, not only the first."""
        self.asked[0].update(rels)
        return [self.relation(con, rel) for rel in rels]

    def table(self, con: sqlite3.Connection, kind: str) -> KindTable:
        """The records of ``kind`` as columns (built on first use, like the relations)."""
        self.asked[1].add(kind)
        return self._once(con, self._tables, kind, lambda: self._table(con, kind))

    def tables(self, con: sqlite3.Connection, kinds: Collection[str]) -> list[KindTable]:
        """:meth:`table` of each, all noted as asked first (see :meth:`relations`)."""
        self.asked[1].update(kinds)
        return [self.table(con, kind) for kind in kinds]

    def _relation(self, con: sqlite3.Connection, rel: str) -> Relation:
        return Relation(con, rel, self.number, self.size)

    def _table(self, con: sqlite3.Connection, kind: str) -> KindTable:
        return KindTable(con, kind, self.ref_of, self.number, self.row_in_kind)

    def whole_graph(self, name: str, build: Callable[[], T]) -> T:
        """``build()`` once for this version (one thread builds it; others wait for it)."""
        found = self._whole.get(name)
        if found is None:
            with self._whole_lock:
                found = self._whole.get(name)
                if found is None:
                    found = self._whole[name] = build()
        return found

    def _once(self, con: sqlite3.Connection, built: dict[str, T], name: str, build: Callable[[], T]) -> T:
        """``built[name]``, built once, from the tables as they were when the index was (else Stale)."""
        found = built.get(name)
        if found is None:
            with self._build_lock:
                found = built.get(name)
                if found is None:
                    con.execute("BEGIN")
                    try:
                        if change_counter(con) != self.version:
                            raise Stale
                        found = built[name] = build()
                    finally:
                        con.execute("COMMIT")
        return found

    def edges(self, relation: Relation, nids: np.ndarray, direction: Direction) -> list[Edge]:
        adj = relation.by_direction[direction]
        numbers = adj.order[_positions(adj.indptr, nids)[0]]
        src, dst = self.refs(relation.src[numbers]), self.refs(relation.dst[numbers])
        rel = relation.rel
        if not relation.fields:
            return [Edge(rel, s, d) for s, d in zip(src, dst)]
        return [Edge(rel, s, d, p) for s, d, p in zip(src, dst, relation.props(numbers))]

    def neighbours(self, relation: Relation, nids: np.ndarray, direction: Direction) -> list[NodeRef]:
        adj = relation.by_direction[direction]
        return self.refs(distinct(adj.far[_positions(adj.indptr, nids)[0]]))

    def reach(self, relations: Sequence[Relation], seeds: np.ndarray, direction: Direction,
              max_depth: int) -> tuple[np.ndarray, np.ndarray]:
        """Level-synchronous breadth-first search: (nids in order, least hop counts), seeds at depth 0."""
        adjacency = [r.by_direction[direction] for r in relations]
        with self._reach_lock:
            depth_of = self._scratch
            frontier = seeds
            depth_of[frontier] = 0
            levels = [frontier]
            depth = 0
            while frontier.size and depth <= max_depth:
                depth += 1
                found = distinct(np.concatenate([row_entries(a.indptr, frontier[a.has_edges[frontier]], a.far)[0]
                                                 for a in adjacency]))
                frontier = found[depth_of[found] < 0]
                depth_of[frontier] = depth
                levels.append(frontier)
            reached = np.sort(np.concatenate(levels), kind="stable")  # each level is in order: a merge of a few
            depths = depth_of[reached].copy()
            depth_of[reached] = -1
        return reached, depths
