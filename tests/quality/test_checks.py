"""Each quality check on a small plant with known defects: exact findings, records and KPIs."""

from __future__ import annotations

from pathlib import Path

import tracegraph
from tracegraph.graph import Graph
from tracegraph.quality import QualityReport
from tracegraph.store import Batch, Edge, Store

from canonical import write_csv as write_tables

from quality.conftest import TABLES, as_records


def _found(report: QualityReport, check: str) -> list[tuple[tuple[str, str], list[tuple[str, str]]]]:
    return [(f.subject, list(f.records)) for f in report.by_check()[check]]


def test_unsourced_shipped_serials_and_coverage(plant: Graph) -> None:
    report = plant.quality()
    # N4 is unsourced too but never shipped (its case was emptied first), so it is no finding.
    assert _found(report, "unsourced_shipped_serial") == [
        (("Serial", "N3"), [("Serial", "N3"), ("Lot", "F2"), ("Shipment", "H2"), ("Customer", "C1")])]
    cov = report.coverage
    assert (cov.shipped_serials, cov.covered) == (3, 2)
    assert round(cov.share, 4) == 0.6667 and not cov.meets_target


def test_coverage_agrees_with_the_engine_backward_trace(plant: Graph) -> None:
    """A shipped serial counts as covered exactly when its own backward trace reaches a supplier."""
    report = plant.quality()
    unsourced = {f.subject[1] for f in report.by_check()["unsourced_shipped_serial"]}
    for serial in ("N1", "N2", "N3"):
        assert bool(plant.backward(serial=serial).ids["suppliers"]) == (serial not in unsourced)


def test_orphan_consumed_lots(plant: Graph) -> None:
    assert _found(plant.quality(), "orphan_consumed_lot") == [(("Lot", "O1"), [("Lot", "O1"), ("Lot", "F2")])]


def test_empty_containers_shipped(plant: Graph) -> None:
    found = plant.quality().by_check()["empty_container_shipped"]
    assert [(f.subject, f.records) for f in found] == [
        (("Container", "K3"), (("Container", "K3"), ("Shipment", "H3"))),
        (("Container", "K4"), (("Container", "K4"), ("Shipment", "H4")))]
    assert found[0].detail == "Container K3 shipped empty in H3 at 2025-03-02T08:00:00.000Z"


def test_mass_balance(plant: Graph) -> None:
    found = plant.quality().by_check()["over_consumed_lot"]
    assert [(f.subject, f.records) for f in found] == [(("Lot", "R2"), (("Lot", "R2"), ("Lot", "A1")))]
    assert found[0].detail == "Lot R2 had 10 EA but 12 EA were consumed in 1 consumption(s)"


def test_mass_balance_of_a_lot_without_a_unit(store: Store) -> None:
    """A lot without a uom counts only consumptions without one: 8 kg and 5 pcs are not 13 of anything."""
    batch = Batch()
    for key, quantity in (("U1", 10.0), ("U2", 4.0)):
        batch.add_node("Lot", {"lot_id": key, "item_id": "M1", "supplier_id": "S1", "quantity": quantity})
    batch.add_node("Lot", {"lot_id": "OUT", "item_id": "P1"})
    for step, (key, quantity, uom) in enumerate((("U1", 8.0, "kg"), ("U1", 5.0, "pcs"), ("U1", 3.0, None),
                                                  ("U2", 3.0, None), ("U2", 2.0, None))):
        batch.add_edge(Edge("CONSUMED_INTO", ("Lot", key), ("Lot", "OUT"),
                            {"step_id": f"ST{step}", "quantity": quantity, "uom": uom}))
    store.write(batch)
    found = Graph(store).quality().by_check()["over_consumed_lot"]
    assert [(f.subject, f.detail) for f in found] == [
        (("Lot", "U2"), "Lot U2 had 4 but 5 were consumed in 2 consumption(s)")]


def test_retracted_edges_count_nowhere_in_quality_checks(store: Store) -> None:
    """A retracted consumption is neither a gap, a bad reference, an orphan input nor a mass-balance breach."""
    batch = Batch()
    batch.add_node("Lot", {"lot_id": "L1", "item_id": "M1", "quantity": 1.0, "uom": "kg"})
    batch.add_node("Lot", {"lot_id": "L2", "item_id": "P1"})
    batch.add_edge(Edge("CONSUMED_INTO", ("Lot", "L1"), ("Lot", "L2"),
                        {"step_id": "GONE", "quantity": 99.0, "uom": "kg", "consumed_at": "2025-09-24T00:00:00Z",
                         "retracted_at": "2025-09-25T00:00:00Z"}))
    store.write(batch)
    report = Graph(store).quality()
    assert [f for f in report.findings if f.subject == ("Lot", "L1") or ("Lot", "L2") in f.records] == []
    rows = {(c.kind, c.field): c for c in report.completeness}
    assert (rows["CONSUMED_INTO", "step_id"].records, rows["CONSUMED_INTO", "step_id"].invalid) == (0, 0)


def test_supplier_compliance(plant: Graph) -> None:
    report = plant.quality()
    assert [s.as_dict() for s in report.suppliers] == [
        {"supplier_id": "S1", "consumed_lots": 2, "failed_lots": 1, "share_failed": 0.5},
        {"supplier_id": "S2", "consumed_lots": 1, "failed_lots": 1, "share_failed": 1.0}]
    assert _found(report, "failed_lot_consumed") == [
        (("Lot", "R2"), [("Lot", "R2"), ("Supplier", "S2"), ("Inspection", "I1")]),
        (("Lot", "R3"), [("Lot", "R3"), ("Supplier", "S1"), ("Inspection", "I3")])]


def test_completeness_of_loaded_data(plant: Graph) -> None:
    report = plant.quality()
    rows = {(c.kind, c.field): c for c in report.completeness}
    assert (rows["Lot", "quantity"].filled, rows["Lot", "quantity"].records) == (5, 7)
    assert rows["Lot", "supplier_id"].filled == 3
    assert (rows["Container", "container_type"].filled, rows["Container", "container_type"].records) == (0, 5)
    assert (rows["PACKED_IN", "unpacked_at"].filled, rows["PACKED_IN", "unpacked_at"].records) == (1, 5)
    assert report.by_check()["required_missing"] == report.by_check()["invalid_value"] == []


def test_completeness_of_records_written_without_validation(store: Store) -> None:
    """Another writer may bypass the loader: required gaps, bad values and dangling references."""
    batch = Batch()
    batch.add_node("ProcessStep", {"step_id": "ST1", "work_order": "W1", "operation": None})
    batch.add_node("Lot", {"lot_id": "L1", "item_id": None, "quantity": -5.0, "supplier_id": "NOPE"})
    batch.add_node("Lot", {"lot_id": "L2", "item_id": "M1"})
    batch.add_node("Container", {"container_id": "K1", "container_type": "crate"})
    batch.add_edge(Edge("CONSUMED_INTO", ("Lot", "L1"), ("Lot", "L2"), {"step_id": "GONE", "quantity": -1.0}))
    store.write(batch)
    report = Graph(store).quality()
    assert [(f.subject, f.detail) for f in report.by_check()["required_missing"]] == [
        (("Lot", "L1"), "Lot L1: required field item_id is empty"),
        (("ProcessStep", "ST1"), "ProcessStep ST1: required field operation is empty")]
    assert [(f.subject, f.detail, f.records) for f in report.by_check()["invalid_value"]] == [
        (("Container", "K1"), "Container K1: container_type 'crate' is not one of case, pallet, other",
         (("Container", "K1"),)),
        (("Lot", "L1"), "CONSUMED_INTO Lot L1 -> Lot L2: quantity -1 is below the minimum 0",
         (("Lot", "L1"), ("Lot", "L2"))),
        (("Lot", "L1"), "CONSUMED_INTO Lot L1 -> Lot L2: step_id names ProcessStep 'GONE', which does not exist",
         (("Lot", "L1"), ("Lot", "L2"))),
        (("Lot", "L1"), "Lot L1: quantity -5 is below the minimum 0", (("Lot", "L1"),)),
        (("Lot", "L1"), "Lot L1: supplier_id names Supplier 'NOPE', which does not exist", (("Lot", "L1"),))]
    rows = {(c.kind, c.field): c for c in report.completeness}
    assert (rows["Lot", "quantity"].filled, rows["Lot", "quantity"].invalid) == (1, 1)
    assert (rows["CONSUMED_INTO", "step_id"].filled, rows["CONSUMED_INTO", "step_id"].invalid) == (1, 1)


def test_empty_store_has_no_findings(store: Store) -> None:
    report = Graph(store).quality()
    assert report.findings == [] and report.coverage.shipped_serials == 0 and report.suppliers == []


def test_a_report_is_kept_until_the_store_is_written(tmp_path: Path) -> None:
    """The dashboard pages through findings, asking for the report each time: one assessment serves them all
    while nothing changes, and a write by anyone (here another connection to the file) makes a new one."""
    db = f"sqlite:///{tmp_path / 'plant.db'}"
    with tracegraph.connect(db) as graph, tracegraph.connect(db) as other:
        loaded = graph.load_tables(write_tables(tmp_path / "tables", as_records(TABLES)))
        assert loaded.rejected == []
        first = graph.quality()
        assert graph.quality() is first
        batch = Batch()
        batch.add_node("Lot", {"lot_id": "O2", "item_id": "SA1"})  # never received nor produced, then consumed
        batch.add_edge(Edge("CONSUMED_INTO", ("Lot", "O2"), ("Lot", "F2"), {"step_id": "ST3", "quantity": 1.0}))
        other.store.write(batch)
        again = graph.quality()
        assert again is not first
        assert [f.subject for f in again.by_check()["orphan_consumed_lot"]] == [("Lot", "O1"), ("Lot", "O2")]
        assert [f.subject for f in first.by_check()["orphan_consumed_lot"]] == [("Lot", "O1")]
