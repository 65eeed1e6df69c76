"""Real failures inside a store transaction: SQLite itself aborting inserts into one table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import tracegraph


def refuse_inserts(db: Path, table: str) -> None:
    """Make SQLite itself abort every insert into ``table`` (a real failure inside the transaction)."""
    with tracegraph.connect(str(db)):
        pass  # the schema exists
    con = sqlite3.connect(db)
    con.execute(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END")
    con.commit()
    con.close()


def allow_inserts(db: Path, table: str) -> None:
    con = sqlite3.connect(db)
    con.execute(f"DROP TRIGGER refuse_{table}")
    con.commit()
    con.close()
