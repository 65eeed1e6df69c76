"""What one request carries: the graph, the caller, its limits and its DataLoaders.

Store work runs in a worker thread under the request's remaining time budget, so a long trace is
stopped inside the store (LIMIT_EXCEEDED) instead of holding the server. DataLoaders are made per
request: one store call per kind (records) or per relationship and direction (neighbours) per level,
and one for which keys of the request's pages exist.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from strawberry.dataloader import DataLoader

from ..errors import BadInput, LimitExceeded
from ..graph import Graph
from ..schema import KINDS
from ..store import Direction, Edge, NodeRef
from ..trace import link_order
from .roles import Principal

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100

KeySet = tuple[str, tuple[str, ...]]  # a kind and some of its keys


@dataclass(frozen=True)
class ApiSettings:
    """The service's limits; each refusal is a LIMIT_EXCEEDED error naming the limit."""

    max_query_depth: int = 12
    max_query_tokens: int = 5000
    max_query_length: int = 100_000  # characters of the query text (variables carry the data)
    max_body_bytes: int = 1_048_576  # of a request body, refused (HTTP 413) before it is read
    max_aliases: int = 20
    max_page_size: int = 1000
    max_start_ids: int = 1000
    request_time_limit: float = 30.0  # seconds of store work per request
    store_threads: int = 4  # store work running at once; each thread holds its own SQLite connection and cache

    def __post_init__(self) -> None:
        """A limit that would refuse every request (a body cap of 0, no store threads) is a mistake: said at start."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "request_time_limit":
                ok, needs = value > 0, "more than 0"
            else:
                least = 0 if f.name == "max_aliases" else 1  # no aliases at all is a policy
                ok, needs = value >= least, f"at least {least}"
            if not ok:
                raise BadInput(f"{f.name} must be {needs}, not {value}")

    def check_start_ids(self, count: int, what: str = "a trace") -> None:
        """The one start-id limit, for traces and for the trigger ids of a recall alike."""
        if count > self.max_start_ids:
            raise LimitExceeded(f"{what} may start from at most {self.max_start_ids} ids, not {count}")


@dataclass
class Context:
    graph: Graph
    principal: Principal | None
    settings: ApiSettings
    deadline: float
    limiter: anyio.CapacityLimiter
    _records: dict[str, DataLoader[str, dict[str, Any] | None]] = field(default_factory=dict)
    _edges: dict[tuple[str, Direction], DataLoader[NodeRef, list[Edge]]] = field(default_factory=dict)
    _existing: DataLoader[KeySet, set[str]] | None = None

    @classmethod
    def start(cls, graph: Graph, principal: Principal | None, settings: ApiSettings,
              limiter: anyio.CapacityLimiter) -> Context:
        """A request's context; ``limiter`` is the app's, bounding store threads across requests."""
        return cls(graph, principal, settings, time.monotonic() + settings.request_time_limit, limiter)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run store work in a worker thread, stopped when the request's time is up."""
        return await anyio.to_thread.run_sync(self._bounded, partial(fn, *args, **kwargs), limiter=self.limiter)

    def _bounded(self, call: Callable[[], T]) -> T:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise LimitExceeded(f"the request ran longer than its time limit of "
                                f"{self.settings.request_time_limit:g} s")
        with self.graph.store.time_limit(remaining):
            return call()

    def page_size(self, first: int) -> int:
        if first < 0:
            raise BadInput("first must not be negative")
        if first > self.settings.max_page_size:
            raise LimitExceeded(f"first may be at most {self.settings.max_page_size}, not {first}")
        return first

    def records(self, kind: str) -> DataLoader[str, dict[str, Any] | None]:
        """Records of one kind by key (None where absent), one store.get per batch."""
        if kind not in self._records:
            async def load(keys: list[str]) -> list[dict[str, Any] | None]:
                found = await self.run(self.graph.store.get, kind, keys)
                return [found.get(k) for k in keys]
            self._records[kind] = DataLoader(load_fn=load)
        return self._records[kind]

    def edges(self, rel: str, direction: Direction) -> DataLoader[NodeRef, list[Edge]]:
        """Edges of ``rel`` leaving (out) or entering (in) each node, by the far end's key; one store.edges
        per batch."""
        if (rel, direction) not in self._edges:
            async def load(nodes: list[NodeRef]) -> list[list[Edge]]:
                found = await self.run(self.graph.store.edges, rel, nodes, direction)
                by_node: dict[NodeRef, list[Edge]] = defaultdict(list)
                for e in found:
                    by_node[e.src if direction == "out" else e.dst].append(e)
                # in the far end's key order, whatever order the backend keeps (lists page by `first`): the
                # near end is the same for all of a node's edges, so link_order sorts them by the far end first
                return [sorted(by_node.get(n, []), key=link_order) for n in nodes]
            self._edges[(rel, direction)] = DataLoader(load_fn=load)
        return self._edges[(rel, direction)]

    def existing(self) -> DataLoader[KeySet, set[str]]:
        """Which keys of each set have a record: the pages of a request, checked in one worker-thread call."""
        if self._existing is None:
            def find(sets: list[KeySet]) -> list[set[str]]:
                return [set(self.graph.store.find(kind, KINDS[kind].key, keys)) for kind, keys in sets]

            async def load(sets: list[KeySet]) -> list[set[str]]:
                return await self.run(find, sets)
            self._existing = DataLoader(load_fn=load)
        return self._existing
