"""The Python API: one object that owns a store and answers trace questions.

The CLI, the GraphQL API and notebooks all go through :class:`Graph`, so they share one core.
Writes made here (loads, copies) and recall-scope computations are recorded in the audit trail under the
graph's user (``connect(user=...)``, else ``$TRACEGRAPH_USER``, else the login name); every trace
result carries the recall holds on the records it reached.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import NotFound
from .extras import extra_module
from .loaders.tables import AUDIT_ACTION, LoadReport, Progress, load_tables
from .quality import QualityReport, assess
from .recall.audit import AuditLog, default_user, digest
from .recall.model import HOLDS, holds_on
from .recall.notices import Reading, read_notice
from .recall.service import RecallService
from .schema import KINDS
from .store import Batch, NodeRef, Store, Writer, open_store, redact
from .store.transfer import copy_graph
from .trace import Limits, Link, RecallScope, SupplierExposure, TraceEngine, TraceResult, TraceStart

if TYPE_CHECKING:  # the standards modules need the [standards] extra, so they are imported when used
    from .identifiers import Identification
    from .loaders.epcis import EpcisReport, RejectedEvent
    from .loaders.gudid import GudidReport

Ids = str | list[str] | None


class Graph:
    def __init__(self, store: Store, limits: Limits | None = None, user: str | None = None) -> None:
        self.store = store
        self.engine = TraceEngine(store, limits)
        self.user = user or default_user()
        self.audit = AuditLog(store)
        self._quality: tuple[int, QualityReport] | None = None  # the last report and the store revision it is of

    def forward(self, *, lot: Ids = None, serial: Ids = None, container: Ids = None, supplier: Ids = None,
                material: Ids = None) -> TraceResult:
        """Everything downstream of the start: lots, serials, containers, shipments, customers."""
        return self._with_holds(self.engine.forward(TraceStart.of(lot, serial, container, supplier, material)))

    def backward(self, *, lot: Ids = None, serial: Ids = None, container: Ids = None) -> TraceResult:
        """Everything upstream of the start: lots, serials, suppliers, materials, steps, inspections."""
        return self._with_holds(self.engine.backward(TraceStart.of(lot, serial, container)))

    def recall_scope(self, *, lots: Ids = None, serials: Ids = None, containers: Ids = None,
                     suppliers: Ids = None, materials: Ids = None, actor: str | None = None,
                     why: str = "ad hoc recall scope") -> RecallScope:
        """The forward trace of a trigger, with where each affected item is now and counts per customer.

        The computation is audited (who, what it started from, what it reached) unless the graph is
        open read-only and so cannot record anything; scopes of record come from :meth:`recalls`."""
        start = TraceStart.of(lots, serials, containers, suppliers, materials)
        scope = self.engine.recall_scope(start)
        self._with_holds(scope.trace)
        if self.store.read_only:
            return scope
        self.audit.record(actor or self.user, "scope.compute", "trace", why,
                          before={"start": {k: list(v) for k, v in vars(start).items() if v}},
                          after={"counts": {g: len(v) for g, v in scope.trace.ids.items()},
                                 "hash": digest(scope.trace.ids)})
        return scope

    def supplier_exposure(self, supplier_id: str) -> SupplierExposure:
        exposure = self.engine.supplier_exposure(supplier_id)
        self._with_holds(exposure.trace)
        return exposure

    def received(self, customer_id: str) -> list[NodeRef]:
        """The lots and serials a customer received: loose, or inside a container when it was shipped."""
        return self.engine.received(customer_id)

    def record(self, kind: str, key: str) -> dict[str, Any]:
        """One record by kind and key; a record on hold carries its ``holds``."""
        if kind not in KINDS:
            raise NotFound(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
        found = self.store.get(kind, [key]).get(key)
        if found is None:
            raise NotFound(f"no {kind} with id {key!r}")
        holds = holds_on(self.store, [f"{kind}:{key}"])
        return {**found, **({"holds": holds[f'{kind}:{key}']} if holds else {})}

    def load_tables(self, directory: str | Path, progress: Progress | None = None, *, actor: str | None = None,
                    why: str = "load canonical tables") -> LoadReport:
        """Load a directory of tables as one batch, audited in the same transaction: files (SHA-256 of
        the bytes loaded), counts before and after, and every rejected record (file, row, field, reason,
        defect), which the quality report lists."""
        return load_tables(self.store, directory, progress, self._audited(actor, AUDIT_ACTION, why))

    def recalls(self, actor: str | None = None) -> RecallService:
        """The recall workflow, acting as ``actor`` (the graph's user by default)."""
        return RecallService(self, actor or self.user)

    def load_epcis(self, paths: list[str | Path], proceed: bool = False, *, actor: str | None = None,
                   why: str = "capture EPCIS events", rejected: list[RejectedEvent] | None = None) -> EpcisReport:
        """Capture EPCIS 2.0 documents; a document with invalid events loads nothing unless ``proceed``.

        Each document's batch is audited in its own transaction (file, SHA-256, events, records). Rejected
        events go into ``rejected`` (the report's list) document by document, so a caller keeps those of
        the documents already read when a later one fails to write or the load is interrupted."""
        load_epcis = extra_module("tracegraph.loaders.epcis", "standards", "loading EPCIS").load_epcis
        return load_epcis(self.store, paths, proceed, self._audited(actor, "load.epcis", why), rejected)

    def load_gudid(self, path: str | Path, *, actor: str | None = None,
                   why: str = "load GUDID device records") -> GudidReport:
        """Load one GUDID file as one batch, audited in the same transaction (file, SHA-256, counts)."""
        load_gudid = extra_module("tracegraph.loaders.gudid", "standards", "loading GUDID").load_gudid
        return load_gudid(self.store, path, self._audited(actor, "load.gudid", why))

    def copy_from(self, source: Store, name: str, *, actor: str | None = None,
                  why: str = "copy a graph") -> dict[str, int]:
        """Upsert every record and edge of ``source`` (a store at URL ``name``) into this graph.

        Each chunk is audited in its own transaction (source without its password, what it copied);
        chunk entries carry no counts, as counting every table per chunk would dominate a large copy.
        """
        audited = self._audited(actor, "copy", why, target="copy", counted=False)
        return copy_graph(source, self.store,
                          write=lambda batch, chunk: audited(batch, {"source": redact(name), **chunk}))

    def identify(self, text: str) -> Identification:
        """What a scanned or typed identifier means: its parts and the records it matches."""
        return _identifiers().identify(text, self.store)

    def start_of(self, text: str) -> TraceStart:
        """The trace start any identifier of a lot, serial or container names (never a guess)."""
        return _identifiers().trace_start(self.identify(text))

    def recall_notice(self, path: str | Path) -> Reading:
        """A recall notice file (openFDA device recall records) read: the lots, serials, catalog numbers and UDIs
        in its free text, each with the records it matches here or why it matches none."""
        return read_notice(self, path)

    def attachments(self, kind: str, key: str, at: str | None = None) -> list[Link]:
        """What is (or was, ``at`` a time) attached to a record or it to: EPCIS associations."""
        return self.engine.attachments((kind, key), at)

    def counts(self) -> dict[str, int]:
        return self.store.counts()

    def quality(self) -> QualityReport:
        """Data-quality findings and KPIs over the whole graph (see :mod:`tracegraph.quality`).

        The report is kept until the store is written (:meth:`Store.revision`), so a dashboard that pages
        through findings pays for one assessment, not one per page. Treat it as read-only."""
        revision = self.store.revision()
        kept = self._quality
        if revision is not None and kept is not None and kept[0] == revision:
            return kept[1]
        report = assess(self.store, self.engine)
        if revision is not None and self.store.revision() == revision:  # no write landed while it was assessed
            self._quality = (revision, report)
        return report

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _audited(self, actor: str | None, action: str, why: str, target: str = "load",
                 counted: bool = True) -> Writer:
        """A writer of batches, each with its audit entry (target ``<target>:<source>``) in one transaction."""
        def write(batch: Batch, source: dict[str, Any]) -> None:
            self.audit.write(actor or self.user, action, f"{target}:{source['source']}", why, batch, after=source,
                             counted=counted)
        return write

    def _with_holds(self, result: TraceResult) -> TraceResult:
        result.holds = holds_on(self.store, result.among(self.store.document_keys(HOLDS)))
        return result


def _identifiers() -> Any:
    """The identifier parsers (the ``[standards]`` extra), imported when first used."""
    return extra_module("tracegraph.identifiers", "standards", "identifier parsing")


def connect(url: str = "sqlite:///tracegraph.db", *, read_only: bool = False, create: bool = True,
            limits: Limits | None = None, user: str | None = None) -> Graph:
    """Open a graph by URL: ``sqlite:///trace.db`` (or a plain path) for the embedded store,
    ``neo4j://host:7687`` (``neo4j+s``, ``bolt``, ``bolt+s``) for Neo4j (the ``[neo4j]`` extra).
    An embedded store's file is made if absent, unless ``create`` is False (then NoDatabase)."""
    return Graph(open_store(url, read_only=read_only, create=create), limits, user)
