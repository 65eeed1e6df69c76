"""The Neo4j backend against a real server: runs only where NEO4J_URI names one (skipped otherwise).

Trace semantics are checked by the backend-parametrized conformance suite (tests/conformance);
these cover what only Neo4j has: init, idempotent writes, moving a graph in and out, timeouts.
Each test starts from an emptied database (``open_empty``), so point NEO4J_URI at a scratch one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from plants import embedded_plant

import tracegraph
from tracegraph.generate import generate
from tracegraph.store import SQLiteStore
from tracegraph.store.transfer import copy_graph

URI = os.environ.get("NEO4J_URI")
pytestmark = pytest.mark.skipif(not URI, reason="neo4j backend: NEO4J_URI is not set (no server to run against)")


@pytest.fixture
def neo4j_store() -> Iterator[tracegraph.Graph]:
    from tracegraph.store.neo4j import open_empty
    store = open_empty(URI or "")
    yield tracegraph.Graph(store)
    store.delete_all()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> SQLiteStore:
    return embedded_plant(tmp_path_factory.mktemp("plant"), 1200, seed=5)


def test_init_is_idempotent(neo4j_store: tracegraph.Graph) -> None:
    again = neo4j_store.store.ensure_schema()
    assert again and not any(again.values())  # everything already present


def test_embedded_to_neo4j_and_back_gives_the_same_graph_and_answers(
        neo4j_store: tracegraph.Graph, embedded: SQLiteStore, tmp_path: Path) -> None:
    copy_graph(embedded, neo4j_store.store)
    assert neo4j_store.counts() == embedded.counts()
    copy_graph(embedded, neo4j_store.store)  # a retried copy changes nothing
    assert neo4j_store.counts() == embedded.counts()
    local = tracegraph.Graph(embedded)
    for lot in list(embedded.keys("Lot"))[:20]:
        assert neo4j_store.recall_scope(lots=lot).as_dict() == local.recall_scope(lots=lot).as_dict()
    back = SQLiteStore(tmp_path / "back.db")
    copy_graph(neo4j_store.store, back)
    assert back.counts() == embedded.counts()


def test_a_loaded_batch_written_twice_creates_nothing_new(neo4j_store: tracegraph.Graph, tmp_path: Path) -> None:
    generate(tmp_path / "t", 300, seed=2)
    assert neo4j_store.load_tables(tmp_path / "t").rejected == []
    first = neo4j_store.counts()
    assert neo4j_store.load_tables(tmp_path / "t").rejected == []
    assert neo4j_store.counts() == first


def test_an_edge_to_a_missing_record_rolls_the_batch_back(neo4j_store: tracegraph.Graph) -> None:
    from tracegraph.store import Batch, Edge
    batch = Batch(nodes={"Supplier": [{"supplier_id": "S1", "name": "Acme", "country": None}]},
                  edges={"SUPPLIED": [Edge("SUPPLIED", ("Supplier", "S1"), ("Lot", "NO-SUCH-LOT"))]})
    with pytest.raises(tracegraph.StoreError, match="name a record that does not exist"):
        neo4j_store.store.write(batch)
    assert neo4j_store.counts()["Supplier"] == 0


def test_an_expired_time_limit_is_limit_exceeded(neo4j_store: tracegraph.Graph) -> None:
    with pytest.raises(tracegraph.LimitExceeded), neo4j_store.store.time_limit(0.0):
        neo4j_store.store.reach([("Lot", "x")], ["CONSUMED_INTO"], "out", 5)
