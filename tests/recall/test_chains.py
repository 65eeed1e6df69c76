"""A scope version's explaining chains come from one batched engine call (``explain_many``); every
chain must be exactly the one the per-record ``explain`` gives on an independently computed trace."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from canonical import write_csv
from randomgraphs import random_starts, random_tables

import tracegraph
from tracegraph.store import NodeRef
from tracegraph.trace import TraceResult, TraceStart
from tracegraph.trace.model import KIND_OF_GROUP
from tracegraph.trace.triggers import RecallTrigger, resolve_trigger

CHAINED = ("lots", "serials", "containers", "shipments", "customers")  # every reached one has a chain


def _targets(trace: TraceResult) -> list[NodeRef]:
    return [(KIND_OF_GROUP[g], key) for g in CHAINED for key in trace.ids[g]]


def test_explain_many_equals_explain_per_record_on_random_genealogies(tmp_path: Path) -> None:
    compared = 0
    for seed in range(30):
        tables = random_tables(seed)
        with tracegraph.connect(str(tmp_path / f"{seed}.db")) as g:
            assert g.load_tables(write_csv(tmp_path / f"t{seed}", tables.rows)).rejected == []
            for question, start in random_starts(random.Random(seed), tables):
                begin = TraceStart(**{group: tuple(keys) for group, keys in start.items()})
                trace = g.engine.backward if question == "backward" else g.engine.forward
                targets = _targets(trace(begin))
                batched = trace(begin).explain_many(targets)
                one_by_one = trace(begin)
                assert list(batched) == targets, (seed, start)
                # in reverse order, so that no chain is remembered from the same path as in the batch
                assert {t: one_by_one.explain(*t) for t in reversed(targets)} == batched, (seed, question, start)
                for t in random.Random(seed).sample(targets, min(3, len(targets))):  # each on a fresh trace
                    assert trace(begin).explain(*t) == batched[t], (seed, question, start, t)
                compared += len(targets)
    assert compared > 3000, compared


def test_scope_version_chains_equal_the_per_record_explanations(graph: Any) -> None:
    svc = graph.recalls("alice")
    lot = max(k for k in graph.store.keys("Lot") if k.startswith("FL-"))
    sizes = []
    for trigger in (RecallTrigger("lots", (lot,)), RecallTrigger("supplier", (next(iter(graph.store.keys("Supplier"))),))):
        recall = svc.open(trigger, "chain check", "II")
        snapshot, _ = svc.scope(recall.recall_id)
        trace = graph.engine.forward(resolve_trigger(graph.store, trigger))
        expected = {f"{kind}:{key}": [link.as_dict() for link in trace.explain(kind, key)]
                    for kind, group in (("Customer", "customers"), ("Shipment", "shipments"), ("Lot", "lots"))
                    for key in trace.ids[group]}
        assert snapshot.chains == expected
        sizes.append(len(expected))
    assert sizes[0] >= 3 and sizes[1] > 20, sizes
