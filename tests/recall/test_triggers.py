"""Trigger resolution checked against the generated source tables (read with the csv module)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tracegraph.errors import BadInput, NotFound
from tracegraph.schema import normalize_datetime
from tracegraph.trace import TraceStart
from tracegraph.trace.triggers import RecallTrigger, resolve_trigger


def _start(lots: Any = (), serials: Any = ()) -> TraceStart:
    return TraceStart(lots=tuple(sorted(set(lots))), serials=tuple(sorted(set(serials))))


def _outputs(table: Any, steps: set[str], item: str | None = None) -> TraceStart:
    lot_item = {r["lot_id"]: r["item_id"] for r in table("lots")}
    outs = [(r["output_type"], r["output_id"]) for r in table("consumptions") if r["step_id"] in steps]
    outs = [(t, k) for t, k in outs if item is None or (t == "lot" and lot_item[k] == item)]
    return _start([k for t, k in outs if t == "lot"], [k for t, k in outs if t == "serial"])


def test_lots_and_serials(graph: Any) -> None:
    lots = ("RL-0000002", "RL-0000001", "RL-0000002")
    assert resolve_trigger(graph.store, RecallTrigger("lots", lots)) == TraceStart(lots=("RL-0000001", "RL-0000002"))
    serial = next(iter(graph.store.keys("Serial")))
    assert resolve_trigger(graph.store, RecallTrigger("serials", (serial,))) == TraceStart(serials=(serial,))
    with pytest.raises(NotFound, match="no Lot with id 'NOPE'"):
        resolve_trigger(graph.store, RecallTrigger("lots", ("RL-0000001", "NOPE")))


def test_supplier_lots_in_a_window(graph: Any, table: Any) -> None:
    lots = table("lots")
    supplier = Counter(r["supplier_id"] for r in lots if r["supplier_id"]).most_common(1)[0][0]
    own = sorted((r["created_at"], r["lot_id"]) for r in lots if r["supplier_id"] == supplier)
    since, until = own[1][0], own[-2][0]  # drop the first and last lot: bounds are [since, until)
    expected = _start([k for t, k in own if since <= t < until])
    got = resolve_trigger(graph.store, RecallTrigger("supplier", (supplier,), since, until))
    assert got == expected and own[0][1] not in got.lots and own[1][1] in got.lots and own[-2][1] not in got.lots
    assert resolve_trigger(graph.store, RecallTrigger("supplier", (supplier,))) == _start([k for _, k in own])


def test_material(graph: Any, table: Any) -> None:
    material = table("lots")[0]["item_id"]
    got = resolve_trigger(graph.store, RecallTrigger("material", (material,)))
    assert got == TraceStart(materials=(material,))
    own = {r["lot_id"] for r in table("lots") if r["item_id"] == material}
    assert own and set(graph.engine.forward(got).ids["lots"]) >= own


def test_equipment_in_a_window(graph: Any, table: Any) -> None:
    steps = table("process_steps")
    equipment = Counter(r["equipment_id"] for r in steps).most_common(1)[0][0]
    mine = sorted((r["started_at"], r["ended_at"], r["step_id"]) for r in steps if r["equipment_id"] == equipment)
    assert len(mine) >= 3
    since, until = mine[1][0], mine[-1][0]  # the last step starts at until, so it is out
    overlapping = {s for start, end, s in mine
                   if normalize_datetime(start) < normalize_datetime(until)
                   and normalize_datetime(end) > normalize_datetime(since)}
    assert 0 < len(overlapping) < len(mine)
    got = resolve_trigger(graph.store, RecallTrigger("equipment", (equipment,), since, until))
    assert got == _outputs(table, overlapping)


@pytest.mark.parametrize("kind", ["bom_revision", "process_revision"])
def test_revision_narrowed_to_an_item(graph: Any, table: Any, kind: str) -> None:
    steps = table("process_steps")
    revision = steps[-1][kind]
    with_revision = {r["step_id"] for r in steps if r[kind] == revision}
    assert resolve_trigger(graph.store, RecallTrigger(kind, (revision,))) == _outputs(table, with_revision)
    made = _outputs(table, with_revision).lots
    item = next(r["item_id"] for r in table("lots") if r["lot_id"] == made[-1])
    narrowed = resolve_trigger(graph.store, RecallTrigger(kind, (revision,), item=item))
    assert narrowed == _outputs(table, with_revision, item) and 0 < len(narrowed.lots) < len(made)


def test_failed_inspection_characteristic(graph: Any, table: Any) -> None:
    failed = [r for r in table("inspections") if r["result"] == "fail"]
    assert failed, "the generated plant has failed inspections"
    expected = _start([r["subject_id"] for r in failed if r["subject_type"] == "lot"],
                      [r["subject_id"] for r in failed if r["subject_type"] == "serial"])
    assert resolve_trigger(graph.store, RecallTrigger("inspection", ("diameter_mm",))) == expected


def test_triggers_that_match_nothing_or_are_malformed(graph: Any) -> None:
    with pytest.raises(NotFound, match="matches no lots"):
        resolve_trigger(graph.store, RecallTrigger("equipment", ("EQ-NOPE",)))
    with pytest.raises(NotFound, match="no Supplier"):
        resolve_trigger(graph.store, RecallTrigger("supplier", ("SUP-NOPE",)))
    with pytest.raises(NotFound, match="matches no lots"):
        resolve_trigger(graph.store, RecallTrigger("inspection", ("no_such_characteristic",)))
    with pytest.raises(BadInput, match="window is empty"):
        RecallTrigger("equipment", ("EQ-001",), "2025-02-01", "2025-01-01")
    with pytest.raises(BadInput, match="not an ISO 8601"):
        RecallTrigger("equipment", ("EQ-001",), "yesterday")
    with pytest.raises(BadInput, match="unknown trigger kind"):
        RecallTrigger("weather", ("rain",))  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="exactly one"):
        RecallTrigger("supplier", ("A", "B"))


@pytest.mark.parametrize(("kind", "extra", "refused"), [
    ("lots", {"since": "2025-01-01"}, "window"),
    ("serials", {"until": "2025-06-01"}, "window"),
    ("material", {"since": "2025-01-01", "until": "2025-06-01"}, "window"),
    ("bom_revision", {"since": "2025-01-01"}, "window"),
    ("lots", {"item": "RM-00001"}, "item"),
    ("supplier", {"item": "RM-00001"}, "item"),
    ("material", {"item": "RM-00001"}, "item"),
    ("inspection", {"item": "RM-00001"}, "item"),
])
def test_a_window_or_item_the_trigger_would_ignore_is_refused(graph: Any, table: Any, kind: str,
                                                              extra: dict[str, str], refused: str) -> None:
    """The recall record states its trigger ("lots RL-1 from 2025-01-01 until now"); a bound the resolution
    ignores would make it claim a narrower recall than the scope is, so opening refuses it."""
    ids = {"lots": table("lots")[0]["lot_id"], "serials": table("serials")[0]["serial_id"],
           "material": table("lots")[0]["item_id"], "bom_revision": table("process_steps")[0]["bom_revision"],
           "supplier": next(r["supplier_id"] for r in table("lots") if r["supplier_id"]),
           "inspection": "diameter_mm"}[kind]
    svc = graph.recalls("alice")
    with pytest.raises(BadInput, match=f"a {kind} trigger takes no {refused}"):
        svc.open(RecallTrigger(kind, (ids,), **extra), "x", "II")  # type: ignore[arg-type]
    assert svc.recalls() == []
    svc.open(RecallTrigger(kind, (ids,)), "x", "II")  # the same trigger without it opens
