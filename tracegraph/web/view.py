"""The trace explorer's picture of a trace: layered nodes and the records joining them.

Layers run left to right as a recall coordinator reads a genealogy: suppliers, purchased lots,
sub-assembly lots, finished lots, serials, containers, shipments, customers. What is reached
comes from the engine's :class:`~tracegraph.trace.TraceResult` (its ids, containment intervals
and shipment contents); this module only fetches, set-at-a-time, the records that join them, and
collapses a layer with more than ``limit`` nodes into one counted group until it is expanded.
An expansion draws at most :data:`EXPAND_CAP` of the layer; the rest stay one counted group that
the page lists a page at a time (GraphQL ``traceLayer``), so every record stays reachable.
Recall holds come from the same place every trace and record gets them (:class:`~tracegraph.Graph`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..schema import REL_KINDS, RelKind
from ..schema.neighbours import NEIGHBOURS
from ..store import Edge, NodeRef, Store
from ..trace import TraceResult, live_edges
from ..trace.model import KIND_OF_GROUP

if TYPE_CHECKING:
    from ..graph import Graph

LOT_LAYERS: tuple[str, ...] = ("purchased_lots", "subassembly_lots", "finished_lots")  # by the lot's role
LAYERS: tuple[str, ...] = ("suppliers", *LOT_LAYERS, "serials", "containers", "shipments", "customers")
LAYER_TITLES = {"suppliers": "Suppliers", "purchased_lots": "Purchased lots", "subassembly_lots": "Sub-assemblies",
                "finished_lots": "Finished lots", "serials": "Serials", "containers": "Containers",
                "shipments": "Shipments", "customers": "Customers"}
# the kind of a layer's records: every layer but a lot layer is the trace's result group of its name
LAYER_KINDS = {name: "Lot" if name in LOT_LAYERS else KIND_OF_GROUP[name] for name in LAYERS}
DEFAULT_LIMIT = 50  # nodes a layer shows before it collapses (8 layers: a few hundred nodes at most)
# Nodes one expansion draws; the rest stay in a group the page lists. Neo4j Browser's default
# (maxNeighbours) too: a 100-node column is already taller than the graph box, and expanding a lot's
# 2,000 serials now keeps headless Chromium busy about 0.2 s where drawing them all froze it for
# 3.5-4.8 s (longest task, medians; python -m bench.web_expand).
EXPAND_CAP = 100


def node_id(ref: NodeRef) -> str:
    return f"{ref[0]}:{ref[1]}"


@dataclass(frozen=True)
class _Link:
    rel: str
    src: NodeRef
    dst: NodeRef
    props: tuple[tuple[str, Any], ...]


def _layers(store: Store, trace: TraceResult) -> tuple[dict[NodeRef, str], dict[str, dict[str, Any]]]:
    """Each reached node's layer, plus the lot records that tell a lot's role (and join it to its supplier)."""
    ids = trace.ids
    lots = store.get("Lot", ids["lots"])
    products = set(ids["products"])
    layer: dict[NodeRef, str] = {
        ("Lot", key): ("purchased_lots" if lot.get("supplier_id") else
                       "finished_lots" if lot.get("item_id") in products else "subassembly_lots")
        for key, lot in lots.items()}
    layer.update({(LAYER_KINDS[name], k): name for name in LAYERS if name not in LOT_LAYERS for k in ids[name]})
    return layer, lots


def layer_keys(store: Store, trace: TraceResult, name: str) -> list[str]:
    """The keys of one layer's nodes in key order, the order :func:`trace_view` draws them in. Only a lot
    layer needs the lot records (a lot's role); the others are the trace's ids, read without the store."""
    if name not in LOT_LAYERS:
        return sorted(trace.ids[name])
    layer, _ = _layers(store, trace)
    return sorted(key for (_, key), in_layer in layer.items() if in_layer == name)


def _links(store: Store, trace: TraceResult, layer: dict[NodeRef, str], lots: dict[str, dict[str, Any]],
           serials: dict[str, dict[str, Any]]) -> list[_Link]:
    """The records joining drawn nodes: supply, consumption, serials of a lot, packing, shipping."""
    out: list[_Link] = []

    def add(rel: str, src: NodeRef, dst: NodeRef, props: dict[str, Any]) -> None:
        if src in layer and dst in layer:
            out.append(_Link(rel, src, dst, tuple(sorted((k, v) for k, v in props.items() if v is not None))))

    for key, lot in lots.items():
        if lot.get("supplier_id"):
            add("SUPPLIED", ("Supplier", lot["supplier_id"]), ("Lot", key), {})
    items = [ref for ref in layer if ref[0] in ("Lot", "Serial")]
    for e in live_edges(store, "CONSUMED_INTO", items, "out"):
        add(e.rel, e.src, e.dst, e.props)
    for key, serial in serials.items():
        if serial.get("lot_id"):
            add("HAS_SERIAL", ("Lot", serial["lot_id"]), ("Serial", key), {})
    for h in trace.held:
        add("PACKED_IN", h.via, ("Container", h.container), {"packed_at": h.packed_at, "unpacked_at": h.unpacked_at})
    for packing in trace.entry.values():  # inside a start container (a backward trace has no ``held``)
        for link in packing:
            add(link.rel, link.src, link.dst, {k: link.props.get(k) for k in ("packed_at", "unpacked_at")})
    shipments = store.get("Shipment", trace.ids["shipments"])
    for shipment, carried in trace.carried.items():
        for link in carried:
            add(link.rel, link.src, link.dst, {**link.props, "shipped_at": shipments[shipment]["shipped_at"]})
    for key, s in shipments.items():
        add("SHIPPED_TO", ("Shipment", key), ("Customer", s["customer_id"]), {"shipped_at": s["shipped_at"]})
    return list(dict.fromkeys(out))


def trace_view(store: Store, trace: TraceResult, *, limit: int = DEFAULT_LIMIT,
               expand: tuple[str, ...] = ()) -> dict[str, Any]:
    """Nodes, counted groups and edges for drawing ``trace``; JSON-ready.

    A layer with more than ``limit`` nodes becomes one group node (``group:<layer>``, with the kind of the
    records it stands for in ``member_kind``) unless it is in ``expand``; an expanded layer shows its first
    :data:`EXPAND_CAP` nodes (``limit`` if more) and groups the rest in a ``more`` group, which says how
    many are ``drawn`` and the last key drawn (``after``: where a list of the rest starts).
    Edges into a group are merged and counted. ``counts`` gives each result group's size, and ``group_kinds``
    the kind of its records (what a page of the group asks for).
    """
    layer, lots = _layers(store, trace)
    serials = store.get("Serial", trace.ids["serials"])
    members: dict[str, list[NodeRef]] = defaultdict(list)
    for ref, name in sorted(layer.items()):
        members[name].append(ref)
    shown_as: dict[NodeRef, str] = {}
    nodes: list[dict[str, Any]] = []
    start = set(trace.start.refs())

    def held_by(ref: NodeRef) -> list[str]:
        return sorted({h["recall_id"] for h in trace.holds.get(node_id(ref), [])})
    for name in LAYERS:
        refs = members.get(name, [])
        cap = max(EXPAND_CAP, limit) if name in expand else limit  # expanding never draws fewer
        visible = refs if len(refs) <= cap else refs[:cap] if name in expand else []
        for ref in visible:
            shown_as[ref] = node_id(ref)
            nodes.append({"id": node_id(ref), "kind": ref[0], "key": ref[1], "layer": name,
                          "start": ref in start, "holds": held_by(ref)})
        hidden = refs[len(visible):]
        if hidden:
            group = f"group:{name}"
            shown_as.update(dict.fromkeys(hidden, group))
            more = {"more": True, "drawn": len(visible), "after": visible[-1][1]} if visible else {}
            nodes.append({"id": group, "kind": "Group", "member_kind": LAYER_KINDS[name], "layer": name,
                          "count": len(hidden), "start": False,
                          "key": f"{len(hidden):,} {'more ' if visible else ''}{LAYER_TITLES[name].lower()}",
                          "held": sum(node_id(ref) in trace.holds for ref in hidden), **more})
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for link in _links(store, trace, layer, lots, serials):
        src, dst = shown_as[link.src], shown_as[link.dst]
        if src == dst:  # e.g. a case packed on a pallet, both inside one group
            continue
        key = (link.rel, src, dst)
        if key in merged:
            merged[key]["count"] += 1
            continue
        merged[key] = {"id": f"{link.rel}|{src}|{dst}|{len(merged)}", "rel": link.rel, "source": src,
                       "target": dst, "props": dict(link.props), "count": 1,
                       "from": node_id(link.src), "to": node_id(link.dst)}
    return {"direction": trace.direction, "layers": [{"name": n, "title": LAYER_TITLES[n],
                                                      "count": len(members.get(n, []))} for n in LAYERS],
            "counts": {group: len(keys) for group, keys in trace.ids.items()},
            "group_kinds": {group: KIND_OF_GROUP[group] for group in trace.ids}, "on_hold": len(trace.holds),
            "nodes": nodes, "edges": list(merged.values())}


def _lists(kind: str, rel: RelKind, direction: str) -> dict[str, Any] | None:
    """The GraphQL connection that pages through all of a ``kind`` record's neighbours by ``rel`` in
    ``direction``: its field, the far end's kinds and, when its nodes are relationships (the far end
    under ``from``/``to``), the relationship's fields; None when the API has none."""
    for spec in NEIGHBOURS.get(kind, ()):
        if (spec.rel, spec.direction) == (rel.name, direction) and spec.shape != "one":
            far = rel.target if direction == "out" else rel.source
            return {"field": f"{spec.name}Connection", "kinds": list(far),
                    "relation_fields": [f.name for f in rel.fields] if spec.shape == "relations" else None}
    return None


def record_view(graph: Graph, kind: str, key: str, per_rel: int = 10) -> dict[str, Any]:
    """One record's properties, its active recall holds (each with its recall's reason, classification
    and status) and its direct neighbours (the first ``per_rel`` per relationship). A relationship cut
    short ends in a ``More`` entry saying how many are not shown and, in ``list``, the connection that
    lists them all (see :func:`_lists`). NotFound when absent."""
    properties = graph.record(kind, key)
    recalls = graph.recalls()
    holds = []
    for hold in properties.pop("holds", []):
        recall = recalls.get(hold["recall_id"])
        holds.append({**hold, "reason": recall.reason, "classification": recall.classification,
                      "status": recall.status})
    neighbours: list[dict[str, Any]] = []
    for rel in REL_KINDS:
        for direction, ends in (("out", rel.source), ("in", rel.target)):
            if kind not in ends:
                continue
            edges: list[Edge] = graph.store.edges(rel.name, [(kind, key)], direction)
            for e in edges[:per_rel]:
                far = e.dst if direction == "out" else e.src
                neighbours.append({"rel": rel.name, "direction": direction, "kind": far[0], "key": far[1],
                                   "props": {k: v for k, v in e.props.items() if v is not None}})
            if len(edges) > per_rel:
                neighbours.append({"rel": rel.name, "direction": direction, "kind": "More", "key": "",
                                   "props": {"not shown": len(edges) - per_rel},
                                   "list": _lists(kind, rel, direction)})
    return {"kind": kind, "key": key, "properties": properties, "holds": holds, "neighbours": neighbours}
