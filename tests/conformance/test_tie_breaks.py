"""Ties between equally short explanations go to the smaller ids, never to a backend's edge order.

SQLite returns edges in insertion order and Neo4j by key: each genealogy below inserts the
larger id first, so an answer taken from the store's order differs from the one by ids.
"""

from __future__ import annotations

from collections.abc import Callable

from canonical import Tables, canonical_time

from tracegraph import Graph
from tracegraph.trace import Link

LoadGraph = Callable[[Tables], Graph]


def pairs(links: list[Link]) -> list[tuple[str, str]]:
    return [(link.src[1], link.dst[1]) for link in links]


def test_shipment_and_customer_are_explained_through_the_smaller_serial(load_graph: LoadGraph) -> None:
    t = Tables()
    t.lot("L1", product="P1", quantity=2)
    t.serial("S-B", product="P1", lot="L1")
    t.serial("S-A", product="P1", lot="L1")
    t.ship("SH1", "C1", 5, "S-B", "S-A")
    r = load_graph(t).forward(lot="L1")
    assert pairs(r.explain("Shipment", "SH1")) == [("L1", "S-A"), ("S-A", "SH1")]
    assert pairs(r.explain("Customer", "C1")) == [("L1", "S-A"), ("S-A", "SH1"), ("SH1", "C1")]


def test_container_start_enters_through_the_smaller_inner_container(load_graph: LoadGraph) -> None:
    t = Tables()
    t.lot("X", product="P1", quantity=2)
    t.pack("K-B", "P", 0, unpacked=10)
    t.pack("K-A", "P", 0, unpacked=10)
    t.pack("X", "K-B", 1, unpacked=2)
    t.pack("X", "K-A", 3, unpacked=4)
    r = load_graph(t).backward(container="P")
    assert pairs(r.explain("Lot", "X")) == [("K-A", "P"), ("X", "K-A")]


def test_parallel_edges_go_to_the_smaller_step_and_the_earlier_packing(load_graph: LoadGraph) -> None:
    t = Tables()
    t.lot("R", material="RESIN", quantity=10)
    t.lot("F", product="P1", quantity=1)
    t.consume("ST-B", "R", "F", quantity=1)
    t.consume("ST-A", "R", "F", quantity=1)
    t.pack("F", "K", 5, unpacked=6)
    t.pack("F", "K", 1, unpacked=2)
    r = load_graph(t).forward(lot="R")
    consumption = r.explain("Lot", "F")
    assert pairs(consumption) == [("R", "F")] and consumption[0].props["step_id"] == "ST-A"
    packing = r.explain("Container", "K")
    assert pairs(packing) == [("R", "F"), ("F", "K")] and packing[0].props["step_id"] == "ST-A"
    assert packing[1].props["packed_at"] == canonical_time(1)
