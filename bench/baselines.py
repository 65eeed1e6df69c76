"""The baselines a user would pick instead of TraceGraph, built from the same canonical tables.

Each answers the genealogy part of a question (which lots and serials a trace reaches) the way
its users would write it: a breadth-first search on an in-memory CSR matrix (the near-physical
limit), a recursive CTE over the tables in plain SQLite, and networkx in a notebook.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

NodeRef = tuple[str, str]
KIND = {"lot": "Lot", "serial": "Serial"}


def rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


@dataclass
class Genealogy:
    """Lots and serials as numbered nodes, and the edges that carry the genealogy downstream."""

    names: list[NodeRef] = field(default_factory=list)
    index: dict[NodeRef, int] = field(default_factory=dict)
    edges: list[tuple[int, int]] = field(default_factory=list)

    def node(self, ref: NodeRef) -> int:
        n = self.index.get(ref)
        if n is None:
            n = self.index[ref] = len(self.names)
            self.names.append(ref)
        return n

    @classmethod
    def read(cls, tables: Path) -> Genealogy:
        g = cls()
        for r in rows(tables / "lots.csv"):
            g.node(("Lot", r["lot_id"]))
        for r in rows(tables / "serials.csv"):
            serial = g.node(("Serial", r["serial_id"]))
            if r["lot_id"]:
                g.edges.append((g.node(("Lot", r["lot_id"])), serial))
        for r in rows(tables / "consumptions.csv"):
            g.edges.append((g.node((KIND[r["input_type"]], r["input_id"])),
                            g.node((KIND[r["output_type"]], r["output_id"]))))
        return g


class Baseline(Protocol):
    name: str

    def reach(self, seeds: list[NodeRef], direction: str) -> set[NodeRef]:
        """Every lot and serial reachable from ``seeds`` (included), downstream or upstream."""


class CsrBfs:
    """scipy.sparse.csgraph breadth-first search on CSR matrices built once.

    One seed is searched from directly; many seeds hang off one extra source node, whose row is
    the last of the matrix: its entries are written into spare room at the end of the index array,
    so a question costs no copy of the graph.
    """

    name = "csr_bfs"
    MAX_SEEDS = 100_000

    def __init__(self, g: Genealogy) -> None:
        self.names = g.names
        self.index = g.index
        n = len(g.names)
        pairs = np.array(g.edges, dtype=np.int32).reshape(-1, 2)
        self.n = n
        self.graphs = {"forward": self._csr(pairs[:, 0], pairs[:, 1], n),
                       "backward": self._csr(pairs[:, 1], pairs[:, 0], n)}

    def _csr(self, src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        order = np.argsort(src, kind="stable")
        indptr = np.zeros(n + 2, dtype=np.int32)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:n + 1])
        indptr[n + 1] = indptr[n]
        indices = np.empty(len(dst) + self.MAX_SEEDS, dtype=np.int32)
        indices[:len(dst)] = dst[order]
        return indptr, indices, np.ones(len(indices))

    def reach(self, seeds: list[NodeRef], direction: str) -> set[NodeRef]:
        indptr, indices, data = self.graphs[direction]
        starts = [self.index[s] for s in seeds]
        edges = int(indptr[self.n])
        nnz = edges + len(starts)
        indices[edges:nnz] = starts
        indptr[self.n + 1] = nnz
        m = csr_matrix((data[:nnz], indices[:nnz], indptr), shape=(self.n + 1, self.n + 1), copy=False)
        if len(starts) == 1:
            order = breadth_first_order(m, starts[0], directed=True, return_predecessors=False)
        else:
            order = breadth_first_order(m, self.n, directed=True, return_predecessors=False)[1:]
        names = self.names
        return {names[i] for i in order.tolist()}


class SqliteCte:
    """The canonical tables in a plain SQLite file, and the recursive CTE a user would write."""

    name = "sqlite_cte"
    # (near, far) consumption columns and (near kind, near column, far kind, far column) of a serial
    STEPS: ClassVar[dict[str, tuple[str, ...]]] = {"forward": ("input", "output", "lot", "lot_id", "serial", "serial_id"),
             "backward": ("output", "input", "serial", "serial_id", "lot", "lot_id")}
    QUERY = """
        WITH RECURSIVE seeds(type, id) AS (SELECT value ->> '$[0]', value ->> '$[1]' FROM json_each(?)),
        reached(type, id) AS (
            SELECT type, id FROM seeds
            UNION
            SELECT c.{far}_type, c.{far}_id FROM consumptions c JOIN reached r
                ON c.{near}_type = r.type AND c.{near}_id = r.id
            UNION
            SELECT '{s_far}', s.{s_far_col} FROM serials s JOIN reached r
                ON r.type = '{s_near}' AND s.{s_near_col} = r.id AND s.{s_far_col} <> ''
        ) SELECT type, id FROM reached"""

    def __init__(self, tables: Path, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.con = sqlite3.connect(path, isolation_level=None)
        self.con.execute("BEGIN")
        for table, index_columns in (("lots", ["lot_id", "supplier_id"]), ("serials", ["serial_id", "lot_id"]),
                                     ("consumptions", ["input_type, input_id", "output_type, output_id"])):
            data = rows(tables / f"{table}.csv")
            first = next(data)
            cols = list(first)
            self.con.execute(f"CREATE TABLE {table} ({', '.join(cols)})")
            insert = f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})"
            self.con.executemany(insert, (list(r.values()) for r in _chain(first, data)))
            for i, columns in enumerate(index_columns):
                self.con.execute(f"CREATE INDEX {table}_{i} ON {table} ({columns})")
        self.con.execute("COMMIT")
        self.con.execute("ANALYZE")

    def reach(self, seeds: list[NodeRef], direction: str) -> set[NodeRef]:
        near, far, s_near, s_near_col, s_far, s_far_col = self.STEPS[direction]
        query = self.QUERY.format(near=near, far=far, s_near=s_near, s_near_col=s_near_col, s_far=s_far,
                                  s_far_col=s_far_col)
        payload = json.dumps([[kind.lower(), key] for kind, key in seeds])
        return {(KIND[t], i) for t, i in self.con.execute(query, (payload,))}


def _chain(first: dict[str, str], rest: Iterable[dict[str, str]]) -> Iterator[dict[str, str]]:
    yield first
    yield from rest


class Networkx:
    """A networkx DiGraph, as an analyst would build in a notebook."""

    name = "networkx"

    def __init__(self, g: Genealogy) -> None:
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(g.names)
        self.graph.add_edges_from((g.names[a], g.names[b]) for a, b in g.edges)

    def reach(self, seeds: list[NodeRef], direction: str) -> set[NodeRef]:
        step = nx.descendants if direction == "forward" else nx.ancestors
        out = set(seeds)
        for s in seeds:
            out |= step(self.graph, s)
        return out
