"""An in-memory adjacency index over the embedded store's tables: CSR arrays per relationship.

SQLite answers one breadth-first hop with an indexed query per relationship, paying a JSON round
trip for the frontier and a B-tree probe per node; the index answers it with numpy slices, so a
trace costs in proportion to its answer, not to the graph. It is a cache of the tables, never a
second source of truth: built from them on first use, inside one read transaction, and thrown
away when the store's change counter moves (a write by this process or by any other).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from ..gcpause import paused_gc
from ..schema import RELS
from .base import Direction, Edge, NodeRef


class Stale(Exception):
    """The tables changed while the index was being built; the caller rebuilds it."""


def change_counter(con: sqlite3.Connection) -> int:
    """The write counter, kept in the database header's user_version so that it is no table's row."""
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def bump_change_counter(con: sqlite3.Connection) -> None:
    """Count one more write; call inside the write's transaction, so a rollback undoes it."""
    con.execute(f"PRAGMA user_version = {(change_counter(con) + 1) % 2**31}")


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values: a sort and a mask, several times faster than ``np.unique`` on node ids."""
    values = np.sort(values)
    if values.size > 1:
        values = values[np.concatenate(([True], values[1:] != values[:-1]))]
    return values


def _positions(indptr: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Positions of every entry of the CSR rows ``nodes``, row after row."""
    starts = indptr[nodes]
    counts = indptr[nodes + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    ends = np.cumsum(counts)
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - counts), counts)


@dataclass
class _Adjacency:
    """One relationship in one direction: CSR rows by near node, ordered by (near, far)."""

    indptr: np.ndarray  # near nid -> first position
    order: np.ndarray  # position -> edge number
    far: np.ndarray  # position -> far nid


class Relation:
    """Every edge of one relationship, by edge number, with its properties as columns."""

    @paused_gc()
    def __init__(self, con: sqlite3.Connection, rel: str, size: int) -> None:
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
        self.src, self.dst = pairs[0::2].copy(), pairs[1::2].copy()
        self.by_direction = {"out": self._csr(self.src, self.dst, size), "in": self._csr(self.dst, self.src, size)}

    @staticmethod
    def _csr(near: np.ndarray, far: np.ndarray, size: int) -> _Adjacency:
        order = np.lexsort((far, near))
        indptr = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(near, minlength=size), out=indptr[1:])
        return _Adjacency(indptr, order, far[order])



class AdjacencyIndex:
    """Node ids, keys and CSR adjacency of one version of the tables (see the module docstring)."""

    @paused_gc()
    def __init__(self, con: sqlite3.Connection) -> None:
        con.execute("BEGIN")
        try:
            self.version = change_counter(con)
            size = (con.execute("SELECT max(nid) FROM node").fetchone()[0] or 0) + 1
            # one shared tuple per node: refs come back as the very keys the lookups hash
            self.ref_of: list[NodeRef | None] = [None] * size
            self.nid_of: dict[NodeRef, int] = {}
            ref_of, nid_of = self.ref_of, self.nid_of
            for nid, kind, key in con.execute("SELECT nid, kind, key FROM node"):
                ref_of[nid] = ref = (kind, key)
                nid_of[ref] = nid
        finally:
            con.execute("COMMIT")
        self.size = size
        self._relations: dict[str, Relation] = {}
        self._build_lock = threading.Lock()
        self._scratch = np.full(size, -1, dtype=np.int32)  # depth per nid during reach, reset after
        self._reach_lock = threading.Lock()

    # -- nodes -----------------------------------------------------------------------------------
    def nids(self, nodes: Iterable[NodeRef]) -> np.ndarray:
        """Sorted unique ids of the nodes that exist."""
        get = self.nid_of.get
        return _unique(np.array([n for n in map(get, nodes) if n is not None], dtype=np.int64))

    def refs(self, nids: np.ndarray) -> list[NodeRef]:
        ref_of = self.ref_of
        return [ref_of[n] for n in nids.tolist()]  # type: ignore[misc]

    # -- edges -----------------------------------------------------------------------------------
    def relation(self, con: sqlite3.Connection, rel: str) -> Relation:
        relation = self._relations.get(rel)
        if relation is None:
            with self._build_lock:
                relation = self._relations.get(rel)
                if relation is None:
                    con.execute("BEGIN")
                    try:
                        if change_counter(con) != self.version:
                            raise Stale
                        relation = self._relations[rel] = Relation(con, rel, self.size)
                    finally:
                        con.execute("COMMIT")
        return relation

    def edges(self, relation: Relation, nids: np.ndarray, direction: Direction) -> list[Edge]:
        adj = relation.by_direction[direction]
        numbers = adj.order[_positions(adj.indptr, nids)]
        src, dst = self.refs(relation.src[numbers]), self.refs(relation.dst[numbers])
        rel = relation.rel
        if not relation.fields:
            return [Edge(rel, s, d) for s, d in zip(src, dst)]
        fields, values = relation.fields, relation.values
        return [Edge(rel, s, d, dict(zip(fields, values[n]))) for s, d, n in zip(src, dst, numbers.tolist())]

    def neighbours(self, relation: Relation, nids: np.ndarray, direction: Direction) -> list[NodeRef]:
        adj = relation.by_direction[direction]
        return self.refs(_unique(adj.far[_positions(adj.indptr, nids)]))

    def reach(self, relations: Sequence[Relation], seeds: np.ndarray, direction: Direction,
              max_depth: int) -> tuple[np.ndarray, np.ndarray]:
        """Level-synchronous breadth-first search: (nids, least hop counts), seeds at depth 0."""
        adjacency = [r.by_direction[direction] for r in relations]
        with self._reach_lock:
            depth_of = self._scratch
            frontier = seeds
            depth_of[frontier] = 0
            levels = [frontier]
            depth = 0
            while frontier.size and depth <= max_depth:
                depth += 1
                found = _unique(np.concatenate([a.far[_positions(a.indptr, frontier)] for a in adjacency]))
                frontier = found[depth_of[found] < 0]
                depth_of[frontier] = depth
                levels.append(frontier)
            reached = np.concatenate(levels)
            depths = depth_of[reached].copy()
            depth_of[reached] = -1
        return reached, depths
