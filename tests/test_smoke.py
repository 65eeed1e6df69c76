"""End to end on a small generated plant: generate, load, trace (details live in the other tests)."""

from pathlib import Path

import tracegraph
from tracegraph.generate import generate


def test_generate_load_and_trace(tmp_path: Path) -> None:
    generate(tmp_path / "tables", 2000, seed=3)
    with tracegraph.connect(f"sqlite:///{tmp_path / 't.db'}") as g:
        report = g.load_tables(tmp_path / "tables")
        assert report.rejected == []
        raw_lot = next(iter(g.store.keys("Lot")))
        forward = g.forward(lot=raw_lot)
        assert raw_lot in forward.ids["lots"]
        serial = forward.ids["serials"][0]
        assert raw_lot in g.backward(serial=serial).ids["lots"]
