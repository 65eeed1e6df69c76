"""Fixtures shared by every test area: the backend-parametrized store and graph builders.

``store`` and ``load_graph`` run each test that uses them once per backend in ``backends.BACKENDS``
(a skipped backend prints its reason with ``-ra``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import BACKENDS, Backend
from canonical import Tables, load_into

from tracegraph import Graph
from tracegraph.store import Store

LoadGraph = Callable[[Tables | dict[str, list[dict[str, Any]]]], Graph]


@pytest.fixture(params=[pytest.param(b, id=b.name) for b in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    reason = request.param.skip_reason()
    if reason:
        pytest.skip(reason)
    return request.param


@pytest.fixture
def store(backend: Backend, tmp_path: Path) -> Iterator[Store]:
    s = backend.open_empty(tmp_path)
    yield s
    s.close()


@pytest.fixture
def load_graph(store: Store, tmp_path: Path) -> LoadGraph:
    """``load_graph(tables)`` -> a Graph over the backend holding exactly those tables."""
    def load(tables: Tables | dict[str, list[dict[str, Any]]]) -> Graph:
        load_into(store, tables, tmp_path / "tables")
        return Graph(store)
    return load
