"""``ranges``, the row expansion under every CSR read and join, and ``row_entries``, which reads runs of
consecutive rows (or long rows) as slices, against plain Python loops."""

from __future__ import annotations

import numpy as np
import pytest

from tracegraph.store.columns import ranges, row_entries


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


@pytest.mark.parametrize(("run", "longest"), [(1, 3), (3, 3), (40, 3), (1, 120)])
def test_row_entries_match_a_loop(run: int, longest: int) -> None:
    """Rows in runs of about ``run`` consecutive ones of up to ``longest`` entries each: few entries per run
    take the index path, many (long runs, long rows) slices."""
    rng = np.random.default_rng(run)
    indptr = np.concatenate(([0], np.cumsum(rng.integers(0, longest + 1, 2000))))
    values, other = rng.integers(0, 10**6, int(indptr[-1])), rng.random(int(indptr[-1]))
    for size in (0, 1, 2, 17, 600):
        starts = np.sort(rng.choice(np.arange(0, 2000, run), max(1, size // run), replace=False))
        rows = np.unique(np.concatenate([np.arange(s, min(s + run, 2000)) for s in starts]))[:size]
        found_values, found_other = row_entries(indptr, rows, values, other)
        expected = [k for r in rows.tolist() for k in range(int(indptr[r]), int(indptr[r + 1]))]
        assert found_values.tolist() == values[expected].tolist()
        assert found_other.tolist() == other[expected].tolist()
