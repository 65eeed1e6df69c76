"""The engine against the independent oracle on hundreds of random genealogies and the generator's plant.

Every group of every trace must be equal as a set; recall whereabouts, per-customer counts and what
each customer received must be equal; sampled explanations must be time-consistent walks of real records and as short as the
oracle's shortest chain.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from canonical import Tables
from oracle import Oracle, chain_problem
from randomgraphs import random_starts, random_tables

from tracegraph import Graph, TraceStart
from tracegraph.generate import generate
from tracegraph.loaders.tables import read_table
from tracegraph.trace import GROUPS, TraceResult

RANDOM_GRAPHS = 250
SHORTEST_GROUPS = ("lots", "serials", "containers", "shipments", "customers")


def _start(start: dict[str, list[str]]) -> TraceStart:
    return TraceStart(**{group: tuple(keys) for group, keys in start.items()})


def _diff(engine: dict[str, list[str]], oracle: dict[str, set[str]]) -> dict[str, Any]:
    return {g: {"engine only": sorted(set(engine[g]) - oracle[g]), "oracle only": sorted(oracle[g] - set(engine[g]))}
            for g in GROUPS if set(engine[g]) != oracle[g]}


def _shortest(oracle: Oracle, dist: dict[Any, int], start: dict[str, list[str]], result: TraceResult, group: str,
              key: str) -> int:
    if group in ("lots", "serials"):
        return dist[("Lot" if group == "lots" else "Serial", key)]
    if group == "containers":
        from_start = [0 if key == c else oracle.nesting_hops_down(c).get(("Container", key))
                      for c in start.get("containers", [])]
        via_items = [oracle.shortest_to_container(dist, key)] if any(
            item in dist for item in oracle.nesting_hops_down(key)) else []
        return min([h for h in from_start if h is not None] + via_items)
    if group == "shipments":
        return oracle.shortest_to_shipment(dist, key, start)
    return 1 + min(oracle.shortest_to_shipment(dist, s, start) for s in result.ids["shipments"]
                   if oracle.shipments[s][0] == key)


def check_explanations(oracle: Oracle, direction: str, start: dict[str, list[str]], result: TraceResult,
                       rng: random.Random) -> None:
    dist = oracle.distances(direction, start)
    for group in GROUPS:
        for key in rng.sample(result.ids[group], min(2, len(result.ids[group]))):
            kind = {"lots": "Lot", "serials": "Serial", "containers": "Container", "shipments": "Shipment",
                    "customers": "Customer", "suppliers": "Supplier", "process_steps": "ProcessStep",
                    "materials": "Material", "products": "Product", "inspections": "Inspection"}[group]
            chain = result.explain(kind, key)
            problem = chain_problem(oracle, start, (kind, key), chain)
            assert problem is None, f"explain {kind} {key} from {start} ({direction}): {problem}\n{chain}"
            if group in SHORTEST_GROUPS and (group in ("lots", "serials") or not start.get("containers")):
                assert len(chain) == _shortest(oracle, dist, start, result, group, key), (
                    f"explain {kind} {key} from {start} ({direction}) is not a shortest chain: {chain}")


def compare(graph: Graph, tables: dict[str, list[dict[str, Any]]], questions: list[tuple[str, dict[str, list[str]]]],
            rng: random.Random) -> None:
    oracle = Oracle(tables)
    for question, start in questions:
        where = f"{question} from {start}"
        if question == "recall":
            scope = graph.engine.recall_scope(_start(start))
            groups, whereabouts, by_customer = oracle.recall(start)
            assert _diff(scope.trace.ids, groups) == {}, where
            engine_where = {ref: {"status": w.status, "customers": list(w.customers), "shipments": list(w.shipments),
                                  "consumed_into": list(w.consumed_into), "containers": list(w.containers),
                                  "remaining": w.remaining}
                            for ref, w in scope.whereabouts.items()}
            assert engine_where == whereabouts, where
            assert scope.by_customer == by_customer, where
            continue
        result = graph.engine.forward(_start(start)) if question == "forward" else graph.engine.backward(_start(start))
        assert _diff(result.ids, oracle.trace(question, start)) == {}, where
        check_explanations(oracle, question, start, result, rng)
    for customer in sorted(oracle.shipments[s][0] for s in oracle.shipments):
        assert graph.engine.received(customer) == sorted(oracle.received(customer)), f"received by {customer}"


@pytest.mark.parametrize("seed", range(RANDOM_GRAPHS))
def test_random_genealogy(seed: int, load_graph: Callable[..., Graph]) -> None:
    tables: Tables = random_tables(seed)
    graph = load_graph(tables)
    rng = random.Random(seed)
    compare(graph, tables.rows, random_starts(rng, tables), rng)


def test_generated_plant(load_graph: Callable[..., Graph], tmp_path: Path) -> None:
    """The project's own generator at a small size: realistic volumes of every shape at once."""
    generate(tmp_path / "plant", 1500, seed=11)
    rows = {p.stem: [{k: "" if v is None else str(v) for k, v in r.items()} for r in read_table(p)]
            for p in sorted((tmp_path / "plant").glob("*.csv"))}
    graph = load_graph(rows)
    rng = random.Random(11)
    lots = [r["lot_id"] for r in rows["lots"]]
    serials = [r["serial_id"] for r in rows["serials"]]
    containers = sorted({r["container_id"] for r in rows["packing"]})
    questions: list[tuple[str, dict[str, list[str]]]] = []
    for _ in range(6):
        questions += [("forward", {"lots": [rng.choice(lots)]}), ("backward", {"serials": [rng.choice(serials)]}),
                      ("forward", {"containers": [rng.choice(containers)]}),
                      ("backward", {"lots": [rng.choice(lots)]}),
                      ("recall", {"lots": rng.sample(lots, 2)})]
    questions += [("forward", {"suppliers": [rows["suppliers"][0]["supplier_id"]]}),
                  ("forward", {"materials": [rows["lots"][0]["item_id"]]})]
    compare(graph, rows, questions, rng)
