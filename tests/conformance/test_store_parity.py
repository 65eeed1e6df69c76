"""The Store primitives themselves on every backend: same answers and same domain errors for the same call."""

from __future__ import annotations

import pytest
from backends import Backend

from tracegraph.errors import BadInput, StoreError
from tracegraph.store import Store
from tracegraph.store.base import Batch, Edge


def _stubs(*refs: tuple[str, str]) -> Batch:
    batch = Batch()
    for kind, key in refs:
        batch.add_stub(kind, key)
    return batch


@pytest.mark.parametrize("edge", [
    Edge("HAS_SERIAL", ("Serial", "S1"), ("Lot", "L1")),  # the relationship's kinds reversed
    Edge("HAS_SERIAL", ("Customer", "C1"), ("Lot", "L1")),  # a kind the relationship never joins
], ids=["reversed", "foreign-kind"])
def test_an_edge_between_kinds_its_relationship_does_not_allow_rolls_the_batch_back(store: Store, edge: Edge) -> None:
    batch = _stubs(("Lot", "L1"), ("Serial", "S1"), ("Customer", "C1"))
    batch.add_edge(edge)
    with pytest.raises(StoreError, match=f"^HAS_SERIAL cannot link {edge.src[0]} '{edge.src[1]}' to Lot 'L1'$"):
        store.write(batch)
    assert store.counts()["Lot"] == 0 and store.counts()["HAS_SERIAL"] == 0


def test_an_allowed_edge_is_written(store: Store) -> None:
    batch = _stubs(("Lot", "L1"), ("Serial", "S1"))
    batch.add_edge(Edge("HAS_SERIAL", ("Lot", "L1"), ("Serial", "S1")))
    store.write(batch)
    assert store.neighbours("HAS_SERIAL", [("Lot", "L1")], "out") == {("Serial", "S1")}


def _chain(store: Store, length: int = 5) -> None:
    """Lots L0 -> L1 -> ... consumed one into the next."""
    batch = _stubs(*(("Lot", f"L{i}") for i in range(length)))
    for i in range(length - 1):
        batch.add_edge(Edge("CONSUMED_INTO", ("Lot", f"L{i}"), ("Lot", f"L{i + 1}"), {"step_id": f"P{i}"}))
    store.write(batch)


def test_reach_stops_one_hop_past_max_depth_and_ignores_missing_and_unknown_seeds(store: Store) -> None:
    _chain(store)
    seeds = [("Lot", "L0"), ("Lot", "NOPE"), ("Bogus", "x")]
    # L2 sits at exactly max_depth, L3 at max_depth + 1 (so a caller sees the graph is deeper), L4 beyond
    assert store.reach(seeds, ["CONSUMED_INTO"], "out", 2) == {("Lot", "L0"): 0, ("Lot", "L1"): 1,
                                                                ("Lot", "L2"): 2, ("Lot", "L3"): 3}
    assert store.reach([("Lot", "L4")], ["CONSUMED_INTO"], "in", 0) == {("Lot", "L4"): 0, ("Lot", "L3"): 1}
    assert store.reach([("Lot", "NOPE"), ("Bogus", "x")], ["CONSUMED_INTO"], "out", 3) == {}


def test_reach_over_no_relationships_gives_the_existing_seeds(store: Store) -> None:
    _chain(store)
    seeds = [("Lot", "L1"), ("Lot", "NOPE"), ("Bogus", "x")]
    assert store.reach(seeds, [], "out", 3) == {("Lot", "L1"): 0}


def test_reach_over_an_unknown_relationship_is_bad_input(store: Store) -> None:
    _chain(store)
    with pytest.raises(BadInput, match="unknown relationship kind.*NOPE"):
        store.reach([("Lot", "L0")], ["CONSUMED_INTO", "NOPE"], "out", 3)


def test_writes_on_a_read_only_store_are_store_errors(store: Store, backend: Backend) -> None:
    _chain(store, 2)
    read_only = backend.open_read_only(store)
    with pytest.raises(StoreError, match="was opened read-only"):
        read_only.write(_stubs(("Lot", "L9")))
    with pytest.raises(StoreError, match="was opened read-only"):
        read_only.append("audit", lambda seq, previous: {"seq": seq})
    assert list(read_only.keys("Lot")) == ["L0", "L1"]  # reads still work
    read_only.close()


def test_keys_and_log_entries_read_across_several_pages(store: Store) -> None:
    if hasattr(store, "keys_page"):  # a backend that pages its reads: make each page 3 rows
        store.keys_page = 3  # type: ignore[attr-defined]
    keys = [f"L{i:02}" for i in range(10)]  # 3 full pages and a partial one
    store.write(_stubs(*(("Lot", k) for k in reversed(keys))))
    assert list(store.keys("Lot")) == keys
    for _ in range(9):  # 9 entries: the last page is full, so an empty page ends the read
        store.append("paging", lambda seq, previous: {"seq": seq, "after": previous and previous["seq"]})
    assert [(seq, e["after"]) for seq, e in store.entries("paging")] == [(i, i - 1 or None) for i in range(1, 10)]
    assert [seq for seq, _ in store.entries("paging", start=4)] == list(range(4, 10))
