"""Neighbour lists longer than the page cap page through to the whole set, with its total.

A record's neighbour lists (``serials``, ``outputs``, ``contents``, a customer's ``shipments`` and
``received``) stop at ``first`` (at most 1,000); each has a connection beside it (``serialsConnection``...)
with ``totalCount`` and ``after`` cursors, the paging of trace groups. The plant here has a lot, a pallet
and a customer with more than 1,000 of each, parallel edges among them (an output made in two steps, a
unit packed twice), and the pages are checked against the rows the tables were loaded from.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tracegraph import Graph
from tracegraph.api.app import create_app
from tracegraph.api.context import ApiSettings
from tracegraph.api.keys import ApiKeys
from tracegraph.schema import REL_KINDS
from tracegraph.schema.neighbours import NEIGHBOURS
from tracegraph.store import Batch, Edge, SQLiteStore

from canonical import Tables, at, write_csv
from .conftest import PAGE, codes, every_page, serve

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
    query = (f"query($after: String) {{ {root} {{ {field}(first: {first}, after: $after) {{ {PAGE} "
             f"nodes {{ {node} }} }} }} }}")

    def page_after(after: str | None) -> dict[str, Any]:
        body = _post(crowded, query, {"after": after})
        assert "errors" not in body, body["errors"]
        return next(iter(body["data"].values()))[field]

    found, totals, _ = every_page(page_after, first)
    return found, totals


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


def test_every_relationship_a_record_may_have_many_of_has_a_connection() -> None:
    """The record page lists a relationship cut short through its connection: one missing here leaves
    only "… N more". A relationship derived from a field of the record (a serial's lot) has one at most."""
    listed = {(kind, spec.rel, spec.direction) for kind, specs in NEIGHBOURS.items() for spec in specs
              if spec.shape != "one"}
    missing = [(kind, rel.name, direction) for rel in REL_KINDS
               for direction, ends in (("out", rel.source), ("in", rel.target)) for kind in ends
               if (kind, rel.name, direction) not in listed
               and not (rel.derived_from and rel.derived_from[0] == kind)]
    assert missing == []


def test_a_products_serials_page_to_the_whole_set(crowded: tuple[str, str, Tables, Graph]) -> None:
    t, graph = crowded[2], crowded[3]
    pages, totals = _every_page(crowded, 'product(id: "P1")', "serialsConnection", "id", 777)
    found = [n["id"] for n in pages]
    expected = [r["serial_id"] for r in t.rows["serials"] if r["product_id"] == "P1"]
    _whole(found, totals, expected)
    assert found == sorted(e.src[1] for e in graph.store.edges("OF_PRODUCT", [("Product", "P1")], "in"))


LINKS = 30  # more than a page of the record page (25)


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Tables, Graph]]:
    """A lot and products with more identifiers, attachments, documents and package links than a page,
    written as the EPCIS and GUDID loaders write them (no table loads these relationships)."""
    root = tmp_path_factory.mktemp("linked")
    t = Tables()
    t.lot("L1", product="P1", quantity=1)
    with Graph(SQLiteStore(root / "g.db")) as graph:
        assert graph.load_tables(write_csv(root / "tables", t.rows)).rejected == []
        batch = Batch()
        for i in range(LINKS):
            key = f"{i * 7 % LINKS:02d}"  # keys out of the order they were made in
            batch.add_node("Identifier", {"identifier": f"urn:epc:id:x:{key}", "scheme": "EPC"})
            batch.add_edge(Edge("IDENTIFIES", ("Identifier", f"urn:epc:id:x:{key}"), ("Lot", "L1")))
            for asset in (f"A-IN-{key}", f"A-OUT-{key}"):
                batch.add_node("Asset", {"asset_id": asset})
            batch.add_edge(Edge("ATTACHED_TO", ("Asset", f"A-IN-{key}"), ("Lot", "L1"), {"attached_at": at(i)}))
            batch.add_edge(Edge("ATTACHED_TO", ("Lot", "L1"), ("Asset", f"A-OUT-{key}"), {"attached_at": at(i)}))
            batch.add_node("BizTransaction", {"biz_transaction_id": f"PO-{key}", "type": "po"})
            batch.add_edge(Edge("REFERS_TO", ("Lot", "L1"), ("BizTransaction", f"PO-{key}")))
            batch.add_edge(Edge("REFERS_TO", ("Lot", f"L-{key}"), ("BizTransaction", "PO-00")))
            batch.add_node("Lot", {"lot_id": f"L-{key}"})
            for product in (f"CASE-{key}", f"UNIT-{key}"):
                batch.add_node("Product", {"product_id": product})
            batch.add_edge(Edge("CONTAINS_DI", ("Product", f"CASE-{key}"), ("Product", "P1"), {"quantity": i + 1}))
            batch.add_edge(Edge("CONTAINS_DI", ("Product", "P1"), ("Product", f"UNIT-{key}"), {"quantity": i + 1}))
        graph.store.write(batch)
        key = ApiKeys(graph.store).create("reader", name="test reader")[0]
        with serve(create_app(graph)) as url:
            yield url, key, t, graph


@pytest.mark.parametrize(("kind", "key", "field", "rel", "direction", "node"), [
    ("Lot", "L1", "identifiersConnection", "IDENTIFIES", "in", "__typename id"),
    ("Lot", "L1", "attachmentsConnection", "ATTACHED_TO", "in", "from { __typename id } attachedAt"),
    ("Lot", "L1", "attachedToConnection", "ATTACHED_TO", "out", "to { __typename id } attachedAt"),
    ("Lot", "L1", "bizTransactionsConnection", "REFERS_TO", "out", "__typename id"),
    ("BizTransaction", "PO-00", "itemsConnection", "REFERS_TO", "in", "__typename id"),
    ("Product", "P1", "containedInConnection", "CONTAINS_DI", "in", "from { __typename id } quantity"),
    ("Product", "P1", "containsConnection", "CONTAINS_DI", "out", "to { __typename id } quantity"),
])
def test_identifiers_attachments_documents_and_packages_page_to_every_link_once(
        linked: tuple[str, str, Tables, Graph], kind: str, key: str, field: str, rel: str, direction: str,
        node: str) -> None:
    root = f'{kind[0].lower()}{kind[1:]}(id: "{key}")'
    found, totals = _every_page(linked, root, field, node, 7)
    edges = linked[3].store.edges(rel, [(kind, key)], direction)
    assert len(edges) >= LINKS and totals == {len(edges)}
    far = [e.dst if direction == "out" else e.src for e in edges]
    if "from" in node or "to" in node:
        end = "to" if direction == "out" else "from"
        got = [((n[end]["__typename"], n[end]["id"]), n.get("attachedAt", n.get("quantity"))) for n in found]
        prop = "attached_at" if rel == "ATTACHED_TO" else "quantity"
        assert sorted(map(repr, got)) == sorted(repr((f, e.props[prop])) for f, e in zip(far, edges))
    else:
        assert [(n["__typename"], n["id"]) for n in found] == sorted(far)
