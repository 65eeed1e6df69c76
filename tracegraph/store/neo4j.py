"""The Neo4j backend: the same Store primitives over a Neo4j server, cluster or Aura.

Needs the ``tracegraph[neo4j]`` extra (the official driver with its Rust extension). The Cypher it
sends lives in :mod:`tracegraph.cypher` and is built by :mod:`.neo4j_statements`.

- One driver per process (per URL and user), shared by every store opened in that process.
- Reads run as managed read transactions routed to readers; writes as managed write transactions
  of ``UNWIND $rows ... MERGE`` statements on constrained keys, so a retried batch changes nothing.
- Every transaction has a timeout (``TRACEGRAPH_NEO4J_TIMEOUT``, narrowed by :meth:`time_limit`).
- ``reach`` is a breadth-first search in the database, one statement per hop over the whole frontier.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import neo4j
from neo4j import exceptions as neo4j_errors

from ..errors import BadInput, LimitExceeded, StoreError, TraceGraphError
from ..schema import KINDS, NODE_KINDS, REL_KINDS, RELS, NodeKind, RelKind
from . import NEO4J_SCHEMES as SCHEMES
from . import neo4j_statements as cy
from . import redact
from .base import (
    ATTRIBUTES,
    Batch,
    Counts,
    Direction,
    DocRef,
    Edge,
    EntryBuilder,
    LogEntry,
    NodeRef,
    Store,
    ThreadDeadline,
)

# The driver logs each failed connection attempt; without this, Python's last-resort handler prints
# them to stderr beside our own error message. Handlers an application configures still get them.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

ROWS_PER_STATEMENT = 10_000
T = TypeVar("T")


# -- settings ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Neo4jSettings:
    """Where and how to connect. Credentials come from the URL or from the environment."""

    uri: str  # scheme://host:port, without credentials or database
    user: str
    password: str
    database: str | None
    timeout: float  # seconds per transaction

    @classmethod
    def from_url(cls, url: str, env: Mapping[str, str] | None = None) -> Neo4jSettings:
        """``neo4j://user:password@host:7687/database``; TRACEGRAPH_NEO4J_USER, _PASSWORD, _DATABASE
        and _TIMEOUT fill what the URL leaves out (the URL wins)."""
        env = os.environ if env is None else env
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise BadInput(f"{url!r} is not a Neo4j URL (schemes: {', '.join(SCHEMES)})")
        if not parts.hostname:
            raise BadInput(f"Neo4j URL {redact(url)!r} names no host")
        try:
            port = parts.port or 7687
        except ValueError:
            raise BadInput(f"Neo4j URL {redact(url)!r} has a bad port") from None
        database = unquote(parts.path.strip("/")) or env.get("TRACEGRAPH_NEO4J_DATABASE") or None
        if database is not None and "/" in database:
            raise BadInput(f"Neo4j URL {redact(url)!r}: the path must be one database name")
        raw_timeout = env.get("TRACEGRAPH_NEO4J_TIMEOUT", "300")
        try:
            timeout = float(raw_timeout)
        except ValueError:
            raise BadInput(f"TRACEGRAPH_NEO4J_TIMEOUT={raw_timeout!r} is not a number of seconds") from None
        if timeout <= 0:
            raise BadInput(f"TRACEGRAPH_NEO4J_TIMEOUT={raw_timeout!r} must be positive")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return cls(uri=urlunsplit((parts.scheme, f"{host}:{port}", "", "", "")),
                   user=unquote(parts.username) if parts.username else env.get("TRACEGRAPH_NEO4J_USER", "neo4j"),
                   password=(unquote(parts.password) if parts.password is not None
                             else env.get("TRACEGRAPH_NEO4J_PASSWORD", "")),
                   database=database, timeout=timeout)

    def describe(self) -> str:
        return f"{self.uri}" + (f"/{self.database}" if self.database else "") + f" as {self.user}"


# -- errors --------------------------------------------------------------------------------------
DRIVER_ERRORS = (neo4j_errors.Neo4jError, neo4j_errors.DriverError)


def translate(exc: neo4j_errors.Neo4jError | neo4j_errors.DriverError, settings: Neo4jSettings,
              timeout: float | None = None) -> TraceGraphError:
    """A driver exception as a TraceGraph error; the message says what to check."""
    where = settings.describe()
    if isinstance(exc, neo4j_errors.AuthError):
        return StoreError(f"Neo4j at {where} rejected the credentials (set them in the URL or "
                          f"TRACEGRAPH_NEO4J_USER/TRACEGRAPH_NEO4J_PASSWORD): {exc.message}")
    if isinstance(exc, neo4j_errors.Neo4jError):
        code = exc.code or ""
        if "TransactionTimedOut" in code:
            limit = f" of {timeout:g} s" if timeout is not None else ""
            return LimitExceeded(f"the Neo4j transaction ran longer than its time limit{limit}")
        if code.endswith("DatabaseNotFound"):
            return StoreError(f"Neo4j at {where}: no database {settings.database!r}")
        return StoreError(f"Neo4j at {where} failed ({code}): {exc.message}")
    if isinstance(exc, neo4j_errors.ServiceUnavailable | neo4j_errors.SessionExpired):
        return StoreError(f"cannot reach Neo4j at {where}: {exc}")
    if isinstance(exc, neo4j_errors.ConfigurationError):
        return StoreError(f"bad Neo4j configuration for {where}: {exc}")
    return StoreError(f"Neo4j driver error for {where}: {exc}")


# -- one driver per process -------------------------------------------------------------------------
_drivers: dict[tuple[int, str, str, str], Any] = {}
_drivers_lock = threading.Lock()


def driver_for(settings: Neo4jSettings) -> Any:
    """The process's driver for these settings, created (and its server checked) on first use.

    Keyed by process id too: a forked worker gets its own, as a driver must not cross a fork.
    """
    key = (os.getpid(), settings.uri, settings.user, settings.password)
    with _drivers_lock:
        driver = _drivers.get(key)
        if driver is None:
            try:
                driver = neo4j.GraphDatabase.driver(settings.uri, auth=(settings.user, settings.password),
                                                    user_agent="tracegraph")
                driver.verify_connectivity()
            except DRIVER_ERRORS as exc:
                if driver is not None:
                    driver.close()
                raise translate(exc, settings) from None
            _drivers[key] = driver
        return driver


@atexit.register
def _close_drivers() -> None:
    with _drivers_lock:
        for key in [k for k in _drivers if k[0] == os.getpid()]:
            _drivers.pop(key).close()


# -- result mapping ------------------------------------------------------------------------------
def record_from_props(kind: NodeKind, props: Mapping[str, Any]) -> dict[str, Any]:
    """A node's properties as the record the embedded store returns: every field, None where absent."""
    record = {f.name: props.get(f.name) for f in kind.fields}
    if props.get(ATTRIBUTES):
        record[ATTRIBUTES] = json.loads(props[ATTRIBUTES])
    return record


def node_rows(kind: NodeKind, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``$rows`` for node_upsert: the key, and every other field (None removes a stale property)."""
    rows = []
    for r in records:
        props = {f.name: r.get(f.name) for f in kind.fields if f.name != kind.key}
        props[ATTRIBUTES] = json.dumps(r[ATTRIBUTES], sort_keys=True) if r.get(ATTRIBUTES) else None
        rows.append({"key": r[kind.key], "props": props})
    return rows


def edge_rows(rel: RelKind, edges: Iterable[Edge]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """``$rows`` for edge_merge, grouped by (source kind, target kind)."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in edges:  # endpoint kinds were checked by Batch.check_links
        props = {f.name: e.props.get(f.name) for f in rel.fields}
        out.setdefault((e.src[0], e.dst[0]), []).append({"src": e.src[1], "dst": e.dst[1], "props": props})
    return out


def edges_from_records(rel: RelKind, near_kind: str, direction: Direction,
                       records: Iterable[Any]) -> list[Edge]:
    """Records of the ``edges`` statement (near, far = [kind, key], props) as Edges."""
    out = []
    for record in records:
        near: NodeRef = (near_kind, record["near"])
        far: NodeRef = (record["far"][0], record["far"][1])
        props = _edge_props(rel, record["props"])
        out.append(Edge(rel.name, near, far, props) if direction == "out" else Edge(rel.name, far, near, props))
    return out


def _edge_props(rel: RelKind, props: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of ``rel``, None where the relationship has no such property (as the embedded store)."""
    return {f.name: props.get(f.name) for f in rel.fields}


def _chunks(rows: list[T], size: int = ROWS_PER_STATEMENT) -> Iterator[list[T]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


# -- the store -----------------------------------------------------------------------------------
class Neo4jStore(Store):
    schemes = SCHEMES
    keys_page = 10_000  # keys and log entries read per query (keyset paging); tests lower it per store

    def __init__(self, url: str, *, read_only: bool = False, env: Mapping[str, str] | None = None) -> None:
        self.settings = Neo4jSettings.from_url(url, env)
        self.read_only = read_only
        self._driver = driver_for(self.settings)
        self._deadline = ThreadDeadline()
        self._schema_checked = False

    # -- transactions --------------------------------------------------------------------------
    def _timeout(self) -> float:
        """This transaction's timeout: the setting, or less when a time limit ends sooner."""
        self._deadline.check()
        left = self._deadline.remaining()
        return self.settings.timeout if left is None else min(left, self.settings.timeout)

    @contextmanager
    def time_limit(self, seconds: float | None) -> Iterator[None]:
        with self._deadline.until(seconds):
            yield

    def _session(self) -> Any:
        # The driver's query bookmark manager chains every session, so a read sees earlier writes
        # of this process even on a cluster reader.
        return self._driver.session(database=self.settings.database,
                                    bookmark_manager=self._driver.execute_query_bookmark_manager)

    def _transaction(self, write: bool, work: Callable[[Any], T]) -> T:
        """Run ``work(tx)`` as a managed (retried) transaction with a timeout."""
        if write and self.read_only:
            raise StoreError(f"the Neo4j store at {self.settings.describe()} was opened read-only")
        timeout = self._timeout()
        unit = neo4j.unit_of_work(timeout=timeout)(work)
        try:
            with self._session() as session:
                return session.execute_write(unit) if write else session.execute_read(unit)
        except DRIVER_ERRORS as exc:
            raise translate(exc, self.settings, timeout) from None

    def _query(self, statement: cy.Statement, **params: Any) -> list[Any]:
        """A small read: one statement, routed to a reader, records returned eagerly."""
        _check_params(statement, params)
        timeout = self._timeout()
        try:
            result = self._driver.execute_query(
                neo4j.Query(statement.text, timeout=timeout), params, database_=self.settings.database,
                routing_=neo4j.RoutingControl.READ)
        except DRIVER_ERRORS as exc:
            raise translate(exc, self.settings, timeout) from None
        return list(result.records)

    @staticmethod
    def _run(tx: Any, statement: cy.Statement, **params: Any) -> list[Any]:
        _check_params(statement, params)
        return list(tx.run(statement.text, params))

    def close(self) -> None:
        """The driver is shared by the process and closed at exit; a store holds nothing else."""

    # -- schema ----------------------------------------------------------------------------------
    def ensure_schema(self) -> dict[str, bool]:
        """Create the key constraints and lookup indexes (IF NOT EXISTS), generated from the dictionary."""
        out = {}
        for name, statement in cy.schema().items():
            # schema commands cannot share a transaction with each other or with data writes
            summary = self._transaction(True, partial(_consume, statement=statement))
            out[name] = schema_created(summary)
        return out

    def _check_schema(self) -> None:
        if self._schema_checked:
            return
        present = {(tuple(r["labels"] or ()), tuple(r["properties"] or ()))
                   for r in self._query(cy.show_constraints())}
        missing = [label for label, keys in cy.unique_keys().items() if ((label,), keys) not in present]
        if missing:
            raise StoreError(f"Neo4j at {self.settings.describe()} lacks the key constraints of "
                             f"{', '.join(missing)}: run `tracegraph --db <url> init` first")
        self._schema_checked = True

    def delete_all(self) -> None:
        """Delete every node and relationship of the database (test fixtures start from empty)."""
        self._transaction(True, lambda tx: self._run(tx, cy.delete_all()))

    # -- writes ----------------------------------------------------------------------------------
    def write(self, batch: Batch, entry: LogEntry | None = None) -> dict[str, Any] | None:
        self._check_schema()
        return self._transaction(True, lambda tx: self._write_in(tx, batch, entry))

    def _write(self, tx: Any, batch: Batch) -> None:
        for kind in NODE_KINDS:
            rows = node_rows(kind, batch.nodes.get(kind.name, []))
            for part in _chunks(rows):
                self._run(tx, cy.node_upsert(kind), rows=part)
            for stubs in _chunks(sorted(batch.stubs.get(kind.name, ()))):
                self._run(tx, cy.node_stub(kind), keys=stubs)
        for rel in REL_KINDS:
            if rel.derived_from is not None:
                owner = KINDS[rel.derived_from[0]]
                keys = [r[owner.key] for r in batch.nodes.get(owner.name, [])]
                for chunk in _chunks(keys):
                    self._run(tx, cy.edge_forget(rel, owner), keys=chunk)
            for (src, dst), rows in edge_rows(rel, batch.edges.get(rel.name, [])).items():
                for chunk in _chunks(rows):
                    written = self._run(tx, cy.edge_merge(rel, KINDS[src], KINDS[dst]), rows=chunk)[0]["written"]
                    if written != len(chunk):
                        raise StoreError(f"{rel.name}: {len(chunk) - written} edge(s) from {src} to {dst} "
                                         f"name a record that does not exist")

    # -- reads -----------------------------------------------------------------------------------
    def get(self, kind: str, keys: Collection[str]) -> dict[str, dict[str, Any]]:
        k = KINDS[kind]
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(sorted(set(keys))):
            for record in self._query(cy.node_get(k), keys=chunk):
                props = record["props"]
                out[props[k.key]] = record_from_props(k, props)
        return out

    def find(self, kind: str, field: str, values: Collection[str]) -> list[str]:
        statement = cy.node_find(KINDS[kind], field)
        return [r["key"] for chunk in _chunks(sorted(set(values))) for r in self._query(statement, values=chunk)]

    def keys(self, kind: str) -> Iterator[str]:
        statement = cy.node_keys(KINDS[kind])
        after = ""
        while True:
            page = [r["key"] for r in self._query(statement, after=after, page=self.keys_page)]
            yield from page
            if len(page) < self.keys_page:
                return
            after = page[-1]

    def edges(self, rel: str, nodes: Iterable[NodeRef], direction: Direction) -> list[Edge]:
        r = RELS[rel]
        near_kinds = r.source if direction == "out" else r.target
        by_kind: dict[str, set[str]] = {}
        for kind, key in nodes:
            if kind in near_kinds:
                by_kind.setdefault(kind, set()).add(key)
        out: list[Edge] = []
        for kind, keys in by_kind.items():
            statement = cy.edges(r, KINDS[kind], direction)
            for chunk in _chunks(sorted(keys)):
                out += edges_from_records(r, kind, direction, self._query(statement, keys=chunk))
        return sorted(out, key=lambda e: (e.src, e.dst) if direction == "out" else (e.dst, e.src))

    def find_edges(self, rel: str, field: str, values: Collection[str]) -> list[Edge]:
        statement = cy.edges_by_field(RELS[rel], field)
        out = [Edge(rel, (r["src"][0], r["src"][1]), (r["dst"][0], r["dst"][1]), _edge_props(RELS[rel], r["props"]))
               for chunk in _chunks(sorted(set(values))) for r in self._query(statement, values=chunk)]
        return sorted(out, key=lambda e: (e.src, e.dst))

    def _reach(self, seeds: Mapping[str, set[str]], rels: list[str], direction: Direction,
               max_depth: int) -> dict[NodeRef, int]:
        hop = cy.reach_hop(rels, direction)

        def search(tx: Any) -> dict[NodeRef, int]:
            # All hops in one transaction: element ids are only stable within one.
            refs: dict[str, NodeRef] = {}
            depth_of: dict[str, int] = {}
            for kind, keys in seeds.items():
                for record in self._run(tx, cy.node_ids(KINDS[kind]), keys=sorted(keys)):
                    refs[record["id"]] = (kind, record["key"])
                    depth_of[record["id"]] = 0
            frontier = list(depth_of)
            depth = 0
            while frontier and depth <= max_depth:
                depth += 1
                found = {}
                for chunk in _chunks(frontier):
                    for record in self._run(tx, hop, frontier=chunk):
                        found[record["id"]] = (record["ref"][0], record["ref"][1])
                frontier = [i for i in found if i not in depth_of]
                for i in frontier:
                    depth_of[i] = depth
                    refs[i] = found[i]
            return {refs[i]: d for i, d in depth_of.items()}

        return self._transaction(False, search)

    def documents(self, collection: str, keys: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
        return _bodies(self._query(cy.document_get(), collection=collection,
                                   keys=None if keys is None else sorted(set(keys))))

    def document_keys(self, collection: str) -> list[str]:
        return [r["key"] for r in self._query(cy.document_keys(), collection=collection)]

    def _documents_in(self, tx: Any, collection: str, keys: Collection[str] | None) -> dict[str, dict[str, Any]]:
        return _bodies(self._run(tx, cy.document_get(), collection=collection,
                                 keys=None if keys is None else sorted(set(keys))))

    def append(self, log: str, build: EntryBuilder, documents: Mapping[DocRef, dict[str, Any]] | None = None,
               expected: Mapping[DocRef, dict[str, Any] | None] | None = None) -> dict[str, Any]:
        self._check_schema()

        def work(tx: Any) -> dict[str, Any]:
            entry = self._append(tx, log, build)  # write-locks the log's head: appenders queue here
            self._check_unchanged(tx, expected or {})  # so this reads what earlier appends committed
            for (collection, key), body in (documents or {}).items():
                self._run(tx, cy.document_put(), collection=collection, key=key, body=json.dumps(body, sort_keys=True))
            return entry

        return self._transaction(True, work)

    def _append(self, tx: Any, log: str, build: EntryBuilder) -> dict[str, Any]:
        # Built inside the transaction, so a retried append rebuilds its entry on the real predecessor.
        seq = self._run(tx, cy.log_next(), log=log)[0]["seq"]
        previous = None
        if seq > 1:
            rows = self._run(tx, cy.log_entries(), log=log, start=seq - 1, page=1)
            previous = json.loads(rows[0]["body"])
        entry = build(seq, previous)
        self._run(tx, cy.log_append(), log=log, seq=seq, body=json.dumps(entry))
        return entry

    def entries(self, log: str, start: int = 1, target: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
        # the target is inside each entry's JSON body, so it is tested here (entries carry no such property)
        statement = cy.log_entries()
        while True:
            page = self._query(statement, log=log, start=start, page=self.keys_page)
            for record in page:
                entry = json.loads(record["body"])
                if target is None or entry.get("target") == target:
                    yield record["seq"], entry
            if len(page) < self.keys_page:
                return
            start = page[-1]["seq"] + 1

    def last(self, log: str) -> tuple[int, dict[str, Any]] | None:
        rows = self._query(cy.log_last(), log=log)
        return (rows[0]["seq"], json.loads(rows[0]["body"])) if rows else None

    def counts(self) -> dict[str, int]:
        return self._transaction(False, self._counts)

    def _counts(self, tx: Any) -> Counts:
        out = {k.name: self._run(tx, cy.count_nodes(k))[0]["n"] for k in NODE_KINDS}
        out.update({r.name: self._run(tx, cy.count_rels(r))[0]["n"] for r in REL_KINDS})
        return out


def schema_created(summary: neo4j.ResultSummary) -> bool:
    """Whether a CREATE ... IF NOT EXISTS statement created its constraint or index (or found it)."""
    return summary.counters.constraints_added + summary.counters.indexes_added > 0


def _consume(tx: Any, statement: cy.Statement) -> neo4j.ResultSummary:
    _check_params(statement, {})
    return tx.run(statement.text).consume()


def open_empty(url: str) -> Neo4jStore:
    """A store on the database at ``url`` with every node and relationship DELETED and the schema in place.

    For test suites (the conformance fixture calls it before each test); never point it at real data.
    """
    store = Neo4jStore(url)
    store.ensure_schema()
    store.delete_all()
    return store


def _check_params(statement: cy.Statement, params: Mapping[str, Any]) -> None:
    """Send a statement only with the parameters it declares (the linter checks the text uses no others)."""
    if set(params) != statement.params:
        raise AssertionError(f"{statement.name}: parameters {sorted(params)} but declares "
                             f"{sorted(statement.params)}")


def _bodies(records: list[Any]) -> dict[str, dict[str, Any]]:
    """Documents by key from the records of ``document_get``."""
    return {r["key"]: json.loads(r["body"]) for r in records}
