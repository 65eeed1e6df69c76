"""A small generated plant, loaded once; each test gets its own copy of the store file."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import serve

import tracegraph
from tracegraph.api.keys import ApiKeys
from tracegraph.generate import generate
from tracegraph.graph import Graph

SERIALS, SEED = 2000, 11
CLI = [sys.executable, "-m", "tracegraph.cli"]
ROLES = {"reader": "rita", "analyst": "ann", "recall_coordinator": "alice", "admin": "adam"}


@pytest.fixture(scope="session")
def plant(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(tables directory, loaded store file)."""
    root = tmp_path_factory.mktemp("plant")
    generate(root / "tables", SERIALS, seed=SEED)
    with tracegraph.connect(str(root / "base.db"), user="loader") as g:
        assert g.load_tables(root / "tables").rejected == []
    return root / "tables", root / "base.db"


@pytest.fixture
def db(plant: tuple[Path, Path], tmp_path: Path) -> Path:
    target = tmp_path / "t.db"
    shutil.copy(plant[1], target)
    return target


@pytest.fixture
def graph(db: Path) -> Iterator[Graph]:
    with tracegraph.connect(str(db), user="alice") as g:
        yield g


@pytest.fixture(scope="session")
def table(plant: tuple[Path, Path]) -> Callable[[str], list[dict[str, str]]]:
    """The generated source rows of one canonical table: the independent oracle for trigger tests."""
    def rows(name: str) -> list[dict[str, str]]:
        with (plant[0] / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    return rows


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`tracegraph demo` builds the store, `tracegraph serve` serves it on 127.0.0.1; an API key per role."""
    db = tmp_path_factory.mktemp("e2e") / "demo.db"
    demo = subprocess.run([*CLI, "--db", str(db), "demo"], capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert "7. Open and scope a recall" in demo.stdout and "scope_hash" in demo.stdout
    with tracegraph.connect(str(db)) as g:
        keys = {role: ApiKeys(g.store).create(role, name)[0] for role, name in ROLES.items()}
    with serve(db, db.parent / "server.log") as url:
        yield {"db": db, "url": url, "coordinator": keys["recall_coordinator"], **keys}
