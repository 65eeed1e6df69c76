"""The chain and consumption checks against a networkx oracle built from the CSV files.

Which serials were shipped (time-bounded containment) is taken from the engine; reachability,
orphans and mass balance are recomputed here from the raw tables, less the rows the loader rejected.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import networkx as nx

import tracegraph
from tracegraph.generate import generate


def _rows(directory: Path, table: str, rejected: set[tuple[str, int]]) -> list[dict[str, str]]:
    with (directory / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
        return [row for n, row in enumerate(csv.DictReader(fh), start=1) if (f"{table}.csv", n) not in rejected]


def _plant_unit_mismatches(tables: Path) -> None:
    """Two purchased lots without a uom: XUNIT1 is consumed as 8 kg, 5 pcs and 3 (no unit), which cannot
    be added up to more than its 10; XUNIT2's unitless consumptions (3 + 2) exceed its 4."""
    with (tables / "lots.csv").open(newline="", encoding="utf-8") as fh:
        lot = next(r for r in csv.DictReader(fh) if r["supplier_id"])
    with (tables / "consumptions.csv").open(newline="", encoding="utf-8") as fh:
        uses = list({r["step_id"]: r for r in csv.DictReader(fh) if r["input_type"] == "lot"}.values())[:3]
    for table, rows in (
            ("lots", [{**lot, "lot_id": f"RL-XUNIT{n}", "quantity": q, "uom": ""} for n, q in ((1, "10"), (2, "4"))]),
            ("consumptions", [{**uses[n % 3], "input_id": key, "quantity": q, "uom": uom}  # one per step
                              for n, (key, q, uom) in enumerate((
                                  ("RL-XUNIT1", "8", "kg"), ("RL-XUNIT1", "5", "pcs"), ("RL-XUNIT1", "3", ""),
                                  ("RL-XUNIT2", "3", ""), ("RL-XUNIT2", "2", "")))])):
        with (tables / f"{table}.csv").open("a", newline="", encoding="utf-8") as fh:
            csv.DictWriter(fh, fieldnames=list(rows[0])).writerows(rows)


def test_checks_agree_with_a_networkx_oracle(tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    generate(tables, 1500, seed=21, defects=True)
    _plant_unit_mismatches(tables)
    with tracegraph.connect(f"sqlite:///{tmp_path / 'g.db'}") as graph:
        rejected = {(r.file, r.row) for r in graph.load_tables(tables).rejected}
        assert len(rejected) == 6  # the planted records that break the data dictionary
        report = graph.quality()
        shipped = {ref[1] for ref, w in graph.recall_scope(serials=list(graph.store.keys("Serial"))).whereabouts.items()
                   if ref[0] == "Serial" and w.status == "shipped"}
    found = {check: {f.subject[1] for f in fs} for check, fs in report.by_check().items()}
    lots = {r["lot_id"]: r for r in _rows(tables, "lots", rejected)}
    uses = _rows(tables, "consumptions", rejected)
    genealogy = nx.DiGraph()
    genealogy.add_edges_from((f"{u['input_type']}:{u['input_id']}", f"{u['output_type']}:{u['output_id']}")
                             for u in uses)
    genealogy.add_edges_from((f"lot:{s['lot_id']}", f"serial:{s['serial_id']}")
                             for s in _rows(tables, "serials", rejected))
    purchased = {f"lot:{k}" for k, r in lots.items() if r["supplier_id"]}

    unsourced = {s for s in shipped if not nx.ancestors(genealogy, f"serial:{s}") & purchased}
    assert found["unsourced_shipped_serial"] == unsourced and unsourced
    assert (report.coverage.shipped_serials, report.coverage.covered) == (len(shipped), len(shipped) - len(unsourced))

    produced = {u["output_id"] for u in uses if u["output_type"] == "lot"}
    consumed = {u["input_id"] for u in uses if u["input_type"] == "lot"}
    assert found["orphan_consumed_lot"] == {k for k in consumed if not lots[k]["supplier_id"] and k not in produced}

    used: dict[str, float] = defaultdict(float)
    for u in uses:
        lot = lots.get(u["input_id"]) if u["input_type"] == "lot" else None
        # documented rule: consumptions count in the lot's own unit; one without a unit is taken as the lot's
        if lot and lot["quantity"] and u["quantity"] and u["uom"] in ("", lot["uom"]):
            used[u["input_id"]] += float(u["quantity"])
    over = {k for k, q in used.items() if q > float(lots[k]["quantity"])}
    assert found["over_consumed_lot"] == over and {"RL-XUNIT2"} <= over and "RL-XUNIT1" not in over
