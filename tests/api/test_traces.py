"""Trace root fields over HTTP give exactly the engine's answers, page by page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from canonical import Tables, at, load_into

from tracegraph import Graph
from tracegraph.api.app import create_app
from tracegraph.api.keys import ApiKeys
from tracegraph.trace.triggers import RecallTrigger
from tracegraph.schema import KINDS
from tracegraph.store import Batch, Edge, SQLiteStore
from tracegraph.trace import GROUPS
from tracegraph.trace.model import KIND_OF_GROUP

from .conftest import Server, codes, serve

GQL_GROUP = {g: g.split("_")[0] + "".join(p.capitalize() for p in g.split("_")[1:]) for g in GROUPS}


def _raw_lot(server: Server) -> str:
    """The raw lot whose forward trace reaches the most serials."""
    g = server.graph
    raw = [k for k in g.store.keys("Lot") if g.store.get("Lot", [k])[k]["supplier_id"]]
    return max(raw[:40], key=lambda k: len(g.forward(lot=k).ids["serials"]))


def _all_pages(server: Server, root: str, args: str, variables: dict[str, Any], group: str,
               first: int) -> tuple[list[str], int]:
    """Every id of one group, following endCursor; and how many pages it took."""
    ids: list[str] = []
    after, pages = None, 0
    while True:
        data = server.query(
            f"query($v: {args}, $first: Int!, $after: String) {{ {root}(start: $v) {{ {group}(first: $first, "
            f"after: $after) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} "
            f"edges {{ cursor node {{ id }} }} }} }} }}",
            {"v": variables, "first": first, "after": after}, role="analyst")[root][group]
        pages += 1
        ids += [e["node"]["id"] for e in data["edges"]]
        assert data["pageInfo"]["hasPreviousPage"] == (after is not None)
        if data["edges"]:
            assert data["pageInfo"]["endCursor"] == data["edges"][-1]["cursor"]
        if not data["pageInfo"]["hasNextPage"]:
            assert len(ids) == data["totalCount"]
            return ids, pages
        after = data["pageInfo"]["endCursor"]


def test_paging_a_forward_trace_gives_exactly_the_engines_serials(server: Server) -> None:
    lot = _raw_lot(server)
    expected = server.graph.forward(lot=lot).ids["serials"]
    assert len(expected) > 250
    ids, pages = _all_pages(server, "forwardTrace", "TraceStartInput!", {"lots": [lot]}, "serials", 100)
    assert ids == expected
    assert pages == -(-len(expected) // 100)


def test_every_group_of_a_forward_trace_matches_the_engine(server: Server) -> None:
    lot = _raw_lot(server)
    expected = server.graph.forward(lot=lot)
    for group in GROUPS:
        ids, _ = _all_pages(server, "forwardTrace", "TraceStartInput!", {"lots": [lot]}, GQL_GROUP[group], 1000)
        assert ids == expected.ids[group], group


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def test_pages_asking_ids_only_and_pages_asking_fields_give_the_same_records(server: Server) -> None:
    """A page asked only for ids reads no record, yet gives the engine's ids with the right __typename;
    asked for fields too (directly, through edges, or in a fragment) it gives the stored records."""
    lot = _raw_lot(server)
    expected = server.graph.forward(lot=lot)
    for group in GROUPS:
        kind = KINDS[KIND_OF_GROUP[group]]
        fields = " ".join(_camel(f.name) for f in kind.fields)
        shapes = {"ids": "nodes { __typename id }", "fields": f"nodes {{ __typename id {fields} }}",
                  "edges": f"edges {{ cursor node {{ __typename id {fields} }} }}",
                  "fragment": f"nodes {{ ...on Record {{ __typename id }} ...on {kind.name} {{ {fields} }} }}"}
        data = server.query("query($lots: [ID!]!) { forwardTrace(start: {lots: $lots}) { "
                            + " ".join(f"{name}: {GQL_GROUP[group]}(first: 1000) {{ {shape} }}"
                                       for name, shape in shapes.items()) + " } }",
                            {"lots": [lot]}, role="analyst")["forwardTrace"]
        page = expected.ids[group][:1000]
        stored = server.graph.store.get(kind.name, page)
        nodes = {name: [e["node"] for e in got["edges"]] if name == "edges" else got["nodes"]
                 for name, got in data.items()}
        assert nodes["ids"] == [{"__typename": kind.name, "id": k} for k in page], group
        # and only ids read no record: the request reads the group's kind no more than the trace itself does
        server.store.calls.clear()
        server.graph.forward(lot=lot)
        by_trace = server.store.calls.get(("get", kind.name), 0)
        server.store.calls.clear()
        server.query("query($lots: [ID!]!) { forwardTrace(start: {lots: $lots}) { "
                     f"{GQL_GROUP[group]}(first: 1000) {{ {shapes['ids']} }} }} }}", {"lots": [lot]}, role="analyst")
        assert server.store.calls.get(("get", kind.name), 0) == by_trace, group
        for name in ("fields", "edges", "fragment"):
            assert [n["id"] for n in nodes[name]] == page, (group, name)
            assert all(n["__typename"] == kind.name for n in nodes[name]), (group, name)
            for node in nodes[name]:
                record = stored[node["id"]]
                assert all(node[_camel(f.name)] == record.get(f.name) for f in kind.fields
                           if f.type.name != "JSON"), (group, name, node["id"])


def test_a_reached_id_without_a_record_is_not_found_however_the_page_asks(tmp_path: Path) -> None:
    """A consumption naming a process step with no record (written past the loader's reference check):
    a page of the trace's process steps says NOT_FOUND whether it asks for ids only or for fields."""
    t = Tables()
    t.lot("R1", material="RESIN", supplier="SUP-A")
    t.lot("OUT", material="PART")
    t.consume("ST1", "R1", "OUT")
    store = SQLiteStore(tmp_path / "ghost.db")
    load_into(store, t, tmp_path / "tables")
    store.write(Batch(edges={"CONSUMED_INTO": [Edge("CONSUMED_INTO", ("Lot", "R1"), ("Lot", "OUT"),
                                                    {"step_id": "GHOST", "consumed_at": at(2)})]}))
    key, _ = ApiKeys(store).create("analyst", name="ghost")
    graph = Graph(store)
    assert graph.forward(lot="R1").ids["process_steps"] == ["GHOST", "ST1"]
    with serve(create_app(graph)) as url:
        for nodes in ("nodes { id }", "nodes { id operation }", "edges { node { id } }"):
            query = f'{{ forwardTrace(start: {{lots: ["R1"]}}) {{ processSteps {{ {nodes} }} }} }}'
            body = httpx.post(f"{url}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {key}"},
                              timeout=60).json()
            assert body["data"] is None, (nodes, body)
            assert [(e["extensions"]["code"], e["message"], e["path"]) for e in body["errors"]] == [
                ("NOT_FOUND", "no ProcessStep with id 'GHOST'", ["forwardTrace", "processSteps"])], nodes
    store.close()


def test_backward_trace_from_a_serial_matches_the_engine(server: Server) -> None:
    serial = next(server.graph.store.keys("Serial"))
    expected = server.graph.backward(serial=serial)
    selection = " ".join(f"{GQL_GROUP[g]}(first: 1000) {{ nodes {{ id }} }}" for g in GROUPS)
    data = server.query(f"query($s: ID!) {{ backwardTrace(start: {{serials: [$s]}}) {{ direction {selection} }} }}",
                        {"s": serial}, role="analyst")["backwardTrace"]
    assert data["direction"] == "backward"
    for g in GROUPS:
        assert [n["id"] for n in data[GQL_GROUP[g]]["nodes"]] == expected.ids[g], g


@pytest.mark.parametrize("root", ["backwardTrace(start: $s) { direction }",
                                  "traceGraph(start: $s, direction: BACKWARD)"])
@pytest.mark.parametrize("named", ["suppliers", "materials"])
@pytest.mark.parametrize("with_lot", [False, True])
def test_a_backward_trace_refuses_suppliers_and_materials_naming_them(server: Server, root: str, named: str,
                                                                      with_lot: bool) -> None:
    """traceGraph(direction: BACKWARD) used to drop them: from a supplier alone it said the trace had no
    start id; beside a lot it drew the lot's trace as if the supplier had not been asked for."""
    start = {named: [next(server.graph.store.keys(KIND_OF_GROUP[named]))]}
    if with_lot:
        start["lots"] = [_raw_lot(server)]
    errors = server.errors(f"query($s: TraceStartInput!) {{ {root} }}", {"s": start}, role="analyst")
    assert [(e["extensions"]["code"], e["path"]) for e in errors] == [("BAD_INPUT", [root.split("(")[0]])]
    assert errors[0]["message"] == (f"start.{named}: a backward trace starts from lots, serials or containers "
                                    "(suppliers and materials start forward traces)")


def test_explain_gives_the_engines_chain(server: Server) -> None:
    lot = _raw_lot(server)
    trace = server.graph.forward(lot=lot)
    customer = trace.ids["customers"][0]
    data = server.query("""query($lot: ID!, $c: ID!) { forwardTrace(start: {lots: [$lot]}) {
        explain(kind: Customer, id: $c) { rel from { __typename id } to { __typename id }
                                          ... on PackedIn { packedAt } } } }""",
                        {"lot": lot, "c": customer}, role="analyst")["forwardTrace"]["explain"]
    chain = trace.explain("Customer", customer)
    assert [(x["rel"], (x["from"]["__typename"], x["from"]["id"]), (x["to"]["__typename"], x["to"]["id"]))
            for x in data] == [(link.rel, link.src, link.dst) for link in chain]
    assert data[-1]["to"] == {"__typename": "Customer", "id": customer}


def test_recall_scope_matches_the_engine(server: Server) -> None:
    lot = _raw_lot(server)
    scope = server.graph.recall_scope(lots=[lot])
    items: list[dict[str, Any]] = []
    after, pages = None, 0
    while True:  # pages of 37: each is made for its items alone, from where the cursor says it starts
        data = server.query("""query($lot: ID!, $after: String) { recallScope(trigger: {lots: [$lot]}) {
            trace { counts { serials customers } }
            byCustomer { customerId lots serials shipments lotQuantity customer { id } }
            affected(first: 37, after: $after) { totalCount pageInfo { hasNextPage endCursor }
                nodes { item { __typename id } status customerIds shipmentIds containerId consumedInto { id } } } } }""",
                            {"lot": lot, "after": after}, role="recall_coordinator")["recallScope"]
        items += data["affected"]["nodes"]
        pages += 1
        if not data["affected"]["pageInfo"]["hasNextPage"]:
            break
        after = data["affected"]["pageInfo"]["endCursor"]
    assert pages > 2
    assert data["trace"]["counts"]["serials"] == len(scope.trace.ids["serials"])
    assert {c["customerId"]: {"lots": c["lots"], "serials": c["serials"], "shipments": c["shipments"],
                              "lot_quantity": c["lotQuantity"]} for c in data["byCustomer"]} == scope.by_customer
    assert all(c["customer"]["id"] == c["customerId"] for c in data["byCustomer"])
    expected = [w for _, w in sorted(scope.whereabouts.items())]
    assert [(i["item"]["__typename"], i["item"]["id"]) for i in items] == [w.item for w in expected]
    assert [(i["status"].lower(), tuple(i["customerIds"]), tuple(i["shipmentIds"]), i["containerId"])
            for i in items] == [(w.status, w.customers, w.shipments, w.container) for w in expected]
    assert any(i["status"] == "SHIPPED" for i in items)
    whole = server.query("""query($lot: ID!) { recallScope(trigger: {lots: [$lot]}) { allAffected {
        item { __typename id } status customerIds shipmentIds containerId consumedInto { id } } } }""",
                         {"lot": lot}, role="recall_coordinator")["recallScope"]["allAffected"]
    assert whole == items  # the same items, unpaged, from one scope computation


def test_affected_lots_say_how_much_is_left_as_the_engine_does(server: Server) -> None:
    """`remaining` (a lot's quantity not consumed or shipped, what makes a partly used lot in stock) was in the
    engine's whereabouts, the CLI's --json and Python's, but neither in recallScope nor in a frozen scope version."""
    lot = _raw_lot(server)
    expected = {f"{k}:{i}": w.remaining for (k, i), w in server.graph.recall_scope(lots=[lot]).whereabouts.items()}
    assert any(v for v in expected.values()) and None in expected.values()
    live = server.query("""query($lot: ID!) { recallScope(trigger: {lots: [$lot]}) {
        allAffected { item { __typename id } remaining } } }""", {"lot": lot}, role="recall_coordinator")
    assert {f"{a['item']['__typename']}:{a['item']['id']}": a["remaining"]
            for a in live["recallScope"]["allAffected"]} == expected
    rid = server.query("""mutation($lot: String!) { openRecall(trigger: {kind: LOTS, ids: [$lot]}, reason: "left",
        classification: II) { id } }""", {"lot": lot}, role="recall_coordinator")["openRecall"]["id"]
    server.query('mutation($id: ID!) { scopeRecall(id: $id) { scope { version } } }', {"id": rid},
                 role="recall_coordinator")
    frozen: dict[str, float | None] = {}
    after = None
    while after != "done":
        page = server.query("""query($id: ID!, $after: String) { recall(id: $id) { scope {
            affected(first: 1000, after: $after) { pageInfo { hasNextPage endCursor } nodes { ref remaining } } } } }""",
                            {"id": rid, "after": after}, role="reader")["recall"]["scope"]["affected"]
        frozen |= {n["ref"]: n["remaining"] for n in page["nodes"]}
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else "done"
    assert frozen == expected


def test_supplier_exposure_matches_the_engine(server: Server) -> None:
    supplier = next(server.graph.store.keys("Supplier"))
    exposure = server.graph.supplier_exposure(supplier)
    data = server.query("""query($s: ID!) { supplierExposure(supplierId: $s) { supplierId
        finishedLots(first: 1000) { nodes { id } } soleSourceMaterials { id }
        trace { products(first: 1000) { nodes { id } } customers(first: 1000) { totalCount } } } }""",
                        {"s": supplier}, role="analyst")["supplierExposure"]
    assert data["supplierId"] == supplier
    assert [n["id"] for n in data["finishedLots"]["nodes"]] == exposure.finished_lots
    assert [m["id"] for m in data["soleSourceMaterials"]] == exposure.sole_source_materials
    assert [n["id"] for n in data["trace"]["products"]["nodes"]] == exposure.trace.ids["products"]
    assert data["trace"]["customers"]["totalCount"] == len(exposure.trace.ids["customers"])


@pytest.mark.parametrize("query, variables, code", [
    ("{ forwardTrace(start: {}) { counts { lots } } }", {}, "BAD_INPUT"),
    ('{ backwardTrace(start: {suppliers: ["S"]}) { counts { lots } } }', {}, "BAD_INPUT"),
    ('{ forwardTrace(start: {lots: ["NO-SUCH-LOT"]}) { counts { lots } } }', {}, "NOT_FOUND"),
    ('{ supplierExposure(supplierId: "NO-SUCH-SUPPLIER") { supplierId } }', {}, "NOT_FOUND"),
    ("query($l: ID!) { forwardTrace(start: {lots: [$l]}) { lots(after: \"not-a-cursor\") { totalCount } } }",
     "LOT", "BAD_INPUT"),
    ("query($l: ID!) { forwardTrace(start: {lots: [$l]}) { lots(first: -1) { totalCount } } }", "LOT", "BAD_INPUT"),
    ("query($l: ID!) { forwardTrace(start: {lots: [$l]}) { explain(kind: Lot, id: \"NOPE\") { rel } } }", "LOT",
     "NOT_FOUND"),
    ("query($l: ID!) { forwardTrace(start: {lots: $l}) { counts { lots } } }", {"l": 12}, "BAD_INPUT"),
    ("{ forwardTrace(start: {lots: [1, 2]}) { nope } }", {}, "BAD_INPUT"),
    ("{ forwardTrace(start: ", {}, "BAD_INPUT"),
])
def test_bad_inputs_get_the_documented_codes(server: Server, query: str, variables: Any, code: str) -> None:
    if variables == "LOT":
        variables = {"l": next(server.graph.store.keys("Lot"))}
    errors = server.errors(query, variables, role="admin")
    assert codes(errors) == {code}, errors
    assert all(e["message"] for e in errors)


def test_concurrent_requests_each_get_their_own_answer(server: Server) -> None:
    """Requests run side by side (store work in worker threads, each with its own time budget)."""
    from concurrent.futures import ThreadPoolExecutor
    store = server.graph.store
    lots = [k for k in store.keys("Lot") if k.startswith("RL")][:12]
    query = "query($l: ID!) { forwardTrace(start: {lots: [$l]}) { serials(first: 1000) { nodes { id } } } }"
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda lot: server.query(query, {"l": lot}, role="analyst"), lots))
    for lot, data in zip(lots, answers):
        expected = server.graph.forward(lot=lot).ids["serials"][:1000]
        assert [n["id"] for n in data["forwardTrace"]["serials"]["nodes"]] == expected, lot


def test_whereabouts_list_every_container_of_a_split_lot(tmp_path: Path) -> None:
    """A lot split between a case and a pallet: `containerIds` has both, `containerId` the first."""
    t = Tables()
    t.lot("R1", material="RESIN", supplier="SUP-A")
    t.lot("OUT", material="PART")
    t.consume("ST1", "R1", "OUT")
    t.pack("OUT", "K9", 1)
    t.pack("OUT", "P2", 1)
    store = SQLiteStore(tmp_path / "split.db")
    load_into(store, t, tmp_path / "tables")
    key, _ = ApiKeys(store).create("recall_coordinator", name="split")
    graph = Graph(store)
    recall = graph.recalls("tester").open(RecallTrigger("lots", ("R1",)), "split lot", "II")
    graph.recalls("tester").scope(recall.recall_id)
    query = """query($id: ID!) {
        recallScope(trigger: {lots: ["R1"]}) { affected { nodes { item { id } containerId containerIds } } }
        recall(id: $id) { scope { affected { nodes { id containerId containerIds } } } } }"""
    with serve(create_app(graph)) as url:
        body = httpx.post(f"{url}/graphql", json={"query": query, "variables": {"id": recall.recall_id}},
                          headers={"Authorization": f"Bearer {key}"}, timeout=60).json()
    assert "errors" not in body, body
    live = {n["item"]["id"]: (n["containerId"], n["containerIds"])
            for n in body["data"]["recallScope"]["affected"]["nodes"]}
    frozen = {n["id"]: (n["containerId"], n["containerIds"])
              for n in body["data"]["recall"]["scope"]["affected"]["nodes"]}
    assert live == frozen == {"R1": (None, []), "OUT": ("K9", ["K9", "P2"])}
    store.close()
