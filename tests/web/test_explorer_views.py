"""The explorer's layered layout, a customer's page, what hovering an edge shows and the chain that
explains an affected lot or serial, in headless Chromium against a real ``tracegraph serve``.

Oracles: the generator's lot ids name their role (``RL-`` purchased, ``SL-`` sub-assembly, ``FL-``
finished), the store's own edge records, and the engine's traces on the same database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from canonical import Tables, at, canonical_time, write_csv

import tracegraph
from tracegraph.api.keys import ApiKeys
from tracegraph.store import NodeRef
from tracegraph.trace import TraceResult

from .conftest import Site, screenshot, serve, signed_in
from .paging import every_row
from .test_browser import SERIAL, _counts_table, _engine_counts, _graph_nodes, _point

COLUMNS = ("suppliers", "purchased_lots", "subassembly_lots", "finished_lots", "serials", "containers", "shipments",
           "customers")
ROLE = {"RL": "purchased_lots", "SL": "subassembly_lots", "FL": "finished_lots"}


def _open(page: Any, path: str) -> None:
    page.goto(f"{page.url.split('#')[0]}#{path}")


def _columns(page: Any, name: str) -> dict[str, set[float]]:
    """The x positions of each layer's nodes, as drawn."""
    placed = page.evaluate("g => window.tg.graphs[g].nodes().map(n => [n.id(), n.data('layer'), n.position('x')])",
                           name)
    for node, layer, _ in placed:  # lots are in the column of their role
        if node.startswith("Lot:"):
            assert layer == ROLE[node[4:6]], node
    out: dict[str, set[float]] = {}
    for _, layer, x in placed:
        out.setdefault(layer, set()).add(round(x, 3))
    return out


def _assert_left_to_right(columns: dict[str, set[float]]) -> None:
    assert all(len(xs) == 1 for xs in columns.values()), columns  # one column per layer
    xs = [next(iter(columns[layer])) for layer in COLUMNS if layer in columns]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), columns


def test_layers_are_columns_by_kind_and_role_left_to_right(page: Any) -> None:
    _open(page, f"/record/Serial/{SERIAL}")
    page.wait_for_selector("#counts-backward")
    columns = _columns(page, "backward")
    assert {"suppliers", "purchased_lots", "subassembly_lots", "finished_lots", "serials"} <= set(columns)
    _assert_left_to_right(columns)

    _open(page, "/record/Supplier/SUP-0005")
    page.wait_for_selector("#counts-forward")
    columns = _columns(page, "forward")
    assert set(COLUMNS) - {"suppliers"} <= set(columns)
    _assert_left_to_right(columns)
    screenshot(page, "8-supplier-forward-columns")


def _shipment_lines(graph: tracegraph.Graph, customer: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The customer's shipments (id -> shipped_at) and each one's lines as the page lists them, from the store."""
    store = graph.store
    shipments = sorted(e.src for e in store.edges("SHIPPED_TO", [("Customer", customer)], "in"))
    dates = {k: r["shipped_at"] for k, r in store.get("Shipment", [k for _, k in shipments]).items()}
    lines: dict[str, list[str]] = {k: [] for k in dates}
    for e in sorted(store.edges("SHIPPED_IN", shipments, "in"), key=lambda e: e.src):
        lines[e.dst[1]].append(f"{e.src[0]} {e.src[1]}" + (f" (retracted {e.props['retracted_at']})"
                                                            if e.props.get("retracted_at") else ""))
    return dates, lines


def _received_trace(graph: tracegraph.Graph, customer: str) -> TraceResult | None:
    """The engine's backward trace from the lots and serials the customer received (None: nothing)."""
    got = graph.received(customer)
    if not got:
        return None
    return graph.backward(lot=[k for kind, k in got if kind == "Lot"], serial=[k for kind, k in got if kind == "Serial"])


def _shipment_rows(page: Any, total: int) -> dict[str, tuple[str, list[str]]]:
    """The customer page's shipments, every page of them (``total`` in all), with their lines."""
    page.wait_for_selector("#customer-shipments tr[data-id]")
    rows = every_row(page, "#customer-shipments-list", total)
    assert len({s for s, _, _ in rows}) == len(rows), "a shipment came twice"
    return {s: (when, items.split(", ") if items else []) for s, when, items in rows}


def test_a_customer_page_shows_its_shipments_and_what_reached_it(page: Any, graph: tracegraph.Graph) -> None:
    by_shipments = sorted(graph.store.keys("Customer"),
                          key=lambda c: (-len(graph.store.edges("SHIPPED_TO", [("Customer", c)], "in")), c))
    # the customer with most shipments whose goods trace back to suppliers (CUST-00001 only got defects)
    customer = next(c for c in by_shipments if (t := _received_trace(graph, c)) is not None and t.ids["suppliers"])
    dates, lines = _shipment_lines(graph, customer)
    page.fill("#q", customer)
    page.press("#q", "Enter")
    page.wait_for_selector("#counts-backward")
    assert page.text_content("#record-title") == f"Customer {customer}"
    assert _shipment_rows(page, len(dates)) == {s: (dates[s], lines[s]) for s in dates}
    trace = _received_trace(graph, customer)
    assert trace is not None and trace.ids["serials"]
    assert _counts_table(page, "backward") == _engine_counts(trace.ids)
    screenshot(page, "9-customer-backward-trace")


def test_a_customer_page_traces_only_what_the_customer_received(browser: Any, tmp_path: Path) -> None:
    """Not what a shipped tote held before it was packed for the customer, nor a retracted shipment line."""
    t = Tables()
    t.lot("X", product="P1", quantity=5)  # in tote K from hour 1 to 2: never left with it
    t.lot("Y", product="P1", quantity=5)  # in K from hour 3, when K left for C1 at hour 4
    t.lot("Z", product="P1", quantity=5)  # its line on SH2 was recorded in error
    t.pack("X", "K", 1, unpacked=2)
    t.pack("Y", "K", 3)
    t.ship("SH1", "C1", 4, "K")
    t.ship("SH2", "C1", 5, "Z", quantity=5)
    t.rows["shipment_items"][-1]["retracted_at"] = at(30)
    db = tmp_path / "customer.db"
    with tracegraph.connect(str(db)) as graph:
        assert graph.load_tables(write_csv(tmp_path / "tables", t.rows)).rejected == []
        key, _ = ApiKeys(graph.store).create("analyst", "browser test")
        assert graph.received("C1") == [("Lot", "Y")]
        expected = graph.backward(lot="Y").ids
    with serve(db, tmp_path / "serve.log") as url, signed_in(browser, Site(url, db, key, key)) as page:
        _open(page, "/record/Customer/C1")
        page.wait_for_selector("#counts-backward")
        assert {n for n in _graph_nodes(page, "backward") if n.startswith("Lot:")} == {"Lot:Y"}
        assert _counts_table(page, "backward") == _engine_counts(expected) and expected["lots"] == ["Y"]
        assert _shipment_rows(page, 2) == {"SH1": (canonical_time(4), ["Container K"]),
                                        "SH2": (canonical_time(5), [f"Lot Z (retracted {canonical_time(30)})"])}
        screenshot(page, "9b-customer-received-only")


def _tip(page: Any, name: str, edge: dict[str, Any]) -> str:
    """The tooltip hovering ``edge`` shows (once it names that edge: the previous tip may linger)."""
    page.mouse.move(*_point(page, name, edge["id"]))
    page.wait_for_function("t => { const tip = document.getElementById('tip');"
                           " return !tip.hidden && tip.textContent.includes(t); }",
                           arg=f"{edge['rel']}\n{edge['from']} → {edge['to']}")
    return str(page.text_content("#tip"))


def _edge(page: Any, name: str, rel: str) -> dict[str, Any]:
    return dict(page.evaluate("([g, rel]) => window.tg.graphs[g].edges(`[rel = \"${rel}\"]`)[0].data()", [name, rel]))


def _ref(node_id: str) -> NodeRef:
    kind, key = node_id.split(":", 1)
    return kind, key


def test_hovering_an_edge_shows_the_record_behind_it(page: Any, graph: tracegraph.Graph) -> None:
    store = graph.store
    _open(page, f"/record/Serial/{SERIAL}")
    page.wait_for_selector("#counts-backward")
    d = _edge(page, "backward", "CONSUMED_INTO")
    record = next(e.props for e in store.edges("CONSUMED_INTO", [_ref(d["from"])], "out") if e.dst == _ref(d["to"]))
    tip = _tip(page, "backward", d)
    assert f"{d['from']} → {d['to']}" in tip
    assert f"quantity: {record['quantity']:g}" in tip and f"step_id: {record['step_id']}" in tip

    container = sorted(store.keys("Container"))[0]
    _open(page, f"/record/Container/{container}")
    page.wait_for_selector("#counts-forward")
    d = _edge(page, "forward", "PACKED_IN")
    packing = next(e.props for e in store.edges("PACKED_IN", [_ref(d["from"])], "out") if e.dst == _ref(d["to"]))
    window = f"packed from {packing['packed_at']} until {packing.get('unpacked_at') or 'now (still packed)'}"
    assert window in _tip(page, "forward", d)
    for rel in ("SHIPPED_IN", "SHIPPED_TO"):
        d = _edge(page, "forward", rel)
        shipment = d["to"] if rel == "SHIPPED_IN" else d["from"]
        date = store.get("Shipment", [_ref(shipment)[1]])[_ref(shipment)[1]]["shipped_at"]
        tip = _tip(page, "forward", d)
        assert tip.startswith(rel) and f"shipped_at: {date}" in tip, tip


def test_the_chain_explaining_an_affected_lot_or_serial_is_highlighted(page: Any, graph: tracegraph.Graph) -> None:
    lots = ["RL-0000001", "RL-0000002"]
    scope = graph.recall_scope(lots=lots)
    _open(page, f"/recall?lots={','.join(lots)}")
    page.wait_for_selector("#counts-forward")
    page.wait_for_selector("#affected-items tr td")
    drawn = _graph_nodes(page, "forward")
    for kind, key in (("Lot", "FL-0000001"), ("Serial", "SN000000001")):
        page.click(f"#affected-items tr:has(a:text-is('{key}')) button")
        page.wait_for_selector(f"#chain h2:text-is('Why {kind} {key} is in scope')")
        chain = scope.trace.explain(kind, key)
        assert len(chain) >= 2 and chain[-1].dst == (kind, key)
        ends = {f"{k}:{v}" for link in chain for k, v in (link.src, link.dst)}
        expected = {n if n in drawn else "group:serials" for n in ends}  # serials are collapsed here
        assert "group:serials" in drawn and all(n in drawn for n in ends if not n.startswith("Serial:"))
        highlighted = set(page.evaluate("() => window.tg.graphs.forward.nodes('.chain').map(n => n.id())"))
        assert highlighted == expected
        edges = page.evaluate("() => window.tg.graphs.forward.edges('.chain').map(e => [e.data('rel'), e.data('from')])")
        assert {rel for rel, _ in edges} == {link.rel for link in chain}
        screenshot(page, f"10-recall-chain-{kind.lower()}")


def test_the_affected_items_page_by_keyboard_to_every_item_once_keeping_the_focus(
        page: Any, graph: tracegraph.Graph) -> None:
    """The recall page's affected table is the page's shared paged list: Enter on "Next ›" keeps the focus
    there (on the heading at the end) and the live region says each range."""
    lots = ["RL-0000001", "RL-0000002"]
    affected = sorted(graph.recall_scope(lots=lots).whereabouts.items(), key=lambda rw: f"{rw[0][0]}:{rw[0][1]}")
    assert len(affected) > 2 * 25
    _open(page, f"/recall?lots={','.join(lots)}")
    page.wait_for_selector("#affected-items tr td")
    rows = every_row(page, "#affected", len(affected), drawn_with_page=True)
    assert rows == [[f"{kind} {key}", w.status, ", ".join(w.customers), "Explain"] for (kind, key), w in affected]
