"""GS1 EPCIS capture: events become the genealogy graph, each edge keeping its source eventIDs.

- ObjectEvent ADD (commissioning, ILMD): serials and lots with lot, expiry and production date;
- TransformationEvent: every input consumed into every output, per transformationID (or event), replayed
  over every held event of the transformation;
- AggregationEvent / AssociationEvent: time-bounded PACKED_IN / ATTACHED_TO, replayed per parent (the record
  its parentID names, however spelled: an SSCC as EPC URN or as Digital Link on any domain is one parent, and
  each spelling captured is kept as its Identifier) over every held event, so any capture order, spelling or
  split into documents gives the same intervals, evidence and retractions (an interval an earlier, partial
  replay opened stays, closed empty; one another source, such as the WMS tables, recorded for the parent is
  left as it is); OBSERVE confirms (or opens);
- shipping / receiving (Object or TransactionEvent): Shipment, Customer and SHIPPED_IN;
- bizTransactionList: REFERS_TO business documents;
- errorDeclaration: never deletes. An erroneous event never happened (the rule is in
  :mod:`tracegraph.trace.engine`): an erroneous ADD or OBSERVE opens no interval (it is kept as an edge
  of its own), an erroneous DELETE closes none, and an edge whose every source event is erroneous gets
  ``retracted_at`` (a consumption: every event naming its input, or every one naming its output).

One document is one batch (GS1 "rollback"): any invalid event rejects the whole document, unless
``proceed`` loads the valid ones. Re-capturing an event already held changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BadInput, LoadError
from ..identifiers import identifier_forms, parse, record_keys
from ..schema import KINDS, RELS, normalize_datetime
from ..store import Batch, Edge, NodeRef, Store, Writer, plain_writer
from .epcis_document import ILMD_EXPIRY, ILMD_PRODUCTION, Document, Event, bare, event_problems, read_document, short

_SHIP_STEPS = {"shipping", "departing"}
_GS1_PATH = re.compile(r"^https?://[^?#]*/(00|01)/\d")  # a Digital Link of an SSCC or GTIN
UNKNOWN_RECEIVER = "unknown-receiver"  # the Customer of a shipment whose event names no destination
_RECEIVE_STEPS = {"receiving", "arriving", "accepting"}
_EVIDENCE_RELS = [name for name, rel in RELS.items() if any(f.name == "evidence" for f in rel.fields)]
# time-bounded memberships: (event type, relationship, start field, end field), each replayed per parent
_MEMBERSHIPS = (("AggregationEvent", "PACKED_IN", "packed_at", "unpacked_at"),
                ("AssociationEvent", "ATTACHED_TO", "attached_at", "detached_at"))
# edges derived from every held event of their parent or transformation: held evidence is not merged in
_REPLAYED_RELS = {rel for _, rel, _, _ in _MEMBERSHIPS} | {"CONSUMED_INTO"}


def _edge_key(rel: str, src: NodeRef, dst: NodeRef, props: dict[str, Any]) -> tuple[Any, ...]:
    """What tells two edges of a batch apart: their ends and the relationship's identity fields."""
    return (rel, src, dst, tuple(props.get(n) for n in RELS[rel].identity))


@dataclass(frozen=True)
class RejectedEvent:
    file: str  # as given to the loader (so is every LoadError's), not its base name
    index: int  # 1-based position in the document's event list
    event_id: str | None
    reason: str


@dataclass
class EpcisReport:
    documents: int = 0
    captured: int = 0  # events new to the store (or newly declared erroneous)
    recaptured: int = 0  # events already held unchanged: nothing written for them
    rejected: list[RejectedEvent] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)  # documents not loaded because of rejected events
    warnings: list[str] = field(default_factory=list)
    written: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Thing:
    """What an EPC or EPC class names in our graph."""

    kind: str  # Lot, Serial, Container, Product (a class without lot) or Asset
    key: str
    parts: dict[str, str]

    @property
    def ref(self) -> NodeRef:
        return (self.kind, self.key)


def read_thing(uri: str) -> Thing:
    """An EPC URN, Digital Link or other URI to the record it names."""
    if uri.startswith(("urn:epc:", "http://", "https://")) and not uri.startswith("urn:epc:id:sgln"):
        try:
            parts = parse(uri).parts
        except BadInput:
            if uri.startswith("urn:epc:id:sscc:"):  # real documents carry short SSCCs: keep them, opaque
                return Thing("Container", uri, {"malformed": "true"})
            if uri.startswith(("urn:epc:id:sgtin", "urn:epc:class:lgtin", "urn:epc:idpat:sgtin")) or _GS1_PATH.search(uri):
                raise  # a GS1 key with a bad check digit or form is an error, not some other thing
            parts = {}
        keys = record_keys(parts)
        for kind in ("Container", "Serial", "Lot", "Product"):
            if kind in keys:
                return Thing(kind, keys[kind], parts)
    if ":lot:class:" in uri:  # GDST-style lot classes: <domain>:product:lot:class:<company>.<product>.<lot>
        product = uri.replace(":lot:class:", ":class:").rsplit(".", 1)[0]
        return Thing("Lot", uri, {"product": product})
    return Thing("Asset", uri, {})


def event_id(event: Event) -> str:
    """The event's eventID, or a content hash (not the CBV event hash) where it has none."""
    if event.get("eventID"):
        return str(event["eventID"])
    content = {k: v for k, v in event.items() if k not in ("recordTime", "errorDeclaration")}
    return "urn:tracegraph:event:sha256:" + hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _capture(event: Event) -> str:
    return json.dumps({k: v for k, v in event.items() if k not in ("recordTime", "errorDeclaration")}, sort_keys=True)


class EpcisLoader:
    def __init__(self, store: Store, proceed: bool = False, write: Writer | None = None,
                 rejected: list[RejectedEvent] | None = None) -> None:
        self.store = store
        self.proceed = proceed
        self.write = write or plain_writer(store)
        self.report = EpcisReport(rejected=[] if rejected is None else rejected)  # the caller's list, filled in place

    # -- per document --------------------------------------------------------------------------
    def load(self, paths: Iterable[str | Path]) -> EpcisReport:
        files = [Path(p) for p in paths]
        for path in files:  # a mistyped name among many stops them all, not the rest half-way through
            if not path.is_file():
                raise LoadError("no such file (nothing was loaded)", file=str(path))
        for path in files[1:]:  # so does one that cannot be read as a document (the first stops them anyway);
            read_document(path)  # read again below, so one document at a time is held in memory
        for path in files:
            self._load_document(read_document(path))
        return self.report

    def _load_document(self, doc: Document) -> None:
        self.report.documents += 1
        valid: list[tuple[str, Event]] = []
        rejected = []
        for index, event in enumerate(doc.events, start=1):
            problems = event_problems(event, read_thing)
            eid = event_id(event) if isinstance(event, dict) else None
            if problems:  # the file as it was given: two documents of one name in two folders stay apart
                rejected += [RejectedEvent(doc.path, index, eid, p) for p in problems]
            else:
                valid.append((eid, event))  # type: ignore[arg-type]
        self.report.rejected += rejected
        if rejected and not self.proceed:
            self.report.rolled_back.append(doc.path)
            return
        fresh = self._fresh(valid, Path(doc.path).name)
        if fresh:
            builder = _Builder(self.store, doc, self.report)
            batch = builder.build(fresh)
            written: Counter[str] = Counter({kind: len(records) for kind, records in batch.nodes.items()})
            for rel, edges in batch.edges.items():
                identity = RELS[rel].identity
                written[rel] += len({(e.src, e.dst, *(e.props.get(n) for n in identity)) for e in edges})
            self.write(batch, {"source": str(Path(doc.path).resolve()), "files": {Path(doc.path).name: doc.sha256},
                               "events": len(doc.events), "captured": len(fresh), "rejected": len(rejected),
                               "written": dict(written)})
            self.report.written.update(written)

    def _fresh(self, events: list[tuple[str, Event]], source: str) -> list[tuple[str, Event, dict[str, Any]]]:
        """Events not already held unchanged, each with the Event record to write."""
        held = self.store.get("Event", {eid for eid, _ in events})
        records: dict[str, dict[str, Any]] = {}
        out = []
        for eid, event in events:
            record = records.get(eid) or _event_record(eid, event, source, held.get(eid))
            captures = json.loads(record["captures"])
            capture = json.loads(_capture(event))
            declaration = event.get("errorDeclaration")
            declared = normalize_datetime(declaration["declarationTime"]) if declaration else None
            unchanged = capture in captures and declared in (None, record["error_declared_at"])
            if unchanged and eid in held and eid not in records:
                self.report.recaptured += 1
                continue
            if capture not in captures:
                captures.append(capture)
                if len(captures) > 1:
                    self.report.warnings.append(f"eventID {eid} was captured with {len(captures)} different contents")
            record["captures"] = json.dumps(captures, sort_keys=True)
            if declaration:
                record["error_declared_at"] = declared
                record["error_reason"] = short(declaration.get("reason"))
                record["corrective_event_ids"] = json.dumps(declaration.get("correctiveEventIDs") or [])
            records[eid] = record
            self.report.captured += 1
            out.append((eid, event, record))
        return out


def _event_record(eid: str, event: Event, source: str, held: dict[str, Any] | None) -> dict[str, Any]:
    if held is not None:
        return dict(held)
    return {"event_id": eid, "event_type": event["type"], "event_time": normalize_datetime(event["eventTime"]),
            "action": event.get("action"), "biz_step": short(event.get("bizStep")),
            "disposition": short(event.get("disposition")), "parent_id": event.get("parentID"),
            "transformation_id": event.get("transformationID") or None, "source": source, "captures": "[]",
            "error_declared_at": None, "error_reason": None, "corrective_event_ids": None}


def _party(entries: list[dict[str, Any]] | None, key: str) -> str | None:
    """The owning party of a source or destination list, else the possessing party, else the location."""
    by_type = {short(e.get("type")): e[key] for e in entries or []}
    return by_type.get("owning_party") or by_type.get("possessing_party") or by_type.get("location")


def _ilmd(event: Event) -> dict[str, str]:
    """ILMD fields by their bare name (``cbvmda:lotNumber`` -> ``lotNumber``)."""
    return {bare(k): v for k, v in (event.get("ilmd") or {}).items() if isinstance(v, str)}


class _Builder:
    """Derives one batch from a document's fresh events (plus the held events a replay needs)."""

    def __init__(self, store: Store, doc: Document, report: EpcisReport) -> None:
        self.store, self.doc, self.report = store, doc, report
        self.batch = Batch()
        self.records: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # kind -> key -> record
        self.edges: dict[tuple[Any, ...], Edge] = {}
        self.support: dict[tuple[Any, ...], list[set[str]]] = {}  # edge key -> event sets each of which it needs
        self.events: dict[str, dict[str, Any]] = {}  # event records by id (this batch)
        self.containers: set[str] = set()
        self.malformed: set[str] = set()
        self.shipped_to: dict[str, set[str]] = defaultdict(set)  # shipment -> events behind its customer

    # -- records -----------------------------------------------------------------------------
    def _put(self, kind: str, key: str, **values: Any) -> None:
        """Add or enrich a record; empty values never overwrite known ones."""
        record = self.records[kind].setdefault(key, {KINDS[kind].key: key})
        record.update({k: v for k, v in values.items() if v is not None})

    def _thing(self, uri: str) -> Thing:
        thing = read_thing(uri)
        if thing.kind in ("Serial", "Lot") and thing.key in self.containers:
            thing = Thing("Container", thing.key, thing.parts)  # a serialised case used as a parent
        parts = thing.parts
        if thing.kind == "Serial":
            self._product(parts["gtin"])
            self._put("Serial", thing.key, product_id=parts["gtin"])
        elif thing.kind == "Lot":
            item = parts.get("gtin") or parts["product"]
            self._product(item)
            self._put("Lot", thing.key, item_id=item)
        elif thing.kind == "Container":
            self._put("Container", thing.key, sscc=parts.get("sscc"))
            if parts.get("malformed") and thing.key not in self.malformed:
                self.malformed.add(thing.key)
                self.report.warnings.append(f"{thing.key} is not a valid SSCC URN; kept as an opaque container id")
        elif thing.kind == "Product":
            self._product(thing.key)
        else:
            self._put("Asset", thing.key)
        for form, scheme in identifier_forms(parts):
            if form != thing.key:
                self._put("Identifier", form, scheme=scheme)
                self._edge("IDENTIFIES", ("Identifier", form), thing.ref)
        return thing

    def _product(self, product_id: str) -> None:
        self._put("Product", product_id, name=self.doc.names.get(product_id))

    def _edge(self, rel: str, src: NodeRef, dst: NodeRef, evidence: Iterable[str] = (), **props: Any) -> None:
        key = _edge_key(rel, src, dst, props)
        edge = self.edges.get(key)
        if edge is None:
            edge = self.edges[key] = Edge(rel, src, dst, {**props, "evidence": set()})
        edge.props.update({k: v for k, v in props.items() if v is not None})
        if "evidence" in edge.props:
            edge.props["evidence"].update(evidence)

    # -- derivation ---------------------------------------------------------------------------
    def build(self, fresh: list[tuple[str, Event, dict[str, Any]]]) -> Batch:
        self.containers = {e["parentID"] for _, e, _ in fresh
                           if e["type"] == "AggregationEvent" and e.get("parentID")}
        self.containers = {read_thing(c).key for c in self.containers} | set(
            self.store.get("Container", {read_thing(u).key for _, e, _ in fresh for u in self._uris(e)}))
        for eid, event, record in fresh:
            self.events[eid] = record
        parents: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # kind -> key -> spellings
        transformations: set[str] = set()
        for eid, event, _ in sorted(fresh, key=lambda f: f[2]["event_time"]):
            kind = event["type"]
            if kind in ("AggregationEvent", "AssociationEvent") and event.get("parentID"):
                parents[kind][read_thing(event["parentID"]).key].add(event["parentID"])
            elif kind == "TransformationEvent":
                transformations.add(event.get("transformationID") or eid)
            self._object(eid, event)
        for kind, rel, start, end in _MEMBERSHIPS:
            named = {min(spellings): spellings for spellings in parents[kind].values()}
            read = {uri: self._thing(uri) for uri in named}  # each parent's record, made once for all its spellings
            related = self._related("parent_id", self._spellings(named, read), fresh, kind)
            things = {uri: self._parent(rel, thing) for uri, thing in read.items()}
            members: dict[NodeRef, list[Edge]] = defaultdict(list)  # what the store holds in each, read once
            for edge in self.store.edges(rel, {thing.ref for thing in things.values()}, "in"):
                members[edge.dst].append(edge)
            for uri in sorted(named, key=lambda uri: things[uri].key):
                self._replay(rel, start, end, things[uri], related[uri], members[things[uri].ref])
        related = self._related("transformation_id", {tid: {tid} for tid in transformations}, fresh,
                                "TransformationEvent")
        for tid in sorted(transformations):
            self._transformation(tid, related[tid])
        self._ship_to()
        return self._finish()

    @staticmethod
    def _uris(event: Event) -> list[str]:
        return [u for n in ("epcList", "childEPCs", "inputEPCList", "outputEPCList") for u in event.get(n) or []] + \
            [q["epcClass"] for n in ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
             for q in event.get(n) or []]

    def _spellings(self, parents: dict[str, set[str]], things: dict[str, Thing]) -> dict[str, set[str]]:
        """Every spelling of each parent (parent URI -> this batch's spellings of it; an SSCC as EPC URN or as
        Digital Link on any domain, ...; ``things``: parent URI -> its record): this batch's, the standard
        forms, and those earlier captures wrote (one store read for all parents); this batch's are kept as
        Identifiers for later."""
        stored: dict[NodeRef, set[str]] = defaultdict(set)
        for edge in self.store.edges("IDENTIFIES", {thing.ref for thing in things.values()}, "in"):
            stored[edge.dst].add(edge.src[1])
        out = {}
        known = self.records["Identifier"]  # this batch's, growing as the loop adds to it
        for uri, thing in things.items():
            forms = {thing.key, *parents[uri], *(form for form, _ in identifier_forms(thing.parts))}
            for form in sorted(f for f in forms if f != thing.key and f not in known):
                self._put("Identifier", form, scheme="epc" if form.startswith("urn:epc:") else "digital-link")
                self._edge("IDENTIFIES", ("Identifier", form), thing.ref)
            out[uri] = forms | stored[thing.ref]
        return out

    def _related(self, column: str, groups: dict[str, set[str]], fresh: list[tuple[str, Event, dict[str, Any]]],
                 kind: str) -> dict[str, list[tuple[str, Event]]]:
        """For each group (a parent, a transformation) every capture of events of ``kind`` whose ``column`` is
        one of the group's values, held ones and this batch's, in time order. One store read and one pass over
        the events for all groups: a document with thousands of parents is not read once per parent."""
        values = set().union(*groups.values())
        field_name = {"parent_id": "parentID", "transformation_id": "transformationID"}[column]
        held = self.store.get("Event", self.store.find("Event", column, values)) if values else {}
        for eid, record in held.items():
            self.events.setdefault(eid, record)
        found: dict[str, dict[tuple[str, str], tuple[str, Event]]] = defaultdict(dict)
        for eid in dict.fromkeys(list(held) + [e for e, _, _ in fresh]):
            for capture in json.loads(self.events[eid]["captures"]):  # matched per capture: ids repeat
                if capture["type"] == kind and (value := capture.get(field_name)) in values:
                    found[value][(eid, json.dumps(capture, sort_keys=True))] = (eid, capture)
        if kind == "TransformationEvent":  # events without a transformationID are keyed by their eventID
            for eid, event, _ in fresh:
                if eid in values and not event.get("transformationID"):
                    found[eid][(eid, _capture(event))] = (eid, event)
        return {group: sorted({k: v for value in group_values for k, v in found[value].items()}.values(),
                              key=lambda p: (normalize_datetime(p[1]["eventTime"]), p[0]))
                for group, group_values in groups.items()}

    def _declared(self, eid: str) -> str | None:
        return self.events[eid].get("error_declared_at")

    def _object(self, eid: str, event: Event) -> None:
        """Records, ILMD, shipments and business documents of one event."""
        when = normalize_datetime(event["eventTime"])
        ilmd = _ilmd(event)
        step = short(event.get("bizStep")) or ""
        things = [self._thing(u) for u in event.get("epcList") or []]
        classes = [(self._thing(q["epcClass"]), q) for q in event.get("quantityList") or []]
        if event.get("parentID"):
            self._thing(event["parentID"])
        items = [self._thing(u) for u in self._uris(event)]
        if event.get("action") == "ADD" and event["type"] == "ObjectEvent":
            self._commission(eid, when, ilmd, things + [t for t, _ in classes], {t.key: q for t, q in classes})
        if event["type"] in ("ObjectEvent", "TransactionEvent") and step in _SHIP_STEPS | _RECEIVE_STEPS:
            self._shipment(eid, event, when, step, things, classes)
        if event["type"] == "TransformationEvent":
            outputs = [(self._thing(q["epcClass"]), q) for q in event.get("outputQuantityList") or []]
            items = [self._thing(u) for u in (event.get("outputEPCList") or [])] + [t for t, _ in outputs]
            self._commission(eid, when, ilmd, items, {t.key: q for t, q in outputs})
        for entry in event.get("bizTransactionList") or []:
            document = entry["bizTransaction"]
            self._put("BizTransaction", document, type=short(entry.get("type")))
            targets = [t.ref for t in items if t.kind in ("Lot", "Serial", "Container")]
            if event["type"] == "TransformationEvent":
                targets = [("ProcessStep", event.get("transformationID") or eid)]
            for ref in targets:
                self._edge("REFERS_TO", ref, ("BizTransaction", document), [eid])

    def _commission(self, eid: str, when: str, ilmd: dict[str, str], things: list[Thing],
                    quantities: dict[str, dict[str, Any]]) -> None:
        expiry = next((ilmd[n] for n in ILMD_EXPIRY if ilmd.get(n)), None)  # dates checked by event_problems
        produced = next((ilmd[n] for n in ILMD_PRODUCTION if ilmd.get(n)), None)
        expires_at = normalize_datetime(expiry) if expiry else None
        created_at = normalize_datetime(produced) if produced else when
        for thing in things:
            if thing.kind == "Lot":
                q = quantities.get(thing.key, {})
                self._put("Lot", thing.key, created_at=created_at, expires_at=expires_at,
                          quantity=float(q["quantity"]) if q.get("quantity") is not None else None, uom=q.get("uom"))
            elif thing.kind == "Serial":
                lot = None
                if ilmd.get("lotNumber"):
                    lot = record_keys({"gtin": thing.parts["gtin"], "lot": ilmd["lotNumber"]})["Lot"]
                    self._put("Lot", lot, item_id=thing.parts["gtin"], expires_at=expires_at, created_at=created_at)
                    self._edge("HAS_SERIAL", ("Lot", lot), thing.ref, [eid])
                self._put("Serial", thing.key, lot_id=lot, created_at=created_at)

    def _shipment(self, eid: str, event: Event, when: str, step: str, things: list[Thing],
                  classes: list[tuple[Thing, dict[str, Any]]]) -> None:
        """A shipping event makes a Shipment; a receiving event marks the shipment naming the same documents."""
        documents = sorted({e["bizTransaction"] for e in event.get("bizTransactionList") or []})
        receiver = _party(event.get("destinationList"), "destination")
        if step in _RECEIVE_STEPS:
            receiver = receiver or (event.get("bizLocation") or {}).get("id")
            shipment = self._shipment_naming(documents)
            if shipment is None:
                if receiver is None:
                    return  # a receipt naming neither a known shipment nor a receiver: evidence only (the Event)
                shipment = f"receipt:{eid}"
                self._put("Shipment", shipment, shipped_at=when, customer_id=receiver)
            record = self.records["Shipment"].get(shipment) or self.store.get("Shipment", [shipment])[shipment]
            customer = record.get("customer_id")
            if customer in (None, UNKNOWN_RECEIVER) and receiver:
                customer = receiver
            self._put("Shipment", shipment, customer_id=customer, shipped_at=record["shipped_at"],
                      attributes={**(record.get("attributes") or {}), "received_at": when, "receiving_event": eid})
        else:
            advices = [e["bizTransaction"] for e in event.get("bizTransactionList") or []
                       if short(e.get("type")) == "desadv"]
            shipment = advices[0] if advices else eid
            source = _party(event.get("sourceList"), "source")
            known = (self.records["Shipment"].get(shipment) or self.store.get("Shipment", [shipment]).get(shipment)
                     or {}).get("customer_id")  # a capture without destinationList does not forget the receiver
            self._put("Shipment", shipment, shipped_at=when, customer_id=receiver or known or UNKNOWN_RECEIVER,
                      attributes={"shipping_event": eid, **({"source": source} if source else {})})
        record = self.records["Shipment"][shipment]
        self.shipped_to[shipment].update({eid, (record.get("attributes") or {}).get("shipping_event")} - {None})
        for document in documents:
            self._edge("REFERS_TO", ("Shipment", shipment), ("BizTransaction", document), [eid])
        for thing in things:
            if thing.kind in ("Lot", "Serial", "Container"):
                self._edge("SHIPPED_IN", thing.ref, ("Shipment", shipment), [eid], quantity=1.0)
        for thing, q in classes:
            if thing.kind == "Lot":
                self._edge("SHIPPED_IN", thing.ref, ("Shipment", shipment), [eid],
                           quantity=float(q["quantity"]) if q.get("quantity") is not None else None, uom=q.get("uom"))

    def _ship_to(self) -> None:
        """SHIPPED_TO and the Customer of each shipment from its final record (one customer per shipment):
        a later event of the batch may name the receiver an earlier one left out."""
        for shipment, evidence in sorted(self.shipped_to.items()):
            customer = self.records["Shipment"][shipment]["customer_id"]
            self._edge("SHIPPED_TO", ("Shipment", shipment), ("Customer", customer), evidence)
            self._put("Customer", customer, name=self.doc.names.get(customer) or (
                "Unknown receiver (the shipping event has no destinationList)" if customer == UNKNOWN_RECEIVER
                else customer))

    def _shipment_naming(self, documents: list[str]) -> str | None:
        """The first shipment (this batch's or held) that names one of these business documents."""
        wanted = {("BizTransaction", d) for d in documents}
        found = {e[1][1] for e in self.edges if e[0] == "REFERS_TO" and e[1][0] == "Shipment" and e[2] in wanted}
        found.update(e.src[1] for e in self.store.edges("REFERS_TO", wanted, "in") if e.src[0] == "Shipment")
        found.update(d for d in documents if d in self.records["Shipment"] or self.store.get("Shipment", [d]))
        return min(found) if found else None

    def _parent(self, rel: str, parent: Thing) -> Thing:
        """A parent's record as a parent of ``rel`` (a serialised case is its Container)."""
        if parent.kind not in RELS[rel].target:
            parent = Thing(RELS[rel].target[0], parent.key, parent.parts)
            self._put(parent.kind, parent.key)
        return parent

    def _replay(self, rel: str, start: str, end: str, parent: Thing, events: list[tuple[str, Event]],
                members: list[Edge]) -> None:
        """Time-bounded membership of one parent, from all its aggregation (association) events in time order;
        ``members``: the parent's ``rel`` edges the store holds."""
        open_: dict[NodeRef, dict[str, Any]] = {}
        wrong: list[dict[str, Any]] = []  # opened by erroneous events only: kept, retracted in _finish
        intervals: list[dict[str, Any]] = []
        for eid, event in events:
            when = normalize_datetime(event["eventTime"])
            declared = self._declared(eid)
            children = [self._thing(u) for u in event.get("childEPCs") or []] + [
                self._thing(q["epcClass"]) for q in event.get("childQuantityList") or []]
            refs = [c.ref for c in children if c.kind in RELS[rel].source]
            if event["action"] in ("ADD", "OBSERVE"):
                for ref in refs:
                    if ref in open_:
                        if declared is None:  # an erroneous event confirms nothing
                            open_[ref]["evidence"].add(eid)
                    elif declared is not None:
                        wrong.append({"child": ref, "start": when, "end": None, "evidence": {eid}})
                    else:
                        open_[ref] = {"child": ref, "start": when, "end": None, "evidence": {eid}}
                        intervals.append(open_[ref])
            elif declared is None:  # DELETE (an erroneous one closes nothing)
                for ref in (refs or list(open_)):
                    if ref in open_:
                        interval = open_.pop(ref)
                        interval["end"] = when
                        interval["evidence"].add(eid)
        made = set()
        for interval in wrong + intervals:  # a live interval opened at the same moment has the last word
            self._edge(rel, interval["child"], parent.ref, interval["evidence"],
                       **{start: interval["start"], end: interval["end"]})
            edge = self.edges[(rel, interval["child"], parent.ref, (interval["start"],))]
            edge.props[end] = interval["end"]  # a replay may reopen what an erroneous DELETE closed
            made.add((interval["child"], interval["start"]))
        replayed = {eid for eid, _ in events}
        for held in members:
            evidence = json.loads(held.props.get("evidence") or "[]")
            if (held.src, held.props[start]) not in made and replayed.intersection(evidence):
                # an interval an earlier, partial replay opened (e.g. an OBSERVE captured before its ADD):
                # the store keeps no deletes, so it is closed at its own start, empty, with its evidence.
                # Intervals no event of this parent made (another source's, e.g. the WMS tables) stay.
                self._edge(rel, held.src, parent.ref, evidence, **{start: held.props[start]})
                self.edges[(rel, held.src, parent.ref, (held.props[start],))].props[end] = held.props[start]

    def _transformation(self, tid: str, events: list[tuple[str, Event]]) -> None:
        """Every input of the transformation consumed into every output, in one process step.

        The events sharing a transformationID are one transformation, but each names only its own inputs
        and outputs: input i -> output o holds while a live event names i as an input and a live event
        names o as an output. Its evidence is those naming events; it is retracted once all the events
        naming i, or all those naming o, are erroneous (``self.support``, read in :meth:`_finish`)."""
        live = [(eid, e) for eid, e in events if self._declared(eid) is None]
        inputs: dict[NodeRef, tuple[float | None, str | None]] = {}
        named_in: dict[NodeRef, set[str]] = defaultdict(set)
        named_out: dict[NodeRef, set[str]] = defaultdict(set)
        started = min(normalize_datetime(e["eventTime"]) for _, e in live or events)
        operation = next((short(e.get("bizStep")) for _, e in events if e.get("bizStep")), None) or "transformation"
        order = next((b["bizTransaction"] for _, e in events for b in e.get("bizTransactionList") or []
                      if short(b.get("type")) == "prodorder"), tid)
        # erroneous events first, so a live event naming an input gives its quantity
        for eid, event in sorted(events, key=lambda p: self._declared(p[0]) is None):
            for uri in event.get("inputEPCList") or []:
                ref = self._thing(uri).ref
                inputs[ref] = (1.0, None)
                named_in[ref].add(eid)
            for q in event.get("inputQuantityList") or []:
                ref = self._thing(q["epcClass"]).ref
                inputs[ref] = (float(q["quantity"]) if q.get("quantity") is not None else None, q.get("uom"))
                named_in[ref].add(eid)
            for uri in (event.get("outputEPCList") or []) + [q["epcClass"] for q in
                                                             event.get("outputQuantityList") or []]:
                named_out[self._thing(uri).ref].add(eid)
        skipped = sorted(r[1] for r in set(inputs) | set(named_out) if r[0] not in ("Lot", "Serial"))
        if skipped:
            self.report.warnings.append(f"transformation {tid}: {', '.join(skipped)} name(s) a product class "
                                        f"without lot or serial, so no genealogy link was made for it")
        self._put("ProcessStep", tid, work_order=order, operation=operation, started_at=started)
        for src, (quantity, uom) in inputs.items():
            for dst in named_out:
                if src[0] in ("Lot", "Serial") and dst[0] in ("Lot", "Serial") and src != dst:
                    self._edge("CONSUMED_INTO", src, dst, named_in[src] | named_out[dst], step_id=tid,
                               quantity=quantity, uom=uom, consumed_at=started)
                    key = _edge_key("CONSUMED_INTO", src, dst, {"step_id": tid})
                    self.support[key] = [named_in[src], named_out[dst]]

    # -- writing ------------------------------------------------------------------------------
    def _finish(self) -> Batch:
        """Merge with held records and edges (no field or evidence is lost), mark retractions, batch it."""
        for kind, records in self.records.items():
            held = self.store.get(kind, records)
            for key, record in records.items():
                merged = {**held.get(key, {}), **{k: v for k, v in record.items() if v is not None}}
                if kind == "Product" and not merged.get("name"):
                    merged["name"] = key
                if kind == "Lot" and not merged.get("item_id"):
                    continue
                self.batch.add_node(kind, merged)
        for record in self.events.values():
            self.batch.add_node("Event", record)
        by_rel: dict[str, list[Edge]] = defaultdict(list)
        for edge in self.edges.values():
            by_rel[edge.rel].append(edge)
        declared = {eid: r.get("error_declared_at") for eid, r in self.events.items()}
        final: list[Edge] = []
        for rel, edges in by_rel.items():
            has_evidence = rel in _EVIDENCE_RELS
            if has_evidence:
                self._merge_held_evidence(rel, edges, declared)
            for edge in edges:
                props = dict(edge.props)
                evidence = props.pop("evidence")
                if has_evidence:
                    props["evidence"] = json.dumps(sorted(evidence))
                    if any(f.name == "retracted_at" for f in RELS[rel].fields):
                        support = self.support.get(_edge_key(rel, edge.src, edge.dst, props), [evidence])
                        props["retracted_at"] = _retracted_at(support, declared)
                final.append(Edge(rel, edge.src, edge.dst, props))
        self.batch.derive_edges(lambda item: "Product")
        for edge in final:  # after the derived edges, so HAS_SERIAL keeps its evidence
            self.batch.add_edge(edge)
        return self.batch

    def _merge_held_evidence(self, rel: str, edges: list[Edge], declared: dict[str, str | None]) -> None:
        """Add the held edges' evidence, and the declarations of every event behind ``edges``.

        A replayed edge already has its evidence from every held event of its parent or transformation:
        merging would add events the replay put elsewhere or that no longer count (a DELETE after a retracted
        ADD, a transformation event naming neither end), making the result depend on how the events were
        split into documents."""
        if rel not in _REPLAYED_RELS:
            held = {_edge_key(rel, e.src, e.dst, e.props): e for e in self.store.edges(rel, {e.src for e in edges}, "out")}
            for edge in edges:
                old = held.get(_edge_key(rel, edge.src, edge.dst, edge.props))
                if old is not None and old.props.get("evidence"):
                    edge.props["evidence"].update(json.loads(old.props["evidence"]))
        missing = {e for edge in edges for e in edge.props["evidence"] if e not in declared}
        for eid, record in self.store.get("Event", missing).items():
            declared[eid] = record.get("error_declared_at")


def _retracted_at(support: list[set[str]], declared: dict[str, str | None]) -> str | None:
    """When an edge stopped holding: it needs a live event in each of its ``support`` sets, so it is retracted
    once one set is all erroneous, at that set's last declaration (the earliest such moment)."""
    lost = [max(times) for events in support if (times := [declared.get(e) for e in events]) and all(times)]
    return min(lost) if lost else None  # type: ignore[type-var]


def load_epcis(store: Store, paths: Iterable[str | Path], proceed: bool = False,
               write: Writer | None = None, rejected: list[RejectedEvent] | None = None) -> EpcisReport:
    """Capture EPCIS documents; see the module docstring for what each event becomes.

    ``write`` writes each document's batch with its source (file, SHA-256, counts); by default alone.
    ``rejected`` (the report's list) receives each document's rejected events as it is read, so they
    are known even when a later document fails to write.
    """
    return EpcisLoader(store, proceed, write, rejected).load(paths)
