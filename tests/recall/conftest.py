"""A small generated plant, loaded once; each test gets its own copy of the store file."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tracegraph
from tracegraph.generate import generate
from tracegraph.graph import Graph

SERIALS, SEED = 2000, 11


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
