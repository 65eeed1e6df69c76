"""Inputs at the edges that once crashed the loaders or changed values silently.

Each is either rejected as a record (file, row, field, reason; the rest of the batch loads) or
refuses the whole file with a LoadError naming it; never a traceback, never a value altered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tracegraph import Graph, LoadError
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
