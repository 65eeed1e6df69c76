"""A write and its audit entry are one transaction: neither can exist without the other.

Failures are real: a SQLite trigger that aborts inserts into a table (as a full disk or a policy
would), an entry that cannot be stored, an edge naming a record that does not exist.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import tracegraph
from tracegraph.errors import StoreError
from tracegraph.generate import generate
from tracegraph.recall.audit import LOG
from tracegraph.schema import KINDS
from tracegraph.store import Batch, Edge, LogEntry, Store

from .faults import allow_inserts, refuse_inserts


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plant") / "tables"
    generate(out, 200, seed=5)
    return out


def test_a_load_whose_audit_entry_fails_leaves_no_graph_rows(tables: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    refuse_inserts(db, "log")
    with tracegraph.connect(str(db), user="loader") as graph:
        with pytest.raises(sqlite3.DatabaseError, match="refused"):
            graph.load_tables(tables)
        assert sum(graph.counts().values()) == 0
        assert list(graph.audit.entries()) == []
    allow_inserts(db, "log")
    with tracegraph.connect(str(db), user="loader") as graph:  # the retry lands whole, first in the chain
        graph.load_tables(tables)
        assert [(e["seq"], e["action"]) for e in graph.audit.entries()] == [(1, "load.tables")]
        assert graph.audit.verify().ok


def test_a_load_whose_graph_write_fails_leaves_no_audit_entry(tables: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    refuse_inserts(db, KINDS["Serial"].sql_table)
    with tracegraph.connect(str(db), user="loader") as graph:
        with pytest.raises(sqlite3.DatabaseError, match="refused"):
            graph.load_tables(tables)
        assert sum(graph.counts().values()) == 0
        assert list(graph.audit.entries()) == []


def test_the_entry_counts_are_read_inside_the_write(tables: Path, tmp_path: Path) -> None:
    with tracegraph.connect(str(tmp_path / "t.db"), user="loader") as graph:
        graph.load_tables(tables)
        (entry,) = graph.audit.entries()
        assert set(entry["before"]["counts"].values()) == {0}
        assert entry["after"]["counts"] == graph.counts()
        assert entry["target"] == f"load:{tables.resolve()}" and entry["after"]["rejected"] == 0


def test_file_hashes_are_of_the_bytes_loaded_in_the_same_read(tables: Path, tmp_path: Path) -> None:
    """A file changed after the loader read it (here: by the progress callback) keeps the hash of what was loaded."""
    source = tmp_path / "tables"
    source.mkdir()
    for path in tables.iterdir():
        (source / path.name).write_bytes(path.read_bytes())
    read = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in source.iterdir()}

    def change_after_read(table: str, _rows: int) -> None:
        with (source / f"{table}.csv").open("a", encoding="utf-8") as fh:
            fh.write("changed after it was read\n")

    with tracegraph.connect(str(tmp_path / "t.db"), user="loader") as graph:
        graph.load_tables(source, change_after_read)
        (entry,) = graph.audit.entries()
    assert entry["after"]["files"] == {name: digest for name, digest in read.items() if name.endswith(".csv")}
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() != read[p.name] for p in source.glob("*.csv"))


def test_parquet_files_are_hashed_too(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "tables"
    source.mkdir()
    pq.write_table(pa.table({"supplier_id": ["S-1", "S-2"], "name": ["Acme", "Bolt"]}), source / "suppliers.parquet")
    with tracegraph.connect(str(tmp_path / "t.db"), user="loader") as graph:
        graph.load_tables(source)
        (entry,) = graph.audit.entries()
    assert entry["after"]["files"] == {"suppliers.parquet": hashlib.sha256(
        (source / "suppliers.parquet").read_bytes()).hexdigest()}
    assert entry["after"]["counts"]["Supplier"] == 2


# -- the store contract, on every backend --------------------------------------------------------
def _entry(counts_seen: list[Any]) -> LogEntry:
    def build(seq: int, previous: dict[str, Any] | None, counts: Any) -> dict[str, Any]:
        counts_seen.append(counts)
        return {"seq": seq, "prev": previous and previous["seq"]}
    return LogEntry("test", build, counted=True)


def test_store_write_appends_its_entry_in_the_same_transaction(store: Store) -> None:
    seen: list[Any] = []
    batch = Batch(nodes={"Supplier": [{"supplier_id": "S-1", "name": "Acme"}]})
    assert store.write(batch, _entry(seen)) == {"seq": 1, "prev": None}
    assert store.write(batch, _entry(seen)) == {"seq": 2, "prev": 1}
    (before, after), (again, same) = seen
    assert (before["Supplier"], after["Supplier"], again["Supplier"], same["Supplier"]) == (0, 1, 1, 1)
    assert [seq for seq, _ in store.entries("test")] == [1, 2]


def test_store_write_keeps_nothing_when_its_entry_cannot_be_stored(store: Store) -> None:
    def unstorable(seq: int, previous: Any, counts: Any) -> dict[str, Any]:
        return {"seq": seq, "not json": {1, 2}}  # a set: JSON encoding fails inside the transaction
    with pytest.raises(TypeError):
        store.write(Batch(nodes={"Supplier": [{"supplier_id": "S-1", "name": "Acme"}]}), LogEntry("test", unstorable))
    assert store.get("Supplier", ["S-1"]) == {} and list(store.entries("test")) == []


def test_store_write_appends_no_entry_when_the_batch_fails(store: Store) -> None:
    bad = Batch(nodes={"Supplier": [{"supplier_id": "S-1", "name": "Acme"}]},
                edges={"SUPPLIED": [Edge("SUPPLIED", ("Supplier", "S-1"), ("Lot", "no-such-lot"))]})
    with pytest.raises(StoreError):
        store.write(bad, _entry([]))
    assert store.get("Supplier", ["S-1"]) == {} and list(store.entries(LOG)) == list(store.entries("test")) == []
