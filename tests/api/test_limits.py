"""Query limits, page caps and the per-request time limit: each a LIMIT_EXCEEDED error."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tracegraph import Graph, LimitExceeded, Limits
from tracegraph.api.app import create_app
from tracegraph.api.context import ApiSettings
from tracegraph.schema import GENEALOGY_RELS
from tracegraph.store import SQLiteStore

from .conftest import Server, codes, serve


def _lot(server: Server) -> str:
    return next(k for k in server.graph.store.keys("Lot") if k.startswith("RL"))


def test_query_depth_is_limited(server: Server) -> None:
    nested = "id"
    for _ in range(7):
        nested = f"serials {{ lot {{ {nested} }} }}"
    errors = server.errors(f'{{ lot(id: "x") {{ {nested} }} }}', role="reader")
    assert codes(errors) == {"LIMIT_EXCEEDED"}
    assert "depth" in errors[0]["message"]


def test_query_tokens_are_limited(server: Server) -> None:
    errors = server.errors("{ me { " + "role " * 6000 + "} }", role="reader")
    assert codes(errors) == {"LIMIT_EXCEEDED"}
    assert "tokens" in errors[0]["message"]


def test_query_text_length_is_limited(server: Server) -> None:
    """Comments and spaces are no tokens, so the token limit let a 50 MB query through: its parsing held the
    event loop, and every other client, for seconds. The query text has a length limit of its own."""
    errors = server.errors("{ me { role } }\n#" + "x" * 200_000, role="reader")
    assert codes(errors) == {"LIMIT_EXCEEDED"}
    assert errors[0]["message"] == "the query text may have at most 100,000 characters, not 200,017"
    assert server.query("{ me { role } }\n#" + "x" * 90_000, role="reader") == {"me": {"role": "READER"}}


def test_aliases_are_limited(server: Server) -> None:
    errors = server.errors("{ " + " ".join(f"a{i}: me {{ role }}" for i in range(25)) + " }", role="reader")
    assert codes(errors) == {"LIMIT_EXCEEDED"}
    assert "aliases" in errors[0]["message"]


def test_a_query_within_the_limits_passes(server: Server) -> None:
    data = server.query("{ " + " ".join(f"a{i}: me {{ role }}" for i in range(20)) + " }", role="reader")
    assert len(data) == 20


def test_each_server_checks_a_known_query_text_against_its_own_limits(server: Server) -> None:
    """Validation results are cached by query text: a text must still be refused every time by a server
    whose limits it breaks, and answered by one whose limits it keeps."""
    nested = "id"
    for _ in range(6):
        nested = f"serials(first: 1) {{ lot {{ {nested} }} }}"
    query = f'query($id: ID!) {{ lot(id: $id) {{ {nested} }} }}'  # 14 levels deep, one record at each
    lot = next(k for k in server.graph.store.keys("Lot") if server.graph.store.edges("HAS_SERIAL", [("Lot", k)], "out"))
    headers = {"Authorization": f"Bearer {server.keys['reader']}"}
    with serve(create_app(server.graph, settings=ApiSettings(max_query_depth=20))) as lenient:
        for _ in range(2):
            assert codes(server.errors(query, {"id": lot}, role="reader")) == {"LIMIT_EXCEEDED"}
            body = httpx.post(f"{lenient}/graphql", json={"query": query, "variables": {"id": lot}}, headers=headers,
                              timeout=60).json()
            assert "errors" not in body and body["data"]["lot"]["serials"], body


def test_page_size_is_capped(server: Server) -> None:
    cap = ApiSettings().max_page_size
    query = "query($l: ID!, $n: Int!) { forwardTrace(start: {lots: [$l]}) { serials(first: $n) { totalCount } } }"
    assert server.query(query, {"l": _lot(server), "n": cap}, role="analyst")
    errors = server.errors(query, {"l": _lot(server), "n": cap + 1}, role="analyst")
    assert codes(errors) == {"LIMIT_EXCEEDED"} and str(cap) in errors[0]["message"]


def test_trace_graph_node_limit_is_capped_like_a_page(server: Server) -> None:
    cap = ApiSettings().max_page_size
    query = "query($l: ID!, $n: Int!) { traceGraph(start: {lots: [$l]}, direction: FORWARD, limit: $n) }"
    assert server.query(query, {"l": _lot(server), "n": cap}, role="analyst")["traceGraph"]["nodes"]
    errors = server.errors(query, {"l": _lot(server), "n": cap + 1}, role="analyst")
    assert codes(errors) == {"LIMIT_EXCEEDED"} and str(cap) in errors[0]["message"]
    assert codes(server.errors(query, {"l": _lot(server), "n": 0}, role="analyst")) == {"BAD_INPUT"}


def test_start_ids_are_capped(server: Server) -> None:
    errors = server.errors("query($l: [ID!]!) { forwardTrace(start: {lots: $l}) { counts { lots } } }",
                           {"l": [f"L{i}" for i in range(ApiSettings().max_start_ids + 1)]}, role="analyst")
    assert codes(errors) == {"LIMIT_EXCEEDED"}


@pytest.fixture(scope="module")
def tight(plant_db: Path, server: Server) -> Iterator[tuple[str, str]]:
    """A second server over the same file: 1 µs per request (any request's store work is past it: a timed
    limit a trace might beat on a fast machine would make the test flaky), traces of at most 50 records."""
    with (serve(create_app(Graph(SQLiteStore(plant_db)), settings=ApiSettings(request_time_limit=1e-6))) as slow,
          serve(create_app(Graph(SQLiteStore(plant_db), Limits(max_results=50)))) as small):
        yield slow, small


def _post(url: str, server: Server, query: str) -> dict:
    return httpx.post(f"{url}/graphql", json={"query": query}, timeout=60,
                      headers={"Authorization": f"Bearer {server.keys['analyst']}"}).json()


def test_the_request_time_limit_stops_a_long_trace(server: Server, tight: tuple[str, str]) -> None:
    lots = [k for k in server.graph.store.keys("Lot") if k.startswith("RL")]
    query = f"{{ forwardTrace(start: {{lots: {json.dumps(lots)}}}) {{ counts {{ serials }} }} }}"
    body = _post(tight[0], server, query)
    assert codes(body["errors"]) == {"LIMIT_EXCEEDED"}
    assert "time limit" in body["errors"][0]["message"]
    # the same query without the tight limit succeeds: it was the limit, not the query
    assert server.query(query, role="analyst")["forwardTrace"]["counts"]["serials"] > 0


def test_engine_limits_surface_as_limit_exceeded(server: Server, tight: tuple[str, str]) -> None:
    body = _post(tight[1], server, f'{{ forwardTrace(start: {{lots: ["{_lot(server)}"]}}) {{ counts {{ serials }} }} }}')
    assert codes(body["errors"]) == {"LIMIT_EXCEEDED"}
    assert "limit of 50" in body["errors"][0]["message"]


def test_the_store_time_limit_interrupts_sqlite_work_in_its_own_thread_only(plant_db: Path) -> None:
    store = SQLiteStore(plant_db, read_only=True)
    seeds = [("Lot", k) for k in store.keys("Lot")]
    with pytest.raises(LimitExceeded, match="query ran longer"), store.time_limit(1e-9):
        store.reach(seeds, GENEALOGY_RELS, "out", 64)
    # a deadline set in one thread does not stop another thread's work
    results: list[int] = []
    with store.time_limit(1e-9):
        worker = threading.Thread(target=lambda: results.append(len(store.reach(seeds, GENEALOGY_RELS, "out", 64))))
        worker.start()
        worker.join()
    assert results and results[0] > len(seeds)


def test_the_store_time_limit_stops_reads_served_by_the_in_memory_index(plant_db: Path) -> None:
    """Once the index is built no SQL runs during a trace, so the deadline is checked by the store itself."""
    store = SQLiteStore(plant_db, read_only=True)
    store.warm()
    seeds = [("Lot", k) for k in store.keys("Lot")]
    for read in (lambda: store.reach(seeds, GENEALOGY_RELS, "out", 64),
                 lambda: store.edges("CONSUMED_INTO", seeds, "out"),
                 lambda: store.neighbours("SUPPLIED", seeds, "in")):
        with pytest.raises(LimitExceeded, match="time limit"), store.time_limit(1e-9):
            read()
    with store.time_limit(60):
        assert len(store.reach(seeds, GENEALOGY_RELS, "out", 64)) > len(seeds)
