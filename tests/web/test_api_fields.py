"""The GraphQL fields behind the explorer and dashboard, over HTTP against the real server."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import tracegraph
from tracegraph.quality import CHECKS
from tracegraph.trace.model import GROUPS, KIND_OF_GROUP
from tracegraph.web import STATIC
from tracegraph.web.view import LAYERS

from .conftest import Site
from .conftest import post as _post  # one GraphQL request over HTTP


def _code(body: dict[str, Any]) -> str:
    return body["errors"][0]["extensions"]["code"]


def test_pages_and_vendored_library_are_served_without_a_key(site: Site) -> None:
    for path in ("/", "/quality"):
        with urllib.request.urlopen(site.url + path, timeout=10) as r:
            page = r.read().decode()
            assert r.status == 200 and "/static/vendor/cytoscape.min.js" in page and "//cdn" not in page
    with urllib.request.urlopen(site.url + "/static/vendor/cytoscape.min.js", timeout=10) as r:
        assert r.read() == (STATIC / "vendor" / "cytoscape.min.js").read_bytes()
    for name in ("cytoscape", "cytoscape-dagre", "dagre", "graphlib", "lodash"):  # MIT, shipped with the code
        assert "Permission is hereby granted" in (STATIC / "vendor" / "licenses" / f"{name}.LICENSE").read_text()
    try:
        _post(site, "{ quality { checks { check } } }", key="tgk_000000000000_wrong")
        raise AssertionError("a bad key was accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 401


def test_trace_graph_counts_are_the_engines(site: Site, graph: tracegraph.Graph) -> None:
    body = _post(site, "query($s: TraceStartInput!) { traceGraph(start: $s, direction: FORWARD, limit: 50) }",
                 {"s": {"lots": ["RL-0000003"]}})
    view = body["data"]["traceGraph"]
    trace = graph.forward(lot="RL-0000003")
    assert view["counts"] == {g: len(ids) for g, ids in trace.ids.items()}
    assert list(view["group_kinds"]) == list(GROUPS) == list(view["counts"])  # the counts table's order
    assert view["group_kinds"] == KIND_OF_GROUP
    layers = {layer["name"]: layer["count"] for layer in view["layers"]}
    assert sum(layers[n] for n in ("purchased_lots", "subassembly_lots", "finished_lots")) == len(trace.ids["lots"])
    groups = [n for n in view["nodes"] if n["kind"] == "Group"]
    assert {n["id"]: n["count"] for n in groups} == {f"group:{name}": count for name, count in layers.items()
                                                     if count > 50}
    # what the page asks traceLayer for: a lot layer's records are lots, "serials" are Serial records, ...
    assert groups and all(n["member_kind"] == ("Lot" if n["layer"].endswith("_lots") else n["layer"][:-1].capitalize())
                          for n in groups)
    shown = {n["id"] for n in view["nodes"]}
    assert all(e["source"] in shown and e["target"] in shown for e in view["edges"])


def test_explorer_and_quality_fields_refuse_bad_input_and_respect_roles(site: Site) -> None:
    trace = '{ traceGraph(start: {lots: ["RL-0000001"]}, direction: FORWARD, %s) }'
    assert _code(_post(site, trace % 'expand: ["pallets"]')) == "BAD_INPUT"
    assert _code(_post(site, trace % "limit: 0")) == "BAD_INPUT"
    assert _code(_post(site, '{ quality { findings(check: "nope") { detail } } }')) == "BAD_INPUT"
    assert _code(_post(site, '{ recordView(kind: Lot, id: "NO-SUCH-LOT") }')) == "NOT_FOUND"
    assert _code(_post(site, '{ search(text: "  ") { id } }')) == "BAD_INPUT"
    assert _post(site, '{ search(text: "NO-SUCH-ID") { id } }')["data"]["search"] == []
    assert _post(site, '{ search(text: " CUST-00001 ") { kind id } }')["data"]["search"] == [
        {"kind": "Customer", "id": "CUST-00001"}]
    checks = _post(site, '{ quality { checks { check findings } } }')
    assert [c["check"] for c in checks["data"]["quality"]["checks"]] == list(CHECKS)
    assert _code(_post(site, '{ quality { checks { check } } }', key=site.reader_key)) == "FORBIDDEN"
    assert _code(_post(site, trace % "limit: 5", key=site.reader_key)) == "FORBIDDEN"


def test_trace_layer_pages_each_layer_of_the_picture(site: Site, graph: tracegraph.Graph) -> None:
    """Every layer of RL-0000003's forward picture, 7 at a time: lots by role (the generator's id prefixes
    name it), the other layers as the engine's groups."""
    query = """query($s: TraceStartInput!, $l: String!, $after: String) {
        traceLayer(start: $s, direction: FORWARD, layer: $l, first: 7, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } nodes { __typename id } } }"""
    ids = graph.forward(lot="RL-0000003").ids
    role = {"purchased_lots": "RL-", "subassembly_lots": "SL-", "finished_lots": "FL-"}
    kinds = {"Supplier": "suppliers", "Serial": "serials", "Container": "containers", "Shipment": "shipments",
             "Customer": "customers"}
    for layer in LAYERS:
        expected = ([k for k in ids["lots"] if k.startswith(role[layer])] if layer in role else ids[layer])
        listed: list[tuple[str, str]] = []
        after = None
        while True:
            page = _post(site, query, {"s": {"lots": ["RL-0000003"]}, "l": layer, "after": after})["data"]["traceLayer"]
            assert page["totalCount"] == len(expected)
            listed += [(n["__typename"], n["id"]) for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert [key for _, key in listed] == sorted(expected), layer
        assert all(kind == "Lot" if layer in role else kinds[kind] == layer for kind, _ in listed), layer
    layer = '{ traceLayer(start: {lots: ["RL-0000003"]}, direction: FORWARD, layer: "%s") { totalCount } }'
    assert _code(_post(site, layer % "pallets")) == "BAD_INPUT"
    assert _code(_post(site, layer % "serials", key=site.reader_key)) == "FORBIDDEN"
