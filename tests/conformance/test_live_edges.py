"""Retracted records count nowhere, and a serialised lot's units are taken from it (tracegraph/trace/engine.py).

Retractions come from EPCIS errorDeclarations; in canonical tables they are the ``retracted_at``
column. Every test runs on every backend (``load_graph``) and names the place that once counted them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from canonical import Tables, at

from tracegraph import Graph, NotFound, StoreError, TraceStart
from tracegraph.notebook import trace_graph
from tracegraph.trace.triggers import RecallTrigger, resolve_trigger
from tracegraph.web.view import trace_view

LoadGraph = Callable[[Tables], Graph]


def retract(t: Tables, table: str, **match: str) -> None:
    """Mark the rows of ``table`` matching ``match`` as declared erroneous (at hour 30)."""
    rows = [r for r in t.rows[table] if all(r[k] == v for k, v in match.items())]
    assert rows, f"no {table} row matches {match}"
    for row in rows:
        row["retracted_at"] = at(30)


def wrongly_consumed() -> Tables:
    """A (10 EA) really went into OUT; A0 (10 EA) was recorded as consumed too, 25 of it, in error."""
    t = Tables()
    t.lot("A", material="RESIN", quantity=10)
    t.lot("A0", material="RESIN", quantity=10)
    t.lot("OUT", material="HOUSING", quantity=1)
    t.step("ST", equipment_id="EQ-1", started_at=at(1), ended_at=at(2))
    t.step("ST-WRONG", equipment_id="EQ-9", started_at=at(1), ended_at=at(2))
    t.consume("ST", "A", "OUT", quantity=10)
    t.consume("ST", "A0", "OUT", quantity=25)
    t.consume("ST-WRONG", "A0", "OUT", quantity=5)
    retract(t, "consumptions", input_id="A0")
    return t


def test_retracted_consumption_takes_nothing_from_the_lot(load_graph: LoadGraph) -> None:
    scope = load_graph(wrongly_consumed()).recall_scope(lots=["A0"])
    w = scope.whereabouts[("Lot", "A0")]
    assert (w.status, w.remaining, w.consumed_into) == ("in_stock", 10.0, ())
    assert scope.trace.ids["lots"] == ["A0"] and scope.trace.ids["process_steps"] == []


def test_explaining_a_step_never_uses_a_retracted_consumption(load_graph: LoadGraph) -> None:
    trace = load_graph(wrongly_consumed()).forward(lot=["A", "A0"])
    assert trace.ids["process_steps"] == ["ST"]
    chain = trace.explain("ProcessStep", "ST")
    assert [(link.src, link.dst) for link in chain] == [(("Lot", "A"), ("Lot", "OUT"))]


def test_a_step_known_only_by_retracted_consumptions_triggers_nothing(load_graph: LoadGraph) -> None:
    store = load_graph(wrongly_consumed()).store
    assert resolve_trigger(store, RecallTrigger("equipment", ("EQ-1",))) == TraceStart(lots=("OUT",))
    with pytest.raises(NotFound):
        resolve_trigger(store, RecallTrigger("equipment", ("EQ-9",)))


def test_mass_balance_counts_no_retracted_consumption(load_graph: LoadGraph) -> None:
    found = load_graph(wrongly_consumed()).quality().by_check()
    assert found["over_consumed_lot"] == []  # A0: 30 of 10 recorded, all of it retracted


def test_drawings_show_no_retracted_consumption(load_graph: LoadGraph) -> None:
    graph = load_graph(wrongly_consumed())
    trace = graph.forward(lot=["A", "A0"])
    drawn = {(e["source"], e["target"]) for e in trace_view(graph.store, trace)["edges"]}
    assert ("Lot:A", "Lot:OUT") in drawn and ("Lot:A0", "Lot:OUT") not in drawn
    assert {(u, v) for u, v, rel in trace_graph(trace).edges(data="rel") if rel == "CONSUMED_INTO"} == {
        ("Lot:A", "Lot:OUT")}


def test_retracted_shipments_count_nowhere(load_graph: LoadGraph) -> None:
    t = Tables()
    t.lot("L", material="RESIN", quantity=10)
    t.ship("SH-WRONG", "CUST-1", 3, "L", quantity=4)
    t.ship("SH-CASE", "CUST-2", 4, "K")  # an empty case, shipped in error
    retract(t, "shipment_items", shipment_id="SH-WRONG")
    retract(t, "shipment_items", shipment_id="SH-CASE")
    graph = load_graph(t)
    scope = graph.recall_scope(lots=["L"])
    w = scope.whereabouts[("Lot", "L")]
    assert (w.status, w.remaining, w.shipments) == ("in_stock", 10.0, ()) and scope.by_customer == {}
    assert graph.quality().by_check()["empty_container_shipped"] == []


def test_retracted_packing_never_held_the_unit(load_graph: LoadGraph) -> None:
    t = Tables()
    t.lot("F", product="DEV", quantity=1)
    t.serial("S", product="DEV", lot="F")
    t.pack("S", "K", 1)
    t.ship("SH", "CUST-1", 2, "K")  # before the declaration (hour 30), and still it never held S
    retract(t, "packing", child_id="S")
    scope = load_graph(t).recall_scope(serials=["S"])
    assert scope.trace.ids["containers"] == scope.trace.ids["customers"] == []
    assert scope.whereabouts[("Serial", "S")].status == "in_stock"


def serialised(uom: str = "EA") -> Tables:
    """Lot F of 3 units: S1 shipped in case K, S2 consumed into a kit, S3 on the shelf."""
    t = Tables()
    t.lot("F", product="DEV", quantity=3, uom=uom)
    for s in ("S1", "S2", "S3"):
        t.serial(s, product="DEV", lot="F")
    t.lot("KIT", product="KIT", quantity=1)
    t.consume("ST-KIT", "S2", "KIT")
    t.pack("S1", "K", 1)
    t.ship("SH", "CUST-1", 2, "K")
    return t


def test_shipped_and_consumed_units_are_taken_from_their_lot(load_graph: LoadGraph) -> None:
    w = load_graph(serialised()).recall_scope(lots=["F"]).whereabouts[("Lot", "F")]
    assert (w.status, w.remaining, w.shipments, w.consumed_into) == ("in_stock", 1.0, (), ())


def test_a_lot_whose_units_all_left_is_not_in_stock(load_graph: LoadGraph) -> None:
    t = serialised()
    t.ship("SH-3", "CUST-2", 3, "S3")
    w = load_graph(t).recall_scope(lots=["F"]).whereabouts[("Lot", "F")]
    assert (w.status, w.remaining, w.shipments) == ("shipped", 0.0, ())  # the units carry the shipments


def test_units_of_a_lot_counted_in_another_unit_leave_it_unknown(load_graph: LoadGraph) -> None:
    t = serialised(uom="KG")
    t.ship("SH-3", "CUST-2", 3, "S3")
    w = load_graph(t).recall_scope(lots=["F"]).whereabouts[("Lot", "F")]
    assert (w.status, w.remaining) == ("shipped", None)  # unknown: the furthest its units went


def test_a_unit_on_the_shelf_keeps_a_lot_of_unknown_quantity_in_stock(load_graph: LoadGraph) -> None:
    t = serialised()
    t.rows["lots"][0]["quantity"] = ""
    w = load_graph(t).recall_scope(lots=["F"]).whereabouts[("Lot", "F")]
    assert (w.status, w.remaining) == ("in_stock", None)  # S3 is still here


def test_a_kept_trace_explained_after_a_retraction_says_the_store_changed(load_graph: LoadGraph) -> None:
    """Explanations read the store as it is now: a link retracted since the trace explains nothing."""
    t = wrongly_consumed()
    t.rows["consumptions"][0]["retracted_at"] = ""  # A -> OUT is live when the trace runs
    graph = load_graph(t)
    trace = graph.forward(lot=["A"])
    assert graph.forward(lot=["A"]).explain("Lot", "OUT")[0].src == ("Lot", "A")
    retract(t, "consumptions", input_id="A")
    load_graph(t)  # the correction arrives after the trace was kept
    with pytest.raises(StoreError, match="Lot 'OUT' is no longer joined to the start.*run the trace again"):
        trace.explain("Lot", "OUT")
