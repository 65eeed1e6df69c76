"""The canonical-tables loader's guarantees: idempotent, all-or-nothing per batch, clear rejects.

These run on every backend through the ``store`` fixture; the state of a store is compared as a
full dump of every record and edge, read back through the Store interface.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from canonical import Tables, load_into, write_csv

from tracegraph import Graph, LoadError
from tracegraph.cli_rejects import kept_rejects
from tracegraph.loaders import Rejected
from tracegraph.schema import KINDS, NODE_KINDS, REL_KINDS, Defect
from tracegraph.store import SQLiteStore, Store


def small_plant() -> Tables:
    t = Tables()
    t.lot("R1", material="RESIN", supplier="SUP-A", quantity=100)
    t.lot("F1", product="DEV", quantity=2)
    t.consume("ST1", "R1", "F1", quantity=10)
    t.serial("S1", product="DEV", lot="F1")
    t.serial("S2", product="DEV", lot="F1")
    t.pack("S1", "K1", 1, 2)
    t.pack("S1", "K2", 2)
    t.pack("K2", "P1", 3)
    t.ship("SH1", "CUST-1", 4, "P1")
    t.ship("SH2", "CUST-2", 5, "R1", quantity=20)
    t.inspect("I1", "F1", step="ST1")
    return t


def dump(store: Store) -> dict[str, Any]:
    """Every record (with all fields) and every edge (with its properties) the store holds."""
    out: dict[str, Any] = {}
    for kind in NODE_KINDS:
        keys = list(store.keys(kind.name))
        out[kind.name] = store.get(kind.name, keys)
    for rel in REL_KINDS:
        nodes = [(k, key) for k in rel.source for key in store.keys(k)]
        out[rel.name] = sorted((e.src, e.dst, sorted(e.props.items(), key=str))
                               for e in store.edges(rel.name, nodes, "out"))
    return out


def sqlite_dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the SQLite file, internal ids included."""
    con = sqlite3.connect(path)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    out = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    con.close()
    return out


def test_loading_twice_changes_nothing(store: Store, tmp_path: Path) -> None:
    t = small_plant()
    first = load_into(store, t, tmp_path / "a")
    before = dump(store)
    assert before["Serial"]["S1"]["lot_id"] == "F1" and len(before["PACKED_IN"]) == 3
    second = load_into(store, t, tmp_path / "b")
    assert dump(store) == before
    assert second.loaded == first.loaded


def test_loading_twice_leaves_every_sqlite_row_as_it_was(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "t.db")
    load_into(store, small_plant(), tmp_path / "a")
    before = sqlite_dump(tmp_path / "t.db")
    load_into(store, small_plant(), tmp_path / "b")
    after = sqlite_dump(tmp_path / "t.db")
    assert len(after.pop("log")) == len(before.pop("log")) + 1  # the audit trail records the second load too
    assert after == before
    assert sum(len(rows) for rows in before.values()) > 30


def test_parquet_input_loads_the_same_graph(store: Store, tmp_path: Path) -> None:
    t = small_plant()
    directory = tmp_path / "pq"
    directory.mkdir()
    for name, rows in t.rows.items():
        pq.write_table(pa.Table.from_pylist([{k: (None if v == "" else v) for k, v in r.items()} for r in rows]),
                       directory / f"{name}.parquet")
    report = Graph(store).load_tables(directory)
    assert report.rejected == []
    reference = SQLiteStore(tmp_path / "csv.db")
    load_into(reference, t, tmp_path / "csv")
    assert dump(store) == dump(reference)


def test_derived_edges_move_when_a_key_field_changes(store: Store, tmp_path: Path) -> None:
    t = small_plant()
    t.lot("F2", product="DEV")
    t.customer("CUST-3")
    t.supplier("SUP-B")
    load_into(store, t, tmp_path / "a")
    for row in t.rows["serials"]:
        if row["serial_id"] == "S2":
            row["lot_id"] = "F2"
    t.rows["shipments"][0]["customer_id"] = "CUST-3"
    t.rows["lots"][0]["supplier_id"] = "SUP-B"
    load_into(store, t, tmp_path / "b")
    edges = dump(store)
    assert [(e[0][1], e[1][1]) for e in edges["HAS_SERIAL"]] == [("F1", "S1"), ("F2", "S2")]
    assert [(e[0][1], e[1][1]) for e in edges["SHIPPED_TO"]] == [("SH1", "CUST-3"), ("SH2", "CUST-2")]
    assert [(e[0][1], e[1][1]) for e in edges["SUPPLIED"]] == [("SUP-B", "R1")]
    g = Graph(store)
    assert g.forward(lot="F1").ids["serials"] == ["S1"]
    assert g.forward(lot="R1").ids["customers"] == ["CUST-2", "CUST-3"]


def test_reloading_an_edge_updates_its_properties(store: Store, tmp_path: Path) -> None:
    t = small_plant()
    load_into(store, t, tmp_path / "a")
    t.rows["packing"][2]["unpacked_at"] = "2025-03-01T03:30:00Z"  # K2 taken off P1 before SH1 left
    load_into(store, t, tmp_path / "b")
    assert len(dump(store)["PACKED_IN"]) == 3
    assert Graph(store).forward(serial="S1").ids["shipments"] == []


# -- malformed files: the whole batch is refused --------------------------------------------------
def _malformed(directory: Path, name: str, content: bytes) -> Path:
    (directory / name).write_bytes(content)
    return directory


@pytest.mark.parametrize(("name", "content", "message"), [
    ("lots.csv", b"lot_id,supplier_id\nR9,SUP-A\n", r"lots\.csv.*lacks required column\(s\) item_id"),
    ("lots.csv", b"lot_id,item_id,quantity\nR8,RESIN,1\nR9,RESIN,1,extra\n", r"lots\.csv, row 2: has 4 fields"),
    ("lots.csv", b"lot_id,item_id\nR8,RESIN\n\nR9,RESIN,x\n", r"lots\.csv, row 2: has 3 fields"),
    ("lots.csv", b"lot_id,item_id\nR9,R\xe9sine\n", r"lots\.csv.*not UTF-8"),
    ("lots.parquet", b"PAR1 this is not parquet", r"lots\.parquet.*not a readable Parquet file"),
    ("packing.csv", b"child_type,child_id,container_id\nserial,S1,K9\n", r"packing\.csv.*packed_at"),
], ids=["missing-column", "ragged-row", "ragged-after-blank-line", "bad-utf8", "broken-parquet",
        "missing-edge-column"])
def test_malformed_file_refuses_the_whole_batch(store: Store, tmp_path: Path, name: str, content: bytes,
                                                message: str) -> None:
    load_into(store, small_plant(), tmp_path / "before")
    before = dump(store)
    t = small_plant()
    t.lot("R2", material="RESIN", supplier="SUP-A")  # a valid new record in the same batch
    directory = write_csv(tmp_path / "batch", {k: v for k, v in t.rows.items() if k != Path(name).stem})
    with pytest.raises(LoadError, match=message) as caught:
        Graph(store).load_tables(_malformed(directory, name, content))
    assert caught.value.file is not None and caught.value.file.endswith(name)
    assert dump(store) == before  # nothing from the batch, not even R2 or the other tables


def test_malformed_file_in_an_empty_store_writes_nothing(store: Store, tmp_path: Path) -> None:
    directory = write_csv(tmp_path / "t", small_plant().rows)
    (directory / "serials.csv").write_text("serial_id,product_id,lot_id\nS9,DEV\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"serials\.csv, row 1"):
        Graph(store).load_tables(directory)
    assert all(n == 0 for n in store.counts().values())


def test_not_a_directory_or_no_tables(store: Store, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="is not a directory"):
        Graph(store).load_tables(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hello")
    with pytest.raises(LoadError, match="holds no canonical table"):
        Graph(store).load_tables(tmp_path / "empty")


# -- record-level rejects: the rest of the batch loads ---------------------------------------------
def test_bad_records_are_rejected_with_file_row_field_and_reason(store: Store, tmp_path: Path) -> None:
    t = small_plant()
    t.rows["lots"].append({"lot_id": "R-BADQ", "item_id": "RESIN", "quantity": "lots"})
    t.rows["lots"].append({"lot_id": "R-NEG", "item_id": "RESIN", "quantity": -5})
    t.rows["lots"].append({"lot_id": "R-DATE", "item_id": "RESIN", "created_at": "31/12/2025"})
    t.rows["lots"].append({"lot_id": "R-NOITEM", "item_id": "NO-SUCH-PART"})
    t.rows["lots"].append({"lot_id": "R1", "item_id": "RESIN"})  # a second R1 in the same file
    t.rows["serials"].append({"serial_id": "", "product_id": "DEV", "lot_id": "F1"})
    t.rows["serials"].append({"serial_id": "S-ORPHAN", "product_id": "DEV", "lot_id": "NO-SUCH-LOT"})
    t.rows["inspections"].append({"inspection_id": "I-BAD", "subject_type": "lot", "subject_id": "F1",
                                  "characteristic": "x", "result": "maybe"})
    t.rows["consumptions"].append({"step_id": "ST1", "input_type": "lot", "input_id": "GHOST",
                                   "output_type": "lot", "output_id": "F1"})
    t.rows["consumptions"].append({"step_id": "ST1", "input_type": "pallet", "input_id": "R1",
                                   "output_type": "lot", "output_id": "F1"})
    t.rows["shipments"].append({"shipment_id": "SH-X", "customer_id": "NOBODY", "shipped_at": "2025-03-02"})
    t.rows["shipment_items"].append({"shipment_id": "SH-NONE", "item_type": "serial", "item_id": "S1"})
    t.rows["packing"].append({"child_type": "serial", "child_id": "S-GHOST", "container_id": "K1",
                              "packed_at": "2025-03-01T00:00:00Z"})
    report = Graph(store).load_tables(write_csv(tmp_path / "t", t.rows))
    got = {(r.file, r.row, r.field, r.reason, r.defect) for r in report.rejected}
    assert got == {
        ("lots.csv", 3, "quantity", "'lots' is not a number", Defect.INVALID_VALUE),
        ("lots.csv", 4, "quantity", "-5 is below the minimum 0", Defect.INVALID_VALUE),
        ("lots.csv", 5, "created_at", "'31/12/2025' is not an ISO 8601 date-time", Defect.INVALID_VALUE),
        ("lots.csv", 6, "item_id", "no Material or Product with id 'NO-SUCH-PART'", Defect.UNKNOWN_REFERENCE),
        ("lots.csv", 7, "lot_id", "duplicate Lot id 'R1' in lots.csv", Defect.DUPLICATE),
        ("serials.csv", 3, "serial_id", "required value is missing", Defect.REQUIRED_MISSING),
        ("serials.csv", 4, "lot_id", "no Lot with id 'NO-SUCH-LOT'", Defect.UNKNOWN_REFERENCE),
        ("inspections.csv", 2, "result", "'maybe' is not one of pass, fail", Defect.INVALID_VALUE),
        ("consumptions.csv", 2, "input_id", "no Lot with id 'GHOST'", Defect.UNKNOWN_REFERENCE),
        ("consumptions.csv", 3, "input_type", "'pallet' is not one of lot, serial", Defect.INVALID_VALUE),
        ("shipments.csv", 3, "customer_id", "no Customer with id 'NOBODY'", Defect.UNKNOWN_REFERENCE),
        ("shipment_items.csv", 3, "shipment_id", "no Shipment with id 'SH-NONE'", Defect.UNKNOWN_REFERENCE),
        ("packing.csv", 4, "child_id", "no Serial with id 'S-GHOST'", Defect.UNKNOWN_REFERENCE),
    }
    assert all(isinstance(r, Rejected) and r.record for r in report.rejected)
    counts = store.counts()
    assert (counts["Lot"], counts["Serial"], counts["Shipment"], counts["CONSUMED_INTO"]) == (2, 2, 2, 1)
    assert report.loaded["lots"] == 2 and report.loaded["serials"] == 2
    # a record that depends on a rejected one is rejected too, not loaded dangling
    assert "S-ORPHAN" not in store.get("Serial", ["S-ORPHAN"])


def test_rejects_file_lists_every_problem(store: Store, tmp_path: Path) -> None:
    t = small_plant()
    t.rows["lots"].append({"lot_id": "R-BAD", "item_id": "", "quantity": "x"})
    report = Graph(store).load_tables(write_csv(tmp_path / "t", t.rows))
    with kept_rejects(tmp_path / "rejects.csv", report.REJECT_COLUMNS, report.reject_row) as rejected:
        rejected += report.rejected
    lines = (tmp_path / "rejects.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["file,row,field,reason,record",
                     "lots.csv,3,item_id,required value is missing,lot_id=R-BAD; quantity=x",
                     "lots.csv,3,quantity,'x' is not a number,lot_id=R-BAD; quantity=x"]


def test_same_record_in_csv_and_parquet_is_refused(store: Store, tmp_path: Path) -> None:
    directory = write_csv(tmp_path / "t", small_plant().rows)
    pq.write_table(pa.table({"lot_id": ["R7"], "item_id": ["RESIN"]}), directory / "lots.parquet")
    with pytest.raises(LoadError, match="given twice"):
        Graph(store).load_tables(directory)
    assert store.counts()[KINDS["Lot"].name] == 0


def test_typed_parquet_columns(store: Store, tmp_path: Path) -> None:
    """Parquet from other systems carries real timestamps, dates and numbers, not text."""
    t = small_plant()
    directory = write_csv(tmp_path / "t", {k: v for k, v in t.rows.items() if k not in ("shipments", "lots")})
    pq.write_table(pa.table({
        "shipment_id": ["SH1", "SH2"], "customer_id": ["CUST-1", "CUST-2"],
        "shipped_at": pa.array([datetime(2025, 3, 1, 4), datetime(2025, 3, 1, 7, tzinfo=timezone(timedelta(hours=2)))],
                               pa.timestamp("us", tz="UTC"))}), directory / "shipments.parquet")
    pq.write_table(pa.table({
        "lot_id": ["R1", "F1"], "item_id": ["RESIN", "DEV"], "supplier_id": ["SUP-A", None], "quantity": [100, 2],
        "created_at": pa.array([date(2025, 1, 1), None], pa.date32())}), directory / "lots.parquet")
    report = Graph(store).load_tables(directory)
    assert report.rejected == []
    shipped = store.get("Shipment", ["SH1", "SH2"])
    assert [shipped["SH1"]["shipped_at"], shipped["SH2"]["shipped_at"]] == [
        "2025-03-01T04:00:00.000Z", "2025-03-01T05:00:00.000Z"]
    assert store.get("Lot", ["R1"])["R1"] == {
        "lot_id": "R1", "item_id": "RESIN", "supplier_id": "SUP-A", "quantity": 100.0, "uom": None,
        "created_at": "2025-01-01T00:00:00.000Z", "expires_at": None}


def test_times_out_of_order_are_rejected(store: Store, tmp_path: Path) -> None:
    """An unpacking before its packing would silently empty the interval: a recall would miss the item."""
    t = small_plant()
    t.rows["packing"].append({"child_type": "serial", "child_id": "S2", "container_id": "K1",
                              "packed_at": "2025-03-01T05:00:00Z", "unpacked_at": "2025-03-01T04:00:00Z"})
    t.rows["packing"].append({"child_type": "serial", "child_id": "S2", "container_id": "K2",
                              "packed_at": "2025-03-01T05:00:00Z", "unpacked_at": "2025-03-01T05:00:00Z"})
    t.step("ST2", started_at="2025-03-02T10:00:00+02:00", ended_at="2025-03-02T09:00:00Z")  # 08:00 UTC start
    t.step("ST3", started_at="2025-03-02T10:00:00Z", ended_at="2025-03-02T09:00:00Z")
    report = Graph(store).load_tables(write_csv(tmp_path / "t", t.rows))
    assert {(r.file, r.row, r.field, r.reason) for r in report.rejected} == {
        ("packing.csv", 4, "unpacked_at", "'2025-03-01T04:00:00Z' is before packed_at '2025-03-01T05:00:00Z'"),
        ("process_steps.csv", 3, "ended_at", "'2025-03-02T09:00:00Z' is before started_at '2025-03-02T10:00:00Z'"),
    }
    assert store.counts()["PACKED_IN"] == 4 and store.counts()["ProcessStep"] == 2
