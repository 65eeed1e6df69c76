"""A schema-1 SQLite file (written by the old code: data/schema1.sql) is upgraded in place when opened
writable, in one transaction recorded in the audit trail, and refused read-only with the way forward."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from canonical import Tables, at, write_csv

from tracegraph import Graph, connect
from tracegraph.api.keys import ApiKeys
from tracegraph.errors import StoreError
from tracegraph.store import SQLiteStore

SCHEMA_1 = Path(__file__).parent / "data" / "schema1.sql"


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    db = tmp_path / "v1.db"
    with sqlite3.connect(db) as con:
        con.executescript(SCHEMA_1.read_text())
    con.close()
    return db


def _columns(db: Path) -> dict[str, list[tuple[str, str]]]:
    """Every table's columns (name, type) in order, read with plain sqlite3."""
    with sqlite3.connect(db) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out = {t: [(r[1], r[2]) for r in con.execute(f"PRAGMA table_info({t})")] for t in tables}
    con.close()
    return out


def _version(db: Path) -> str:
    with sqlite3.connect(db) as con:
        value = con.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0]
    con.close()
    return str(value)


def test_a_read_only_open_is_refused_and_says_how_to_upgrade(old_db: Path) -> None:
    before = _columns(old_db)
    with pytest.raises(StoreError, match=r"TraceGraph 1 database.*opening it writable upgrades it to 2.* init"):
        SQLiteStore(old_db, read_only=True)
    assert _version(old_db) == "1" and _columns(old_db) == before


def test_a_writable_open_upgrades_it_keeping_records_audit_recalls_holds_and_keys(old_db: Path,
                                                                                  tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    SQLiteStore(fresh).close()
    with sqlite3.connect(old_db) as con:
        old_counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _columns(old_db)}
        old_entries = con.execute("SELECT count(*) FROM log WHERE log = 'audit'").fetchone()[0]
    con.close()
    assert "retracted_at" not in dict(_columns(old_db)["r_packed_in"])

    with Graph(SQLiteStore(old_db), user="upgrader") as graph:
        assert _columns(old_db) == _columns(fresh)  # exactly the tables and columns of a new file
        assert _version(old_db) == "2"
        with sqlite3.connect(old_db) as con:
            assert {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in old_counts} == {
                **old_counts, "log": old_counts["log"] + 1}
        con.close()
        entries = list(graph.audit.entries())
        assert len(entries) == old_entries + 1 and graph.audit.verify().ok
        assert {k: entries[-1][k] for k in ("action", "before", "after")} == {
            "action": "store.upgrade", "before": {"schema_version": 1},
            "after": {"schema_version": 2, "added_columns": ["r_packed_in.retracted_at", "r_attached_to.retracted_at"]}}
        recall, = graph.recalls().recalls()
        assert recall.held == ["Lot:F1", "Lot:R1", "Serial:S1"]
        assert graph.record("Lot", "R1")["holds"][0]["recall_id"] == recall.recall_id
        assert [k.name for k in ApiKeys(graph.store).list()] == ["fixture key"]
        assert graph.forward(lot="R1").ids["customers"] == ["C1"]
        # what schema 2 is for: a retracted packing counts nowhere
        t = Tables()
        t.lot("F1", product="DEV", quantity=2)
        t.pack("F1", "K9", 1)
        t.rows["packing"][-1]["retracted_at"] = at(2)
        assert graph.load_tables(write_csv(tmp_path / "tables", t.rows)).rejected == []
        assert "K9" not in graph.forward(lot="F1").ids["containers"]

    SQLiteStore(old_db).close()  # opening it again upgrades nothing more
    with connect(str(old_db), read_only=True) as graph:
        assert [e["action"] for e in graph.audit.entries()].count("store.upgrade") == 1


def test_an_upgrade_that_fails_changes_nothing(old_db: Path) -> None:
    """One transaction: a file whose second table already has the column keeps schema 1 and its first table."""
    with sqlite3.connect(old_db) as con:
        con.execute("ALTER TABLE r_attached_to ADD COLUMN retracted_at TEXT")
    con.close()
    before = _columns(old_db)
    with pytest.raises(StoreError, match="duplicate column"):
        SQLiteStore(old_db)
    assert _version(old_db) == "1" and _columns(old_db) == before


def test_the_cli_says_how_and_init_upgrades(old_db: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tracegraph.cli", "--db", str(old_db), *args],
                              capture_output=True, text=True, timeout=120)
    refused = cli("counts")
    assert refused.returncode == 2 and "opening it writable upgrades it" in refused.stderr + refused.stdout
    assert cli("init").returncode == 0
    counts = cli("counts", "--json")
    assert counts.returncode == 0 and '"Serial": 2' in counts.stdout
