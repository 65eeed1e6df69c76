"""The demo's planted defects are exactly what the checks find; the store primitives; the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

import tracegraph
from tracegraph.cli import app
from tracegraph.generate import generate
from tracegraph.schema import NODE_KINDS, REL_KINDS
from tracegraph.store import Store

PLANTED = {
    "required_missing": ["RL-X000005", "SUP-X0001"],
    "unsourced_shipped_serial": ["SNX00000001", "SNX00000002", "SNX00000003"],
    "orphan_consumed_lot": ["SL-X000001", "SL-X000002"],
    "empty_container_shipped": ["CASE-X000002", "PAL-X000001"],
    "over_consumed_lot": ["RL-X000003", "RL-X000004"],
}


# The planted records that break the dictionary: (file, the row's id column and value, field, reason).
REJECTED = {
    "required_missing": [("lots.csv", "lot_id", "RL-X000005", "item_id", "required value is missing"),
                         ("suppliers.csv", "supplier_id", "SUP-X0001", "name", "required value is missing")],
    "invalid_value": [("consumptions.csv", "quantity", "-3", "quantity", "-3 is below the minimum 0"),
                      ("inspections.csv", "inspection_id", "INS-X000004", "result", "'unclear' is not one of pass, fail"),
                      ("lots.csv", "lot_id", "RL-X000006", "quantity", "-5 is below the minimum 0"),
                      ("shipments.csv", "shipment_id", "SHP-X000003", "customer_id", "no Customer with id 'CUST-X9999'")],
}


def _row_number(path: Path, column: str, value: str) -> int:
    """The 1-based record number of the one row whose ``column`` is ``value``."""
    with path.open(newline="", encoding="utf-8") as fh:
        (number,) = [n for n, row in enumerate(csv.DictReader(fh), start=1) if row[column] == value]
    return number


def _expected_rejects(tables: Path) -> dict[str, list[dict[str, object]]]:
    return {check: [{"file": file, "row": _row_number(tables / file, column, value), "field": field, "reason": reason}
                    for file, column, value, field, reason in planted] for check, planted in REJECTED.items()}


def _load(store: Store, tmp_path: Path, defects: bool, serials: int = 1000, seed: int = 5) -> tracegraph.Graph:
    generate(tmp_path / "tables", serials, seed=seed, defects=defects)
    graph = tracegraph.Graph(store)
    assert len(graph.load_tables(tmp_path / "tables").rejected) == (6 if defects else 0)
    return graph


def test_generated_plant_without_defects_is_clean(store: Store, tmp_path: Path) -> None:
    report = _load(store, tmp_path, defects=False).quality()
    assert report.findings == []
    assert report.coverage.covered == report.coverage.shipped_serials > 0


def test_a_larger_clean_plant_balances(store: Store, tmp_path: Path) -> None:
    """A size and seed whose early sub-assembly lots the generator once drew into too many builds."""
    assert _load(store, tmp_path, defects=False, serials=20_000, seed=3).quality().by_check()["over_consumed_lot"] == []


def test_demo_defects_are_found_exactly(store: Store, tmp_path: Path) -> None:
    report = _load(store, tmp_path, defects=True).quality()
    inspections = store.get("Inspection", ["INS-X000001", "INS-X000002", "INS-X000003"])
    found = report.by_check()
    for check, subjects in PLANTED.items():
        assert [f.subject[1] for f in found[check]] == subjects, check
    for check, expected in _expected_rejects(tmp_path / "tables").items():
        assert [f.source.as_dict() for f in found[check] if f.source] == expected, check
        assert all(f.source for f in found[check]), check  # the graph itself holds no such defect
    failed = found["failed_lot_consumed"]
    assert sorted(f.subject[1] for f in failed) == sorted(r["subject_id"] for r in inspections.values())
    assert report.coverage.meets_target and report.coverage.shipped_serials - report.coverage.covered == 3
    rows = {(c.kind, c.field): c for c in report.completeness}
    assert rows["Lot", "quantity"].records - rows["Lot", "quantity"].filled == 2  # RL-X000001, RL-X000002
    assert {(c.kind, c.field): c.rejected for c in report.completeness if c.rejected} == {
        ("Lot", "item_id"): 1, ("Supplier", "name"): 1, ("Lot", "quantity"): 1, ("CONSUMED_INTO", "quantity"): 1,
        ("Inspection", "result"): 1, ("Shipment", "customer_id"): 1}


def test_store_primitives_match_their_generic_definitions(store: Store, tmp_path: Path) -> None:
    """A backend's records/all_edges (if it overrides them) give what the base class builds from keys/get/edges."""
    _load(store, tmp_path, defects=True)
    for kind in NODE_KINDS:
        assert list(store.records(kind.name)) == list(Store.records(store, kind.name, chunk=7)), kind.name
    for rel in REL_KINDS:
        fast = sorted((e.src, e.dst, sorted(e.props.items(), key=str)) for e in store.all_edges(rel.name))
        generic = sorted((e.src, e.dst, sorted(e.props.items(), key=str))
                         for e in Store.all_edges(store, rel.name, chunk=7))
        assert fast == generic and len(fast) == store.counts()[rel.name], rel.name


def test_cli_quality_json(tmp_path: Path) -> None:
    db = str(tmp_path / "g.db")
    with tracegraph.connect(db) as graph:
        generate(tmp_path / "tables", 1000, seed=5, defects=True)
        assert len(graph.load_tables(tmp_path / "tables").rejected) == 6
    result = CliRunner().invoke(app, ["--db", db, "quality", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["orphan_consumed_lot"] == 2
    assert (data["summary"]["required_missing"], data["summary"]["invalid_value"]) == (2, 4)
    expected = _expected_rejects(tmp_path / "tables")
    assert [f["source"] for f in data["findings"] if f["source"]] == expected["required_missing"] + expected[
        "invalid_value"]
    assert data["trace_coverage"]["shipped_serials"] - data["trace_coverage"]["covered"] == 3
    pallet = [f for f in data["findings"] if f["subject"] == {"kind": "Container", "id": "PAL-X000001"}]
    assert [f["records"] for f in pallet] == [[{"kind": "Container", "id": "PAL-X000001"},
                                               {"kind": "Shipment", "id": "SHP-X000002"}]]
    text = CliRunner().invoke(app, ["--db", db, "quality"])
    assert text.exit_code == 0 and "orphan_consumed_lot: 2" in text.stdout
    assert "required_missing: 2" in text.stdout and "invalid_value: 4" in text.stdout
    row = _row_number(tmp_path / "tables" / "suppliers.csv", "supplier_id", "SUP-X0001")
    assert f"suppliers.csv row {row} (Supplier SUP-X0001), rejected by its load: name: required value is missing" \
        in " ".join(text.stdout.split())
