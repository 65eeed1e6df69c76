"""/readyz says ready only once the embedded store's adjacency index is built, so the first query is fast."""

from __future__ import annotations

from pathlib import Path

import httpx
from servers import wait_ready

from tracegraph import Graph
from tracegraph.api.app import create_app
from tracegraph.schema import REL_KINDS
from tracegraph.store import SQLiteStore

from .conftest import serve


def test_readyz_is_503_until_the_index_is_built_at_startup(plant_db: Path) -> None:
    store = SQLiteStore(plant_db, read_only=True)
    assert store._adjacency is None  # a fresh store builds its index on first use
    # Hold the store's index lock, so the server's startup build must wait until the test lets go.
    lock = store._index_lock
    lock.acquire()
    held = True
    try:
        with serve(create_app(Graph(store))) as url:
            assert httpx.get(f"{url}/healthz").status_code == 200  # alive at once
            for _ in range(3):
                starting = httpx.get(f"{url}/readyz", timeout=10)
                assert starting.status_code == 503 and starting.json()["status"] == "starting"
            lock.release()
            held = False
            wait_ready(url)
            # ready means built: every relationship's CSR arrays, before any query asked for them
            assert store._adjacency is not None
            assert set(store._adjacency._relations) == {rel.name for rel in REL_KINDS}
    finally:
        if held:
            lock.release()
    store.close()
