"""Small canonical tables for tests, built in Python and written as real CSV files.

``Tables`` keeps rows as plain dicts (table name -> list of rows, exactly the interchange format)
and adds the master data a row refers to on first use, so a test states only the genealogy it is
about. The oracle reads these same rows; the engine sees them only through the real loader
(``load_into``).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tracegraph import Graph
from tracegraph.loaders import LoadReport
from tracegraph.store import Store

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)


def at(hours: float) -> str:
    """An ISO 8601 time ``hours`` after a fixed origin (tests speak in hours)."""
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_time(hours: float) -> str:
    """The same moment as the store returns it (UTC, milliseconds)."""
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Tables:
    """Canonical tables under construction. Ids name their kind by where they were declared."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.kind_of: dict[str, str] = {}  # lot/serial/container id -> "lot" | "serial" | "container"
        self._declared: set[tuple[str, str]] = set()

    def _once(self, table: str, key: str, row: dict[str, Any]) -> None:
        if (table, key) not in self._declared:
            self._declared.add((table, key))
            self.rows[table].append(row)

    # -- master data -------------------------------------------------------------------------
    def supplier(self, supplier_id: str, country: str = "DE") -> str:
        self._once("suppliers", supplier_id, {"supplier_id": supplier_id, "name": f"{supplier_id} GmbH",
                                              "country": country})
        return supplier_id

    def material(self, material_id: str) -> str:
        self._once("materials", material_id, {"material_id": material_id, "revision": "A",
                                              "description": f"part {material_id}"})
        return material_id

    def product(self, product_id: str) -> str:
        self._once("products", product_id, {"product_id": product_id, "name": f"model {product_id}"})
        return product_id

    def customer(self, customer_id: str) -> str:
        self._once("customers", customer_id, {"customer_id": customer_id, "name": f"{customer_id} Hospital",
                                              "country": "US"})
        return customer_id

    def step(self, step_id: str, work_order: str | None = None, operation: str = "0010 ASSEMBLE",
             **fields: Any) -> str:
        self._once("process_steps", step_id, {"step_id": step_id, "work_order": work_order or f"WO-{step_id}",
                                              "operation": operation, **fields})
        return step_id

    # -- items -------------------------------------------------------------------------------
    def lot(self, lot_id: str, *, material: str | None = None, product: str | None = None,
            supplier: str | None = None, quantity: float | None = None, uom: str = "EA") -> str:
        assert (material is None) != (product is None), "a lot is of one material or one product"
        item = self.material(material) if material else self.product(product)  # type: ignore[arg-type]
        if supplier:
            self.supplier(supplier)
        self.kind_of[lot_id] = "lot"
        self.rows["lots"].append({"lot_id": lot_id, "item_id": item, "supplier_id": supplier or "",
                                  "quantity": "" if quantity is None else quantity, "uom": uom,
                                  "created_at": at(0), "expires_at": ""})
        return lot_id

    def serial(self, serial_id: str, *, product: str, lot: str | None = None) -> str:
        self.kind_of[serial_id] = "serial"
        self.rows["serials"].append({"serial_id": serial_id, "product_id": self.product(product),
                                     "lot_id": lot or "", "created_at": at(0)})
        return serial_id

    def _type(self, item_id: str) -> str:
        return self.kind_of.setdefault(item_id, "container")

    # -- genealogy, packing, shipping ------------------------------------------------------------
    def consume(self, step: str, input_id: str, output_id: str, *, quantity: float | None = None,
                uom: str = "EA", when: float = 1) -> None:
        self.step(step)
        self.rows["consumptions"].append({
            "step_id": step, "input_type": self._type(input_id), "input_id": input_id,
            "output_type": self._type(output_id), "output_id": output_id,
            "quantity": "" if quantity is None else quantity, "uom": uom, "consumed_at": at(when)})

    def make(self, step: str, inputs: list[str], output: str, **kw: Any) -> None:
        """One produced item from several inputs in one step."""
        for item in inputs:
            self.consume(step, item, output, **kw)

    def pack(self, child: str, container: str, packed: float, unpacked: float | None = None) -> None:
        self.kind_of.setdefault(container, "container")
        self.rows["packing"].append({"child_type": self._type(child), "child_id": child,
                                     "container_id": container, "packed_at": at(packed),
                                     "unpacked_at": "" if unpacked is None else at(unpacked)})

    def ship(self, shipment_id: str, customer: str, when: float, *items: str,
             quantity: float | None = None) -> str:
        self._once("shipments", shipment_id, {"shipment_id": shipment_id, "customer_id": self.customer(customer),
                                              "shipped_at": at(when)})
        for item in items:
            kind = self._type(item)
            self.rows["shipment_items"].append({
                "shipment_id": shipment_id, "item_type": kind, "item_id": item,
                "quantity": quantity if quantity is not None else ("" if kind == "lot" else 1)})
        return shipment_id

    def inspect(self, inspection_id: str, subject: str, *, step: str | None = None, result: str = "pass",
                value: float = 10.0) -> str:
        if step:
            self.step(step)
        self.rows["inspections"].append({
            "inspection_id": inspection_id, "subject_type": self.kind_of[subject], "subject_id": subject,
            "step_id": step or "", "characteristic": "diameter_mm", "value": value, "lower_limit": 9.5,
            "upper_limit": 10.5, "result": result, "inspected_at": at(2)})
        return inspection_id


def write_csv(directory: Path, tables: dict[str, list[dict[str, Any]]]) -> Path:
    """Each table as ``<name>.csv``, columns in order of first appearance."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns: dict[str, None] = {}
        for row in rows:
            columns.update(dict.fromkeys(row))
        with (directory / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            out = csv.DictWriter(fh, fieldnames=list(columns))
            out.writeheader()
            out.writerows(rows)
    return directory


def load_into(store: Store, tables: Tables | dict[str, list[dict[str, Any]]], directory: Path) -> LoadReport:
    """Write the tables as CSV files and load them with the real loader; any reject fails the test."""
    rows = tables.rows if isinstance(tables, Tables) else tables
    report = Graph(store).load_tables(write_csv(directory, rows))
    assert report.rejected == [], report.rejected
    return report
