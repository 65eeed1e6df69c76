"""The Store primitives themselves on every backend: same answers and same domain errors for the same call."""

from __future__ import annotations

import pytest

from tracegraph.errors import StoreError
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
