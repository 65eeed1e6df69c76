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
cannot tell: no quantity, a use without quantity or in a unit other than the lot's, a lot shipped inside
a container) the furthest it or its units went decides: shipped, else consumed, else in stock (the
recall workflow's default hold still takes a lot whose ``remaining`` is unknown). A use without a
unit is in its lot's unit; a lot that states no unit counts only such uses, as the mass-balance
check does. A serialised lot's units have their own whereabouts (the lot lists only its own
shipments and consumptions). ``containers`` are those it is packed in now (a lot may be split
between several).

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
set-at-a-time primitives (``reach``, ``edges``, ``get``, ``find``). Traces, containment, shipments and
whereabouts are computed a whole column at a time on the store's columnar view (:meth:`Store.columns`:
nodes as integers, edge and record fields as numpy arrays), which any backend builds from those
primitives and the embedded store serves from its in-memory index; explanations walk the few records
they need one at a time. What a reached lot or serial brings to a forward trace or a recall (its
containers, shipments, customers, context, process steps and whereabouts) does not depend on the start: the embedded
store's view keeps it for every item, worked out once per version of the graph by these same rules,
and a trace gathers its items' rows (:mod:`tracegraph.trace.facts`).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, ParamSpec, TypeVar

import numpy as np

from ..errors import BadInput, LimitExceeded, NotFound, StoreError
from ..gcpause import paused_gc
from ..schema import GENEALOGY_RELS, KINDS, RELS, normalize_datetime
from ..store import Direction as EdgeDirection
from ..store import Edge, NodeRef, Store
from ..store.columns import (KIND_CODE, KIND_NAMES, NO_END, NO_START, EdgeColumns, GraphColumns, ViewChanged, distinct,
                             member, moment_number, moment_numbers, ordered)
from .columns import CONSUMED, IN_STOCK, SHIPPED, Carried, HeldColumns, WhereColumns, WhereSelection, positions_in
from .facts import ItemFacts
from .model import GROUP_OF_KIND, GROUPS, KIND_OF_GROUP, Held, Limits, Link, TraceStart, Whereabouts, in_lot_unit, within

Direction = Literal["forward", "backward"]
P = ParamSpec("P")
R = TypeVar("R")
_ITEM_KINDS = ("Lot", "Serial")
_COUNT_UOMS = frozenset({"EA", "H87", "C62"})  # each, piece, one (UN/CEFACT): a unit counts as 1 of these


def live(edges: Iterable[Edge]) -> Iterator[Edge]:
    """The edges that count: a retracted one (see the module docstring) counts nowhere."""
    return (e for e in edges if not e.props.get("retracted_at"))


def live_edges(store: Store, rel: str, nodes: Iterable[NodeRef], direction: EdgeDirection) -> list[Edge]:
    """:meth:`Store.edges` without the retracted ones: how trace meaning reads any relationship."""
    return list(live(store.edges(rel, nodes, direction)))


VIEWS = len(RELS) + len(KINDS) + 3
"""Views a question may read before it gives up: a stale view notes the relationships and tables it lacked
and the next builds them with its nodes, so a first question needs at most one more per part it reads."""


def _on_a_fresh_view(method: Callable[P, R]) -> Callable[P, R]:
    """Ask again, on a new view, when the store changed under the one a question read (another writer)."""
    @functools.wraps(method)
    def ask(*args: P.args, **kwargs: P.kwargs) -> R:
        for _attempt in range(VIEWS):
            try:
                return method(*args, **kwargs)
            except ViewChanged:
                continue
        raise StoreError("the store keeps changing while this question reads it; ask again")
    return ask


def _kind_of_group(group: str) -> str:
    """The node kind of a result group; a misspelt group is BadInput naming the groups there are."""
    if group not in KIND_OF_GROUP:
        raise BadInput(f"unknown group {group!r}: one of {', '.join(GROUPS)}")
    return KIND_OF_GROUP[group]


def link_order(link: Link | Edge) -> tuple[str, ...]:
    """Edges by ids: endpoints, relationship, then the fields that tell parallel ones apart. Ties between
    equal answers go by it, never by a backend's own order."""
    return (*link.src, *link.dst, link.rel, *(str(link.props.get(n)) for n in RELS[link.rel].identity))


@dataclass
class TraceResult:
    """What a trace reached, grouped by kind, and how (for explanations).

    Kept as columns of one store view; ``ids``, ``depth``, ``held`` and ``carried`` are made from them
    on first use (see :mod:`tracegraph.trace.columns`)."""

    direction: Direction
    start: TraceStart
    entry: dict[NodeRef, list[Link]]  # inside a start container -> the packing links from it down to there
    _engine: TraceEngine = field(repr=False)
    _view: GraphColumns = field(repr=False)
    _reached: tuple[np.ndarray, np.ndarray] = field(repr=False)  # genealogy nodes and their hop counts
    _nodes: dict[str, np.ndarray] = field(repr=False)  # group -> node numbers in key order
    _keys: dict[str, list[str]] = field(repr=False)  # the groups given by key (process steps), in order
    _facts: ItemFacts = field(repr=False)  # of the reached items, or of every item (see tracegraph.trace.facts)
    holds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "Kind:key" -> recall holds on it
    # a trace never changes: chains found (of lots, serials, shipments) and its shipment records, kept
    _chains: dict[NodeRef, list[Link]] = field(default_factory=dict, repr=False)
    _shipments: dict[str, dict[str, Any]] | None = field(default=None, repr=False)

    @cached_property
    def ids(self) -> dict[str, list[str]]:
        """Every reached key by group, in key order."""
        return {g: self._view.keys(self._nodes[g]) if g in self._nodes else self._keys[g] for g in GROUPS}

    @cached_property
    def depth(self) -> dict[NodeRef, int]:
        """Hops from the start of each reached lot and serial (0: a start item)."""
        nids, depths = self._reached
        return dict(zip(self._view.refs(nids), depths.tolist()))

    @cached_property
    def held(self) -> list[Held]:
        """Every container that held a reached item, and when (a forward trace's; none for a backward one)."""
        return self._downstream[0].rows(self._view)

    @cached_property
    def carried(self) -> dict[str, list[Link]]:
        """shipment -> the links that put a reached item on it."""
        return self._downstream[1].links(self._view)

    @cached_property
    def _downstream(self) -> tuple[HeldColumns, Carried]:
        """The containment and shipments of the reached items: kept with facts worked out for them, else
        worked out now (for explanations) by the same rules."""
        reached = self._reached[0]
        if self.direction == "backward":
            return HeldColumns.empty(), Carried.empty()
        held, carried = self._facts.held, self._facts.carried  # the kept facts' are dropped once used
        if held is not None and carried is not None and self._facts.covers(reached):
            return held, carried
        deepest = self._facts.deepest_of(self._facts.positions(reached))  # checked against the trace's limit
        held, _ = self._engine._containment(self._view, reached, deepest)
        return held, self._engine._shipments(self._view, reached, held)

    def refs(self) -> list[str]:
        """Every reached record as "Kind:key"."""
        return [f"{KIND_OF_GROUP[g]}:{k}" for g in GROUPS for k in self.ids[g]]

    def __len__(self) -> int:
        return sum(map(len, self._nodes.values())) + sum(map(len, self._keys.values()))

    def among(self, refs: Iterable[str]) -> list[str]:
        """Those of ``refs`` ("Kind:key") that this trace reached, in the order given."""
        wanted = [tuple(ref.split(":", 1)) for ref in refs]
        nodes = self._view.nids(ref for ref in wanted if len(ref) == 2 and ref[0] != "ProcessStep")
        reached = np.concatenate(list(self._nodes.values()))
        found = {f"{kind}:{key}" for kind, key in self._view.refs(nodes[member(nodes, reached)])}
        found.update(f"ProcessStep:{key}" for key in self._keys["process_steps"])
        return [":".join(ref) for ref in wanted if ":".join(ref) in found]

    def as_dict(self) -> dict[str, list[str]]:
        return {**{group: list(self.ids[group]) for group in GROUPS}, "on_hold": sorted(self.holds)}

    def records(self, group: str) -> list[dict[str, Any]]:
        """Full records of one group, in key order; a record on hold carries its ``holds``."""
        kind = _kind_of_group(group)
        rows = self._engine.store.get(kind, self.ids[group])
        found = [rows[k] for k in self.ids[group] if k in rows]
        if not self.holds:  # the common case: no per-row merge to pay for
            return found
        return [{**r, "holds": self.holds[ref]} if (ref := f"{kind}:{r[KINDS[kind].key]}") in self.holds else r
                for r in found]

    @_on_a_fresh_view
    def columns(self, group: str) -> dict[str, np.ndarray]:
        """The records of one group as columns, a numpy array per dictionary field, rows in key order:
        the full rows of a large answer without a Python object per row. Read from the store as it is
        now, like :meth:`records` (without ``holds``, which :attr:`holds` lists)."""
        kind = _kind_of_group(group)
        view = self._engine.store.columns()
        nids = self._nodes.get(group)
        if nids is None or view.numbering is not self._view.numbering:
            refs = self._view.refs(nids) if nids is not None else [(kind, k) for k in self._keys[group]]
            nids = view.in_key_order(view.nids(refs))
        return view.fields(kind, nids, [f.name for f in KINDS[kind].fields])

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
    by_customer: dict[str, dict[str, float]]
    _where: WhereColumns | WhereSelection = field(repr=False)

    @cached_property
    def whereabouts(self) -> dict[NodeRef, Whereabouts]:
        """Where each affected lot and serial is now, lots then serials in key order."""
        return self._where.rows(self.trace._view)

    @cached_property
    def affected_refs(self) -> list[str]:
        """The affected lots and serials as "Kind:key", in the order of :attr:`whereabouts`, which is their
        sorted order."""
        return [f"Lot:{key}" for key in self.trace.ids["lots"]] + [f"Serial:{key}" for key in self.trace.ids["serials"]]

    def whereabouts_between(self, start: int, stop: int) -> list[Whereabouts]:
        """Where the affected lots and serials ``start`` to ``stop`` (in the order of :attr:`whereabouts`) are
        now: a page of them, without the objects of the rest."""
        if "whereabouts" in self.__dict__:  # made already
            return list(self.whereabouts.values())[start:stop]
        stop = min(stop, len(self.affected_refs))
        return list(self._where.rows(self.trace._view, np.arange(start, max(start, stop))).values())

    def affected_columns(self) -> dict[str, np.ndarray]:
        """The ``affected`` table (kind, id, status, customers, shipments, container, consumed_into,
        containers, remaining) as columns: where every item is now, without a Python object per item."""
        return self._where.frame_columns(self.trace._view)

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

    @_on_a_fresh_view
    def warm(self) -> None:
        """Build now what the first trace would build (a server does before it reports ready)."""
        self.store.warm()
        view = self.store.columns()
        view.prepare(GROUP_OF_KIND)
        whole = self._whole_graph_facts(view)
        if whole is not None:  # and every item's whereabouts, for the first recall
            whole.where(view).prepare(view)

    # -- public questions --------------------------------------------------------------------
    @_on_a_fresh_view
    def forward(self, start: TraceStart, limits: Limits | None = None) -> TraceResult:
        return self._trace("forward", start, limits or self.limits)

    @_on_a_fresh_view
    def backward(self, start: TraceStart, limits: Limits | None = None) -> TraceResult:
        if start.suppliers or start.materials:
            raise BadInput("a backward trace starts from lots, serials or containers")
        return self._trace("backward", start, limits or self.limits)

    @_on_a_fresh_view
    @paused_gc()
    def recall_scope(self, trigger: TraceStart, limits: Limits | None = None) -> RecallScope:
        trace = self.forward(trigger, limits)
        where = trace._facts.where_of(trace._view, trace._nodes["lots"], trace._nodes["serials"])
        return RecallScope(trace, where.counts_by_customer(), where)

    @_on_a_fresh_view
    def supplier_exposure(self, supplier_id: str, limits: Limits | None = None) -> SupplierExposure:
        trace = self.forward(TraceStart(suppliers=(supplier_id,)), limits)
        lots = trace._nodes["lots"]
        items = trace._view.fields("Lot", lots, ["item_id"])["item_id"]
        products = np.array(trace._view.keys(trace._nodes["products"]), dtype=object)
        finished = trace._view.keys(lots[np.isin(items, products)])
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
        view = self.store.columns()
        step: Literal["out", "in"] = "out" if direction == "forward" else "in"
        reached, depths = self._reach(view, view.nids(seeds), step, limits.max_depth)
        if depths.size and int(depths.max()) > limits.max_depth:
            raise LimitExceeded(f"the genealogy is deeper than the limit of {limits.max_depth} hops")
        self._check_size(reached.size, limits)
        forward = direction == "forward"
        facts = self._facts(view, reached, forward, limits)
        at = facts.positions(reached)
        if forward:
            if facts.deepest_of(at) > limits.max_depth:
                raise LimitExceeded(f"containers nest deeper than the limit of {limits.max_depth}")
            self._check_size(int(facts.held_rows[at].sum()), limits)
        # process steps by key (a consumption names its step); the other groups as node numbers, in key order
        steps, step_nodes = facts.steps.of(at)
        others = view.in_key_order(np.concatenate([  # never a lot or serial: those are the reached ones
            facts.related.union(at), view.edges("RECORDED_AT", step_nodes, "in").src,
            view.nids(("Supplier", k) for k in start.suppliers), view.nids(("Material", k) for k in start.materials),
            view.nids([("Container", k) for k in start.containers] + [ref for ref in entry if ref[0] == "Container"])]))
        groups = _by_group(view, np.concatenate([view.in_key_order(reached), others]))
        self._check_size(sum(map(len, groups.values())) + len(steps), limits)
        return TraceResult(direction, start, entry, self, view, (reached, depths), groups,
                           {"process_steps": steps}, facts)

    def _reach(self, view: GraphColumns, seeds: np.ndarray, step: Literal["out", "in"],
               max_depth: int) -> tuple[np.ndarray, np.ndarray]:
        """The store's reach; walked again over live edges only when a reached consumption is retracted."""
        reached, depths = view.reach(seeds, GENEALOGY_RELS, step, max_depth)
        if not view.retractions("CONSUMED_INTO") or view.edges("CONSUMED_INTO", reached, step).live_mask().all():
            return reached, depths
        levels, frontier, hops = [seeds], seeds, 0
        seen = seeds
        while frontier.size and hops <= max_depth:
            hops += 1
            found = [(e.dst if step == "out" else e.src) for e in
                     (view.edges(rel, frontier, step).live() for rel in GENEALOGY_RELS)]
            frontier = np.setdiff1d(np.concatenate(found), seen)
            seen = np.union1d(seen, frontier)
            levels.append(frontier)
        nids, depths = np.concatenate(levels), np.repeat(np.arange(len(levels)), [lv.size for lv in levels])
        order = np.argsort(nids)
        return nids[order], depths[order]

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
            missing = sorted(set(keys) - set(self.store.find(kind, KINDS[kind].key, keys))) if keys else []
            if missing:
                raise NotFound(f"no {kind} with id {', '.join(map(repr, missing))}")
        seeds: list[NodeRef] = [("Lot", k) for k in start.lots] + [("Serial", k) for k in start.serials]
        for field, keys in (("supplier_id", start.suppliers), ("item_id", start.materials)):
            seeds += [("Lot", k) for k in self.store.find("Lot", field, keys)] if keys else []
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
                    lo = max(start_at, packed, key=moment_number)
                    hi = unpacked if end is None else end if unpacked is None else min(end, unpacked, key=moment_number)
                    if (hi is not None and moment_number(lo) >= moment_number(hi)) or (e.src, lo, hi) in seen:
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

    # -- what each reached item brings (see tracegraph.trace.facts) -----------------------------------
    def _facts(self, view: GraphColumns, reached: np.ndarray, forward: bool, limits: Limits) -> ItemFacts:
        """The facts of the reached items: for a forward trace, the whole graph's where the view keeps them and
        they followed containers deep enough for these limits; else worked out for these items (a backward
        trace needs only their context, and is seldom large)."""
        whole = self._whole_graph_facts(view) if forward else None
        if whole is not None and (limits.max_depth <= whole.depth_limit
                                  or whole.deepest_of(whole.positions(reached)) <= whole.depth_limit):
            return whole
        return self._item_facts(view, reached, forward, limits.max_depth, kept=False)

    def _whole_graph_facts(self, view: GraphColumns) -> ItemFacts | None:
        """Every lot's and serial's facts, kept with the view's version of the graph (where it is in memory)."""
        def build() -> ItemFacts:
            nodes = np.arange(view.size, dtype=np.int64)
            kinds = view.kinds(nodes)
            items = nodes[(kinds == KIND_CODE["Lot"]) | (kinds == KIND_CODE["Serial"])]
            return self._item_facts(view, items, True, self.limits.max_depth, kept=True)
        return view.whole_graph("trace facts", build)

    def _item_facts(self, view: GraphColumns, items: np.ndarray, downstream: bool, max_depth: int,
                    kept: bool) -> ItemFacts:
        """The facts of ``items`` (sorted), downstream ones too if asked, containers followed ``max_depth`` deep.
        ``kept``: facts kept for many traces, which keep their whereabouts but not the rows they are made of."""
        lots, serials = view.of_kind(items, "Lot"), view.of_kind(items, "Serial")
        supplied, of_item = view.edges("SUPPLIED", lots, "in"), view.edges("OF_ITEM", lots, "out")
        of_product, inspects = view.edges("OF_PRODUCT", serials, "out"), view.edges("INSPECTS", items, "in")
        context = [(supplied.dst, supplied.src), (of_item.src, of_item.dst), (of_product.src, of_product.dst),
                   (inspects.dst, inspects.src)]
        # the consumptions a trace follows from them: the steps they name are the trace's (both ends are reached)
        consumed = view.edges("CONSUMED_INTO", items, "out" if downstream else "in").live()
        keys, codes = np.unique(consumed.column("step_id"), return_inverse=True)
        steps = ((consumed.src if downstream else consumed.dst, codes.reshape(-1)), keys,
                 self._node_numbers(view, "ProcessStep", keys.tolist()))
        if not downstream:
            return ItemFacts.make(items, view.size, related=context, steps=steps, held=HeldColumns.empty(),
                                  deepest=np.zeros(items.size, dtype=np.int64), depth_limit=max_depth,
                                  carried=Carried.empty(), consumed=None, make_where=None)
        held, deepest = self._containment(view, items, max_depth)
        carried = self._shipments(view, items, held)
        shipped_item, shipped_to = carried.pairs()
        shipments = distinct(shipped_to)
        customer_ids = view.fields("Shipment", shipments, ["customer_id"])["customer_id"].tolist()
        customer = self._node_numbers(view, "Customer", customer_ids)[np.searchsorted(shipments, shipped_to)]
        known = customer >= 0
        related = context + [(held.item, held.container), (shipped_item, shipped_to),
                             (shipped_item[known], customer[known])]

        def where(facts: ItemFacts, view: GraphColumns) -> WhereColumns:
            assert facts.held is not None and facts.carried is not None and facts.consumed is not None
            made = self._whereabouts(view, view.in_key_order(lots), view.in_key_order(serials), facts.held,
                                     facts.carried, facts.consumed)
            if kept:  # a trace works out its own rows when it needs them (an explanation)
                facts.held = facts.carried = facts.consumed = None
            return made
        return ItemFacts.make(items, view.size, related=related, steps=steps, held=held, deepest=deepest,
                              depth_limit=max_depth, carried=carried, consumed=consumed, make_where=where)

    @staticmethod
    def _node_numbers(view: GraphColumns, kind: str, keys: list[str | None]) -> np.ndarray:
        """The node of each key (-1: none, or no such record): what a field that names a record points at."""
        found = view.nids((kind, k) for k in keys if k is not None)
        nid_of = dict(zip(view.keys(found), found.tolist()))
        return np.array([nid_of.get(k, -1) for k in keys], dtype=np.int64)

    def _containment(self, view: GraphColumns, items: np.ndarray, max_depth: int) -> tuple[HeldColumns, np.ndarray]:
        """Every container that held an item, and when, through nested containers: each level joins what
        is inside a child, and when, to the child's packings, keeping the intersections. Also, per item,
        the deepest level whose packings were looked at: at most ``max_depth`` + 1, where this stops."""
        parts: list[HeldColumns] = []
        deepest = np.zeros(items.size, dtype=np.int64)
        none = np.full(items.size, -1, dtype=np.int64)
        at, node = np.arange(items.size), items  # each row's item (its position), and what it is inside of
        # ``node`` holds it during [lo, hi), set by packings lo_edge, hi_edge
        lo, hi = np.full(items.size, NO_START, dtype=np.int64), np.full(items.size, NO_END, dtype=np.int64)
        lo_edge, hi_edge = none, none
        level = 0
        while node.size:
            level += 1
            f, edges = view.live_edges_of("PACKED_IN", node, "out")  # each row inside a child, with its packings
            deepest[at[f]] = level
            if level > max_depth:
                break
            packed, unpacked = edges.moments("packed_at"), edges.moments("unpacked_at")
            inner_lo, inner_hi = lo[f], hi[f]
            later, earlier = packed > inner_lo, unpacked < inner_hi
            start, end = np.where(later, packed, inner_lo), np.where(earlier, unpacked, inner_hi)
            ok = np.flatnonzero(start < end)
            row, numbers = f[ok], edges.numbers[ok]
            at, node, lo, hi = at[row], edges.dst[ok], start[ok], end[ok]
            lo_edge = np.where(later[ok], numbers, lo_edge[row])
            hi_edge = np.where(earlier[ok], numbers, hi_edge[row])
            parts.append(HeldColumns(items[at], node, lo, hi, lo_edge, hi_edge, edges.src[ok], numbers,
                                     np.full(at.size, level, dtype=np.int64), edges.source))
        return HeldColumns.concat(parts), deepest

    def _shipments(self, view: GraphColumns, items: np.ndarray, held: HeldColumns) -> Carried:
        """Shipments that carried a reached item, directly or inside a container at shipping time."""
        loose = view.edges("SHIPPED_IN", items, "out").live()
        h, lines = view.live_edges_of("SHIPPED_IN", held.container, "out")  # what each container held, with its lines
        when = self._shipped_at(view, lines.dst)
        inside = np.flatnonzero((held.start[h] <= when) & (when < held.end[h]))
        boxes = view.edges("SHIPPED_IN", held.container, "out")  # each line once, in the view's order
        carrying = boxes.where(member(boxes.numbers, lines.numbers[inside]))
        return Carried(loose, carrying, held.item[h[inside]], lines.dst[inside])

    @staticmethod
    def _shipped_at(view: GraphColumns, shipments: np.ndarray) -> np.ndarray:
        """Each shipment's time as a moment number (NO_END, never inside anything, when it has none)."""
        each = ordered(shipments, view.size)
        moments = moment_numbers(view.fields("Shipment", each, ["shipped_at"])["shipped_at"])
        return moments[np.searchsorted(each, shipments)]

    # -- where things are now ------------------------------------------------------------------
    def _whereabouts(self, view: GraphColumns, lots: np.ndarray, serials: np.ndarray, held: HeldColumns,
                     carried: Carried, consumptions: EdgeColumns) -> WhereColumns:
        """Where each of these lots and serials (each in key order) is now, from their containment, their
        shipments and their live consumptions."""
        items = np.concatenate([lots, serials])  # lots come first: a lot's position is its item position
        none = np.empty(0, dtype=np.int64)
        loose = carried.loose
        shipped_item, shipped_to = carried.pairs()
        # where the units of each lot went: shipped, else consumed, else in stock
        units = view.edges("HAS_SERIAL", lots, "out")
        unit_lot = positions_in(lots, units.src)
        unit_shipped, unit_consumed = member(units.dst, shipped_item), member(units.dst, consumptions.src)
        went = np.zeros((3, items.size), dtype=bool)
        went[np.where(unit_shipped, SHIPPED, np.where(unit_consumed, CONSUMED, IN_STOCK)), unit_lot] = True
        # what is left of each lot, in its unit: its quantity less every use (a unit that left counts one)
        lot = view.fields("Lot", lots, ["quantity", "uom"])
        lot_uom = lot["uom"].tolist()
        uses = [e for e in (loose, consumptions) if e is not None and len(e)]
        use_item = np.concatenate([e.src for e in uses] + [none])
        use_quantity = np.concatenate([_quantities(e.column("quantity")) for e in uses] + [np.empty(0)])
        use_uom = [u for e in uses for u in e.column("uom").tolist()]
        of_lot = member(use_item, lots)
        use_lot = positions_in(lots, use_item[of_lot])
        lot_use_uom = [u for u, mine in zip(use_uom, of_lot.tolist()) if mine]
        unknown = np.isnan(use_quantity[of_lot]) | np.array(
            [not in_lot_unit(u, lot_uom[i]) for u, i in zip(lot_use_uom, use_lot.tolist())], dtype=bool)
        out_units = np.bincount(unit_lot[unit_shipped | unit_consumed], minlength=lots.size)
        taken = np.bincount(use_lot, weights=np.nan_to_num(use_quantity[of_lot]), minlength=lots.size) + out_units
        blind = np.bincount(use_lot, weights=unknown, minlength=lots.size) > 0
        blind |= (out_units > 0) & np.array([bool(u) and u not in _COUNT_UOMS for u in lot_uom], dtype=bool)
        quantity = _quantities(lot["quantity"])
        blind |= member(lots, carried.boxed_item) | np.isnan(quantity)
        remaining = np.concatenate([np.where(blind, np.nan, np.maximum(quantity - taken, 0.0)),
                                    np.full(serials.size, np.nan)])
        sent, used = member(items, shipped_item), member(items, consumptions.src)
        status = np.where((np.nan_to_num(remaining) > 0) | went[IN_STOCK], IN_STOCK,
                          np.where(sent | went[SHIPPED], SHIPPED, np.where(used | went[CONSUMED], CONSUMED, IN_STOCK)))
        now = (held.end == NO_END) & (held.via == held.item)
        shipments = distinct(shipped_to)
        shipment = view.fields("Shipment", shipments, ["customer_id", "shipped_at"])
        lot_line = np.zeros(shipped_item.size)  # a loose lot line's quantity (the loose lines come first)
        if loose is not None and len(loose):
            lot_line[:len(loose)] = np.where(view.kinds(loose.src) == KIND_CODE["Lot"],
                                             np.nan_to_num(_quantities(loose.column("quantity"))), 0.0)
        return WhereColumns(items, lots.size, status, remaining, (shipped_item, np.searchsorted(shipments, shipped_to)),
                            lot_line, (consumptions.src, consumptions.dst), (held.item[now], held.container[now]),
                            shipments, shipment["customer_id"], shipment["shipped_at"])

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
            raise BadInput(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
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
                      and moment_number(h.start) <= moment_number(outer.start)
                      and moment_number(outer.end) <= moment_number(h.end)]
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
        if self.best is None:  # the trace reached it over links the store no longer holds (a kept trace)
            kind, key = self.target
            raise StoreError(f"{kind} {key!r} is no longer joined to the start: a link of this trace was "
                             "retracted since it ran; run the trace again")
        chain: list[Link] = []
        node = self.best[1]
        while (edge := self.toward[node]) is not None:
            chain.append(Link(edge.rel, edge.src, edge.dst, edge.props))
            node = edge.dst if edge.src == node else edge.src  # its other end, a step nearer the target
        return starts[self.best[1]] + chain


def _by_group(view: GraphColumns, nodes: np.ndarray) -> dict[str, np.ndarray]:
    """Nodes grouped by kind, each kind in key order, split into the result groups (process steps aside,
    which go by key)."""
    groups = {g: np.empty(0, dtype=np.int64) for g in GROUPS if g != "process_steps"}
    kinds = view.kinds(nodes)
    for part in np.split(nodes, np.flatnonzero(kinds[1:] != kinds[:-1]) + 1):
        group = GROUP_OF_KIND.get(KIND_NAMES[view.kinds(part[:1])[0]]) if part.size else None
        if group in groups:
            groups[group] = part  # type: ignore[index]
    return groups


def _quantities(column: np.ndarray) -> np.ndarray:
    """A quantity column as floats, NaN where none is recorded."""
    return np.array([np.nan if v is None else float(v) for v in column.tolist()], dtype=float)


def _cost(chain: list[Link]) -> tuple[int, int]:
    """How explanations are compared: fewest links, then fewest genealogy links."""
    return len(chain), sum(link.rel in GENEALOGY_RELS for link in chain)


def _rank(chain: list[Link]) -> tuple[tuple[int, int], list[tuple[str, ...]]]:
    """:func:`_cost`, ties going to the smaller ids link by link (never to a backend's edge order)."""
    return _cost(chain), [link_order(link) for link in chain]
