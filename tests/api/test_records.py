"""Record root fields: each kind by id, its properties as stored, neighbours, one store call per level."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from canonical import Tables, at, canonical_time, write_csv

from tracegraph import Graph
from tracegraph.api.app import create_app
from tracegraph.api.keys import ApiKeys
from tracegraph.schema import NODE_KINDS
from tracegraph.store import SQLiteStore

from .conftest import Server, codes, serve


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


@pytest.mark.parametrize("kind", NODE_KINDS, ids=lambda k: k.name)
def test_each_kind_by_id_returns_the_stored_record(server: Server, kind) -> None:  # type: ignore[no-untyped-def]
    key = next(server.graph.store.keys(kind.name), None)
    if key is None:
        pytest.skip(f"the generated plant has no {kind.name} records; tests/standards covers the kinds "
                    f"the standards loaders make")
    field = kind.name[0].lower() + kind.name[1:]
    selection = " ".join(_camel(f.name) for f in kind.fields)
    data = server.query(f"query($id: ID!) {{ {field}(id: $id) {{ __typename id {selection} }} }}", {"id": key},
                        role="reader")[field]
    stored = server.graph.store.get(kind.name, [key])[key]
    assert data["__typename"] == kind.name and data["id"] == key
    for f in kind.fields:
        expected = stored.get(f.name)
        if f.type.name == "JSON" and isinstance(expected, str):
            expected = json.loads(expected)
        assert data[_camel(f.name)] == expected, f.name


def test_an_unknown_id_is_not_found(server: Server) -> None:
    errors = server.errors('{ lot(id: "NO-SUCH-LOT") { id } }', role="reader")
    assert codes(errors) == {"NOT_FOUND"}
    assert "NO-SUCH-LOT" in errors[0]["message"] and errors[0]["path"] == ["lot"]


def test_neighbours_match_the_stored_edges(server: Server) -> None:
    store = server.graph.store
    lot = next(k for k in store.keys("Lot") if store.edges("CONSUMED_INTO", [("Lot", k)], "in")
               and store.edges("HAS_SERIAL", [("Lot", k)], "out"))
    data = server.query("""query($id: ID!) { lot(id: $id) {
        item { __typename id } supplierId
        inputs(first: 1000) { rel from { __typename id } to { id } stepId quantity step { id operation } }
        outputs(first: 1000) { to { id } }
        serials(first: 1000) { id lot { id } }
        packedIn { to { id } } inspections { id } steps { id workOrder } } }""", {"id": lot}, role="reader")["lot"]
    inputs = sorted(store.edges("CONSUMED_INTO", [("Lot", lot)], "in"), key=lambda e: (e.src, e.props["step_id"]))
    assert [(e["from"]["__typename"], e["from"]["id"], e["stepId"]) for e in data["inputs"]] == [
        (e.src[0], e.src[1], e.props["step_id"]) for e in inputs]
    assert all(e["rel"] == "CONSUMED_INTO" and e["to"]["id"] == lot for e in data["inputs"])
    assert {e["step"]["id"] for e in data["inputs"]} == {e.props["step_id"] for e in inputs}
    steps = {e.props["step_id"] for rel in ("in", "out") for e in store.edges("CONSUMED_INTO", [("Lot", lot)], rel)}
    assert [s["id"] for s in data["steps"]] == sorted(steps) and all(s["workOrder"] for s in data["steps"])
    assert [e["to"]["id"] for e in data["outputs"]] == sorted(
        e.dst[1] for e in store.edges("CONSUMED_INTO", [("Lot", lot)], "out"))
    serials = sorted(e.dst[1] for e in store.edges("HAS_SERIAL", [("Lot", lot)], "out"))
    assert [s["id"] for s in data["serials"]] == serials
    assert {s["lot"]["id"] for s in data["serials"]} == {lot}
    item = store.get("Lot", [lot])[lot]["item_id"]
    assert data["item"]["id"] == item and data["item"]["__typename"] in ("Material", "Product")


def test_a_nested_query_costs_one_store_call_per_level(server: Server) -> None:
    store = server.store
    lot = max(store.keys("Lot"), key=lambda k: len(store.edges("HAS_SERIAL", [("Lot", k)], "out")))
    store.calls.clear()
    data = server.query("""query($id: ID!) { lot(id: $id) { serials(first: 1000) {
        id product { name } lot { id } packedIn { packedAt to { id } } inspections { id } } } }""",
                        {"id": lot}, role="reader")
    calls = dict(store.calls)
    serials = data["lot"]["serials"]
    assert len(serials) > 20
    assert len({s["product"]["name"] for s in serials}) >= 1
    # each level asks the store once per kind or relationship, however many serials there are
    expected = {("get", "Lot"), ("edges", "HAS_SERIAL:out"), ("get", "Serial"), ("get", "Product"),
                ("edges", "PACKED_IN:out"), ("get", "Container"), ("edges", "INSPECTS:in")}
    if any(s["inspections"] for s in serials):
        expected.add(("get", "Inspection"))
    assert calls == dict.fromkeys(expected, 1), calls


def test_neighbour_lists_are_capped(server: Server) -> None:
    lot = next(server.graph.store.keys("Lot"))
    errors = server.errors('query($id: ID!) { lot(id: $id) { serials(first: 100000) { id } } }', {"id": lot},
                           role="reader")
    assert codes(errors) == {"LIMIT_EXCEEDED"}


def test_internal_errors_are_masked(server: Server, plant_db) -> None:  # type: ignore[no-untyped-def]
    """A record the API cannot read (corrupt JSON written behind its back) is a bug: masked, coded INTERNAL."""
    import sqlite3
    step = next(server.graph.store.keys("ProcessStep"))
    with sqlite3.connect(plant_db) as con:
        before = con.execute("SELECT parameters FROM n_process_steps WHERE step_id = ?", (step,)).fetchone()[0]
        con.execute("UPDATE n_process_steps SET parameters = '{not json' WHERE step_id = ?", (step,))
    try:
        errors = server.errors("query($id: ID!) { processStep(id: $id) { parameters } }", {"id": step},
                               role="reader")
    finally:
        with sqlite3.connect(plant_db) as con:
            con.execute("UPDATE n_process_steps SET parameters = ? WHERE step_id = ?", (before, step))
    assert codes(errors) == {"INTERNAL"}
    assert "json" not in errors[0]["message"].lower() and "not json" not in str(errors)


def test_steps_leave_out_retracted_consumptions(tmp_path: Path) -> None:
    """A consumption whose events were all declared erroneous never happened: its step is not A's."""
    t = Tables()
    t.lot("A", material="RESIN", quantity=10)
    t.lot("OUT", material="HOUSING")
    t.consume("ST", "A", "OUT", quantity=1)
    t.consume("ST-WRONG", "A", "OUT", quantity=1)
    t.rows["consumptions"][1]["retracted_at"] = at(30)
    with Graph(SQLiteStore(tmp_path / "g.db")) as graph:
        assert graph.load_tables(write_csv(tmp_path / "tables", t.rows)).rejected == []
        key = ApiKeys(graph.store).create("reader", name="test reader")[0]
        with serve(create_app(graph)) as url:
            body = httpx.post(f"{url}/graphql", json={"query": '{ lot(id: "A") { steps { id } } }'},
                              headers={"Authorization": f"Bearer {key}"}, timeout=60).json()
    assert body == {"data": {"lot": {"steps": [{"id": "ST"}]}}}


def test_neighbour_lists_are_in_key_order_whatever_order_the_store_keeps(tmp_path: Path) -> None:
    """The embedded store keeps parallel edges in insertion order: the later packing into K-A goes in first here,
    yet they come by time; lists page in key order (`first` takes the smallest)."""
    t = Tables()
    t.lot("L1", product="P1", quantity=2)
    t.serial("S-B", product="P1", lot="L1")
    t.serial("S-A", product="P1", lot="L1")
    t.pack("L1", "K-B", 1)
    t.pack("L1", "K-A", 5, unpacked=6)
    t.pack("L1", "K-A", 2, unpacked=3)
    with Graph(SQLiteStore(tmp_path / "g.db")) as graph:
        assert graph.load_tables(write_csv(tmp_path / "tables", t.rows)).rejected == []
        packings = [e.props["packed_at"] for e in graph.store.edges("PACKED_IN", [("Lot", "L1")], "out")
                    if e.dst == ("Container", "K-A")]
        assert packings == [canonical_time(5), canonical_time(2)]
        key = ApiKeys(graph.store).create("reader", name="test reader")[0]
        query = '{ lot(id: "L1") { first: serials(first: 1) { id } serials { id } packedIn { to { id } packedAt } } }'
        with serve(create_app(graph)) as url:
            body = httpx.post(f"{url}/graphql", json={"query": query},
                              headers={"Authorization": f"Bearer {key}"}, timeout=60).json()
    assert body == {"data": {"lot": {
        "first": [{"id": "S-A"}], "serials": [{"id": "S-A"}, {"id": "S-B"}],
        "packedIn": [{"to": {"id": "K-A"}, "packedAt": canonical_time(2)},
                     {"to": {"id": "K-A"}, "packedAt": canonical_time(5)},
                     {"to": {"id": "K-B"}, "packedAt": canonical_time(1)}]}}}


def test_a_relations_json_fields_are_json_not_json_text(tmp_path: Path) -> None:
    """`evidence` (JSON) used to come back as the stored text '["urn:uuid:e1"]', to be parsed twice, where a
    record's JSON fields (a step's parameters) come back as JSON."""
    t = Tables()
    t.lot("A", material="RESIN", quantity=10)
    t.lot("OUT", material="HOUSING")
    t.consume("ST", "A", "OUT", quantity=1)
    t.rows["consumptions"][0]["evidence"] = json.dumps(["urn:uuid:e1", "urn:uuid:e2"])
    with Graph(SQLiteStore(tmp_path / "g.db")) as graph:
        assert graph.load_tables(write_csv(tmp_path / "tables", t.rows)).rejected == []
        key = ApiKeys(graph.store).create("analyst", name="test analyst")[0]
        query = """{ lot(id: "A") { outputs { evidence } }
                     forwardTrace(start: {lots: ["A"]}) { explain(kind: Lot, id: "OUT") { ... on ConsumedInto { evidence } } } }"""
        with serve(create_app(graph)) as url:
            body = httpx.post(f"{url}/graphql", json={"query": query},
                              headers={"Authorization": f"Bearer {key}"}, timeout=60).json()
    evidence = {"evidence": ["urn:uuid:e1", "urn:uuid:e2"]}
    assert body == {"data": {"lot": {"outputs": [evidence]}, "forwardTrace": {"explain": [evidence]}}}
