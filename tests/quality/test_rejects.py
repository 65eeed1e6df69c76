"""Records a table load rejected are completeness findings, listed from the load's audit entry.

They never enter the graph, so only the audit trail knows them; a later load of a corrected
table supersedes them, and a load of other tables leaves them standing. Runs on every backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from canonical import write_csv

from tracegraph import Graph
from tracegraph.recall.audit import AuditLog
from tracegraph.store import Store

Rows = dict[str, list[dict[str, Any]]]


def _bad() -> Rows:
    """S2 lacks its name; L2 its item; L3 has a negative quantity; L4 names a supplier nobody knows;
    the second consumption has an input type off its choices, the third a negative quantity."""
    return {
        "suppliers": [{"supplier_id": "S1", "name": "One"}, {"supplier_id": "S2", "name": ""}],
        "materials": [{"material_id": "M1", "revision": "A"}],
        "lots": [{"lot_id": "L1", "item_id": "M1", "supplier_id": "S1", "quantity": "10"},
                 {"lot_id": "L2", "item_id": "", "supplier_id": "S1", "quantity": "5"},
                 {"lot_id": "L3", "item_id": "M1", "supplier_id": "S1", "quantity": "-4"},
                 {"lot_id": "L4", "item_id": "M1", "supplier_id": "S9", "quantity": "1"},
                 {"lot_id": "L5", "item_id": "M1", "supplier_id": "", "quantity": "2"}],
        "process_steps": [{"step_id": "ST1", "work_order": "W1", "operation": "MIX"},
                          {"step_id": "ST2", "work_order": "W2", "operation": "MIX"},
                          {"step_id": "ST3", "work_order": "W3", "operation": "MIX"}],
        "consumptions": [
            {"step_id": "ST1", "input_type": "lot", "input_id": "L1", "output_type": "lot", "output_id": "L5",
             "quantity": "2"},
            {"step_id": "ST2", "input_type": "pallet", "input_id": "L1", "output_type": "lot", "output_id": "L5",
             "quantity": "1"},
            {"step_id": "ST3", "input_type": "lot", "input_id": "L1", "output_type": "lot", "output_id": "L5",
             "quantity": "-1"}],
    }


def _corrected() -> Rows:
    rows = _bad()
    rows["suppliers"][1]["name"] = "Two"
    rows["lots"][1]["item_id"] = "M1"
    rows["lots"][2]["quantity"] = "4"
    rows["lots"][3]["supplier_id"] = "S2"
    rows["consumptions"][1]["input_type"] = "lot"
    rows["consumptions"][2]["quantity"] = "1"
    return rows


EXPECTED = {
    "required_missing": [
        (("Lot", "L2"), ("lots.csv", 2, "item_id", "required value is missing"),
         "lots.csv row 2 (Lot L2), rejected by its load: item_id: required value is missing"),
        (("Supplier", "S2"), ("suppliers.csv", 2, "name", "required value is missing"),
         "suppliers.csv row 2 (Supplier S2), rejected by its load: name: required value is missing")],
    "invalid_value": [
        (("CONSUMED_INTO", "consumptions.csv row 2"),
         ("consumptions.csv", 2, "input_type", "'pallet' is not one of lot, serial"),
         ("consumptions.csv row 2 (CONSUMED_INTO), rejected by its load: input_type: 'pallet' is not one of lot, "
          "serial")),
        (("CONSUMED_INTO", "consumptions.csv row 3"), ("consumptions.csv", 3, "quantity", "-1 is below the minimum 0"),
         "consumptions.csv row 3 (CONSUMED_INTO), rejected by its load: quantity: -1 is below the minimum 0"),
        (("Lot", "L3"), ("lots.csv", 3, "quantity", "-4 is below the minimum 0"),
         "lots.csv row 3 (Lot L3), rejected by its load: quantity: -4 is below the minimum 0"),
        (("Lot", "L4"), ("lots.csv", 4, "supplier_id", "no Supplier with id 'S9'"),
         "lots.csv row 4 (Lot L4), rejected by its load: supplier_id: no Supplier with id 'S9'")],
}


def _rejected_findings(graph: Graph) -> dict[str, list[tuple[Any, ...]]]:
    found = graph.quality().by_check()
    return {check: [(f.subject, (f.source.file, f.source.row, f.source.field, f.source.reason), f.detail)
                    for f in found[check] if f.source] for check in EXPECTED}


def _rejected_counts(graph: Graph) -> dict[tuple[str, str], tuple[bool, int, int, int]]:
    return {(c.kind, c.field): (c.required, c.records, c.filled, c.rejected)
            for c in graph.quality().completeness if c.rejected}


def test_rejected_records_are_listed_exactly_with_counts_per_kind_and_field(store: Store, tmp_path: Path) -> None:
    graph = Graph(store)
    assert len(graph.load_tables(write_csv(tmp_path / "t", _bad())).rejected) == 6
    assert _rejected_findings(graph) == EXPECTED
    report = graph.quality()
    assert all(f.records == () for f in report.findings if f.source)  # nothing of them is in the graph
    assert _rejected_counts(graph) == {
        ("Supplier", "name"): (True, 1, 1, 1),
        ("Lot", "item_id"): (True, 2, 2, 1),
        ("Lot", "supplier_id"): (False, 2, 1, 1),
        ("Lot", "quantity"): (False, 2, 2, 1),
        ("CONSUMED_INTO", "quantity"): (False, 1, 1, 1),
        ("CONSUMED_INTO", "input_type"): (True, 1, 1, 1),  # an endpoint column: its own row
    }
    data = report.as_dict()
    assert data["summary"]["required_missing"] == 2 and data["summary"]["invalid_value"] == 4
    assert [f["source"] for f in data["findings"] if f["check"] == "required_missing"] == [
        {"file": "lots.csv", "row": 2, "field": "item_id", "reason": "required value is missing"},
        {"file": "suppliers.csv", "row": 2, "field": "name", "reason": "required value is missing"}]


def test_the_load_audit_entry_records_each_reject_with_its_defect(store: Store, tmp_path: Path) -> None:
    Graph(store).load_tables(write_csv(tmp_path / "t", _bad()))
    (entry,) = [e for e in AuditLog(store).entries() if e["action"] == "load.tables"]
    assert entry["after"]["rejected"] == 6
    assert sorted((r["file"], r["row"], r["field"], r["defect"], tuple(r["subject"]))
                  for r in entry["after"]["rejects"]) == [
        ("consumptions.csv", 2, "input_type", "invalid_value", ("CONSUMED_INTO", "consumptions.csv row 2")),
        ("consumptions.csv", 3, "quantity", "invalid_value", ("CONSUMED_INTO", "consumptions.csv row 3")),
        ("lots.csv", 2, "item_id", "required_missing", ("Lot", "L2")),
        ("lots.csv", 3, "quantity", "invalid_value", ("Lot", "L3")),
        ("lots.csv", 4, "supplier_id", "unknown_reference", ("Lot", "L4")),
        ("suppliers.csv", 2, "name", "required_missing", ("Supplier", "S2")),
    ]
    assert AuditLog(store).verify().ok


def test_reloading_the_corrected_files_clears_the_findings(store: Store, tmp_path: Path) -> None:
    graph = Graph(store)
    directory = write_csv(tmp_path / "t", _bad())
    graph.load_tables(directory)
    write_csv(directory, _corrected())
    assert graph.load_tables(directory).rejected == []
    assert _rejected_findings(graph) == {"required_missing": [], "invalid_value": []}
    assert _rejected_counts(graph) == {}
    assert graph.quality().findings == []


def test_a_later_load_supersedes_only_the_tables_it_loads(store: Store, tmp_path: Path) -> None:
    graph = Graph(store)
    graph.load_tables(write_csv(tmp_path / "bad", _bad()))
    graph.load_tables(write_csv(tmp_path / "lots-fixed", {"lots": _corrected()["lots"][:3]}))  # S2 is still unknown
    found = _rejected_findings(graph)
    assert found == {"required_missing": EXPECTED["required_missing"][1:],
                     "invalid_value": EXPECTED["invalid_value"][:2]}
    graph.load_tables(write_csv(tmp_path / "customers", {"customers": [{"customer_id": "C1", "name": "Clinic"}]}))
    assert _rejected_findings(graph) == found  # a load of other tables leaves them standing
