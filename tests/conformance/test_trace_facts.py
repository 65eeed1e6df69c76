"""The facts the embedded store keeps for every lot and serial (:mod:`tracegraph.trace.facts`) answer as the
facts worked out for one trace's items do.

The same database is asked through the in-memory index's view, which works out every item's containment,
shipments, customers, context and whereabouts once and gathers a trace's rows from them, and through the
view built on the store's primitives (Neo4j's), which works them out for the reached items alone. On random
graphs every group, containment row, shipment link, explanation, whereabouts, count per customer and
affected row must agree exactly. The limits on container nesting hold on both, whatever the kept facts hold.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from backends import PrimitiveColumnsStore
from canonical import Tables, load_into
from randomgraphs import random_starts, random_tables

from tracegraph import Graph, TraceStart
from tracegraph.errors import LimitExceeded
from tracegraph.store import SQLiteStore
from tracegraph.trace import GROUPS
from tracegraph.trace.model import KIND_OF_GROUP, Limits

RANDOM_GRAPHS = 30


def _affected(scope: Any) -> list[tuple[Any, ...]]:
    columns = scope.affected_columns()
    nan_free = {n: [None if isinstance(v, float) and math.isnan(v) else v for v in c.tolist()]
                for n, c in columns.items()}
    return list(zip(*nan_free.values()))


def _explained(trace: Any) -> dict[tuple[str, str], list[Any]]:
    """A few reached records of every group, each with its explaining chain."""
    targets = [(KIND_OF_GROUP[g], key) for g in GROUPS for key in trace.ids[g][:3]]
    return trace.explain_many(targets)


@pytest.mark.parametrize("seed", range(RANDOM_GRAPHS))
def test_kept_facts_answer_as_facts_per_trace(seed: int, tmp_path: Path) -> None:
    tables = random_tables(seed)
    indexed = SQLiteStore(tmp_path / "facts.db")
    load_into(indexed, tables, tmp_path / "tables")
    primitives = PrimitiveColumnsStore(tmp_path / "facts.db", read_only=True)
    kept, per_trace = Graph(indexed).engine, Graph(primitives).engine
    rng = random.Random(seed)
    try:
        for question, start in random_starts(rng, tables):
            begin = TraceStart(**{g: tuple(k) for g, k in start.items()})
            if question == "backward":
                a, b = kept.backward(begin), per_trace.backward(begin)
                assert a.as_dict() == b.as_dict(), (seed, start)
                continue
            sa, sb = kept.recall_scope(begin), per_trace.recall_scope(begin)
            a, b = sa.trace, sb.trace
            assert a.as_dict() == b.as_dict(), (seed, start)
            assert sorted(a.held) == sorted(b.held), (seed, start)
            assert {s: sorted(links) for s, links in a.carried.items()} == \
                {s: sorted(links) for s, links in b.carried.items()}, (seed, start)
            assert sa.by_customer == sb.by_customer, (seed, start)
            end = len(sa.affected_refs)
            pages = [(0, 1), (1, 4), (3, end + 5), (end, end + 2)]
            paged = [(sa.whereabouts_between(i, j), sb.whereabouts_between(i, j)) for i, j in pages]  # objects
            # of these alone, before every item's are made (then a page is a slice of them)
            assert sa.whereabouts == sb.whereabouts, (seed, start)
            everything = list(sa.whereabouts.values())
            assert paged == [(everything[i:j], everything[i:j]) for i, j in pages], (seed, start)
            assert [sa.whereabouts_between(i, j) for i, j in pages] == [everything[i:j] for i, j in pages]
            assert sa.affected_refs == sorted(sa.affected_refs) == [f"{k}:{v}" for k, v in sa.whereabouts]
            assert _affected(sa) == _affected(sb), (seed, start)
            assert _explained(a) == _explained(b), (seed, start)
    finally:
        indexed.close()
        primitives.close()


def _nested(depth: int) -> Tables:
    """A serial in a case inside ``depth - 1`` more containers, each in the next; a lot packed nowhere."""
    t = Tables()
    t.product("P")
    t.lot("L1", product="P")
    t.serial("S1", product="P", lot="L1")
    t.lot("L2", product="P")
    t.pack("S1", "C0", 1)
    for level in range(1, depth):
        t.pack(f"C{level - 1}", f"C{level}", 1 + level)
    return t


def test_containers_nested_past_the_limit_stop_the_trace_that_reaches_them(
        load_graph: Callable[..., Graph]) -> None:
    graph = load_graph(_nested(Limits().max_depth + 6))
    with pytest.raises(LimitExceeded, match=f"containers nest deeper than the limit of {Limits().max_depth}$"):
        graph.engine.forward(TraceStart(lots=("L1",)))
    assert graph.engine.forward(TraceStart(lots=("L2",))).ids["lots"] == ["L2"]  # the rest of the graph answers
    deeper = graph.engine.forward(TraceStart(lots=("L1",)), Limits(max_depth=100))
    assert len(deeper.ids["containers"]) == 70
    with pytest.raises(LimitExceeded, match="containers nest deeper than the limit of 3$"):
        graph.engine.forward(TraceStart(lots=("L1",)), Limits(max_depth=3))


def test_a_write_gives_the_next_recall_new_facts(load_graph: Callable[..., Graph], tmp_path: Path) -> None:
    """The kept facts belong to one version of the graph: a shipment loaded after a recall is in the next."""
    t = _nested(2)
    graph = load_graph(t)
    before = graph.recall_scope(lots=["L1"])
    assert before.by_customer == {} and before.whereabouts[("Serial", "S1")].status == "in_stock"
    t.ship("SH1", "CUST1", 10, "C1")
    load_into(graph.store, t, tmp_path / "with a shipment")
    after = graph.recall_scope(lots=["L1"])
    assert after.by_customer == {"CUST1": {"lots": 0, "serials": 1, "shipments": 1, "lot_quantity": 0.0}}
    assert after.whereabouts[("Serial", "S1")].status == "shipped"


@pytest.mark.parametrize("seed", range(5))
def test_related_rows_give_every_node_of_a_run_of_items(seed: int) -> None:
    """A trace reads the nodes related to its items as the first row of each run of consecutive items and the
    others' nodes new since the row before (:class:`~tracegraph.trace.columns.Related`): the same set as every
    row read whole, on rows where neighbours share most nodes and on rows that share none."""
    import numpy as np

    from tracegraph.trace.columns import Related
    rng = np.random.default_rng(seed)
    count = 300
    shared = rng.integers(0, 40, count) // 3  # neighbours mostly name the same few nodes, and repeat them
    pairs = [(np.arange(count), shared), (np.arange(count), shared),
             (rng.integers(0, count, 500), rng.integers(0, 10_000, 500))]
    related = Related.of(count, pairs)
    rows: dict[int, set[int]] = {}
    for at, nodes in pairs:
        for i, node in zip(at.tolist(), nodes.tolist()):
            rows.setdefault(i, set()).add(node)
    for size in (0, 1, 2, 50, 299, 300):
        positions = np.sort(rng.choice(count, size, replace=False))
        if size > 2:  # and a long run of consecutive items
            start = int(rng.integers(0, count - size // 2))
            positions = np.unique(np.concatenate([positions, np.arange(start, start + size // 2)]))
        found = related.union(positions)
        assert set(found.tolist()) == set().union(*(rows.get(i, set()) for i in positions.tolist()))
    assert related.new_nodes.size < related.nodes.size  # neighbours share nodes: the new ones are fewer
