"""The store's document and append-only log primitives on the embedded backend."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tracegraph.store import SQLiteStore


def test_documents_written_with_log_entries(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        assert store.documents("things", ["a"]) == {}
        store.append("log", lambda seq, prev: {"n": seq}, {("things", "b"): {"v": 1}, ("things", "a"): {"v": 2}})
        store.append("log", lambda seq, prev: {"n": seq}, {("things", "a"): {"v": 3}})
        assert store.documents("things", ["a"]) == {"a": {"v": 3}}
        assert list(store.documents("things").items()) == [("a", {"v": 3}), ("b", {"v": 1})]
        assert store.documents("other") == {}


def test_log_sequence_and_previous_entry(tmp_path: Path) -> None:
    seen: list[tuple[int, Any]] = []

    def build(seq: int, prev: dict[str, Any] | None) -> dict[str, Any]:
        seen.append((seq, prev))
        return {"seq": seq}
    with SQLiteStore(tmp_path / "s.db") as store:
        for _ in range(3):
            store.append("a", build)
        store.append("b", build)
        assert seen == [(1, None), (2, {"seq": 1}), (3, {"seq": 2}), (1, None)]
        assert list(store.entries("a")) == [(1, {"seq": 1}), (2, {"seq": 2}), (3, {"seq": 3})]
        assert list(store.entries("a", start=3)) == [(3, {"seq": 3})]


def test_entry_and_documents_are_one_transaction(tmp_path: Path) -> None:
    def failing(seq: int, prev: Any) -> dict[str, Any]:
        raise RuntimeError("boom")
    with SQLiteStore(tmp_path / "s.db") as store:
        with pytest.raises(RuntimeError):
            store.append("log", failing, {("things", "a"): {"v": 1}})
        assert store.documents("things") == {}
        assert list(store.entries("log")) == []


def test_log_rejects_update_and_delete(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        store.append("log", lambda seq, prev: {"seq": seq})
    con = sqlite3.connect(tmp_path / "s.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE log SET body = '{}'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM log")
    con.close()


def test_read_only_store_sees_documents(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        store.append("log", lambda seq, prev: {"seq": seq}, {("c", "k"): {"v": 1}})
    with SQLiteStore(tmp_path / "s.db", read_only=True) as ro:
        assert ro.documents("c", ["k"]) == {"k": {"v": 1}}
        assert [s for s, _ in ro.entries("log")] == [1]


def test_find_edges_by_property(graph: Any, table: Any) -> None:
    rows = table("consumptions")
    step = rows[0]["step_id"]
    expected = sorted({(r["input_id"], r["output_id"]) for r in rows if r["step_id"] == step})
    found = graph.store.find_edges("CONSUMED_INTO", "step_id", [step])
    assert sorted((e.src[1], e.dst[1]) for e in found) == expected
    assert all(e.props["step_id"] == step for e in found)
    with pytest.raises(KeyError):
        graph.store.find_edges("CONSUMED_INTO", "nope", [step])
