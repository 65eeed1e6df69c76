"""A small plant with one known defect of each kind, loaded through the real table loader.

``plant`` runs on every backend of the conformance suite (``load_graph`` in tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tracegraph.graph import Graph

T1, T2, T3 = "2025-03-01T08:00:00Z", "2025-03-01T10:00:00Z", "2025-03-02T08:00:00Z"

# R1, R2, R3 bought; A1 assembled from them; F1 from A1 (units N1, N2 on pallet PL1 in case K1).
# O1 was never received nor produced, and is the only input of F2 (units N3, shipped in K2, and N4).
# R2 is consumed beyond its quantity; R3's consumption is in another unit, so it is not compared.
# R2 and R3 failed incoming inspection. K3 was emptied before it shipped; K4 never held anything.
TABLES: dict[str, list[list[object]]] = {
    "suppliers": [["supplier_id", "name"], ["S1", "Supplier one"], ["S2", "Supplier two"]],
    "materials": [["material_id", "revision"], ["M1", "A"], ["SA1", "A"]],
    "products": [["product_id", "name"], ["P1", "Pump"]],
    "customers": [["customer_id", "name"], ["C1", "Hospital"]],
    "lots": [["lot_id", "item_id", "supplier_id", "quantity", "uom"],
             ["R1", "M1", "S1", 100, "EA"], ["R2", "M1", "S2", 10, "EA"], ["R3", "M1", "S1", 50, "EA"],
             ["A1", "SA1", "", 10, "EA"], ["F1", "P1", "", 2, "EA"], ["O1", "SA1", "", "", ""],
             ["F2", "P1", "", "", ""]],
    "serials": [["serial_id", "product_id", "lot_id"], ["N1", "P1", "F1"], ["N2", "P1", "F1"],
                ["N3", "P1", "F2"], ["N4", "P1", "F2"]],
    "process_steps": [["step_id", "work_order", "operation"], ["ST1", "W1", "ASSEMBLE"],
                      ["ST2", "W2", "FINAL"], ["ST3", "W3", "FINAL"]],
    "consumptions": [["step_id", "input_type", "input_id", "output_type", "output_id", "quantity", "uom"],
                     ["ST1", "lot", "R1", "lot", "A1", 60, "EA"], ["ST1", "lot", "R2", "lot", "A1", 12, "EA"],
                     ["ST1", "lot", "R3", "lot", "A1", 30, "KG"], ["ST2", "lot", "A1", "lot", "F1", 5, "EA"],
                     ["ST3", "lot", "O1", "lot", "F2", 1, "EA"]],
    "inspections": [["inspection_id", "subject_type", "subject_id", "characteristic", "result"],
                    ["I1", "lot", "R2", "hardness", "fail"], ["I2", "lot", "R1", "hardness", "pass"],
                    ["I3", "lot", "R3", "hardness", "fail"], ["I4", "lot", "R3", "width", "pass"]],
    "packing": [["child_type", "child_id", "container_id", "packed_at", "unpacked_at"],
                ["serial", "N1", "K1", T1, ""], ["serial", "N2", "K1", T1, ""], ["container", "K1", "PL1", T1, ""],
                ["serial", "N3", "K2", T1, ""], ["serial", "N4", "K3", T1, T2]],
    "shipments": [["shipment_id", "customer_id", "shipped_at"], ["H1", "C1", T3], ["H2", "C1", T3],
                  ["H3", "C1", T3], ["H4", "C1", T3]],
    "shipment_items": [["shipment_id", "item_type", "item_id", "quantity"], ["H1", "container", "PL1", 1],
                       ["H2", "container", "K2", 1], ["H3", "container", "K3", 1], ["H4", "container", "K4", 1]],
}


def as_records(tables: dict[str, list[list[object]]]) -> dict[str, list[dict[str, Any]]]:
    """Header-first rows to records, as ``load_graph`` takes them."""
    return {name: [dict(zip(rows[0], (str(v) for v in row))) for row in rows[1:]] for name, rows in tables.items()}


@pytest.fixture
def plant(load_graph: Any) -> Graph:
    return load_graph(as_records(TABLES))
