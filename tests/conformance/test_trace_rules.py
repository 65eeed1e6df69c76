"""The trace semantics, rule by rule, on hand-built genealogies (see tracegraph/trace/engine.py).

Every test runs on every backend (``load_graph``). Expected answers are exact sets, written out.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from canonical import Tables, canonical_time

from tracegraph import BadInput, Graph, LimitExceeded, Limits, NotFound, TraceStart
from tracegraph.trace import TraceEngine

LoadGraph = Callable[[Tables], Graph]


def plant() -> Tables:
    """Two suppliers, a two-level BOM, two sibling batches of one work order, serials, a motor serial.

    R1 (RESIN, SUP-A) -50-> SA1 (HOUSING) -> F1 (DEV) -> S1, S2
    R1 -30-> SA3 (HOUSING), partly consumed a second time
    R2 (RESIN, SUP-B) -> SA2 (HOUSING) -> F2 (DEV, same work order as F1) -> S3
    R3 (SCREW, SUP-B only) -> SA1 and -> F2
    M1 (a MOTOR serial in lot ML1) consumed into S1
    """
    t = Tables()
    t.lot("R1", material="RESIN", supplier="SUP-A", quantity=100)
    t.lot("R2", material="RESIN", supplier="SUP-B", quantity=100)
    t.lot("R3", material="SCREW", supplier="SUP-B", quantity=1000)
    for lot in ("SA1", "SA2", "SA3"):
        t.lot(lot, material="HOUSING", quantity=10)
    t.lot("F1", product="DEV", quantity=2)
    t.lot("F2", product="DEV", quantity=1)
    t.lot("ML1", product="MOTOR", quantity=1)
    t.serial("S1", product="DEV", lot="F1")
    t.serial("S2", product="DEV", lot="F1")
    t.serial("S3", product="DEV", lot="F2")
    t.serial("M1", product="MOTOR", lot="ML1")
    t.step("ST-SA1", work_order="WO-SA1", equipment_id="EQ-1", operator_id="OP-7", bom_revision="B2",
           process_revision="P3")
    t.consume("ST-SA1", "R1", "SA1", quantity=50)
    t.consume("ST-SA1", "R3", "SA1", quantity=4)
    t.consume("ST-SA3", "R1", "SA3", quantity=30)
    t.consume("ST-SA2", "R2", "SA2", quantity=50)
    t.step("ST-F1", work_order="WO-F")
    t.step("ST-F2", work_order="WO-F")  # sibling batch of the same work order
    t.make("ST-F1", ["SA1"], "F1")
    t.make("ST-F2", ["SA2", "R3"], "F2")
    t.consume("ST-MOT", "M1", "S1")
    t.inspect("I-F1", "F1", step="ST-F1")
    t.inspect("I-S1", "S1", result="fail", value=11.0)
    t.inspect("I-SA2", "SA2", step="ST-SA2")
    t.inspect("I-F2", "F2", step="ST-F2")
    return t


def ids(result, *groups: str) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    return {g: set(result.ids[g]) for g in groups}


# -- forward ----------------------------------------------------------------------------------
def test_forward_from_raw_lot_reaches_every_level_but_not_sibling_batches(load_graph: LoadGraph) -> None:
    g = load_graph(plant())
    r = g.forward(lot="R1")
    assert ids(r, "lots", "serials", "suppliers", "materials", "products", "process_steps", "inspections") == {
        "lots": {"R1", "SA1", "SA3", "F1"},  # partial consumption: both outputs; F2 (sibling) is out
        "serials": {"S1", "S2"},
        "suppliers": {"SUP-A"},
        "materials": {"RESIN", "HOUSING"},
        "products": {"DEV"},
        "process_steps": {"ST-SA1", "ST-SA3", "ST-F1"},
        "inspections": {"I-F1", "I-S1"},
    }


def test_forward_from_a_lot_feeding_two_batches(load_graph: LoadGraph) -> None:
    r = load_graph(plant()).forward(lot="R3")
    assert ids(r, "lots", "serials") == {"lots": {"R3", "SA1", "F1", "F2"}, "serials": {"S1", "S2", "S3"}}


def test_forward_from_a_serial_consumed_into_a_serial(load_graph: LoadGraph) -> None:
    g = load_graph(plant())
    assert ids(g.forward(serial="M1"), "lots", "serials", "process_steps") == {
        "lots": set(), "serials": {"M1", "S1"}, "process_steps": {"ST-MOT"}}
    # from the motor lot: its unit and the device it went into, not the device's lot or siblings
    assert ids(g.forward(lot="ML1"), "lots", "serials") == {"lots": {"ML1"}, "serials": {"M1", "S1"}}


def test_forward_from_supplier_and_material(load_graph: LoadGraph) -> None:
    g = load_graph(plant())
    r = g.forward(supplier="SUP-B")
    assert ids(r, "lots", "serials", "suppliers") == {
        "lots": {"R2", "R3", "SA1", "SA2", "F1", "F2"}, "serials": {"S1", "S2", "S3"}, "suppliers": {"SUP-B"}}
    r = g.forward(material="RESIN")
    assert ids(r, "lots", "serials", "materials") == {
        "lots": {"R1", "R2", "SA1", "SA2", "SA3", "F1", "F2"}, "serials": {"S1", "S2", "S3"},
        "materials": {"RESIN", "HOUSING"}}


# -- backward ---------------------------------------------------------------------------------
def test_backward_from_serial_has_steps_inspections_suppliers(load_graph: LoadGraph) -> None:
    r = load_graph(plant()).backward(serial="S1")
    assert ids(r, "lots", "serials", "suppliers", "materials", "products", "process_steps", "inspections",
               "shipments", "customers") == {
        "lots": {"F1", "SA1", "R1", "R3", "ML1"},
        "serials": {"S1", "M1"},  # not its sibling S2
        "suppliers": {"SUP-A", "SUP-B"},
        "materials": {"RESIN", "SCREW", "HOUSING"},
        "products": {"DEV", "MOTOR"},
        "process_steps": {"ST-SA1", "ST-F1", "ST-MOT"},
        "inspections": {"I-F1", "I-S1"},
        "shipments": set(), "customers": set(),
    }
    steps = {s["step_id"]: s for s in r.records("process_steps")}
    assert (steps["ST-SA1"]["equipment_id"], steps["ST-SA1"]["operator_id"], steps["ST-SA1"]["bom_revision"],
            steps["ST-SA1"]["process_revision"]) == ("EQ-1", "OP-7", "B2", "P3")


def test_backward_from_sibling_batch(load_graph: LoadGraph) -> None:
    r = load_graph(plant()).backward(lot="F2")
    assert ids(r, "lots", "process_steps", "inspections") == {
        "lots": {"F2", "SA2", "R2", "R3"}, "process_steps": {"ST-F2", "ST-SA2"}, "inspections": {"I-F2", "I-SA2"}}


# -- time-bounded containment -----------------------------------------------------------------
def packed_plant() -> Tables:
    t = plant()
    t.pack("S1", "K1", 0)  # S1 stays in case K1
    t.pack("S2", "K1", 0, 3)  # S2 repacked from K1 into K2 at hour 3
    t.pack("S2", "K2", 3)
    t.pack("K1", "P1", 1, 5)  # K1 on pallet P1 until hour 5
    t.pack("K2", "P1", 4)  # K2 joins P1 at hour 4
    t.ship("SH-P1", "CUST-DIST", 6, "P1")  # P1 leaves at 6: carries K2 (S2), not K1 (S1)
    t.ship("SH-K1", "CUST-HOSP", 7, "K1")  # K1 ships loose at 7 with S1
    return t


def test_pallet_shipped_after_case_unpacked_does_not_carry_it(load_graph: LoadGraph) -> None:
    g = load_graph(packed_plant())
    assert ids(g.forward(serial="S1"), "containers", "shipments", "customers") == {
        "containers": {"K1", "P1"}, "shipments": {"SH-K1"}, "customers": {"CUST-HOSP"}}


def test_repacked_serial_follows_its_new_case(load_graph: LoadGraph) -> None:
    g = load_graph(packed_plant())
    # S2 was in K1 while K1 was on P1 (hours 1-3) and in K2 on P1 from hour 4; K1 shipped after S2 left it
    assert ids(g.forward(serial="S2"), "containers", "shipments", "customers") == {
        "containers": {"K1", "K2", "P1"}, "shipments": {"SH-P1"}, "customers": {"CUST-DIST"}}


def reused_pallet_plant() -> Tables:
    """Pallet P9 ships K1 (S1) at hour 2, is emptied at 10, then ships K2 (S2) at 12."""
    t = plant()
    t.pack("S1", "K1", 0)
    t.pack("S2", "K2", 0)
    t.pack("K1", "P9", 1, 10)
    t.ship("SH-1", "CUST-1", 2, "P9")
    t.pack("K2", "P9", 11)
    t.ship("SH-2", "CUST-2", 12, "P9")
    return t


def test_pallet_reused_across_shipments(load_graph: LoadGraph) -> None:
    g = load_graph(reused_pallet_plant())
    assert ids(g.forward(serial="S1"), "shipments", "customers") == {"shipments": {"SH-1"}, "customers": {"CUST-1"}}
    assert ids(g.forward(serial="S2"), "shipments", "customers") == {"shipments": {"SH-2"}, "customers": {"CUST-2"}}


def test_interval_bounds_are_half_open(load_graph: LoadGraph) -> None:
    """Inside from packed_at (inclusive) until unpacked_at (exclusive)."""
    t = plant()
    t.pack("S1", "K1", 5, 8)
    t.ship("SH-AT-PACK", "CUST-1", 5, "K1")
    t.ship("SH-AT-UNPACK", "CUST-2", 8, "K1")
    t.pack("S2", "K2", 5, 5)  # packed and unpacked at once: never inside
    t.ship("SH-EMPTY", "CUST-3", 5, "K2")
    g = load_graph(t)
    assert ids(g.forward(serial="S1"), "shipments") == {"shipments": {"SH-AT-PACK"}}
    assert ids(g.forward(serial="S2"), "containers", "shipments") == {"containers": set(), "shipments": set()}


def test_three_levels_of_nesting(load_graph: LoadGraph) -> None:
    t = plant()
    t.pack("S1", "K1", 0)
    t.pack("K1", "P1", 1)
    t.pack("P1", "TRUCK", 2, 4)
    t.ship("SH-T1", "CUST-1", 3, "TRUCK")
    t.ship("SH-T2", "CUST-2", 5, "TRUCK")  # P1 was off the truck by then
    assert ids(load_graph(t).forward(lot="F1"), "containers", "shipments") == {
        "containers": {"K1", "P1", "TRUCK"}, "shipments": {"SH-T1"}}


def test_loose_lot_and_serial_shipped_directly(load_graph: LoadGraph) -> None:
    t = plant()
    t.ship("SH-LOT", "CUST-LAB", 3, "SA3", quantity=2)
    t.ship("SH-UNIT", "CUST-HOSP", 4, "S2")
    assert ids(load_graph(t).forward(lot="R1"), "shipments", "customers") == {
        "shipments": {"SH-LOT", "SH-UNIT"}, "customers": {"CUST-LAB", "CUST-HOSP"}}


def test_container_start_is_time_bounded(load_graph: LoadGraph) -> None:
    """A container stands for what was inside it, nested contents only while both held."""
    t = plant()
    t.pack("K1", "P1", 0, 2)
    t.pack("S1", "K1", 1)  # in K1 while K1 was on P1
    t.pack("S3", "K1", 5)  # packed into K1 after K1 left P1
    g = load_graph(t)
    assert ids(g.forward(container="P1"), "serials", "containers") == {"serials": {"S1"}, "containers": {"P1", "K1"}}
    assert ids(g.backward(container="P1"), "serials", "lots") == {
        "serials": {"S1", "M1"}, "lots": {"F1", "SA1", "R1", "R3", "ML1"}}
    assert ids(g.forward(container="K1"), "serials") == {"serials": {"S1", "S3"}}


def test_a_customer_received_what_its_containers_held_when_they_left(load_graph: LoadGraph) -> None:
    """Not everything ever in a shipped container, nor a retracted shipment line."""
    t = plant()
    t.pack("SA1", "K1", 1, 2)  # taken out before K1 left
    t.pack("SA2", "K1", 3)
    t.pack("K2", "P1", 0)
    t.pack("S1", "K2", 1)  # K2 went inside P1, which left at hour 4
    t.pack("S2", "K2", 5)  # packed after P1 left
    t.ship("SH1", "CUST-HOSP", 4, "K1", "P1")
    t.ship("SH2", "CUST-HOSP", 5, "R3", quantity=5)
    t.rows["shipment_items"][-1]["retracted_at"] = canonical_time(30)
    t.ship("SH3", "CUST-HOSP", 6, "S3")
    t.ship("SH4", "CUST-LAB", 6, "K2")
    g = load_graph(t)
    assert g.received("CUST-HOSP") == [("Lot", "SA2"), ("Serial", "S1"), ("Serial", "S3")]
    assert g.received("CUST-LAB") == [("Serial", "S1"), ("Serial", "S2")]
    with pytest.raises(NotFound, match="NOBODY"):
        g.received("NOBODY")


# -- recall scope -----------------------------------------------------------------------------
def test_recall_scope_whereabouts_and_counts(load_graph: LoadGraph) -> None:
    t = packed_plant()
    t.ship("SH-LOT", "CUST-LAB", 3, "SA3", quantity=2)
    scope = load_graph(t).recall_scope(lots="R1")
    w = {ref: (x.status, x.customers, x.shipments, x.consumed_into, x.container, x.remaining)
         for ref, x in scope.whereabouts.items()}
    assert w == {
        # 100 received, 50 + 30 consumed: 20 still on site, so it is in stock as well as consumed
        ("Lot", "R1"): ("in_stock", (), (), (("Lot", "SA1"), ("Lot", "SA3")), None, 20.0),
        ("Lot", "SA1"): ("consumed", (), (), (("Lot", "F1"),), None, None),  # no quantity consumed: unknown
        ("Lot", "SA3"): ("in_stock", ("CUST-LAB",), ("SH-LOT",), (), None, 8.0),  # 10 made, 2 shipped
        ("Lot", "F1"): ("shipped", (), (), (), None, 0.0),  # both its units shipped (each has its own whereabouts)
        ("Serial", "S1"): ("shipped", ("CUST-HOSP",), ("SH-K1",), (), "K1", None),
        ("Serial", "S2"): ("shipped", ("CUST-DIST",), ("SH-P1",), (), "K2", None),
    }
    assert scope.by_customer == {
        "CUST-DIST": {"lots": 0, "serials": 1, "shipments": 1, "lot_quantity": 0.0},
        "CUST-HOSP": {"lots": 0, "serials": 1, "shipments": 1, "lot_quantity": 0.0},
        "CUST-LAB": {"lots": 1, "serials": 0, "shipments": 1, "lot_quantity": 2.0},
    }


def test_recall_scope_of_several_lots_unions_them(load_graph: LoadGraph) -> None:
    g = load_graph(packed_plant())
    scope = g.recall_scope(lots=["R2", "ML1"])
    assert ids(scope.trace, "lots", "serials") == {"lots": {"R2", "SA2", "F2", "ML1"}, "serials": {"S3", "M1", "S1"}}
    assert scope.whereabouts[("Serial", "M1")].consumed_into == (("Serial", "S1"),)
    assert scope.whereabouts[("Serial", "S3")].status == "in_stock"


def test_whereabouts_of_used_up_and_unknown_lots(load_graph: LoadGraph) -> None:
    t = Tables()
    t.lot("A", material="RESIN", quantity=10, uom="KG")
    t.lot("B", material="RESIN", quantity=10, uom="KG")
    t.lot("C", material="RESIN", quantity=10, uom="KG")
    t.lot("D", material="RESIN", quantity=5)
    t.lot("U", material="RESIN", quantity=10, uom="")  # no unit: a use in a unit cannot be counted against it
    t.lot("V", material="RESIN", quantity=10, uom="")  # ... a use without one can
    t.lot("OUT", material="PART")
    t.consume("ST1", "A", "OUT", quantity=10, uom="KG")  # all of it
    t.consume("ST1", "B", "OUT", quantity=2, uom="G")  # another unit: cannot tell what is left
    t.consume("ST1", "C", "OUT", quantity=4, uom="KG")
    t.consume("ST1", "U", "OUT", quantity=4, uom="KG")
    t.consume("ST1", "V", "OUT", quantity=4, uom="")
    t.ship("SH1", "CUST-1", 5, "C", quantity=6)  # the rest of C shipped
    t.pack("D", "K1", 1)
    t.ship("SH2", "CUST-2", 2, "K1")  # D left in a case: how much of it is not recorded
    t.pack("OUT", "K9", 1)  # OUT is split between a case and a pallet
    t.pack("OUT", "P2", 1)
    scope = load_graph(t).recall_scope(lots=["A", "B", "C", "D", "U", "V"])
    w = {ref[1]: (x.status, x.remaining) for ref, x in scope.whereabouts.items()}
    assert w == {"A": ("consumed", 0.0), "B": ("consumed", None), "C": ("shipped", 0.0), "D": ("shipped", None),
                 "U": ("consumed", None), "V": ("in_stock", 6.0), "OUT": ("in_stock", None)}
    split = scope.whereabouts[("Lot", "OUT")]
    assert (split.containers, split.container) == (("K9", "P2"), "K9")


# -- explanations -----------------------------------------------------------------------------
def chain(links) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(link.rel, link.src[1], link.dst[1]) for link in links]


def test_explain_customer_is_the_shortest_chain_of_records(load_graph: LoadGraph) -> None:
    r = load_graph(packed_plant()).forward(lot="R1")
    assert chain(r.explain("Customer", "CUST-HOSP")) == [
        ("CONSUMED_INTO", "R1", "SA1"), ("CONSUMED_INTO", "SA1", "F1"), ("HAS_SERIAL", "F1", "S1"),
        ("PACKED_IN", "S1", "K1"), ("SHIPPED_IN", "K1", "SH-K1"), ("SHIPPED_TO", "SH-K1", "CUST-HOSP")]
    links = r.explain("Shipment", "SH-P1")
    assert chain(links) == [
        ("CONSUMED_INTO", "R1", "SA1"), ("CONSUMED_INTO", "SA1", "F1"), ("HAS_SERIAL", "F1", "S2"),
        ("PACKED_IN", "S2", "K2"), ("PACKED_IN", "K2", "P1"), ("SHIPPED_IN", "P1", "SH-P1")]
    assert links[3].props == {"packed_at": canonical_time(3), "unpacked_at": None}


def test_explain_shipment_of_reused_pallet_uses_what_was_on_it(load_graph: LoadGraph) -> None:
    r = load_graph(reused_pallet_plant()).forward(lot="F1")
    assert chain(r.explain("Shipment", "SH-2")) == [
        ("HAS_SERIAL", "F1", "S2"), ("PACKED_IN", "S2", "K2"), ("PACKED_IN", "K2", "P9"), ("SHIPPED_IN", "P9", "SH-2")]
    assert chain(r.explain("Shipment", "SH-1")) == [
        ("HAS_SERIAL", "F1", "S1"), ("PACKED_IN", "S1", "K1"), ("PACKED_IN", "K1", "P9"), ("SHIPPED_IN", "P9", "SH-1")]


def test_explain_from_supplier_material_and_container_starts(load_graph: LoadGraph) -> None:
    t = packed_plant()
    g = load_graph(t)
    assert chain(g.forward(supplier="SUP-A").explain("Serial", "S2")) == [
        ("SUPPLIED", "SUP-A", "R1"), ("CONSUMED_INTO", "R1", "SA1"), ("CONSUMED_INTO", "SA1", "F1"),
        ("HAS_SERIAL", "F1", "S2")]
    assert chain(g.forward(material="SCREW").explain("Lot", "F2")) == [
        ("OF_ITEM", "R3", "SCREW"), ("CONSUMED_INTO", "R3", "F2")]
    assert g.forward(material="SCREW").explain("Material", "SCREW") == []
    assert g.forward(supplier="SUP-A").explain("Supplier", "SUP-A") == []
    # from pallet P1: S1 was in K1 while K1 was on P1 (S2 is as near; ties go to the smaller id)
    assert chain(g.backward(container="P1").explain("Lot", "F1")) == [
        ("PACKED_IN", "K1", "P1"), ("PACKED_IN", "S1", "K1"), ("HAS_SERIAL", "F1", "S1")]
    assert chain(g.forward(container="P1").explain("Container", "K2")) == [("PACKED_IN", "K2", "P1")]


def test_explain_steps_and_inspections(load_graph: LoadGraph) -> None:
    g = load_graph(plant())
    forward = g.forward(lot="R1")
    assert chain(forward.explain("ProcessStep", "ST-F1")) == [
        ("CONSUMED_INTO", "R1", "SA1"), ("CONSUMED_INTO", "SA1", "F1")]
    assert chain(forward.explain("ProcessStep", "ST-SA1")) == [("CONSUMED_INTO", "R1", "SA1")]
    assert chain(forward.explain("Inspection", "I-F1")) == [
        ("CONSUMED_INTO", "R1", "SA1"), ("CONSUMED_INTO", "SA1", "F1"), ("INSPECTS", "I-F1", "F1")]
    backward = g.backward(serial="S1")
    assert chain(backward.explain("Supplier", "SUP-A")) == [
        ("HAS_SERIAL", "F1", "S1"), ("CONSUMED_INTO", "SA1", "F1"), ("CONSUMED_INTO", "R1", "SA1"),
        ("SUPPLIED", "SUP-A", "R1")]
    assert chain(backward.explain("ProcessStep", "ST-F1")) == [
        ("HAS_SERIAL", "F1", "S1"), ("CONSUMED_INTO", "SA1", "F1")]


def test_explain_inspection_recorded_at_a_step_outside_the_trace(load_graph: LoadGraph) -> None:
    t = plant()
    t.inspect("I-S3", "S3", step="ST-SA1")  # recorded at a step of another branch
    r = load_graph(t).forward(lot="R2")
    assert "ST-SA1" not in r.ids["process_steps"]
    assert chain(r.explain("Inspection", "I-S3")) == [
        ("CONSUMED_INTO", "R2", "SA2"), ("CONSUMED_INTO", "SA2", "F2"), ("HAS_SERIAL", "F2", "S3"),
        ("INSPECTS", "I-S3", "S3")]


def test_explain_something_outside_the_trace_is_not_found(load_graph: LoadGraph) -> None:
    r = load_graph(plant()).forward(lot="R1")
    with pytest.raises(NotFound):
        r.explain("Lot", "F2")


# -- supplier exposure ------------------------------------------------------------------------
def test_supplier_exposure_and_sole_source(load_graph: LoadGraph) -> None:
    t = packed_plant()
    g = load_graph(t)
    b = g.supplier_exposure("SUP-B").as_dict()
    assert b == {"supplier_id": "SUP-B", "lots": ["F1", "F2", "R2", "R3", "SA1", "SA2"], "products": ["DEV"],
                 "finished_lots": ["F1", "F2"], "serials": ["S1", "S2", "S3"],
                 "customers": ["CUST-DIST", "CUST-HOSP"], "sole_source_materials": ["SCREW"]}
    a = g.supplier_exposure("SUP-A").as_dict()
    assert (a["finished_lots"], a["serials"], a["sole_source_materials"]) == (["F1"], ["S1", "S2"], [])


# -- limits and unknown ids -------------------------------------------------------------------
def chain_of_lots(n: int) -> Tables:
    t = Tables()
    for i in range(n):
        t.lot(f"L{i}", material="PART")
    for i in range(n - 1):
        t.consume(f"ST{i}", f"L{i}", f"L{i + 1}")
    return t


def test_depth_limit_raises_rather_than_cutting(load_graph: LoadGraph) -> None:
    g = load_graph(chain_of_lots(6))  # L0 .. L5: five hops
    assert len(TraceEngine(g.store, Limits(max_depth=5)).forward(TraceStart(lots=("L0",))).ids["lots"]) == 6
    with pytest.raises(LimitExceeded):
        TraceEngine(g.store, Limits(max_depth=4)).forward(TraceStart(lots=("L0",)))
    with pytest.raises(LimitExceeded):
        TraceEngine(g.store, Limits(max_depth=4)).backward(TraceStart(lots=("L5",)))


def test_result_limit_raises(load_graph: LoadGraph) -> None:
    g = load_graph(chain_of_lots(6))
    with pytest.raises(LimitExceeded):
        TraceEngine(g.store, Limits(max_results=5)).forward(TraceStart(lots=("L0",)))


def test_container_nesting_limit_raises(load_graph: LoadGraph) -> None:
    t = plant()
    t.pack("S1", "C0", 0)
    for i in range(5):
        t.pack(f"C{i}", f"C{i + 1}", 0)
    g = load_graph(t)
    assert "C5" in TraceEngine(g.store, Limits(max_depth=6)).forward(TraceStart(serials=("S1",))).ids["containers"]
    with pytest.raises(LimitExceeded):
        TraceEngine(g.store, Limits(max_depth=4)).forward(TraceStart(serials=("S1",)))


@pytest.mark.parametrize("start", [{"lot": "NOPE"}, {"serial": "NOPE"}, {"container": "NOPE"},
                                   {"supplier": "NOPE"}, {"material": "NOPE"}, {"lot": ["R1", "NOPE"]}])
def test_unknown_start_ids_are_not_found(load_graph: LoadGraph, start: dict[str, object]) -> None:
    g = load_graph(plant())
    with pytest.raises(NotFound, match="NOPE"):
        g.forward(**start)  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="NOPE"):
        g.recall_scope(**{k + "s": v for k, v in start.items()})  # type: ignore[arg-type]


@pytest.mark.parametrize("start", [{"lot": 1}, {"serial": [1, 2]}, {"lot": ["R1", 7.0]}])
def test_start_ids_that_are_not_text_are_bad_input(load_graph: LoadGraph, start: dict[str, object]) -> None:
    """A numeric id column read by pandas gives numbers: 123 would never match "00123", so it is refused."""
    g = load_graph(plant())
    name = next(iter(start))
    with pytest.raises(BadInput, match=f"{name}: ids are text, not (int|float)"):
        g.forward(**start)  # type: ignore[arg-type]


def test_start_ids_are_in_their_groups(load_graph: LoadGraph) -> None:
    t = plant()
    t.material("UNUSED")  # a material no lot is of
    t.supplier("IDLE")  # a supplier with no lots
    g = load_graph(t)
    assert ids(g.forward(material="UNUSED"), "materials", "lots") == {"materials": {"UNUSED"}, "lots": set()}
    assert ids(g.forward(supplier="IDLE"), "suppliers", "lots") == {"suppliers": {"IDLE"}, "lots": set()}


def test_explain_from_container_counts_the_packing_links(load_graph: LoadGraph) -> None:
    """Lot A is nested deeper in the start pallet than lot B: the chain to X goes through B."""
    t = Tables()
    t.lot("A", material="RESIN")
    t.lot("B", material="RESIN")
    t.lot("X", material="PART")
    t.make("ST1", ["A", "B"], "X")
    t.pack("A", "K1", 0)
    t.pack("K1", "P1", 0)
    t.pack("B", "P1", 0)
    r = load_graph(t).forward(container="P1")
    assert chain(r.explain("Lot", "X")) == [("PACKED_IN", "B", "P1"), ("CONSUMED_INTO", "B", "X")]
    assert chain(r.explain("Lot", "A")) == [("PACKED_IN", "K1", "P1"), ("PACKED_IN", "A", "K1")]


def test_times_written_before_years_were_padded_order_as_time(store) -> None:  # type: ignore[no-untyped-def]
    """One time rule for traces, explanations and what a customer received: a store written by an older
    version holds the year 999 as "999-...", which sorts after "1500-..." as text but is earlier."""
    from tracegraph.store import Batch, Edge
    lot, case, shipment, customer = ("Lot", "L1"), ("Container", "CASE"), ("Shipment", "SH1"), ("Customer", "C1")
    store.write(Batch(
        nodes={"Lot": [{"lot_id": "L1"}], "Container": [{"container_id": "CASE"}], "Customer": [{"customer_id": "C1"}],
               "Shipment": [{"shipment_id": "SH1", "customer_id": "C1", "shipped_at": "1500-01-01T00:00:00.000Z"}]},
        edges={"PACKED_IN": [Edge("PACKED_IN", lot, case, {"packed_at": "999-06-01T00:00:00.000Z"})],
               "SHIPPED_IN": [Edge("SHIPPED_IN", case, shipment)], "SHIPPED_TO": [Edge("SHIPPED_TO", shipment, customer)]}))
    engine = TraceEngine(store)
    trace = engine.forward(TraceStart(lots=("L1",)))
    assert (trace.ids["shipments"], trace.ids["customers"]) == (["SH1"], ["C1"])
    assert [link.rel for link in trace.explain("Customer", "C1")] == ["PACKED_IN", "SHIPPED_IN", "SHIPPED_TO"]
    assert engine.received("C1") == [lot]


def test_a_packing_without_packed_at_holds_from_the_beginning(store) -> None:  # type: ignore[no-untyped-def]
    """A packing written to the store without a time (loaders refuse one) holds from the beginning, as the
    empty text always sorted first; what it nests in is explained through it."""
    from tracegraph.store import Batch, Edge
    lot, case, pallet = ("Lot", "L1"), ("Container", "K"), ("Container", "P")
    store.write(Batch(
        nodes={"Lot": [{"lot_id": "L1"}], "Container": [{"container_id": "K"}, {"container_id": "P"}]},
        edges={"PACKED_IN": [Edge("PACKED_IN", lot, case, {"packed_at": ""}),
                             Edge("PACKED_IN", case, pallet, {"packed_at": canonical_time(5)})]}))
    trace = TraceEngine(store).forward(TraceStart(lots=("L1",)))
    assert sorted((h.container, h.start, h.level) for h in trace.held) == [("K", "", 1), ("P", canonical_time(5), 2)]
    assert [(link.src, link.dst) for link in trace.explain("Container", "P")] == [(lot, case), (case, pallet)]


def test_an_unknown_kind_is_named_with_the_kinds_there_are(load_graph: LoadGraph) -> None:
    g = load_graph(plant())
    with pytest.raises(NotFound, match="unknown kind 'customer'; kinds: Supplier, .*Customer"):
        g.record("customer", "CUST-HOSP")
    with pytest.raises(BadInput, match="unknown kind 'lot'; kinds: Supplier, .*Lot"):
        g.forward(lot="R1").explain("lot", "F1")
