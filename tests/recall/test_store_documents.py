"""The store's document and append-only log primitives, on every backend (the shared ``store`` fixture)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tracegraph.errors import DocumentChanged, StoreError
from canonical import Tables

from tracegraph.store import SQLiteStore, Store
from tracegraph.store import sqlite as sqlite_store


def test_documents_written_with_log_entries(store: Store) -> None:
    assert store.documents("things", ["a"]) == {}
    store.append("log", lambda seq, prev: {"n": seq}, {("things", "b"): {"v": 1}, ("things", "a"): {"v": 2}})
    store.append("log", lambda seq, prev: {"n": seq}, {("things", "a"): {"v": 3}})
    assert store.documents("things", ["a"]) == {"a": {"v": 3}}
    assert list(store.documents("things").items()) == [("a", {"v": 3}), ("b", {"v": 1})]
    assert store.documents("other") == {}
    assert store.document_keys("things") == ["a", "b"] and store.document_keys("other") == []


def test_append_refuses_documents_changed_since_they_were_read(store: Store) -> None:
    """The compare-and-write that makes a recall action atomic across processes."""
    def entry(seq: int, prev: dict[str, Any] | None) -> dict[str, Any]:
        return {"n": seq}
    store.append("log", entry, {("things", "a"): {"v": 1}}, expected={("things", "a"): None})
    with pytest.raises(DocumentChanged, match="things a changed"):
        store.append("log", entry, {("things", "a"): {"v": 9}, ("things", "b"): {"v": 9}},
                     expected={("things", "a"): None})
    with pytest.raises(DocumentChanged):
        store.append("log", entry, {("things", "a"): {"v": 9}}, expected={("things", "a"): {"v": 2}})
    assert store.documents("things") == {"a": {"v": 1}} and [s for s, _ in store.entries("log")] == [1]
    store.append("log", entry, {("things", "a"): {"v": 2}}, expected={("things", "a"): {"v": 1}})
    assert store.documents("things") == {"a": {"v": 2}} and [s for s, _ in store.entries("log")] == [1, 2]


def test_log_sequence_and_previous_entry(store: Store) -> None:
    seen: list[tuple[int, Any]] = []

    def build(seq: int, prev: dict[str, Any] | None) -> dict[str, Any]:
        seen.append((seq, prev))
        return {"seq": seq}
    for _ in range(3):
        store.append("a", build)
    store.append("b", build)
    assert seen == [(1, None), (2, {"seq": 1}), (3, {"seq": 2}), (1, None)]
    assert list(store.entries("a")) == [(1, {"seq": 1}), (2, {"seq": 2}), (3, {"seq": 3})]
    assert list(store.entries("a", start=3)) == [(3, {"seq": 3})]
    assert list(store.entries("none")) == []
    assert (store.last("a"), store.last("b"), store.last("none")) == ((3, {"seq": 3}), (1, {"seq": 1}), None)


def _delete_entry(store: Store, log: str, seq: int) -> None:
    """Remove one log entry from outside the store (what the store itself never does): a tampered trail."""
    if isinstance(store, SQLiteStore):
        con = sqlite3.connect(store.path)
        con.execute("DROP TRIGGER log_no_delete")
        con.execute("DELETE FROM log WHERE log = ? AND seq = ?", (log, seq))
        con.commit()
        con.close()
    else:  # Neo4j
        from tracegraph.store.neo4j_statements import LOG_ENTRY_LABEL
        store._transaction(True, lambda tx: tx.run(  # type: ignore[attr-defined]  # noqa: SLF001
            f"MATCH (e:{LOG_ENTRY_LABEL} {{log: $log, seq: $seq}}) DELETE e", log=log, seq=seq).consume())


def test_last_is_the_last_entry_left_when_the_tail_was_removed(store: Store) -> None:
    """``last`` is where ``entries`` ends on every backend, also on a trail cut short from outside (an
    AuditLog head then names the entry that is there, not none: Neo4j read the head node's last number)."""
    for _ in range(3):
        store.append("a", lambda seq, prev: {"seq": seq})
    _delete_entry(store, "a", 3)
    assert store.last("a") == list(store.entries("a"))[-1] == (2, {"seq": 2})


def test_entries_about_one_target(store: Store) -> None:
    for i in range(7):
        store.append("log", lambda seq, prev, i=i: {"seq": seq, "target": f"t{i % 3}"})
    store.append("other", lambda seq, prev: {"seq": seq, "target": "t1"})
    assert [s for s, _ in store.entries("log", target="t1")] == [2, 5]
    assert [s for s, _ in store.entries("log", start=3, target="t0")] == [4, 7]
    assert list(store.entries("log", target="nobody")) == []
    assert store.last("log") == (7, {"seq": 7, "target": "t0"})


def test_entry_and_documents_are_one_transaction(store: Store) -> None:
    def failing(seq: int, prev: Any) -> dict[str, Any]:
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        store.append("log", failing, {("things", "a"): {"v": 1}})
    assert store.documents("things") == {}
    assert list(store.entries("log")) == []


def test_find_edges_by_property(load_graph: Any) -> None:
    t = Tables()
    for lot in ("R1", "R2", "R3"):
        t.lot(lot, material="M1")
    t.lot("F1", product="P1")
    t.lot("F2", product="P1")
    t.consume("ST1", "R1", "F1")
    t.consume("ST1", "R2", "F1")
    t.consume("ST2", "R2", "F2")
    t.consume("ST2", "R3", "F2")
    store = load_graph(t).store
    found = store.find_edges("CONSUMED_INTO", "step_id", ["ST1"])
    assert sorted((e.src, e.dst) for e in found) == [(("Lot", "R1"), ("Lot", "F1")), (("Lot", "R2"), ("Lot", "F1"))]
    assert all(e.props["step_id"] == "ST1" for e in found)
    assert len(store.find_edges("CONSUMED_INTO", "step_id", ["ST1", "ST2", "NOPE"])) == 4
    with pytest.raises(KeyError):
        store.find_edges("CONSUMED_INTO", "nope", ["ST1"])


def test_sqlite_log_rejects_update_and_delete(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        store.append("log", lambda seq, prev: {"seq": seq})
    con = sqlite3.connect(tmp_path / "s.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE log SET body = '{}'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM log")
    con.close()


def test_sqlite_read_only_reads_but_cannot_append(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        store.append("log", lambda seq, prev: {"seq": seq}, {("c", "k"): {"v": 1}})
    with SQLiteStore(tmp_path / "s.db", read_only=True) as ro:
        assert ro.documents("c", ["k"]) == {"k": {"v": 1}}
        assert [s for s, _ in ro.entries("log")] == [1]
        with pytest.raises(StoreError, match="read-only"):
            ro.append("log", lambda seq, prev: {"seq": seq})


def test_sqlite_reads_a_long_log_a_page_at_a_time_and_one_target_by_its_index(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    store = SQLiteStore(tmp_path / "t.db")
    monkeypatch.setattr(sqlite_store, "LOG_PAGE", 4)
    for _ in range(10):
        store.append("log", lambda seq, prev: {"seq": seq, "target": "odd" if seq % 2 else "even"})
    assert [s for s, _ in store.entries("log")] == list(range(1, 11))
    assert [s for s, _ in store.entries("log", target="odd")] == [1, 3, 5, 7, 9]
    con = store._con()  # noqa: SLF001 -- the statements entries() sends, as SQLite ran them
    sent: list[str] = []
    con.set_trace_callback(sent.append)
    assert [s for s, _ in store.entries("log", start=2, target="even")] == [2, 4, 6, 8, 10]
    con.set_trace_callback(None)
    assert len(sent) == 2 and all("'even'" in sql for sql in sent)  # two pages of at most 4
    plan = " ".join(str(row) for row in con.execute(f"EXPLAIN QUERY PLAN {sent[0]}"))
    assert "USING INDEX log_target" in plan, plan


def test_sqlite_log_pages_start_small_and_grow_tenfold_to_the_most_read_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One entry (AuditLog.contains) costs one small page; a whole trail is read in a few big ones."""
    store = SQLiteStore(tmp_path / "t.db")
    monkeypatch.setattr(sqlite_store, "LOG_FIRST_PAGE", 2)
    monkeypatch.setattr(sqlite_store, "LOG_PAGE", 50)
    for _ in range(30):
        store.append("log", lambda seq, prev: {"seq": seq})
    con = store._con()  # noqa: SLF001 -- the statements entries() sends, as SQLite ran them
    sent: list[str] = []
    con.set_trace_callback(sent.append)
    assert next(store.entries("log"))[0] == 1
    assert [s for s, _ in store.entries("log")] == list(range(1, 31))
    con.set_trace_callback(None)
    assert [int(sql.rsplit("LIMIT", 1)[1]) for sql in sent] == [2, 2, 20, 50]
