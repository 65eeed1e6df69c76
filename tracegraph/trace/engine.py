"""The trace semantics, in one place.

Genealogy: lots and serials linked by CONSUMED_INTO (input -> output, in a process step) and
HAS_SERIAL (a lot -> the units built in it). A forward trace follows them downstream, a backward
trace upstream. Process steps are never traversed, so a sibling batch of the same work order that
did not consume the start stays out of scope. Both directions add the context of the reached lots
and serials: suppliers, materials, products, the process steps of the consumptions among them and
the inspections of them or of those steps. Containers, shipments and customers that held or carried
a reached item belong to forward traces (a backward trace lists only start containers and what was
nested in them).

Containment is time-bounded: an item is inside a container from packed_at (inclusive) until
unpacked_at (exclusive), and inside an outer container only while both hold (the intervals
intersect). A shipment of a container at time t carries exactly what was inside it at t; a
container reached by a trace is in scope only through what it held.

Starts: a supplier stands for its lots, a material for the lots of it, and a container for
everything that was ever inside it, nested contents only while their parent was inside (the same
time-bounded rule). Start suppliers, materials and containers are in their groups even when they
lead nowhere.

Recall whereabouts: a lot is ``in_stock`` while any of it is left on site (its quantity less what
was consumed and shipped loose, in its unit: ``remaining``) or any of its units is, even if the
rest was consumed or shipped, so a hold list from the in-stock items misses no partial lot. Each
unit of a serialised lot that was shipped (loose or in a container) or consumed takes one from its
lot, in a count unit (``EA``, ``H87``, ``C62`` or none). Otherwise (nothing left, or the records
cannot tell: no quantity, a use without quantity or in another unit, a lot shipped inside a
container) the furthest it or its units went decides: shipped, else consumed, else in stock. A
serialised lot's units have their own whereabouts (the lot lists only its own shipments and
consumptions). ``containers`` are those it is packed in now (a lot may be split between several).

Explanations (``explain``): a chain of records (edges with their properties) from the start to
the target, each link joined to the next, time-consistent through containers; a shortest one by
number of links, ties going to the smaller ids. A process step is explained by a consumption
recorded in it, an inspection through its subject or its step. From a container start the chain
begins with the packing links down to the start item; it is shortest for lots and serials, and for
a container, shipment or customer it is a valid chain that may not be the shortest.

Retractions: an event declared erroneous (EPCIS errorDeclaration) never happened, whenever the
declaration came. An edge whose every source event was declared erroneous (a shipment, packing or
attachment), or a consumption whose input, or whose output, no live event of its transformation names,
carries ``retracted_at`` and counts nowhere and at no time: not in traces,
whereabouts, remaining quantities, explanations, triggers, quality checks or drawings. It is kept,
never deleted, for the audit. Read edges that can be retracted through :func:`live_edges`. Links keep
their ``evidence`` (source eventIDs), which :meth:`TraceResult.evidence` returns with the chain that
explains a reached record.

Every backend gives these answers because the rules are applied here, on top of the store's
set-at-a-time primitives (``reach``, ``edges``, ``get``, ``find``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import BadInput, LimitExceeded, NotFound
from ..gcpause import paused_gc
from ..schema import GENEALOGY_RELS, KINDS, RELS, normalize_datetime
from ..store import Direction as EdgeDirection
from ..store import Edge, NodeRef, Store
from .model import GROUP_OF_KIND, GROUPS, KIND_OF_GROUP, Held, Limits, Link, TraceStart, Whereabouts, within

Direction = Literal["forward", "backward"]
_ITEM_KINDS = ("Lot", "Serial")
_COUNT_UOMS = frozenset({"EA", "H87", "C62"})  # each, piece, one (UN/CEFACT): a unit counts as 1 of these


def live(edges: Iterable[Edge]) -> Iterator[Edge]:
    """The edges that count: a retracted one (see the module docstring) counts nowhere."""
    return (e for e in edges if not e.props.get("retracted_at"))


def live_edges(store: Store, rel: str, nodes: Iterable[NodeRef], direction: EdgeDirection) -> list[Edge]:
    """:meth:`Store.edges` without the retracted ones: how trace meaning reads any relationship."""
    return list(live(store.edges(rel, nodes, direction)))


def link_order(link: Link | Edge) -> tuple[str, ...]:
    """Edges by ids: endpoints, relationship, then the fields that tell parallel ones apart. Ties between
    equal answers go by it, never by a backend's own order."""
    return (*link.src, *link.dst, link.rel, *(str(link.props.get(n)) for n in RELS[link.rel].identity))


@dataclass
class TraceResult:
    """What a trace reached, grouped by kind, and how (for explanations)."""

    direction: Direction
    start: TraceStart
    ids: dict[str, list[str]]
    depth: dict[NodeRef, int]
    held: list[Held]
    carried: dict[str, list[Link]]  # shipment -> the links that put a reached item on it
    entry: dict[NodeRef, list[Link]]  # inside a start container -> the packing links from it down to there
    _engine: TraceEngine = field(repr=False)
    holds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "Kind:key" -> recall holds on it
    # a trace never changes: chains found (of lots, serials, shipments) and its shipment records, kept
    _chains: dict[NodeRef, list[Link]] = field(default_factory=dict, repr=False)
    _shipments: dict[str, dict[str, Any]] | None = field(default=None, repr=False)

    def refs(self) -> list[str]:
        """Every reached record as "Kind:key"."""
        return [f"{KIND_OF_GROUP[g]}:{k}" for g in GROUPS for k in self.ids[g]]

    def __len__(self) -> int:
        return sum(len(v) for v in self.ids.values())

    def as_dict(self) -> dict[str, list[str]]:
        return {**{group: list(self.ids[group]) for group in GROUPS}, "on_hold": sorted(self.holds)}

    def records(self, group: str) -> list[dict[str, Any]]:
        """Full records of one group, in key order; a record on hold carries its ``holds``."""
        kind = KIND_OF_GROUP[group]
        rows = self._engine.store.get(kind, self.ids[group])
        found = [rows[k] for k in self.ids[group] if k in rows]
        if not self.holds:  # the common case: no per-row merge to pay for
            return found
        return [{**r, "holds": self.holds[ref]} if (ref := f"{kind}:{r[KINDS[kind].key]}") in self.holds else r
                for r in found]

    def explain(self, kind: str, key: str) -> list[Link]:
        """One shortest chain of records from the start to a reached node."""
        return self._engine.explain_in(self, (kind, key))

    def explain_many(self, targets: Iterable[NodeRef]) -> dict[NodeRef, list[Link]]:
        """:meth:`explain` of many reached nodes, reading the store for all of them together."""
        return self._engine.explain_many(self, targets)

    def evidence(self, kind: str, key: str) -> list[tuple[Link, list[str]]]:
        """The explaining chain to a reached node, each link with the EPCIS eventIDs that prove it."""
        out = []
        for link in self.explain(kind, key):
            found = link.props.get("evidence")
            if found is None and any(f.name == "evidence" for f in RELS[link.rel].fields):
                # containment links are rebuilt from intervals: read their edge's evidence
                identity = RELS[link.rel].identity
                found = next((e.props.get("evidence") for e in self._engine.store.edges(link.rel, [link.src], "out")
                              if e.dst == link.dst and all(e.props.get(n) == link.props.get(n) for n in identity)),
                             None)
            out.append((link, json.loads(found or "[]")))
        return out

    # -- notebook views (tracegraph.notebook; pandas and networkx from the [notebook] extra) ------
    def to_pandas(self, tidy: bool = False) -> Any:
        """One DataFrame of full records per group, or (``tidy``) one long frame: group, kind, id, depth."""
        from .. import notebook
        return notebook.trace_long(self) if tidy else notebook.trace_frames(self)

    def to_networkx(self) -> Any:
        """The subgraph of the reached records, as a networkx MultiDiGraph."""
        from .. import notebook
        return notebook.trace_graph(self)

    def _repr_html_(self) -> str:
        from .. import notebook
        return notebook.trace_html(self)


@dataclass
class RecallScope:
    trace: TraceResult
    whereabouts: dict[NodeRef, Whereabouts]
    by_customer: dict[str, dict[str, float]]

    def to_pandas(self, tidy: bool = False) -> Any:
        """``affected``, ``by_customer`` and the trace's groups as DataFrames; ``tidy``: ``affected`` alone."""
        from .. import notebook
        frames = notebook.scope_frames(self)
        return frames["affected"] if tidy else frames

    def to_networkx(self) -> Any:
        """The traced subgraph, with each affected lot's and serial's ``status`` on its node."""
        from .. import notebook
        graph = notebook.trace_graph(self.trace)
        for (kind, key), w in self.whereabouts.items():
            graph.nodes[notebook.node_id(kind, key)]["status"] = w.status
        return graph

    def _repr_html_(self) -> str:
        from .. import notebook
        return notebook.scope_html(self)

    @paused_gc()
    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = self.trace.as_dict()
        out["by_customer"] = self.by_customer
        out["whereabouts"] = [w.as_dict() for _, w in sorted(self.whereabouts.items())]
        return out


@dataclass
class SupplierExposure:
    supplier_id: str
    trace: TraceResult
    finished_lots: list[str]
    sole_source_materials: list[str]

    def as_dict(self) -> dict[str, Any]:
        t = self.trace.ids
        return {"supplier_id": self.supplier_id, "lots": t["lots"], "products": t["products"],
                "finished_lots": self.finished_lots, "serials": t["serials"], "customers": t["customers"],
                "sole_source_materials": self.sole_source_materials}


class TraceEngine:
    def __init__(self, store: Store, limits: Limits | None = None) -> None:
        self.store = store
        self.limits = limits or Limits()

    # -- public questions --------------------------------------------------------------------
    def forward(self, start: TraceStart, limits: Limits | None = None) -> TraceResult:
        return self._trace("forward", start, limits or self.limits)

    def backward(self, start: TraceStart, limits: Limits | None = None) -> TraceResult:
        if start.suppliers or start.materials:
            raise BadInput("a backward trace starts from lots, serials or containers")
        return self._trace("backward", start, limits or self.limits)

    @paused_gc()
    def recall_scope(self, trigger: TraceStart, limits: Limits | None = None) -> RecallScope:
        trace = self.forward(trigger, limits)
        whereabouts = self._whereabouts(trace)
        by_customer: dict[str, dict[str, float]] = {}
        lots_shipped = self._lot_quantities_shipped(trace)
        for w in whereabouts.values():
            for customer in w.customers:
                counts = by_customer.setdefault(customer, {"lots": 0, "serials": 0, "shipments": 0,
                                                           "lot_quantity": 0.0})
                counts["lots" if w.item[0] == "Lot" else "serials"] += 1
        shipments = self.store.get("Shipment", trace.ids["shipments"])
        for s in shipments.values():
            counts = by_customer.setdefault(s["customer_id"], {"lots": 0, "serials": 0, "shipments": 0,
                                                               "lot_quantity": 0.0})
            counts["shipments"] += 1
            counts["lot_quantity"] += lots_shipped.get(s["shipment_id"], 0.0)
        return RecallScope(trace, whereabouts, dict(sorted(by_customer.items())))

    def supplier_exposure(self, supplier_id: str, limits: Limits | None = None) -> SupplierExposure:
        trace = self.forward(TraceStart(suppliers=(supplier_id,)), limits)
        lots = self.store.get("Lot", trace.ids["lots"])
        products = set(trace.ids["products"])
        finished = sorted(k for k, r in lots.items() if r["item_id"] in products)
        own_lots = self.store.find("Lot", "supplier_id", [supplier_id])
        own_items = {r["item_id"] for r in self.store.get("Lot", own_lots).values()}
        sources: dict[str, set[str]] = defaultdict(set)
        for r in self.store.get("Lot", self.store.find("Lot", "item_id", own_items)).values():
            if r["supplier_id"] is not None:
                sources[r["item_id"]].add(r["supplier_id"])
        sole = sorted(item for item, who in sources.items() if who == {supplier_id})
        return SupplierExposure(supplier_id, trace, finished, sole)

    def received(self, customer_id: str, limits: Limits | None = None) -> list[NodeRef]:
        """The lots and serials a customer received, in key order: those its shipments carried loose, and
        what each container they carried held when it left, nested contents only while their parent was
        inside (the rule forward traces follow to customers). Retracted lines and packings count nowhere."""
        limits = limits or self.limits
        if not self.store.get("Customer", [customer_id]):
            raise NotFound(f"no Customer with id {customer_id!r}")
        shipments = [e.src for e in self.store.edges("SHIPPED_TO", [("Customer", customer_id)], "in")]
        when = {k: r["shipped_at"] for k, r in self.store.get("Shipment", [k for _, k in shipments]).items()}
        found: set[NodeRef] = set()
        leaving: dict[NodeRef, set[str]] = defaultdict(set)  # container -> the moments it left (or its parent did)
        for e in live_edges(self.store, "SHIPPED_IN", shipments, "in"):
            if e.src[0] == "Container":
                leaving[e.src].add(when[e.dst[1]])
            else:
                found.add(e.src)
        for level in range(1, limits.max_depth + 2):
            packed = live_edges(self.store, "PACKED_IN", leaving, "in")
            if not packed:
                break
            if level > limits.max_depth:
                raise LimitExceeded(f"containers nest deeper than the limit of {limits.max_depth}")
            inner: dict[NodeRef, set[str]] = defaultdict(set)
            for e in packed:
                for moment in leaving[e.dst]:
                    if within(e.props["packed_at"], e.props["unpacked_at"], moment):
                        if e.src[0] == "Container":
                            inner[e.src].add(moment)
                        else:
                            found.add(e.src)
            leaving = inner
        self._check_size(len(found), limits)
        return sorted(found)

    def explain(self, start: TraceStart, kind: str, key: str, direction: Direction = "forward") -> list[Link]:
        trace = self.forward(start) if direction == "forward" else self.backward(start)
        return self.explain_in(trace, (kind, key))

    def attachments(self, node: NodeRef, moment: str | None = None) -> list[Link]:
        """Equipment or sensors attached to a record, or what it was attached to (EPCIS associations):
        every ATTACHED_TO link in either direction, or only those holding at ``moment``."""
        links = [Link(e.rel, e.src, e.dst, e.props) for direction in ("out", "in")
                 for e in live_edges(self.store, "ATTACHED_TO", [node], direction)]  # type: ignore[arg-type]
        if moment is not None:
            at = normalize_datetime(moment)
            links = [link for link in links if within(link.props["attached_at"], link.props["detached_at"], at)]
        return sorted(links, key=lambda link: (link.props["attached_at"], link.src, link.dst))

    # -- the trace ---------------------------------------------------------------------------
    @paused_gc()
    def _trace(self, direction: Direction, start: TraceStart, limits: Limits) -> TraceResult:
        if not start:
            raise BadInput("a trace needs at least one start id")
        seeds, entry = self._seeds(start)
        step: Literal["out", "in"] = "out" if direction == "forward" else "in"
        depth = self._reach(seeds, step, limits.max_depth)
        if depth and max(depth.values()) > limits.max_depth:
            raise LimitExceeded(f"the genealogy is deeper than the limit of {limits.max_depth} hops")
        self._check_size(len(depth), limits)
        items = [ref for ref in depth if ref[0] in _ITEM_KINDS]
        ids: dict[str, set[str]] = {g: set() for g in GROUPS}
        for kind, key in depth:
            ids[GROUP_OF_KIND[kind]].add(key)
        ids["suppliers"].update(start.suppliers)
        ids["materials"].update(start.materials)
        ids["containers"].update(start.containers)
        ids["containers"].update(ref[1] for ref in entry if ref[0] == "Container")
        held: list[Held] = []
        carried: dict[str, list[Link]] = {}
        if direction == "forward":
            held = self._containment(items, limits)
            ids["containers"].update(h.container for h in held)
            carried = self._shipments(items, held)
            ids["shipments"].update(carried)
            for shipment in self.store.get("Shipment", carried).values():
                ids["customers"].add(shipment["customer_id"])
        self._context(items, step, ids)
        self._check_size(sum(map(len, ids.values())), limits)
        return TraceResult(direction, start, {g: sorted(v) for g, v in ids.items()}, depth, held, carried, entry,
                           self)

    def _reach(self, seeds: list[NodeRef], step: Literal["out", "in"], max_depth: int) -> dict[NodeRef, int]:
        """The store's reach; walked again over live edges only when a reached consumption is retracted."""
        depth = self.store.reach(seeds, GENEALOGY_RELS, step, max_depth)
        reached = [ref for ref in depth if ref[0] in _ITEM_KINDS]
        consumptions = self.store.edges("CONSUMED_INTO", reached, step)
        if len(list(live(consumptions))) == len(consumptions):
            return depth
        depth = dict.fromkeys((ref for ref in seeds if ref in depth), 0)
        frontier, hops = list(depth), 0
        while frontier and hops <= max_depth:
            hops += 1
            found = {e.dst if step == "out" else e.src for rel in GENEALOGY_RELS
                     for e in live_edges(self.store, rel, frontier, step)}
            frontier = [ref for ref in found if ref not in depth]
            depth.update(dict.fromkeys(frontier, hops))
        return depth

    def _check_size(self, size: int, limits: Limits) -> None:
        if size > limits.max_results:
            raise LimitExceeded(f"the trace reaches {size} records, more than the limit of {limits.max_results}")

    def _seeds(self, start: TraceStart) -> tuple[list[NodeRef], dict[NodeRef, list[Link]]]:
        """Start ids to genealogy seeds, and what is inside start containers with the links that put it there.

        A container stands for everything that was ever inside it; a nested child counts only
        while its parent was inside (the same time-bounded rule as for shipments).
        """
        for kind, keys in (("Lot", start.lots), ("Serial", start.serials), ("Container", start.containers),
                           ("Supplier", start.suppliers), ("Material", start.materials)):
            missing = sorted(set(keys) - set(self.store.get(kind, keys)))
            if missing:
                raise NotFound(f"no {kind} with id {', '.join(map(repr, missing))}")
        seeds: list[NodeRef] = [("Lot", k) for k in start.lots] + [("Serial", k) for k in start.serials]
        seeds += [("Lot", k) for k in self.store.find("Lot", "supplier_id", start.suppliers)]
        seeds += [("Lot", k) for k in self.store.find("Lot", "item_id", start.materials)]
        entry: dict[NodeRef, list[Link]] = {}
        # top-down, one level at a time: (container, inside the start from, until, links from the start)
        frontier: dict[NodeRef, list[tuple[str, str | None, list[Link]]]] = {
            ("Container", k): [("", None, [])] for k in start.containers}
        seen: set[tuple[NodeRef, str, str | None]] = set()
        while frontier:
            nxt: dict[NodeRef, list[tuple[str, str | None, list[Link]]]] = defaultdict(list)
            for e in sorted(live_edges(self.store, "PACKED_IN", frontier, "in"), key=link_order):
                packed, unpacked = e.props["packed_at"], e.props["unpacked_at"]
                for start_at, end, path in frontier[e.dst]:
                    lo = max(start_at, packed)
                    hi = unpacked if end is None else end if unpacked is None else min(end, unpacked)
                    if (hi is not None and lo >= hi) or (e.src, lo, hi) in seen:
                        continue
                    seen.add((e.src, lo, hi))
                    links = path + [Link(e.rel, e.src, e.dst, e.props)]
                    if e.src[0] != "Container" or e.src[1] not in start.containers:
                        entry.setdefault(e.src, links)  # level by level: the first is a shortest
                    if e.src[0] == "Container":
                        nxt[e.src].append((lo, hi, links))
            frontier = nxt
        seeds += [ref for ref in entry if ref[0] in _ITEM_KINDS]
        return seeds, entry

    def _containment(self, items: list[NodeRef], limits: Limits) -> list[Held]:
        """Every container that held a reached item, and when, through nested containers."""
        held: list[Held] = []
        # child -> [(item, start, end)] : when each reached item was inside that child
        frontier: dict[NodeRef, list[tuple[NodeRef, str, str | None]]] = {i: [(i, "", None)] for i in items}
        level = 0
        while frontier:
            level += 1
            edges = live_edges(self.store, "PACKED_IN", frontier, "out")
            if edges and level > limits.max_depth:
                raise LimitExceeded(f"containers nest deeper than the limit of {limits.max_depth}")
            nxt: dict[NodeRef, list[tuple[NodeRef, str, str | None]]] = defaultdict(list)
            for e in edges:
                packed, unpacked = e.props["packed_at"], e.props["unpacked_at"]
                for item, start, end in frontier[e.src]:
                    lo = max(start, packed)
                    hi = unpacked if end is None else end if unpacked is None else min(end, unpacked)
                    if hi is None or lo < hi:
                        held.append(Held(item, e.dst[1], lo, hi, e.src, packed, unpacked, level))
                        nxt[e.dst].append((item, lo, hi))
            frontier = nxt
            self._check_size(len(held), limits)
        return held

    def _shipments(self, items: list[NodeRef], held: list[Held]) -> dict[str, list[Link]]:
        """Shipments that carried a reached item, directly or inside a container at shipping time."""
        carried: dict[str, list[Link]] = defaultdict(list)
        for e in live_edges(self.store, "SHIPPED_IN", items, "out"):
            carried[e.dst[1]].append(Link(e.rel, e.src, e.dst, e.props))
        by_container: dict[str, list[Held]] = defaultdict(list)
        for h in held:
            by_container[h.container].append(h)
        container_edges = live_edges(self.store, "SHIPPED_IN", [("Container", c) for c in by_container], "out")
        when = {k: r["shipped_at"] for k, r in self.store.get("Shipment", {e.dst[1] for e in container_edges}).items()}
        for e in container_edges:
            moment = when[e.dst[1]]
            if any(h.holds_at(moment) for h in by_container[e.src[1]]):
                carried[e.dst[1]].append(Link(e.rel, e.src, e.dst, e.props))
        return dict(carried)

    def _context(self, items: list[NodeRef], step: Literal["out", "in"], ids: dict[str, set[str]]) -> None:
        """Suppliers, items, process steps and inspections of the reached lots and serials."""
        lots = [i for i in items if i[0] == "Lot"]
        ids["suppliers"].update(key for _, key in self.store.neighbours("SUPPLIED", lots, "in"))
        for kind, key in self.store.neighbours("OF_ITEM", lots, "out"):
            ids[GROUP_OF_KIND[kind]].add(key)
        ids["products"].update(key for _, key in self.store.neighbours(
            "OF_PRODUCT", [i for i in items if i[0] == "Serial"], "out"))
        reached = set(items)
        ids["process_steps"].update(
            e.props["step_id"] for e in live_edges(self.store, "CONSUMED_INTO", items, step)
            if (e.dst if step == "out" else e.src) in reached)
        ids["inspections"].update(key for _, key in self.store.neighbours("INSPECTS", items, "in"))
        ids["inspections"].update(key for _, key in self.store.neighbours(
            "RECORDED_AT", [("ProcessStep", s) for s in ids["process_steps"]], "in"))

    # -- where things are now ------------------------------------------------------------------
    def _whereabouts(self, trace: TraceResult) -> dict[NodeRef, Whereabouts]:
        items = [("Lot", k) for k in trace.ids["lots"]] + [("Serial", k) for k in trace.ids["serials"]]
        shipments = self.store.get("Shipment", trace.ids["shipments"])
        shipped: dict[NodeRef, set[str]] = defaultdict(set)
        taken: dict[NodeRef, list[tuple[float | None, str | None]]] = defaultdict(list)  # (quantity, uom) out of a lot
        boxed: set[NodeRef] = set()  # lots that left inside a container: how much of them is not recorded
        held_in: dict[str, list[Held]] = defaultdict(list)  # container -> what it held, when
        now_in: dict[NodeRef, set[str]] = defaultdict(set)  # a split lot can sit in several at once
        for h in trace.held:
            held_in[h.container].append(h)
            if h.end is None and h.via == h.item:
                now_in[h.item].add(h.container)
        for shipment, links in trace.carried.items():
            moment = shipments[shipment]["shipped_at"]
            for link in links:
                if link.src[0] != "Container":
                    shipped[link.src].add(shipment)
                    taken[link.src].append((link.props.get("quantity"), link.props.get("uom")))
                    continue
                for h in held_in.get(link.src[1], ()):
                    if h.holds_at(moment):
                        shipped[h.item].add(shipment)
                        boxed.add(h.item)
        consumed: dict[NodeRef, set[NodeRef]] = defaultdict(set)
        for e in live_edges(self.store, "CONSUMED_INTO", items, "out"):
            consumed[e.src].add(e.dst)
            taken[e.src].append((e.props["quantity"], e.props["uom"]))
        lots = self.store.get("Lot", trace.ids["lots"])
        units: dict[NodeRef, set[str]] = defaultdict(set)  # lot -> where its units are: shipped, consumed, in_stock
        for e in self.store.edges("HAS_SERIAL", [("Lot", k) for k in lots], "out"):
            unit = "shipped" if e.dst in shipped else "consumed" if e.dst in consumed else "in_stock"
            units[e.src].add(unit)
            if unit != "in_stock":
                uom = lots[e.src[1]]["uom"]
                taken[e.src].append((1.0, uom if uom is None or uom in _COUNT_UOMS else "EA"))
        order = {s: (r["shipped_at"], s) for s, r in shipments.items()}  # how an item's shipments are listed
        nowhere: set[str] = set()
        out: dict[NodeRef, Whereabouts] = {}
        for item in items:
            sent = tuple(sorted(shipped[item], key=order.__getitem__)) if item in shipped else ()
            remaining = None if item[0] != "Lot" or item in boxed else _remaining(lots[item[1]], taken.get(item, []))
            went = units.get(item, nowhere)
            status: Literal["shipped", "consumed", "in_stock"] = (
                "in_stock" if remaining or "in_stock" in went else "shipped" if sent or "shipped" in went
                else "consumed" if item in consumed or "consumed" in went else "in_stock")
            out[item] = Whereabouts(item, status,
                                    tuple(sorted({shipments[s]["customer_id"] for s in sent})) if sent else (), sent,
                                    tuple(sorted(consumed[item])) if item in consumed else (), remaining,
                                    tuple(sorted(now_in[item])) if item in now_in else ())
        return out

    def _lot_quantities_shipped(self, trace: TraceResult) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for shipment, links in trace.carried.items():
            for link in links:
                if link.src[0] == "Lot":
                    out[shipment] += link.props.get("quantity") or 0.0
        return out

    # -- explanations --------------------------------------------------------------------------
    def explain_many(self, trace: TraceResult, targets: Iterable[NodeRef]) -> dict[NodeRef, list[Link]]:
        """The chain of each target, exactly as :meth:`explain_in` gives it, with the store read for all
        of them together: one genealogy search, a level at a time, for the targets' lots and serials and
        the ones their shipments (and their customers' shipments) may be explained through."""
        targets = list(dict.fromkeys(targets))
        customers = {key for kind, key in targets if kind == "Customer"}
        records = self._shipment_records(trace)
        shipments = {key for kind, key in targets if kind == "Shipment"} | {
            s for s, r in records.items() if r["customer_id"] in customers}
        carriers: dict[str, set[str]] = defaultdict(set)  # container -> when it left with a shipment
        items = [t for t in targets if t[0] in _ITEM_KINDS and t[1] in trace.ids[GROUP_OF_KIND[t[0]]]]
        for shipment in shipments & set(trace.carried):
            for link in trace.carried[shipment]:
                if link.src[0] == "Container":
                    carriers[link.src[1]].add(records[shipment]["shipped_at"])
                else:
                    items.append(link.src)
        items += [h.item for h in trace.held if any(h.holds_at(t) for t in carriers.get(h.container, ()))]
        self._genealogy_chains(trace, items)
        return {target: self.explain_in(trace, target) for target in targets}

    def explain_in(self, trace: TraceResult, target: NodeRef) -> list[Link]:
        """A shortest chain of edges from the trace's start to ``target``."""
        kind, key = target
        if kind not in KINDS:
            raise BadInput(f"unknown kind {kind!r}")
        if key not in trace.ids[GROUP_OF_KIND[kind]]:
            raise NotFound(f"{kind} {key!r} is not in this trace")
        if kind in _ITEM_KINDS:
            return self._genealogy_chain(trace, target)
        if kind == "Container":
            return self._container_chain(trace, key)
        if kind == "Shipment":
            return self._shipment_chain(trace, key)
        if kind == "Customer":
            shipments = self._shipment_records(trace)
            best = min((s for s, r in shipments.items() if r["customer_id"] == key),
                       key=lambda s: (_cost(self._shipment_chain(trace, s)), s))
            return self._shipment_chain(trace, best) + [
                Link("SHIPPED_TO", ("Shipment", best), ("Customer", key), {})]
        return self._context_chain(trace, target)

    def _genealogy_chain(self, trace: TraceResult, target: NodeRef) -> list[Link]:
        if target not in trace._chains:
            self._genealogy_chains(trace, [target])
        return list(trace._chains[target])

    def _genealogy_chains(self, trace: TraceResult, targets: Iterable[NodeRef]) -> None:
        """A shortest chain from the start to each reached lot or serial, counting the links into a seed.

        Each is searched from its target back towards the start, a level at a time, until no farther
        seed can be shorter: a seed deep inside a start container may lose to one that needs fewer
        links. The searches run side by side, one store read per level for all of them.
        """
        back = "in" if trace.direction == "forward" else "out"
        near = (lambda e: e.dst) if back == "in" else (lambda e: e.src)
        searches = {t: _Search(t) for t in targets if t not in trace._chains}
        starts: dict[NodeRef, list[Link]] = {}  # seed -> the links that made it a start item
        level = 0
        while searches:
            for s in searches.values():
                for node in s.frontier:
                    if trace.depth.get(node) == 0:
                        if node not in starts:
                            starts[node] = self._from_start(trace, node)
                        cost = (level + len(starts[node]), node)
                        s.best = cost if s.best is None else min(s.best, cost)
            level += 1
            for target, s in list(searches.items()):
                if s.best is not None and level >= s.best[0]:  # no farther seed can be shorter
                    trace._chains[target] = s.chain(starts)
                    del searches[target]
            if not searches:
                break
            frontier = list(dict.fromkeys(node for s in searches.values() for node in s.frontier))
            at: dict[NodeRef, list[Edge]] = defaultdict(list)  # in the store's order for each node
            for e in (e for rel in GENEALOGY_RELS for e in live_edges(self.store, rel, frontier, back)):
                at[near(e)].append(e)
            for target, s in list(searches.items()):
                edges = sorted((e for node in s.frontier for e in at[node]), key=link_order)
                s.frontier = []
                for e in edges:
                    previous = e.src if back == "in" else e.dst
                    if previous in trace.depth and previous not in s.toward:
                        s.toward[previous] = e
                        s.frontier.append(previous)
                if not s.frontier:
                    trace._chains[target] = s.chain(starts)
                    del searches[target]

    def _from_start(self, trace: TraceResult, seed: NodeRef) -> list[Link]:
        """The links that made ``seed`` a start item: from a start supplier, material or container."""
        if seed[1] in (trace.start.lots if seed[0] == "Lot" else trace.start.serials):
            return []
        if seed in trace.entry:
            return trace.entry[seed]
        if seed[0] == "Lot":
            lot = self.store.get("Lot", [seed[1]]).get(seed[1], {})
            if lot.get("supplier_id") in trace.start.suppliers:
                return [Link("SUPPLIED", ("Supplier", lot["supplier_id"]), seed, {})]
            if lot.get("item_id") in trace.start.materials:
                return [Link("OF_ITEM", seed, ("Material", lot["item_id"]), {})]
        return []

    def _container_chain(self, trace: TraceResult, container: str, at: str | None = None) -> list[Link]:
        """A shortest chain to ``container`` through an item it held (at moment ``at``, if given)."""
        if container in trace.start.containers:
            return []
        if ("Container", container) in trace.entry and at is None:  # a shipment needs what it held then
            return trace.entry[("Container", container)]
        options = [h for h in trace.held if h.container == container and (at is None or h.holds_at(at))]
        h = min(options, key=lambda h: (trace.depth.get(h.item, 0) + h.level, h.item, h.via, h.packed_at, h.start))
        link = Link("PACKED_IN", h.via, ("Container", container),
                    {"packed_at": h.packed_at, "unpacked_at": h.unpacked_at})
        if h.via == h.item:
            return self._genealogy_chain(trace, h.item) + [link]
        return self._container_chain_for(trace, h) + [link]

    def _container_chain_for(self, trace: TraceResult, outer: Held) -> list[Link]:
        """Chain to the inner container through which ``outer.item`` reached ``outer.container``."""
        inner = outer.via[1]
        candidates = [h for h in trace.held if h.container == inner and h.item == outer.item
                      and h.start <= outer.start and (h.end is None or (outer.end is not None and outer.end <= h.end))]
        h = min(candidates, key=lambda h: (h.level, h.via, h.packed_at, h.start))
        link = Link("PACKED_IN", h.via, ("Container", inner), {"packed_at": h.packed_at, "unpacked_at": h.unpacked_at})
        prefix = self._genealogy_chain(trace, h.item) if h.via == h.item else self._container_chain_for(trace, h)
        return prefix + [link]

    def _shipment_chain(self, trace: TraceResult, shipment: str) -> list[Link]:
        ref: NodeRef = ("Shipment", shipment)
        if ref not in trace._chains:
            shipped_at = self._shipment_records(trace)[shipment]["shipped_at"]

            def chain_to(link: Link) -> list[Link]:
                if link.src[0] == "Container":  # through what the container held when it left
                    return self._container_chain(trace, link.src[1], shipped_at)
                return self._genealogy_chain(trace, link.src)
            trace._chains[ref] = min((chain_to(link) + [link] for link in trace.carried[shipment]), key=_rank)
        return list(trace._chains[ref])

    def _shipment_records(self, trace: TraceResult) -> dict[str, dict[str, Any]]:
        if trace._shipments is None:
            trace._shipments = self.store.get("Shipment", trace.ids["shipments"])
        return trace._shipments

    def _context_chain(self, trace: TraceResult, target: NodeRef) -> list[Link]:
        """Suppliers, materials, products, steps and inspections hang off one reached item."""
        kind, key = target
        if (kind == "Supplier" and key in trace.start.suppliers) or (kind == "Material" and key in trace.start.materials):
            return []
        options: list[list[Link]] = []
        if kind == "ProcessStep":  # a consumption of the step: the chain reaches its near end first
            items = [("Lot", k) for k in trace.ids["lots"]] + [("Serial", k) for k in trace.ids["serials"]]
            step = "out" if trace.direction == "forward" else "in"
            edges = [e for e in live_edges(self.store, "CONSUMED_INTO", items, step)
                     if e.props["step_id"] == key and e.src in trace.depth and e.dst in trace.depth]
            if edges:
                near = (lambda e: e.src) if step == "out" else (lambda e: e.dst)
                edge = min(edges, key=lambda e: (trace.depth[near(e)], e.src, e.dst))
                options.append(self._genealogy_chain(trace, near(edge)) + [Link(edge.rel, edge.src, edge.dst, edge.props)])
        elif kind == "Inspection":  # of a reached item, or recorded at a step of the trace
            for rel in ("INSPECTS", "RECORDED_AT"):
                for e in self.store.edges(rel, [target], "out"):
                    link = Link(e.rel, e.src, e.dst, e.props)
                    if e.dst in trace.depth:
                        options.append(self._genealogy_chain(trace, e.dst) + [link])
                    elif e.dst[0] == "ProcessStep" and e.dst[1] in trace.ids["process_steps"]:
                        options.append(self._context_chain(trace, e.dst) + [link])
        else:
            rels, direction = {"Supplier": (("SUPPLIED",), "out"), "Material": (("OF_ITEM",), "in"),
                               "Product": (("OF_ITEM", "OF_PRODUCT"), "in")}[kind]
            anchored = [(e.dst if direction == "out" else e.src, e) for rel in rels
                        for e in self.store.edges(rel, [target], direction)]
            anchored = [(a, e) for a, e in anchored if a in trace.depth]
            if anchored:  # the nearest reached item that names it
                anchor, e = min(anchored, key=lambda ae: (trace.depth[ae[0]], ae[0]))
                options.append(self._genealogy_chain(trace, anchor) + [Link(e.rel, e.src, e.dst, e.props)])
        if options:
            return min(options, key=_rank)
        raise NotFound(f"no chain explains {kind} {key!r} in this trace")


@dataclass
class _Search:
    """One target's search back towards the start (see :meth:`TraceEngine._genealogy_chains`)."""

    target: NodeRef
    frontier: list[NodeRef] = field(init=False)  # the nodes found at the current level
    toward: dict[NodeRef, Edge | None] = field(init=False)  # node -> its edge one step nearer the target
    best: tuple[int, NodeRef] | None = None  # (links, seed) of the shortest chain found so far

    def __post_init__(self) -> None:
        self.frontier, self.toward = [self.target], {self.target: None}

    def chain(self, starts: dict[NodeRef, list[Link]]) -> list[Link]:
        assert self.best is not None, f"{self.target} is reached but joined to no start"
        chain: list[Link] = []
        node = self.best[1]
        while (edge := self.toward[node]) is not None:
            chain.append(Link(edge.rel, edge.src, edge.dst, edge.props))
            node = edge.dst if edge.src == node else edge.src  # its other end, a step nearer the target
        return starts[self.best[1]] + chain


def _remaining(lot: dict[str, Any], taken: list[tuple[float | None, str | None]]) -> float | None:
    """A lot's quantity less what was consumed or shipped from it (its units included); None when the
    records cannot tell (no lot quantity, a use without quantity, or one in another unit)."""
    if lot["quantity"] is None:
        return None
    total = 0.0
    for quantity, uom in taken:
        if quantity is None or (uom and lot["uom"] and uom != lot["uom"]):
            return None
        total += quantity
    return max(lot["quantity"] - total, 0.0)


def _cost(chain: list[Link]) -> tuple[int, int]:
    """How explanations are compared: fewest links, then fewest genealogy links."""
    return len(chain), sum(link.rel in GENEALOGY_RELS for link in chain)


def _rank(chain: list[Link]) -> tuple[tuple[int, int], list[tuple[str, ...]]]:
    """:func:`_cost`, ties going to the smaller ids link by link (never to a backend's edge order)."""
    return _cost(chain), [link_order(link) for link in chain]
