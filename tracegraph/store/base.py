"""The storage interface every backend implements.

It is deliberately narrow: atomic batch writes, record look-ups and a few set-at-a-time graph
primitives. The trace rules (what a forward trace reaches, time-bounded containment, scope)
live in :mod:`tracegraph.trace`, never in a backend, so every backend gives the same answers.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..errors import BadInput, DocumentChanged, LimitExceeded, StoreError
from ..schema import ITEM_TYPES, KINDS, RELS

if TYPE_CHECKING:
    from .columns import GraphColumns

NodeRef = tuple[str, str]
"""A node as (kind, key), e.g. ("Lot", "L-1001")."""

Direction = Literal["out", "in"]
DocRef = tuple[str, str]
"""A stored document as (collection, key), e.g. ("recalls", "RC-20261126-7F3A")."""
EntryBuilder = Callable[[int, dict[str, Any] | None], dict[str, Any]]
"""Builds a log entry from its sequence number and the previous entry (None for the first)."""
Counts = dict[str, int]
"""Records per node kind and edges per relationship kind, as :meth:`Store.counts` gives them."""

ATTRIBUTES = "attributes"
"""The record key of a record's extra attributes (a dict, stored as JSON text)."""


@dataclass(frozen=True, slots=True)
class Edge:
    rel: str
    src: NodeRef
    dst: NodeRef
    props: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class LogEntry:
    """A log entry to append in the same transaction as a write (:meth:`Store.write`).

    ``build(seq, previous, counts)`` makes the entry; with ``counted`` the store passes its counts
    before and after the batch, read inside the transaction (a count of every table, so bulk
    copies leave it off), else None.
    """

    log: str
    build: Callable[[int, dict[str, Any] | None, tuple[Counts, Counts] | None], dict[str, Any]]
    counted: bool = False


@dataclass
class Batch:
    """Records to write in one transaction: all of them land, or none do.

    ``nodes`` maps a kind to clean records (see :func:`tracegraph.schema.validate`); ``stubs``
    are keys of implicit kinds to create if absent; ``edges`` map a relationship kind to edges.
    Edges of derived relationships (e.g. SUPPLIED from Lot.supplier_id) are added by
    :meth:`derive_edges` and replace the owner's earlier ones when written.
    """

    nodes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stubs: dict[str, set[str]] = field(default_factory=dict)
    edges: dict[str, list[Edge]] = field(default_factory=dict)

    def add_node(self, kind: str, record: dict[str, Any]) -> None:
        self.nodes.setdefault(kind, []).append(record)

    def add_stub(self, kind: str, key: str) -> None:
        self.stubs.setdefault(kind, set()).add(key)

    def add_edge(self, edge: Edge) -> None:
        self.edges.setdefault(edge.rel, []).append(edge)

    def derive_edges(self, item_kind: Callable[[str], str]) -> None:
        """Add the edges implied by key fields of the batch's records.

        ``item_kind(item_id)`` says whether a lot's item is a "Material" or a "Product".
        Equal node refs are shared, as a million serials' edges name the same few products.
        """
        refs: dict[NodeRef, NodeRef] = {}
        for rel in RELS.values():
            if rel.derived_from is None:
                continue
            owner_kind, column = rel.derived_from
            owner_is_source = owner_kind in rel.source
            for record in self.nodes.get(owner_kind, ()):
                value = record.get(column)
                if value is None:
                    continue
                if rel.name == "OF_ITEM":
                    other = item_kind(value)
                elif rel.name == "INSPECTS":
                    other = ITEM_TYPES[record["subject_type"]]
                else:
                    other = (rel.target if owner_is_source else rel.source)[0]
                owner = refs.setdefault((owner_kind, record[KINDS[owner_kind].key]),
                                        (owner_kind, record[KINDS[owner_kind].key]))
                ref = refs.setdefault((other, value), (other, value))
                self.add_edge(Edge(rel.name, owner, ref) if owner_is_source else Edge(rel.name, ref, owner))

    def check_links(self) -> None:
        """Raise StoreError unless every edge joins kinds its relationship allows (the data dictionary's
        source and target kinds): one rule for every backend, checked before anything is written."""
        for name, edges in self.edges.items():
            rel = RELS.get(name)
            if rel is None:
                raise StoreError(f"unknown relationship kind {name!r}")
            source, target = rel.source, rel.target
            for e in edges:
                if e.src[0] not in source or e.dst[0] not in target:
                    raise StoreError(f"{rel.name} cannot link {e.src[0]} {e.src[1]!r} to {e.dst[0]} {e.dst[1]!r}")

    def __len__(self) -> int:
        return (sum(map(len, self.nodes.values())) + sum(map(len, self.stubs.values()))
                + sum(map(len, self.edges.values())))


Writer = Callable[[Batch, dict[str, Any]], None]
"""Writes one batch that a loader or copy made; the dict describes its source (files and their
SHA-256, counts) for the audit entry :class:`tracegraph.Graph` writes in the same transaction."""


def plain_writer(store: Store) -> Writer:
    """A writer that writes the batch alone, for callers that keep no audit trail."""
    def write(batch: Batch, _source: dict[str, Any]) -> None:
        store.write(batch)
    return write


class ThreadDeadline:
    """A deadline per thread (a server runs each request's store work in its own thread)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def until(self, seconds: float | None) -> Iterator[None]:
        """Set the deadline ``seconds`` from now (None: no deadline) for the block, then restore it."""
        previous = getattr(self._local, "at", None)
        self._local.at = None if seconds is None else time.monotonic() + seconds
        try:
            yield
        finally:
            self._local.at = previous

    def remaining(self) -> float | None:
        """Seconds left (0 or less once passed), or None without a deadline."""
        at = getattr(self._local, "at", None)
        return None if at is None else at - time.monotonic()

    def check(self) -> None:
        """Raise LimitExceeded once the deadline has passed: for store work that no database interrupts
        (the embedded store's in-memory index), checked before each step."""
        left = self.remaining()
        if left is not None and left <= 0:
            raise LimitExceeded("the query ran longer than its time limit")


class Store(ABC):
    """A genealogy graph store. Backends register a URL scheme in :mod:`tracegraph.store`."""

    schemes: ClassVar[tuple[str, ...]] = ()
    read_only: bool = False  # opened for reading only: writes, documents and log entries are refused

    @abstractmethod
    def write(self, batch: Batch, entry: LogEntry | None = None) -> dict[str, Any] | None:
        """Upsert the batch atomically; writing the same batch twice changes nothing.

        With ``entry``, append it to its log in the same transaction (see :meth:`append`), so the
        change and its audit record land together or not at all; returns the entry as written.
        """

    def _write_in(self, tx: Any, batch: Batch, entry: LogEntry | None) -> dict[str, Any] | None:
        """:meth:`write` inside the backend's open transaction ``tx``: the batch, then its entry (if any).

        Built on the backend's ``_write(tx, batch)``, ``_counts(tx)`` and ``_append(tx, log, build)``.
        """
        batch.check_links()
        before = self._counts(tx) if entry is not None and entry.counted else None
        self._write(tx, batch)
        if entry is None:
            return None
        counts = None if before is None else (before, self._counts(tx))
        return self._append(tx, entry.log, lambda seq, previous: entry.build(seq, previous, counts))

    def _write(self, tx: Any, batch: Batch) -> None:
        raise NotImplementedError

    def _counts(self, tx: Any) -> Counts:
        raise NotImplementedError

    def _append(self, tx: Any, log: str, build: EntryBuilder) -> dict[str, Any]:
        raise NotImplementedError

    @abstractmethod
    def get(self, kind: str, keys: Collection[str]) -> dict[str, dict[str, Any]]:
        """The records of ``kind`` with these keys (missing keys are absent from the result)."""

    @abstractmethod
    def find(self, kind: str, field: str, values: Collection[str]) -> list[str]:
        """Keys of ``kind`` records whose ``field`` is one of ``values``."""

    @abstractmethod
    def keys(self, kind: str) -> Iterator[str]:
        """Every key of ``kind``, in key order."""

    @abstractmethod
    def edges(self, rel: str, nodes: Iterable[NodeRef], direction: Direction) -> list[Edge]:
        """Edges of ``rel`` leaving (``out``) or entering (``in``) any of ``nodes``, with properties."""

    def neighbours(self, rel: str, nodes: Iterable[NodeRef], direction: Direction) -> set[NodeRef]:
        """The far ends of :meth:`edges`, for callers that need no edge properties."""
        return {e.dst if direction == "out" else e.src for e in self.edges(rel, nodes, direction)}

    def reach(self, seeds: Iterable[NodeRef], rels: Collection[str], direction: Direction,
              max_depth: int) -> dict[NodeRef, int]:
        """Every node reachable from ``seeds`` over ``rels``, with its least hop count.

        Seeds that exist are included at depth 0; a seed that does not exist, or is of a kind the
        dictionary does not know, is ignored. Exploration stops at ``max_depth + 1`` hops, so a
        caller can tell a graph deeper than its limit from one that fits. An unknown relationship
        kind is BadInput; with no ``rels`` only the seeds are reached. Checked here, once, so every
        backend answers alike; backends implement :meth:`_reach`.
        """
        unknown = set(rels) - set(RELS)
        if unknown:
            raise BadInput(f"unknown relationship kind(s): {', '.join(sorted(unknown))}")
        by_kind: dict[str, set[str]] = {}
        for kind, key in seeds:
            if kind in KINDS:
                by_kind.setdefault(kind, set()).add(key)
        if not rels:
            return {(kind, key): 0 for kind, keys in by_kind.items() for key in self.get(kind, keys)}
        return self._reach(by_kind, list(rels), direction, max_depth)

    @abstractmethod
    def _reach(self, seeds: Mapping[str, set[str]], rels: list[str], direction: Direction,
               max_depth: int) -> dict[NodeRef, int]:
        """:meth:`reach` with checked arguments: seed keys by known kind, at least one known relationship."""

    def columns(self) -> GraphColumns:
        """A columnar view of the graph for one trace (see :mod:`tracegraph.store.columns`), built here on
        the primitives above; a backend with an in-memory index gives its own."""
        from .columns import StoreColumns
        return StoreColumns(self)

    def records(self, kind: str, chunk: int = 10_000) -> Iterator[dict[str, Any]]:
        """Every record of ``kind``, in key order, for whole-table checks (data quality).

        Built on ``keys`` and ``get`` one chunk at a time; a backend may override it with one
        streaming query.
        """
        keys: list[str] = []
        for key in self.keys(kind):
            keys.append(key)
            if len(keys) == chunk:
                yield from self._ordered(kind, keys)
                keys = []
        yield from self._ordered(kind, keys)

    def _ordered(self, kind: str, keys: list[str]) -> Iterator[dict[str, Any]]:
        found = self.get(kind, keys) if keys else {}
        return (found[k] for k in keys if k in found)

    def all_edges(self, rel: str, chunk: int = 10_000) -> Iterator[Edge]:
        """Every edge of ``rel`` with its properties, for whole-graph checks (data quality).

        Built on ``keys`` and ``edges`` one chunk of source nodes at a time; a backend may
        override it with one streaming query.
        """
        for kind in RELS[rel].source:
            refs: list[NodeRef] = []
            for key in self.keys(kind):
                refs.append((kind, key))
                if len(refs) == chunk:
                    yield from self.edges(rel, refs, "out")
                    refs = []
            if refs:
                yield from self.edges(rel, refs, "out")

    @abstractmethod
    def find_edges(self, rel: str, field: str, values: Collection[str]) -> list[Edge]:
        """Edges of ``rel`` whose property ``field`` is one of ``values`` (e.g. consumptions of a step)."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Number of records per node kind and of edges per relationship kind."""

    @abstractmethod
    def close(self) -> None: ...

    def revision(self) -> int | None:
        """A number that moves with every write to the graph, by any process, for caches of answers over the
        whole graph; None where the backend keeps none (such answers are then computed every time)."""
        return None

    def warm(self) -> None:
        """Build whatever in-memory caches the first query would build, so that it is not slow.

        A server calls it at startup and reports ready once it returns; a backend without such
        caches has nothing to do.
        """

    # -- documents and append-only logs: state beside the graph (API keys, recalls, audit trail) --
    # Not part of the genealogy: no trace reads them.
    @abstractmethod
    def documents(self, collection: str, keys: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
        """JSON documents of a collection by key, in key order; all of them without ``keys``."""

    @abstractmethod
    def document_keys(self, collection: str) -> list[str]:
        """The keys of a collection's documents, in key order: what a caller reads to see which of many
        records have a document (a recall hold) before reading any."""

    @abstractmethod
    def append(self, log: str, build: EntryBuilder, documents: Mapping[DocRef, dict[str, Any]] | None = None,
               expected: Mapping[DocRef, dict[str, Any] | None] | None = None) -> dict[str, Any]:
        """In one transaction: append ``build(seq, previous)`` to ``log`` and upsert ``documents``.

        Sequence numbers start at 1 and have no gaps; entries are never changed once written.
        Building the entry inside the transaction lets it chain to its predecessor (a hash chain)
        even with several writers. Returns the entry as written.

        ``expected`` holds documents as the caller read them (None: absent) before computing
        ``documents`` from them; if any is stored differently by the time this transaction holds
        the log's write lock, it raises DocumentChanged and writes nothing. That makes a
        read-modify-write atomic across processes: the caller reads again and retries.
        """

    def _check_unchanged(self, tx: Any, expected: Mapping[DocRef, dict[str, Any] | None]) -> None:
        """Raise DocumentChanged unless every document in ``expected`` is stored as given, read in ``tx``
        (built on the backend's ``_documents_in(tx, collection, keys)``)."""
        keys: dict[str, list[str]] = {}
        for collection, key in expected:
            keys.setdefault(collection, []).append(key)
        for collection, wanted in keys.items():
            stored = self._documents_in(tx, collection, wanted)
            changed = sorted(k for k in wanted if stored.get(k) != expected[(collection, k)])
            if changed:
                raise DocumentChanged(f"{collection} {', '.join(changed[:5])} changed since it was read")

    @abstractmethod
    def _documents_in(self, tx: Any, collection: str, keys: Collection[str] | None) -> dict[str, dict[str, Any]]:
        """:meth:`documents`, read inside the transaction ``tx``."""

    @abstractmethod
    def entries(self, log: str, start: int = 1, target: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
        """(seq, entry) of ``log`` from ``start`` on, in order; with ``target``, only the entries whose
        ``target`` field it is (one record's history, read without parsing the whole trail where the
        backend can)."""

    @abstractmethod
    def last(self, log: str) -> tuple[int, dict[str, Any]] | None:
        """(seq, entry) of the last entry of ``log``, None while it is empty, without reading the others."""

    def ensure_schema(self) -> dict[str, bool]:
        """Create the constraints and indexes the backend needs, if absent.

        Returns each schema object's name and whether this call created it. ``tracegraph init``
        calls it. The embedded store creates its tables whenever it is opened for writing, so it
        has nothing to do here.
        """
        return {}

    @contextmanager
    def time_limit(self, seconds: float | None) -> Iterator[None]:
        """Stop store work that runs longer than ``seconds`` with LimitExceeded (where supported)."""
        yield

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
