"""Broken chains found by tracing: unsourced shipped serials, trace coverage, empty containers shipped.

What reaches what, and what a shipment carried, comes from the trace engine: two recall
scopes over the whole graph (everything downstream of the suppliers' lots, then everything
else) give every item's whereabouts and every shipment's contents, set-at-a-time.
"""

from __future__ import annotations

from ..store import NodeRef, Store
from ..trace import RecallScope, TraceEngine, TraceStart, live
from .model import Finding, TraceCoverage


def _scopes(store: Store, engine: TraceEngine) -> tuple[RecallScope | None, RecallScope | None]:
    """The scope downstream of every purchased lot, and the scope of every item outside it."""
    suppliers = tuple(store.keys("Supplier"))
    sourced = engine.recall_scope(TraceStart(suppliers=suppliers)) if suppliers else None
    reached = sourced.trace.ids if sourced else {"lots": [], "serials": []}
    lots = tuple(sorted(set(store.keys("Lot")).difference(reached["lots"])))
    serials = tuple(sorted(set(store.keys("Serial")).difference(reached["serials"])))
    rest = engine.recall_scope(TraceStart(lots=lots, serials=serials)) if lots or serials else None
    return sourced, rest


def chain_checks(store: Store, engine: TraceEngine) -> tuple[TraceCoverage, list[Finding]]:
    sourced, rest = _scopes(store, engine)
    scopes = [s for s in (sourced, rest) if s is not None]
    covered = set(sourced.trace.ids["serials"]) if sourced else set()
    shipped = {ref: w for s in scopes for ref, w in s.whereabouts.items()
               if ref[0] == "Serial" and w.status == "shipped"}
    findings: list[Finding] = []
    unsourced = sorted(key for _, key in shipped if key not in covered)
    serials = store.get("Serial", unsourced)
    for key in unsourced:
        w = shipped[("Serial", key)]
        lot = serials[key].get("lot_id")
        records: list[NodeRef] = [("Serial", key)] + ([("Lot", lot)] if lot else [])
        records += [("Shipment", s) for s in w.shipments] + [("Customer", c) for c in w.customers]
        findings.append(Finding(
            "unsourced_shipped_serial", ("Serial", key),
            f"Serial {key} (lot {lot or 'unknown'}) shipped to {', '.join(w.customers)}; its backward trace "
            f"reaches no purchased lot or supplier", tuple(records)))
    coverage = TraceCoverage(len(shipped), len(shipped) - len(unsourced))
    findings += _empty_containers(store, scopes)
    return coverage, findings


def _empty_containers(store: Store, scopes: list[RecallScope]) -> list[Finding]:
    """Containers shipped when the engine finds nothing inside them at the shipping time."""
    carried = {(link.src[1], shipment) for s in scopes for shipment, links in s.trace.carried.items()
               for link in links if link.src[0] == "Container"}
    empty = [e for e in live(store.all_edges("SHIPPED_IN"))
             if e.src[0] == "Container" and (e.src[1], e.dst[1]) not in carried]
    when = store.get("Shipment", {e.dst[1] for e in empty})
    return [Finding("empty_container_shipped", e.src,
                    f"Container {e.src[1]} shipped empty in {e.dst[1]} at {when[e.dst[1]]['shipped_at']}",
                    (e.src, e.dst)) for e in empty]
