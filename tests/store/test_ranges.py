"""``ranges``, the row expansion under every CSR read and join, against a plain Python loop."""

from __future__ import annotations

import numpy as np
import pytest

from tracegraph.store.columns import ranges


@pytest.mark.parametrize("most", [0, 1, 2, 5])
def test_ranges_match_a_loop(most: int) -> None:
    rng = np.random.default_rng(most)
    for size in (0, 1, 7, 500):
        counts = rng.integers(0, most + 1, size)
        starts = rng.integers(0, 1000, size)
        positions, rows = ranges(starts, counts)
        expected = [(int(s) + k, i) for i, (s, c) in enumerate(zip(starts, counts)) for k in range(int(c))]
        assert list(zip(positions.tolist(), rows.tolist())) == expected
        assert positions.dtype == rows.dtype == np.int64
