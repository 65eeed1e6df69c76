"""Inputs at the edges that once crashed the loaders or changed values silently.

Each is either rejected as a record (file, row, field, reason; the rest of the batch loads) or
refuses the whole file with a LoadError naming it; never a traceback, never a value altered.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tracegraph import Graph, LoadError
from tracegraph.loaders.source import not_utf8
from tracegraph.schema import Defect
from tracegraph.store import Store


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"])
def test_date_outside_the_calendar_in_utc_is_rejected(store: Store, tmp_path: Path, moment: str) -> None:
    directory = _write(tmp_path / "t", {"materials.csv": "material_id,revision\nM1,A\n",
                                        "lots.csv": f"lot_id,item_id,created_at\nL1,M1,{moment}\nL2,M1,2025-01-01\n"})
    report = Graph(store).load_tables(directory)
    assert [(r.file, r.row, r.field, r.reason, r.defect) for r in report.rejected] == [
        ("lots.csv", 1, "created_at", f"{moment!r} falls outside the years 1-9999 in UTC", Defect.INVALID_VALUE)]
    assert list(store.keys("Lot")) == ["L2"]


def test_inspection_of_a_lot_loaded_earlier_with_padded_subject_type(store: Store, tmp_path: Path) -> None:
    """The type is compared stripped, as validation strips it, when looking up lots already held."""
    g = Graph(store)
    g.load_tables(_write(tmp_path / "a", {"materials.csv": "material_id,revision\nM1,A\n",
                                          "lots.csv": "lot_id,item_id\nL1,M1\n"}))
    report = g.load_tables(_write(tmp_path / "b", {
        "inspections.csv": "inspection_id,subject_type,subject_id,characteristic,result\nI1,lot ,L1,len,pass\n"}))
    assert report.rejected == []
    assert store.get("Inspection", ["I1"])["I1"]["subject_type"] == "lot"


def test_repeated_csv_column_refuses_the_file(store: Store, tmp_path: Path) -> None:
    csv_dir = _write(tmp_path / "csv", {"suppliers.csv": "supplier_id,name, name\nS1,Acme,Other\n"})
    with pytest.raises(LoadError, match=r"suppliers\.csv: has the column\(s\) name more than once") as caught:
        Graph(store).load_tables(csv_dir)
    assert caught.value.file == str(csv_dir / "suppliers.csv")
    assert store.counts()["Supplier"] == 0


@pytest.mark.parametrize(("column", "values", "message"), [
    ("lot_id", pa.array([1.0, None, 2.0]), r"field lot_id: is a Parquet double column; a string field takes text"),
    ("item_id", pa.array([b"M1", b"M1", b"M1"]), r"field item_id: is a Parquet binary column; a string field"),
    ("quantity", pa.array([True, False, True]), r"field quantity: is a Parquet bool column; a decimal field takes "
                                                r"numbers, not booleans"),
    ("created_at", pa.array([1.5, 2.5, 3.5]), r"field created_at: is a Parquet double column; a datetime field"),
], ids=["float-key", "binary-string", "bool-number", "float-datetime"])
def test_parquet_column_of_the_wrong_type_refuses_the_file(store: Store, tmp_path: Path, column: str,
                                                           values: pa.Array, message: str) -> None:
    """Arrow values would reach validation altered ('1.0', "b'M1'", 1.0): the file is refused instead."""
    columns = {"lot_id": pa.array(["L1", "L2", "L3"]), "item_id": pa.array(["M1", "M1", "M1"]), column: values}
    directory = _write(tmp_path / "t", {"materials.csv": "material_id,revision\nM1,A\n"})
    pq.write_table(pa.table(columns), directory / "lots.parquet")
    with pytest.raises(LoadError, match=r"lots\.parquet, " + message):
        Graph(store).load_tables(directory)
    assert store.counts()["Lot"] == 0 and store.counts()["Material"] == 0


def test_parquet_columns_that_keep_their_values(store: Store, tmp_path: Path) -> None:
    """Integer keys read as written (no '.0'); dictionary-encoded text and all-null columns are text."""
    directory = _write(tmp_path / "t", {"materials.csv": "material_id,revision\n7,A\n"})
    pq.write_table(pa.table({"lot_id": pa.array([1, 2], pa.int64()),
                             "item_id": pa.array(["7", "7"]).dictionary_encode(),
                             "supplier_id": pa.nulls(2), "quantity": pa.array([3, 2.5])}),
                   directory / "lots.parquet")
    report = Graph(store).load_tables(directory)
    assert report.rejected == []
    lots = store.get("Lot", ["1", "2"])
    assert [(lots[k]["item_id"], lots[k]["supplier_id"], lots[k]["quantity"]) for k in ("1", "2")] == [
        ("7", None, 3.0), ("7", None, 2.5)]


def test_parquet_as_pandas_writes_it_loads(store: Store, tmp_path: Path) -> None:
    """pandas writes an optional column left empty as doubles, and pyarrow may write text as string_view:
    neither holds a value of the wrong type, so both load."""
    directory = _write(tmp_path / "t", {"materials.csv": "material_id,revision\nM1,A\n"})
    pq.write_table(pa.table({"lot_id": pa.array(["L1", "L2"], pa.string_view()),
                             "item_id": pa.array(["M1", "M1"], pa.string_view()),
                             "created_at": pa.array([None, None], pa.float64()),
                             "uom": pa.array([None, None], pa.float64())}),
                   directory / "lots.parquet")
    report = Graph(store).load_tables(directory)
    assert report.rejected == []
    assert sorted(store.keys("Lot")) == ["L1", "L2"]


def test_csv_with_trailing_unnamed_columns_loads(store: Store, tmp_path: Path) -> None:
    """Spreadsheets export empty trailing columns with blank names: they are not repeated columns."""
    directory = _write(tmp_path / "t", {"suppliers.csv": "supplier_id,name,,\r\nS1,Acme,,\r\n"})
    assert Graph(store).load_tables(directory).rejected == []
    assert store.get("Supplier", ["S1"])["S1"]["name"] == "Acme"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "with-bom"])
def test_a_byte_that_is_not_utf8_is_placed_by_line_and_byte_of_the_whole_file(store: Store, tmp_path: Path,
                                                                               bom: bytes) -> None:
    """A latin-1 export deep in a big file: the error says where in the file, not where in the decoder's
    8 KB chunk (it said 'byte 4509' of a byte at 102,813)."""
    head = bom + b"customer_id,name\n" + b"".join(b"C%d,Clinic %d\n" % (i, i) for i in range(5000))
    data = head + "C9999,Clínica Três\n".encode("latin-1")
    directory = tmp_path / "t"
    directory.mkdir()
    (directory / "customers.csv").write_bytes(data)
    bad = data.index(b"\xed")
    assert data[:bad].count(b"\n") + 1 == 5002
    with pytest.raises(LoadError, match=rf"customers\.csv: is not UTF-8 text \(invalid continuation byte at "
                                        rf"line 5002, byte {bad}\)") as caught:
        Graph(store).load_tables(directory)
    assert caught.value.file == str(directory / "customers.csv")
    assert store.counts()["Customer"] == 0


def test_a_character_cut_off_at_the_end_of_the_file_is_placed_on_the_last_line(store: Store, tmp_path: Path) -> None:
    """A truncated copy: the decoder fails only when the file ends, and the last line alone says where."""
    data = "customer_id,name\nC1,Clinic\nC2,Clí".encode()[:-1]  # the "í" cut in two
    directory = tmp_path / "t"
    directory.mkdir()
    (directory / "customers.csv").write_bytes(data)
    with pytest.raises(LoadError, match=rf"customers\.csv: is not UTF-8 text \(unexpected end of data at "
                                        rf"line 3, byte {len(data) - 1}\)"):
        Graph(store).load_tables(directory)
    assert store.counts()["Customer"] == 0


def test_not_utf8_refuses_to_place_an_error_in_utf8_text() -> None:
    """It is asked only after a decoder refused the bytes: given UTF-8 it says so rather than invent a place."""
    with pytest.raises(ValueError, match="was given UTF-8 text"):
        not_utf8([b"customer_id,name\n", "C1,Clínica\n".encode()])


def test_a_table_without_rows_is_still_held_to_its_required_columns(store: Store, tmp_path: Path) -> None:
    """An empty delta export whose columns were renamed upstream: refused today, not the first day it has rows."""
    csv_dir = _write(tmp_path / "csv", {"customers.csv": "customer_id,name\nC1,Clinic\n",
                                        "shipments.csv": "shipment_id,customer,shipped_at\n"})
    with pytest.raises(LoadError, match=r"shipments\.csv: lacks required column\(s\) customer_id") as caught:
        Graph(store).load_tables(csv_dir)
    assert caught.value.file == str(csv_dir / "shipments.csv")
    parquet_dir = tmp_path / "parquet"
    parquet_dir.mkdir()
    pq.write_table(pa.table({"child_id": pa.array([], pa.string()), "container_id": pa.array([], pa.string())}),
                   parquet_dir / "packing.parquet")
    with pytest.raises(LoadError, match=r"packing\.parquet: lacks required column\(s\) child_type, packed_at"):
        Graph(store).load_tables(parquet_dir)
    assert store.counts()["Customer"] == 0
    report = Graph(store).load_tables(_write(tmp_path / "ok", {
        "customers.csv": "customer_id,name\nC1,Clinic\n", "shipments.csv": "shipment_id,customer_id,shipped_at\n"}))
    assert (report.loaded["customers"], report.loaded["shipments"], report.rejected) == (1, 0, [])
