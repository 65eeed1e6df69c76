"""An independent answer to every trace question, straight from the canonical tables.

It shares nothing with the engine or the store: networkx holds the genealogy, and containment is
computed the other way round. A row with ``retracted_at`` (every event behind it declared erroneous)
never happened, so the oracle drops it on reading. The engine pushes each item's time interval bottom-up through
nested containers; this oracle takes snapshots: what a container held at a moment t is found by
walking its contents top-down among the packing rows open at t. Containment changes only when
something is packed, so a snapshot at every packed_at time sees every interval that ever held.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from functools import cache
from typing import Any

import networkx as nx

Ref = tuple[str, str]  # (kind, id) as the engine names them
KIND = {"lot": "Lot", "serial": "Serial", "container": "Container"}
ITEM_KINDS = ("Lot", "Serial")
PIECES = ("EA", "H87", "C62")  # UN/CEFACT each, piece, one: the units a serial counts one of


def moment(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


class Oracle:
    def __init__(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        self.rows = {table: [r for r in table_rows if blank(r.get("retracted_at"))]
                     for table, table_rows in rows.items()}
        rows = self.rows
        self.lots = {r["lot_id"]: r for r in rows.get("lots", [])}
        self.serials = {r["serial_id"]: r for r in rows.get("serials", [])}
        self.products = {r["product_id"] for r in rows.get("products", [])}
        self.shipments = {r["shipment_id"]: (r["customer_id"], moment(r["shipped_at"]))
                          for r in rows.get("shipments", [])}
        self.genealogy = nx.DiGraph()
        self.genealogy.add_nodes_from(("Lot", k) for k in self.lots)
        self.genealogy.add_nodes_from(("Serial", k) for k in self.serials)
        for r in rows.get("consumptions", []):
            self.genealogy.add_edge((KIND[r["input_type"]], r["input_id"]), (KIND[r["output_type"]], r["output_id"]))
        for k, r in self.serials.items():
            if not blank(r["lot_id"]):
                self.genealogy.add_edge(("Lot", r["lot_id"]), ("Serial", k))
        self.packing = [((KIND[r["child_type"]], r["child_id"]), r["container_id"], moment(r["packed_at"]),
                         None if blank(r["unpacked_at"]) else moment(r["unpacked_at"]))
                        for r in rows.get("packing", [])]
        self.containers = {c for _, c, _, _ in self.packing} | {
            r["item_id"] for r in rows.get("shipment_items", []) if r["item_type"] == "container"}
        self.breakpoints = sorted({p for _, _, p, _ in self.packing})

    # -- containment by snapshots ------------------------------------------------------------
    @cache  # noqa: B019 - one oracle per graph, dropped with it
    def contents_at(self, container: str, t: datetime) -> frozenset[Ref]:
        """Everything inside ``container`` at ``t``, walking nested containers top-down."""
        found: set[Ref] = set()
        todo = [container]
        while todo:
            outer = todo.pop()
            for child, parent, packed, unpacked in self.packing:
                if parent == outer and packed <= t and (unpacked is None or t < unpacked) and child not in found:
                    found.add(child)
                    if child[0] == "Container":
                        todo.append(child[1])
        return frozenset(found)

    def ever_inside(self, container: str) -> set[Ref]:
        return set().union(*(self.contents_at(container, t) for t in self.breakpoints))

    def holders(self, items: set[Ref]) -> set[str]:
        """Containers that held (directly or nested) one of ``items`` at some moment."""
        return {c for c in self.containers if any(self.contents_at(c, t) & items for t in self.breakpoints)}

    def shipments_of(self, item: Ref) -> set[str]:
        """Shipments that carried ``item``: listed itself, or inside a shipped container at shipping time."""
        out = set()
        for r in self.rows.get("shipment_items", []):
            ref = (KIND[r["item_type"]], r["item_id"])
            if ref == item or (ref[0] == "Container"
                               and item in self.contents_at(ref[1], self.shipments[r["shipment_id"]][1])):
                out.add(r["shipment_id"])
        return out

    def received(self, customer: str) -> set[Ref]:
        """Lots and serials that reached ``customer``: listed on its shipments, or inside a listed container then."""
        out: set[Ref] = set()
        for r in self.rows.get("shipment_items", []):
            who, when = self.shipments[r["shipment_id"]]
            if who != customer:
                continue
            if r["item_type"] == "container":
                out |= {ref for ref in self.contents_at(r["item_id"], when) if ref[0] in ITEM_KINDS}
            else:
                out.add((KIND[r["item_type"]], r["item_id"]))
        return out

    # -- traces ------------------------------------------------------------------------------
    def seeds(self, start: dict[str, list[str]]) -> tuple[set[Ref], set[str]]:
        seeds: set[Ref] = {("Lot", k) for k in start.get("lots", [])}
        seeds |= {("Serial", k) for k in start.get("serials", [])}
        seeds |= {("Lot", k) for k, r in self.lots.items() if r["supplier_id"] in start.get("suppliers", [])}
        seeds |= {("Lot", k) for k, r in self.lots.items() if r["item_id"] in start.get("materials", [])}
        containers = set(start.get("containers", []))
        for c in start.get("containers", []):
            inside = self.ever_inside(c)
            seeds |= {ref for ref in inside if ref[0] in ITEM_KINDS}
            containers |= {ref[1] for ref in inside if ref[0] == "Container"}
        return seeds, containers

    def trace(self, direction: str, start: dict[str, list[str]]) -> dict[str, set[str]]:
        seeds, containers = self.seeds(start)
        walk = nx.descendants if direction == "forward" else nx.ancestors
        reached = set(seeds).union(*(walk(self.genealogy, s) for s in seeds))
        out: dict[str, set[str]] = defaultdict(set)
        out["lots"] = {k for kind, k in reached if kind == "Lot"}
        out["serials"] = {k for kind, k in reached if kind == "Serial"}
        out["containers"] = set(containers)
        out["suppliers"] = set(start.get("suppliers", []))
        out["materials"] = set(start.get("materials", []))
        if direction == "forward":
            out["containers"] |= self.holders(reached)
            out["shipments"] = set().union(*(self.shipments_of(i) for i in reached))
            out["customers"] = {self.shipments[s][0] for s in out["shipments"]}
        for k in out["lots"]:
            lot = self.lots[k]
            if not blank(lot["supplier_id"]):
                out["suppliers"].add(lot["supplier_id"])
            out["products" if lot["item_id"] in self.products else "materials"].add(lot["item_id"])
        out["products"] |= {self.serials[k]["product_id"] for k in out["serials"]}
        out["process_steps"] = {r["step_id"] for r in self.rows.get("consumptions", [])
                                if (KIND[r["input_type"]], r["input_id"]) in reached
                                and (KIND[r["output_type"]], r["output_id"]) in reached}
        out["inspections"] = {r["inspection_id"] for r in self.rows.get("inspections", [])
                              if (KIND[r["subject_type"]], r["subject_id"]) in reached
                              or r["step_id"] in out["process_steps"]}
        return out

    def recall(self, start: dict[str, list[str]]) -> tuple[dict[str, set[str]], dict[Ref, dict[str, Any]],
                                                           dict[str, dict[str, float]]]:
        """The forward trace, each affected item's whereabouts, and counts per customer."""
        groups = self.trace("forward", start)
        where: dict[Ref, dict[str, Any]] = {}
        for k in groups["serials"]:
            sent, used = self.shipments_of(("Serial", k)), self.uses_of(("Serial", k))
            status = "shipped" if sent else "consumed" if used else "in_stock"
            where[("Serial", k)] = self.whereabouts(("Serial", k), sent, used, None, status)
        for k in groups["lots"]:
            sent, used = self.shipments_of(("Lot", k)), self.uses_of(("Lot", k))
            left = self.on_hand(k)
            units = [("Serial", s) for s, r in self.serials.items() if r["lot_id"] == k]
            # some of it or of its units still here: hold it; else the furthest it or its units went
            if (left is not None and left > 0) or any(not self.shipments_of(u) and not self.uses_of(u) for u in units):
                status = "in_stock"
            elif sent or any(self.shipments_of(u) for u in units):
                status = "shipped"
            elif used or any(self.uses_of(u) for u in units):
                status = "consumed"
            else:
                status = "in_stock"
            where[("Lot", k)] = self.whereabouts(("Lot", k), sent, used, left, status)
        by_customer: dict[str, dict[str, float]] = {}

        def counts(customer: str) -> dict[str, float]:
            return by_customer.setdefault(customer, {"lots": 0, "serials": 0, "shipments": 0, "lot_quantity": 0.0})
        for item, w in where.items():
            for customer in w["customers"]:
                counts(customer)["lots" if item[0] == "Lot" else "serials"] += 1
        for s in groups["shipments"]:
            counts(self.shipments[s][0])["shipments"] += 1
        for r in self.rows.get("shipment_items", []):
            if r["item_type"] == "lot" and r["item_id"] in groups["lots"] and r["shipment_id"] in groups["shipments"]:
                counts(self.shipments[r["shipment_id"]][0])["lot_quantity"] += float(r["quantity"] or 0)
        return groups, where, by_customer

    def whereabouts(self, item: Ref, sent: set[str], used: list[Ref], left: float | None,
                    status: str) -> dict[str, Any]:
        return {"status": status, "remaining": left, "customers": sorted({self.shipments[s][0] for s in sent}),
                "shipments": sorted(sent, key=lambda s: (self.shipments[s][1], s)), "consumed_into": sorted(set(used)),
                "containers": sorted(c for child, c, _, unpacked in self.packing if child == item and unpacked is None)}

    def uses_of(self, item: Ref) -> list[Ref]:
        """What ``item`` was consumed into (its own consumption rows, not its units)."""
        return [(KIND[r["output_type"]], r["output_id"]) for r in self.rows.get("consumptions", [])
                if (KIND[r["input_type"]], r["input_id"]) == item]

    def on_hand(self, lot_id: str) -> float | None:
        """A ledger of the lot from the raw rows: its quantity, less every consumption row and shipment
        row naming it, less one for each of its serials that was shipped or consumed. None when a row
        has no quantity or another unit, a unit is no piece, or the lot left inside a container."""
        lot = self.lots[lot_id]
        if blank(lot["quantity"]):
            return None
        unit = None if blank(lot["uom"]) else lot["uom"]
        rows = [r for r in self.rows.get("consumptions", []) if r["input_type"] == "lot" and r["input_id"] == lot_id]
        rows += [r for r in self.rows.get("shipment_items", []) if r["item_type"] == "lot" and r["item_id"] == lot_id]
        if any(blank(r["quantity"]) or (not blank(r.get("uom")) and r["uom"] != unit) for r in rows):
            return None
        units_gone = [s for s, r in self.serials.items() if r["lot_id"] == lot_id
                      and (self.shipments_of(("Serial", s)) or self.uses_of(("Serial", s)))]
        if units_gone and unit is not None and unit not in PIECES:
            return None  # a serial is one piece, not one kilogram
        if any(r["item_type"] == "container" and ("Lot", lot_id) in self.contents_at(
                r["item_id"], self.shipments[r["shipment_id"]][1]) for r in self.rows.get("shipment_items", [])):
            return None  # how much of it left in the container is not recorded
        return max(float(lot["quantity"]) - sum(float(r["quantity"]) for r in rows) - len(units_gone), 0.0)

    # -- shortest explanations ---------------------------------------------------------------
    def distances(self, direction: str, start: dict[str, list[str]]) -> dict[Ref, int]:
        """Fewest links from the start to each reached lot or serial (a supplier, material or
        container start costs the one SUPPLIED, OF_ITEM or PACKED_IN link that names the seed)."""
        graph = self.genealogy if direction == "forward" else self.genealogy.reverse(copy=False)
        origin = ("Start", "")
        g = nx.DiGraph(graph)
        g.add_node(origin)
        for k in start.get("lots", []):
            g.add_edge(origin, ("Lot", k), w=0)
        for k in start.get("serials", []):
            g.add_edge(origin, ("Serial", k), w=0)
        for ref in self.seeds({"suppliers": start.get("suppliers", []), "materials": start.get("materials", [])})[0]:
            g.add_edge(origin, ref, w=1)
        for c in start.get("containers", []):
            for ref, hops in self.nesting_hops_down(c).items():
                if ref[0] in ITEM_KINDS:
                    g.add_edge(origin, ref, w=hops)
        lengths = nx.single_source_dijkstra_path_length(g, origin, weight=lambda u, v, d: d.get("w", 1))
        lengths.pop(origin)
        return lengths

    def nesting_hops_down(self, container: str) -> dict[Ref, int]:
        """Fewest PACKED_IN links from anything ever inside ``container`` up to it (time-bounded)."""
        best: dict[Ref, int] = {}
        for t in self.breakpoints:
            level = {container}
            depth = 0
            while level:
                depth += 1
                children = {child for child, parent, packed, unpacked in self.packing
                            if parent in level and packed <= t and (unpacked is None or t < unpacked)}
                for child in children:
                    best[child] = min(best.get(child, depth), depth)
                level = {c[1] for c in children if c[0] == "Container"}
        return best

    def shortest_to_container(self, dist: dict[Ref, int], container: str) -> int:
        return min(dist[item] + hops for item, hops in self.nesting_hops_down(container).items() if item in dist)

    def shortest_to_shipment(self, dist: dict[Ref, int], shipment: str, start: dict[str, list[str]]) -> int:
        when = self.shipments[shipment][1]
        starts = {("Container", c) for c in start.get("containers", [])}
        best = []
        for r in self.rows.get("shipment_items", []):
            if r["shipment_id"] != shipment:
                continue
            ref = (KIND[r["item_type"]], r["item_id"])
            if ref in dist or ref in starts:
                best.append(dist.get(ref, 0) + 1)
            elif ref[0] == "Container":
                best += [dist[item] + self._hops_at(ref[1], item, when) + 1
                         for item in self.contents_at(ref[1], when) if item in dist]
        return min(best)

    def _hops_at(self, container: str, item: Ref, t: datetime) -> int:
        level, depth = {container}, 0
        while level:
            depth += 1
            children = {child for child, parent, packed, unpacked in self.packing
                        if parent in level and packed <= t and (unpacked is None or t < unpacked)}
            if item in children:
                return depth
            level = {c[1] for c in children if c[0] == "Container"}
        raise AssertionError(f"{item} not in {container} at {t}")


# -- explanations: is a chain a walk of real records, and the shortest one? ---------------------
def _records(rows: dict[str, list[dict[str, Any]]]) -> set[tuple[Any, ...]]:
    """Every edge the tables state, as (rel, src, dst, identity) tuples."""
    out: set[tuple[Any, ...]] = set()
    for r in rows.get("consumptions", []):
        out.add(("CONSUMED_INTO", (KIND[r["input_type"]], r["input_id"]), (KIND[r["output_type"]], r["output_id"]),
                 r["step_id"]))
    for r in rows.get("packing", []):
        out.add(("PACKED_IN", (KIND[r["child_type"]], r["child_id"]), ("Container", r["container_id"]),
                 (moment(r["packed_at"]), None if blank(r["unpacked_at"]) else moment(r["unpacked_at"]))))
    for r in rows.get("shipment_items", []):
        out.add(("SHIPPED_IN", (KIND[r["item_type"]], r["item_id"]), ("Shipment", r["shipment_id"]), None))
    for r in rows.get("shipments", []):
        out.add(("SHIPPED_TO", ("Shipment", r["shipment_id"]), ("Customer", r["customer_id"]), None))
    products = {r["product_id"] for r in rows.get("products", [])}
    for r in rows.get("lots", []):
        if not blank(r["supplier_id"]):
            out.add(("SUPPLIED", ("Supplier", r["supplier_id"]), ("Lot", r["lot_id"]), None))
        out.add(("OF_ITEM", ("Lot", r["lot_id"]), ("Product" if r["item_id"] in products else "Material", r["item_id"]),
                 None))
    for r in rows.get("serials", []):
        out.add(("OF_PRODUCT", ("Serial", r["serial_id"]), ("Product", r["product_id"]), None))
        if not blank(r["lot_id"]):
            out.add(("HAS_SERIAL", ("Lot", r["lot_id"]), ("Serial", r["serial_id"]), None))
    for r in rows.get("inspections", []):
        out.add(("INSPECTS", ("Inspection", r["inspection_id"]), (KIND[r["subject_type"]], r["subject_id"]), None))
        if not blank(r["step_id"]):
            out.add(("RECORDED_AT", ("Inspection", r["inspection_id"]), ("ProcessStep", r["step_id"]), None))
    return out


def chain_problem(oracle: Oracle, start: dict[str, list[str]], target: Ref, chain: list[Any]) -> str | None:
    """Why ``chain`` (engine Links) is not a time-consistent walk of real records from the start to
    ``target``; None when it is."""
    records = _records(oracle.rows)
    kinds = {"lots": "Lot", "serials": "Serial", "containers": "Container", "suppliers": "Supplier",
             "materials": "Material"}
    at_node = {(kinds[g], k) for g, keys in start.items() for k in keys}
    window: tuple[datetime, datetime | None] | None = None  # while inside containers: when that holds
    for n, link in enumerate(chain):
        identity: Any = None
        if link.rel == "CONSUMED_INTO":
            identity = link.props["step_id"]
        elif link.rel == "PACKED_IN":
            unpacked = link.props["unpacked_at"]
            identity = (moment(link.props["packed_at"]), moment(unpacked) if unpacked else None)
        if (link.rel, link.src, link.dst, identity) not in records:
            return f"link {n} {link} is not a record in the tables"
        if any(node[0] in ITEM_KINDS for node in at_node):
            window = None  # leaving an item: any containment from here on is a new story
        here = {node for node in at_node if node in (link.src, link.dst)}
        if not here:
            return f"link {n} {link} does not continue the chain from {sorted(at_node)}"
        at_node = {link.dst if node == link.src else link.src for node in here}
        if link.rel == "CONSUMED_INTO":  # a consumption record is also a record of its step
            at_node.add(("ProcessStep", link.props["step_id"]))
        if link.rel == "PACKED_IN":
            lo, hi = identity
            if window is not None:
                lo = max(lo, window[0])
                hi = window[1] if hi is None else hi if window[1] is None else min(hi, window[1])
            if hi is not None and not lo < hi:
                return f"link {n} {link}: the packing intervals along the chain never overlap"
            window = (lo, hi)
        elif link.rel == "SHIPPED_IN" and link.src[0] == "Container" and not (n == 0 and link.src[1] in start.get(
                "containers", [])):  # a start container itself shipping needs no more
            shipped = oracle.shipments[link.dst[1]][1]
            if window is None or not (window[0] <= shipped and (window[1] is None or shipped < window[1])):
                return f"link {n} {link}: the chain's item was not in the container when it shipped"
            window = None
        else:
            window = None
    if target not in at_node:
        return f"the chain ends at {sorted(at_node)}, not at {target}"
    return None
