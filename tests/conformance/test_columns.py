"""Full rows as columns say what the object answers say, on every backend.

``TraceResult.columns(group)`` must hold exactly the records ``records(group)`` returns, field by field
and in the same order; ``RecallScope.affected_columns()`` must say of each item what its
``whereabouts`` say (which the engine-vs-oracle suite checks against an independent computation).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from randomgraphs import random_starts, random_tables

from tracegraph import Graph, TraceStart
from tracegraph.schema import KINDS
from tracegraph.store import Batch, Store
from tracegraph.store.columns import KIND_NAMES
from tracegraph.trace import GROUPS
from tracegraph.trace.model import KIND_OF_GROUP

RANDOM_GRAPHS = 40


def _rows(columns: dict[str, Any]) -> list[dict[str, Any]]:
    names = list(columns)
    return [dict(zip(names, values)) for values in zip(*(columns[n].tolist() for n in names))]


def _expected_affected(scope: Any) -> list[dict[str, Any]]:
    rows = []
    for (kind, key), w in sorted(scope.whereabouts.items()):
        rows.append({"kind": kind, "id": key, "status": w.status, "customers": ";".join(w.customers),
                     "shipments": ";".join(w.shipments), "container": w.container,
                     "consumed_into": ";".join(f"{k}:{i}" for k, i in w.consumed_into),
                     "containers": ";".join(w.containers), "remaining": w.remaining})
    return rows


def _same(found: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    def norm(row: dict[str, Any]) -> dict[str, Any]:
        return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
    return [norm(r) for r in found] == [norm(r) for r in expected]


@pytest.mark.parametrize("seed", range(RANDOM_GRAPHS))
def test_columns_hold_the_records_and_the_whereabouts(seed: int, load_graph: Callable[..., Graph]) -> None:
    tables = random_tables(seed)
    graph = load_graph(tables)
    rng = random.Random(seed)
    for question, start in random_starts(rng, tables):
        begin = TraceStart(**{g: tuple(k) for g, k in start.items()})
        if question == "backward":
            trace = graph.engine.backward(begin)
        else:  # a forward trace is a recall scope's trace
            scope = graph.engine.recall_scope(begin)
            assert _same(_rows(scope.affected_columns()), _expected_affected(scope)), (seed, start)
            trace = scope.trace
        for group in GROUPS:
            fields = [f.name for f in KINDS[KIND_OF_GROUP[group]].fields]
            expected = [{n: r.get(n) for n in fields} for r in trace.records(group)]
            assert _rows(trace.columns(group)) == expected, (seed, start, group)


def test_affected_columns_are_the_callers_to_change(load_graph: Callable[..., Graph]) -> None:
    """A recall scope keeps its affected table: a caller writing into the columns it got changes no later answer."""
    tables = random_tables(5)
    graph = load_graph(tables)
    lots = [r["lot_id"] for r in tables.rows["lots"]]  # every lot: the scope holds every item
    scope = graph.recall_scope(lots=lots)
    first = scope.affected_columns()
    expected = _rows(first)
    for column in first.values():
        column[:] = None if column.dtype == object else 0.0
    assert _same(_rows(scope.affected_columns()), expected)
    assert _same(_rows(graph.recall_scope(lots=lots).affected_columns()), expected)


def test_columns_read_the_store_as_it_is_now(load_graph: Callable[..., Graph]) -> None:
    """Like records(), columns read after a write see the write (the trace's own view is not reused)."""
    tables = random_tables(3)
    graph = load_graph(tables)
    lot = tables.rows["lots"][0]["lot_id"]
    trace = graph.forward(lot=lot)
    row = {**next(r for r in graph.store.get("Lot", [lot]).values()), "quantity": 12345.0}
    graph.store.write(Batch(nodes={"Lot": [row]}))
    lots = _rows(trace.columns("lots"))
    assert [r for r in lots if r["lot_id"] == lot][0]["quantity"] == 12345.0
    assert lots == [{n: r.get(n) for n in lots[0]} for r in trace.records("lots")]


def test_nodes_of_several_kinds_are_in_kind_then_key_order(load_graph: Callable[..., Graph]) -> None:
    """The order SQL's ORDER BY kind, key gives, on every view (the primitives view once used schema order,
    which puts Lot before Container)."""
    tables = random_tables(5)
    graph = load_graph(tables)
    view = graph.store.columns()
    refs = [("Lot", r["lot_id"]) for r in tables.rows["lots"]] + [
        ("Container", r["container_id"]) for r in tables.rows["packing"]] + [
        ("Customer", r["customer_id"]) for r in tables.rows["shipments"]]
    nids = view.nids(refs)
    assert len({kind for kind, _ in view.refs(nids)}) == 3
    assert view.refs(view.in_key_order(nids[::-1])) == sorted(set(view.refs(nids)))


def test_each_node_has_its_own_kind_as_a_view_numbers_more_and_more(store: Store) -> None:
    """kinds() says each node's kind however many nodes the view has numbered since it was last asked
    (hundreds here: past the room the primitives view starts with)."""
    kinds = ("Lot", "Serial", "Container", "Customer", "Asset")
    refs = [(kinds[i * 7 % len(kinds)], f"N{i:03}") for i in range(300)]
    batch = Batch()
    for kind, key in refs:
        batch.add_stub(kind, key)
    store.write(batch)
    view = store.columns()
    asked = []
    for at in range(0, len(refs), 37):
        nids = view.nids(refs[at:at + 37])
        answer = view.kinds(nids)
        asked.append((nids, answer))
        for nids, answer in asked:  # what it said before still holds
            assert [KIND_NAMES[code] for code in answer.tolist()] == [kind for kind, _ in view.refs(nids)]
    everything = view.nids(refs)
    assert sorted(zip(view.refs(everything), view.kinds(everything).tolist())) == sorted(
        (ref, KIND_NAMES.index(ref[0])) for ref in refs)
