"""Checks over consumption records: orphan inputs, mass balance, and supplier compliance.

One pass over every CONSUMED_INTO edge, then one look-up per chunk of the consumed lots,
their inspections and their verdicts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from ..store import Edge, NodeRef, Store
from ..trace import in_lot_unit, live
from .model import Finding, SupplierCompliance

_CHUNK = 50_000


def _chunks(keys: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start:start + _CHUNK]


def consumption_checks(store: Store) -> tuple[list[SupplierCompliance], list[Finding]]:
    uses: dict[str, list[Edge]] = defaultdict(list)  # consumed lot -> its consumptions
    produced: set[str] = set()
    for e in live(store.all_edges("CONSUMED_INTO")):
        if e.src[0] == "Lot":
            uses[e.src[1]].append(e)
        if e.dst[0] == "Lot":
            produced.add(e.dst[1])
    consumed = sorted(uses)
    lots: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(consumed):
        lots.update(store.get("Lot", chunk))
    findings: list[Finding] = []
    for key in consumed:
        lot, edges = lots[key], uses[key]
        outputs = tuple(dict.fromkeys(e.dst for e in edges))
        if lot.get("supplier_id") is None and key not in produced:
            findings.append(Finding(
                "orphan_consumed_lot", ("Lot", key),
                f"Lot {key} was consumed into {', '.join(o[1] for o in outputs)} but was never received from "
                f"a supplier nor produced", (("Lot", key), *outputs)))
        findings += _mass_balance(lot, key, edges)
    compliance, failed = _supplier_compliance(store, lots)
    return compliance, findings + failed


def _mass_balance(lot: dict[str, Any], key: str, edges: list[Edge]) -> list[Finding]:
    """A lot consumed in more than its quantity, counting consumptions in the lot's own unit.

    Only consumptions in the lot's unit count (:func:`~tracegraph.trace.model.in_lot_unit`): one in a unit the
    lot does not state cannot be compared with its quantity."""
    had, uom = lot.get("quantity"), lot.get("uom")
    if had is None:
        return []
    same_unit = [e for e in edges if e.props.get("quantity") is not None and in_lot_unit(e.props.get("uom"), uom)]
    used = sum(e.props["quantity"] for e in same_unit)
    if used <= had * (1 + 1e-9):
        return []
    unit = f" {uom}" if uom else ""
    return [Finding("over_consumed_lot", ("Lot", key),
                    f"Lot {key} had {had:g}{unit} but {used:g}{unit} were consumed in {len(same_unit)} "
                    f"consumption(s)", (("Lot", key), *dict.fromkeys(e.dst for e in same_unit)))]


def _supplier_compliance(store: Store, lots: dict[str, dict[str, Any]]
                         ) -> tuple[list[SupplierCompliance], list[Finding]]:
    """Per supplier: its consumed lots, and those with at least one failed inspection."""
    bought = sorted(k for k, r in lots.items() if r.get("supplier_id") is not None)
    inspections: dict[str, list[str]] = defaultdict(list)  # lot -> inspections of it
    for chunk in _chunks(bought):
        for e in store.edges("INSPECTS", [("Lot", k) for k in chunk], "in"):
            inspections[e.dst[1]].append(e.src[1])
    failed: dict[str, list[str]] = defaultdict(list)  # lot -> failed inspections
    names = sorted({i for found in inspections.values() for i in found})
    verdicts: dict[str, str] = {}
    for chunk in _chunks(names):
        verdicts.update({k: r["result"] for k, r in store.get("Inspection", chunk).items()})
    for lot, found in inspections.items():
        failed[lot] = sorted(i for i in found if verdicts.get(i) == "fail")
    per_supplier: dict[str, list[str]] = {s: [] for s in store.keys("Supplier")}
    for key in bought:
        per_supplier.setdefault(lots[key]["supplier_id"], []).append(key)
    rows, findings = [], []
    for supplier, own in sorted(per_supplier.items()):
        bad = [k for k in own if failed.get(k)]
        rows.append(SupplierCompliance(supplier, len(own), len(bad)))
        for key in bad:
            refs: tuple[NodeRef, ...] = (("Lot", key), ("Supplier", supplier),
                                         *(("Inspection", i) for i in failed[key]))
            findings.append(Finding("failed_lot_consumed", ("Lot", key),
                                    f"Lot {key} of supplier {supplier} was consumed although inspection(s) "
                                    f"{', '.join(failed[key])} failed", refs))
    return rows, findings
