"""The audit trail: what is recorded, and that tampering is found at the right entry."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import tracegraph
from tracegraph.errors import BadInput
from tracegraph.recall.audit import Head, digest
from tracegraph.trace.triggers import RecallTrigger


def _tamper(db: Path, sql: str, *params: Any) -> None:
    """Edit the log behind the store's back, the way an attacker with file access would."""
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER IF EXISTS log_no_update")
    con.execute("DROP TRIGGER IF EXISTS log_no_delete")
    con.execute(sql, params)
    con.commit()
    con.close()


def _entry(db: Path, seq: int) -> dict[str, Any]:
    con = sqlite3.connect(db)
    body = con.execute("SELECT body FROM log WHERE log = 'audit' AND seq = ?", (seq,)).fetchone()[0]
    con.close()
    return dict(json.loads(body))


def _workflow(graph: Any) -> str:
    svc = graph.recalls("alice")
    lot = max(k for k in graph.store.keys("Lot") if k.startswith("FL-"))
    recall = svc.open(RecallTrigger("lots", (lot,)), "seal failure", "II", why="complaint CMP-17")
    svc.scope(recall.recall_id)
    svc.hold(recall.recall_id)
    svc.notify(recall.recall_id, svc.version(recall.recall_id).items["customers"], "email")
    svc.dispose(recall.recall_id, "not_found", remaining=True)
    return recall.recall_id


def test_every_write_and_scope_computation_is_recorded(graph: Any) -> None:
    load = next(graph.audit.entries())
    assert (load["seq"], load["actor"], load["action"]) == (1, "loader", "load.tables")
    assert load["before"]["counts"]["Serial"] == 0 and load["after"]["counts"]["Serial"] == 2000
    assert set(load["after"]["files"]) >= {"lots.csv", "serials.csv"}
    lot = next(iter(graph.store.keys("Lot")))
    graph.recall_scope(lots=lot, actor="dana", why="what-if for CAPA-3")
    recall_id = _workflow(graph)
    entries = list(graph.audit.entries())
    actions = [(e["actor"], e["action"]) for e in entries[1:]]
    assert actions == [("dana", "scope.compute"), ("alice", "recall.open"), ("alice", "recall.scope"),
                       ("alice", "recall.hold"), ("alice", "recall.notify"), ("alice", "recall.dispose")]
    assert entries[1]["before"] == {"start": {"lots": [lot]}} and entries[1]["why"] == "what-if for CAPA-3"
    assert entries[2]["why"] == "complaint CMP-17" and entries[2]["target"] == f"recall:{recall_id}"
    scope = graph.recalls().version(recall_id)
    assert entries[3]["after"]["hash"] == scope.hash and entries[3]["after"]["counts"]["serials"] == len(
        scope.items["serials"])
    assert all(e["prev"] == p["hash"] for p, e in zip(entries, entries[1:]))
    assert [e["action"] for e in graph.audit.entries(target=f"recall:{recall_id}")][0] == "recall.open"
    assert graph.audit.verify().ok and graph.audit.verify().entries == len(entries)


def test_editing_an_entry_is_found_at_that_entry(graph: Any, db: Path) -> None:
    _workflow(graph)
    total = graph.audit.verify().entries
    graph.close()
    entry = _entry(db, 4)
    entry["actor"] = "mallory"
    _tamper(db, "UPDATE log SET body = ? WHERE log = 'audit' AND seq = 4", json.dumps(entry))
    with tracegraph.connect(str(db)) as g:
        result = g.audit.verify()
    assert (result.ok, result.first_bad, result.entries) == (False, 4, 3) and "changed" in result.problem
    assert total > 4


def test_rehashed_or_deleted_entries_break_the_chain(graph: Any, db: Path) -> None:
    _workflow(graph)
    graph.close()
    entry = _entry(db, 3)
    entry["why"] = "nothing to see"
    entry["hash"] = digest({k: v for k, v in entry.items() if k != "hash"})  # a careful forger
    _tamper(db, "UPDATE log SET body = ? WHERE log = 'audit' AND seq = 3", json.dumps(entry))
    with tracegraph.connect(str(db)) as g:
        result = g.audit.verify()
    assert (result.first_bad, "does not link" in result.problem) == (4, True)
    _tamper(db, "DELETE FROM log WHERE log = 'audit' AND seq = 2")
    with tracegraph.connect(str(db)) as g:
        assert g.audit.verify().first_bad == 3


def test_an_audit_entry_needs_an_actor(graph: Any) -> None:
    with pytest.raises(ValueError):
        graph.audit.record("", "x", "y", "z")


def test_read_only_graphs_answer_scopes_but_cannot_record(db: Path) -> None:
    from tracegraph.errors import StoreError
    with tracegraph.connect(str(db), read_only=True) as g:
        before = g.audit.verify().entries
        lot = next(iter(g.store.keys("Lot")))
        assert g.recall_scope(lots=lot).trace.ids["lots"]
        assert g.audit.verify().entries == before
        with pytest.raises(StoreError, match="read-only"):
            g.recalls("alice").open(RecallTrigger("lots", (lot,)), "x", "I")


def _rehash_from(db: Path, seq: int, **changes: Any) -> None:
    """Change entry ``seq`` and recompute every hash from there on: a forger with write access to the file."""
    con = sqlite3.connect(db)
    rows = [(s, json.loads(b)) for s, b in con.execute("SELECT seq, body FROM log WHERE log = 'audit' ORDER BY seq")]
    con.close()
    previous = None
    for s, entry in rows:
        if s == seq:
            entry.update(changes)
        if s >= seq:
            entry["prev"] = previous
            entry["hash"] = digest({k: v for k, v in entry.items() if k != "hash"})
            _tamper(db, "UPDATE log SET body = ? WHERE log = 'audit' AND seq = ?", json.dumps(entry), s)
        previous = entry["hash"]


def test_without_anchors_a_rehashed_or_truncated_tail_verifies(graph: Any, db: Path) -> None:
    """The documented limit: the chain alone cannot tell a re-hashed or truncated tail from an honest one."""
    _workflow(graph)
    last = graph.audit.head()
    graph.close()
    _rehash_from(db, 3, actor="mallory")
    _tamper(db, "DELETE FROM log WHERE log = 'audit' AND seq = ?", last.seq)
    with tracegraph.connect(str(db)) as g:
        assert g.audit.verify().ok and g.audit.head().seq == last.seq - 1
        assert next(g.audit.entries(start=3))["actor"] == "mallory"


def test_an_anchor_detects_a_deleted_tail(graph: Any, db: Path) -> None:
    _workflow(graph)
    anchor = graph.audit.head()
    assert anchor is not None and graph.audit.contains(anchor) and graph.audit.verify([anchor]).ok
    graph.close()
    _tamper(db, "DELETE FROM log WHERE log = 'audit' AND seq = ?", anchor.seq)
    with tracegraph.connect(str(db)) as g:
        result = g.audit.verify([Head.parse(anchor.anchor)])
        assert g.audit.verify().ok and not g.audit.contains(anchor)
    assert (result.ok, result.first_bad) == (False, anchor.seq) and "missing" in result.problem


def test_an_anchor_detects_rehashed_entries_before_it(graph: Any, db: Path) -> None:
    _workflow(graph)
    early = Head(2, next(graph.audit.entries(start=2))["hash"])
    anchor = graph.audit.head()
    graph.close()
    _rehash_from(db, 3, actor="mallory")
    with tracegraph.connect(str(db)) as g:
        assert g.audit.verify().ok and g.audit.verify([early]).ok  # entries up to 2 are untouched
        result = g.audit.verify([early, anchor])
    assert (result.ok, result.first_bad) == (False, anchor.seq) and "re-hashed" in result.problem


@pytest.mark.parametrize("text", ["", "3", "0:" + "a" * 64, "3:" + "a" * 63, "3:" + "A" * 64, "x:" + "a" * 64])
def test_a_malformed_anchor_is_bad_input(text: str) -> None:
    with pytest.raises(BadInput, match="anchor"):
        Head.parse(text)
