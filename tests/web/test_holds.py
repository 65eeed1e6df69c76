"""Recall holds in the explorer: on the record page and in every later trace (issue 7), on a server of
its own (holds change what other pages show). The recall is opened, scoped and held over GraphQL as a
coordinator would; the engine's trace holds on the same database are the oracle."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import tracegraph
from tracegraph.recall.model import HOLDS
from tracegraph.trace import TraceResult, TraceStart

from .conftest import Site, post, screenshot, signed_in

REASON = "seal leak on the final assembly"


@dataclass(frozen=True)
class Held:
    lot: str
    recall: str
    placed: list[str]


def _data(site: Site, query: str, **variables: Any) -> dict[str, Any]:
    body = post(site, query, variables)
    assert not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]


def _engine(site: Site, lot: str) -> TraceResult:
    with tracegraph.connect(str(site.db), read_only=True) as g:
        return g.forward(lot=lot)


@pytest.fixture(scope="module")
def held(held_site: Site) -> Held:
    """A recall on the newest finished lot with packed units in stock, with its stock on hold."""
    with tracegraph.connect(str(held_site.db), read_only=True) as g:
        assert not g.store.documents(HOLDS), "the held site must start without holds"
        lot = next(k for k in sorted((k for k in g.store.keys("Lot") if k.startswith("FL-")), reverse=True)
                   if any(w.status == "in_stock" and w.containers
                          for w in g.engine.recall_scope(TraceStart(lots=(k,))).whereabouts.values()))
    rid = _data(held_site, """mutation($lot: String!) { openRecall(trigger: {kind: LOTS, ids: [$lot]},
        reason: "%s", classification: II) { id } }""" % REASON, lot=lot)["openRecall"]["id"]
    _data(held_site, 'mutation($id: ID!) { scopeRecall(id: $id, why: "first") { diff } }', id=rid)
    placed = _data(held_site, "mutation($id: ID!) { holdRecallStock(id: $id) }", id=rid)["holdRecallStock"]
    assert any(p.startswith("Serial:") for p in placed) and any(p.startswith("Container:") for p in placed)
    return Held(lot, rid, placed)


@pytest.fixture
def held_page(browser: Any, held_site: Site) -> Iterator[Any]:
    with signed_in(browser, held_site) as p:
        yield p


def test_record_view_and_trace_graph_carry_the_holds(held_site: Site, held: Held) -> None:
    serial = next(p for p in held.placed if p.startswith("Serial:")).split(":", 1)[1]
    view = _data(held_site, 'query($id: ID!) { recordView(kind: Serial, id: $id) }', id=serial)["recordView"]
    assert [(h["recall_id"], h["reason"], h["classification"], h["status"]) for h in view["holds"]] == [
        (held.recall, REASON, "II", "open")]
    assert "holds" not in view["properties"]
    trace = _engine(held_site, held.lot)
    shipped = next(s for s in trace.ids["serials"] if f"Serial:{s}" not in held.placed)  # not stock: not held
    free = _data(held_site, 'query($id: ID!) { recordView(kind: Serial, id: $id) }', id=shipped)["recordView"]
    assert free["holds"] == [] and free["properties"]["serial_id"] == shipped
    assert set(trace.holds) == set(held.placed)
    view = _data(held_site, "query($s: TraceStartInput!) { traceGraph(start: $s, direction: FORWARD, limit: 5) }",
                 s={"lots": [held.lot]})["traceGraph"]
    assert view["on_hold"] == len(held.placed)
    shown = {n["id"]: n["holds"] for n in view["nodes"] if n["kind"] != "Group"}
    assert {i for i, h in shown.items() if h} == set(held.placed) & set(shown)
    assert all(h in ([], [held.recall]) for h in shown.values())
    hidden = sum(n["held"] for n in view["nodes"] if n["kind"] == "Group")
    assert hidden == len(set(held.placed) - set(shown)) > 0  # limit 5 collapses some held serials


def test_the_record_page_and_traces_through_it_show_the_hold(held_page: Any, held_site: Site, held: Held) -> None:
    page = held_page
    serial = next(p for p in held.placed if p.startswith("Serial:")).split(":", 1)[1]
    page.goto(f"{held_site.url}/#/record/Serial/{serial}")
    page.wait_for_selector("#holds")
    banner = page.text_content("#holds")
    assert "On recall hold" in banner and held.recall in banner and REASON in banner and "recall open" in banner
    page.wait_for_selector("#counts-backward")
    with tracegraph.connect(str(held_site.db), read_only=True) as g:
        upstream = g.backward(serial=serial).holds  # the unit and, here, its finished lot
    assert f"Serial:{serial}" in upstream
    assert set(page.evaluate("() => window.tg.graphs.backward.nodes('.held').map(n => n.id())")) == set(upstream)
    screenshot(page, "6-held-serial")

    # the forward trace through the finished lot marks every held node it draws, and counts the rest
    trace = _engine(held_site, held.lot)
    page.goto(f"{held_site.url}/#/record/Lot/{held.lot}")
    page.wait_for_selector("#counts-forward")
    assert held.recall in page.text_content("#holds")  # what is left of the lot in stock is held too
    marked = page.evaluate("""() => window.tg.graphs.forward.nodes('.held').map(n =>
        [n.id(), n.data('kind') === 'Group' ? n.data('held') : n.data('holds')])""")
    drawn = set(page.evaluate("() => window.tg.graphs.forward.nodes().map(n => n.id())"))
    nodes = {i: h for i, h in marked if not i.startswith("group:")}
    assert nodes == {i: [held.recall] for i in trace.holds if i in drawn} and nodes
    assert sum(h for i, h in marked if i.startswith("group:")) == len(set(trace.holds) - drawn)
    assert page.text_content("#on-hold-forward").startswith(f"{len(trace.holds):,} reached records are on recall hold")

    # and the tables of the trace mark the held rows
    page.click("#counts-forward tr[data-group=containers] a")
    page.wait_for_selector("#table-containers tr")
    rows = page.eval_on_selector_all("#table-containers tr",
                                     "rs => rs.map(r => [r.cells[0].querySelector('a').textContent, r.className])")
    containers = trace.ids["containers"][:25]
    assert [r[0] for r in rows] == containers
    assert {c for c, cls in rows if cls == "held"} == {c for c in containers if f"Container:{c}" in trace.holds} != set()
    assert page.text_content("#table-containers tr.held .hold") == f"on hold: {held.recall}"
    screenshot(page, "7-held-lot-forward-trace")
