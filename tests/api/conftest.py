"""A real uvicorn server on 127.0.0.1 over a generated plant, and an HTTP client for it.

The server runs in a thread of the test process, so tests can also count the store's calls
(``CountingStore`` is the real SQLite store with call counters, not a stand-in).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from tracegraph import Graph
from tracegraph.api.app import create_app
from tracegraph.api.keys import ApiKeys
from tracegraph.generate import generate
from tracegraph.store import SQLiteStore

ROLES = ("reader", "analyst", "recall_coordinator", "admin")


class CountingStore(SQLiteStore):
    """The SQLite store, counting get/edges calls per kind or relationship."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: Counter[tuple[str, str]] = Counter()

    def get(self, kind, keys):  # type: ignore[no-untyped-def]
        self.calls[("get", kind)] += 1
        return super().get(kind, keys)

    def edges(self, rel, nodes, direction):  # type: ignore[no-untyped-def]
        self.calls[("edges", f"{rel}:{direction}")] += 1
        return super().edges(rel, nodes, direction)


@dataclass
class Server:
    url: str
    graph: Graph
    store: CountingStore
    keys: dict[str, str]
    revoked_key: str

    def post(self, query: str, variables: dict[str, Any] | None = None, *, role: str | None = "admin",
             headers: dict[str, str] | None = None) -> httpx.Response:
        h = dict(headers or {})
        if role is not None:
            h["Authorization"] = f"Bearer {self.keys[role]}"
        return httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, headers=h,
                          timeout=60)

    def query(self, query: str, variables: dict[str, Any] | None = None, *, role: str = "admin") -> dict[str, Any]:
        """The ``data`` of a query that must succeed."""
        body = self.post(query, variables, role=role).json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def errors(self, query: str, variables: dict[str, Any] | None = None, *, role: str = "admin") -> list[dict]:
        body = self.post(query, variables, role=role).json()
        assert body.get("errors"), body
        return body["errors"]


def codes(errors: list[dict]) -> set[str]:
    return {e["extensions"]["code"] for e in errors}


PAGE = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor }"


def every_page(page_after: Callable[[str | None], dict[str, Any]], first: int) -> tuple[list[Any], set[int], int]:
    """Every node of a connection, following endCursor: ``page_after(cursor)`` returns the connection's page
    (asked for with :data:`PAGE` and ``nodes``). Also the totals the pages told and how many pages it took;
    each page is checked to be full while more follow, with cursors that agree with its pageInfo."""
    found: list[Any] = []
    totals: set[int] = set()
    after, pages = None, 0
    while True:
        page = page_after(after)
        pages += 1
        assert len(page["nodes"]) <= first and len(page["edges"]) == len(page["nodes"])
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        found += page["nodes"]
        totals.add(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            return found, totals, pages
        assert len(page["nodes"]) == first, "a page short of `first` although more follow"
        assert page["edges"][0]["cursor"] == page["pageInfo"]["startCursor"]
        assert page["edges"][-1]["cursor"] == page["pageInfo"]["endCursor"]
        after = page["pageInfo"]["endCursor"]


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def plant_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated plant of about 2,000 units, loaded into a SQLite file, with one key per role."""
    root = tmp_path_factory.mktemp("api")
    generate(root / "tables", 2000, seed=11)
    with Graph(SQLiteStore(root / "plant.db")) as g:
        assert g.load_tables(root / "tables").rejected == []
    return root / "plant.db"


@pytest.fixture(scope="session")
def server(plant_db: Path) -> Iterator[Server]:
    store = CountingStore(plant_db)
    keys = ApiKeys(store)
    role_keys = {role: keys.create(role, name=f"test {role}")[0] for role in ROLES}
    revoked, record = keys.create("admin", name="revoked")
    keys.revoke(record.id)
    graph = Graph(store)
    with serve(create_app(graph)) as url:
        yield Server(url, graph, store, role_keys, revoked)
