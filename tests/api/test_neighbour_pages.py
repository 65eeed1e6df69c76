"""Neighbour lists longer than the page cap page through to the whole set, with its total.

A record's neighbour lists (``serials``, ``outputs``, ``contents``, a customer's ``shipments`` and
``received``) stop at ``first`` (at most 1,000); each has a connection beside it (``serialsConnection``...)
with ``totalCount`` and ``after`` cursors, the paging of trace groups. The plant here has a lot, a pallet
and a customer with more than 1,000 of each, parallel edges among them (an output made in two steps, a
unit packed twice), and the pages are checked against the rows the tables were loaded from.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tracegraph import Graph
from tracegraph.api.app import create_app
from tracegraph.api.context import ApiSettings
from tracegraph.api.keys import ApiKeys
from tracegraph.store import SQLiteStore

from canonical import Tables, write_csv
from .conftest import codes, serve

CAP = ApiSettings().max_page_size
SERIALS, OUTPUTS, PACKED, SHIPMENTS = CAP + 1345, CAP // 2 + 250, CAP + 200, CAP + 100


def _plant() -> Tables:
    t = Tables()
    t.lot("BIG", product="P1", quantity=SERIALS)
    for i in range(SERIALS):  # keys out of the order they were made in, in pairs where one starts the other
        t.serial(f"S-{i // 2 * 7919 % 100_003}{'-1' if i % 2 else ''}", product="P1", lot="BIG")
    for i in range(OUTPUTS):  # each output made from BIG in two steps: two edges to the same record
        t.lot(f"OUT-{i}", product="P2")
        t.consume("STEP-A", "BIG", f"OUT-{i}", quantity=1)
        t.consume("STEP-B", "BIG", f"OUT-{i}", quantity=1)
    serials = [r["serial_id"] for r in t.rows["serials"]]
    for i, serial in enumerate(serials[:PACKED]):
        t.pack(serial, "PAL", 1, unpacked=2)
        if i % 3 == 0:  # packed again later: a second edge to the same unit
            t.pack(serial, "PAL", 3)
    for i, serial in enumerate(serials[:SHIPMENTS]):
        t.ship(f"SHP-{i}", "C1", 10 + i / 100, serial)
    return t


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Tables, Graph]]:
    root = tmp_path_factory.mktemp("crowded")
    t = _plant()
    with Graph(SQLiteStore(root / "g.db")) as graph:
        assert graph.load_tables(write_csv(root / "tables", t.rows)).rejected == []
        key = ApiKeys(graph.store).create("reader", name="test reader")[0]
        with serve(create_app(graph)) as url:
            yield url, key, t, graph


def _post(crowded: tuple[str, str, Tables, Graph], query: str, variables: dict[str, Any]) -> dict[str, Any]:
    url, key, _, _ = crowded
    return httpx.post(f"{url}/graphql", json={"query": query, "variables": variables},
                      headers={"Authorization": f"Bearer {key}"}, timeout=60).json()


def _every_page(crowded: tuple[str, str, Tables, Graph], root: str, field: str, node: str,
                first: int) -> tuple[list[Any], set[int]]:
    """Every node of ``root { field }``'s connection, page after page; and the totals each page told."""
    query = (f"query($after: String) {{ {root} {{ {field}(first: {first}, after: $after) {{ totalCount "
             f"pageInfo {{ hasNextPage endCursor }} edges {{ cursor }} nodes {{ {node} }} }} }} }}")
    found: list[Any] = []
    totals: set[int] = set()
    after = None
    while True:
        body = _post(crowded, query, {"after": after})
        assert "errors" not in body, body["errors"]
        page = next(iter(body["data"].values()))[field]
        assert len(page["nodes"]) <= first and len(page["edges"]) == len(page["nodes"])
        found += page["nodes"]
        totals.add(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            return found, totals
        assert page["edges"][-1]["cursor"] == page["pageInfo"]["endCursor"]
        after = page["pageInfo"]["endCursor"]


def _whole(found: list[Any], totals: set[int], expected: list[Any]) -> None:
    assert len(expected) > CAP
    assert len(found) == len(set(map(repr, found))), "a record came twice"
    assert sorted(map(repr, found)) == sorted(map(repr, expected))
    assert totals == {len(expected)}


@pytest.mark.parametrize("first", [CAP, 333])
def test_a_lots_serials_page_to_the_whole_set(crowded: tuple[str, str, Tables, Graph], first: int) -> None:
    t, graph = crowded[2], crowded[3]
    pages, totals = _every_page(crowded, 'lot(id: "BIG")', "serialsConnection", "id", first)
    found = [n["id"] for n in pages]
    expected = [r["serial_id"] for r in t.rows["serials"] if r["lot_id"] == "BIG"]
    _whole(found, totals, expected)
    assert found == sorted(found), "in key order"
    assert sorted(found) == sorted(e.dst[1] for e in graph.store.edges("HAS_SERIAL", [("Lot", "BIG")], "out"))


def test_parallel_relations_page_to_every_edge_once(crowded: tuple[str, str, Tables, Graph]) -> None:
    t = crowded[2]
    made = [(r["output_id"], r["step_id"]) for r in t.rows["consumptions"] if r["input_id"] == "BIG"]
    packed = [(r["child_id"], r["packed_at"][:19]) for r in t.rows["packing"] if r["container_id"] == "PAL"]
    for edges in (made, packed):
        assert len({far for far, _ in edges}) < len(edges), "parallel edges: some record at the far end twice"
    found, totals = _every_page(crowded, 'lot(id: "BIG")', "outputsConnection", "to { id } stepId", 400)
    _whole([(n["to"]["id"], n["stepId"]) for n in found], totals, made)
    found, totals = _every_page(crowded, 'container(id: "PAL")', "contentsConnection", "from { id } packedAt", 450)
    _whole([(n["from"]["id"], n["packedAt"][:19]) for n in found], totals, packed)


def test_a_customers_shipments_and_what_it_received_page_to_the_whole_set(
        crowded: tuple[str, str, Tables, Graph]) -> None:
    t, graph = crowded[2], crowded[3]
    pages, totals = _every_page(crowded, 'customer(id: "C1")', "shipmentsConnection", "id", CAP)
    _whole([n["id"] for n in pages], totals, [r["shipment_id"] for r in t.rows["shipments"] if r["customer_id"] == "C1"])
    found, totals = _every_page(crowded, 'customer(id: "C1")', "receivedConnection", "__typename id", 700)
    _whole([(n["__typename"], n["id"]) for n in found], totals,
           [("Serial", r["item_id"]) for r in t.rows["shipment_items"]])
    assert [tuple(n.values()) for n in found] == graph.received("C1")


def test_a_list_field_still_gives_its_first_page_and_a_bad_cursor_is_bad_input(
        crowded: tuple[str, str, Tables, Graph]) -> None:
    body = _post(crowded, 'query { lot(id: "BIG") { serials(first: 5) { id } '
                          'serialsConnection(first: 5) { nodes { id } } } }', {})
    lot = body["data"]["lot"]
    assert lot["serials"] == lot["serialsConnection"]["nodes"] and len(lot["serials"]) == 5
    bad = _post(crowded, 'query { lot(id: "BIG") { serialsConnection(after: "nonsense") { totalCount } } }', {})
    assert codes(bad["errors"]) == {"BAD_INPUT"}
    over = _post(crowded, f'query {{ lot(id: "BIG") {{ serialsConnection(first: {CAP + 1}) {{ totalCount }} }} }}',
                 {})
    assert codes(over["errors"]) == {"LIMIT_EXCEEDED"}

