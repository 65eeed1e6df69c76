"""Root fields behind the web trace explorer: search by id, a record's page, a drawable trace.

The pictures come from :mod:`tracegraph.web.view` over the engine's answers; tables page through
the trace connections of :mod:`tracegraph.api.traces`, and what a picture's group stands for through
``traceLayer``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from functools import partial
from typing import Any

import strawberry
from strawberry.scalars import JSON

from ..errors import BadInput, LimitExceeded
from ..trace import TraceResult
from ..web.view import DEFAULT_LIMIT, LAYER_KINDS, LAYERS, layer_keys, record_view, trace_view
from .connections import Connection, encode_cursor, paginate
from .context import DEFAULT_PAGE_SIZE, Context
from .permissions import requires
from .traces import TraceStartInput, page_records
from .types import Record, RecordKind

SEARCHABLE: tuple[str, ...] = ("Serial", "Lot", "Container", "Supplier", "Customer", "Shipment", "Product",
                               "Material", "ProcessStep", "Inspection")


@strawberry.type(description="A record whose id is the searched text.")
class SearchHit:
    kind: str
    id: strawberry.ID


@strawberry.enum(description="Downstream (forward) or upstream (backward).")
class TraceDirection(Enum):
    FORWARD = "forward"
    BACKWARD = "backward"


def _check_layers(names: list[str]) -> None:
    unknown = sorted(set(names) - set(LAYERS))
    if unknown:
        raise BadInput(f"unknown layer(s) {', '.join(unknown)}; layers: {', '.join(LAYERS)}")


def _trace(ctx: Context, start: TraceStartInput, direction: TraceDirection) -> Callable[[], TraceResult]:
    """The engine's trace of ``start`` in ``direction``, to run in a worker thread (the ids are checked now)."""
    if direction is TraceDirection.FORWARD:
        return partial(ctx.graph.forward, **start.ids(ctx))
    return partial(ctx.graph.backward, **start.backward_ids(ctx))


@strawberry.type
class ExplorerQuery:
    @strawberry.field(permission_classes=[requires("read")],
                      description="Records of any kind whose id is exactly `text` (surrounding spaces ignored).")
    async def search(self, info: strawberry.Info, text: str) -> list[SearchHit]:
        ctx: Context = info.context
        key = text.strip()
        if not key:
            raise BadInput("type an id to search for")

        def find() -> list[SearchHit]:
            return [SearchHit(kind=kind, id=key) for kind in SEARCHABLE if ctx.graph.store.get(kind, [key])]
        return await ctx.run(find)

    @strawberry.field(permission_classes=[requires("read")],
                      description="A record's properties, its recall holds and its direct neighbours, "
                                  "as one JSON object.")
    async def record_view(self, info: strawberry.Info, kind: RecordKind, id: strawberry.ID) -> JSON:
        ctx: Context = info.context
        return await ctx.run(record_view, ctx.graph, kind.value, id)

    @strawberry.field(permission_classes=[requires("trace")],
                      description="A trace as layered nodes and edges to draw, with counts per result group and "
                                  "the kind of each group's records; layers over `limit` nodes collapse into "
                                  "counted groups unless named in `expand`.")
    async def trace_graph(self, info: strawberry.Info, start: TraceStartInput, direction: TraceDirection,
                          expand: list[str] | None = None, limit: int = DEFAULT_LIMIT) -> JSON:
        ctx: Context = info.context
        trace = _trace(ctx, start, direction)
        _check_layers(expand or [])
        if limit < 1:
            raise BadInput("limit must be at least 1")
        if limit > ctx.settings.max_page_size:
            raise LimitExceeded(f"limit may be at most {ctx.settings.max_page_size}, not {limit}")

        def draw() -> dict[str, Any]:
            view = trace_view(ctx.graph.store, trace(), limit=limit, expand=tuple(expand or ()))
            for node in view["nodes"]:  # where the list of a capped layer's rest starts, as this API's cursor
                if "after" in node:
                    node["after"] = encode_cursor(node["after"])
            return view
        return await ctx.run(draw)

    @strawberry.field(permission_classes=[requires("trace")],
                      description="The records of one layer of traceGraph's picture (e.g. `serials`, "
                                  "`purchased_lots`) in key order, a page at a time: what a group stands for. "
                                  "A capped group's `after` starts the page after its last drawn record.")
    async def trace_layer(self, info: strawberry.Info, start: TraceStartInput, direction: TraceDirection,
                          layer: str, first: int = DEFAULT_PAGE_SIZE,
                          after: str | None = None) -> Connection[Record]:
        ctx: Context = info.context
        trace = _trace(ctx, start, direction)
        _check_layers([layer])
        keys = await ctx.run(lambda: layer_keys(ctx.graph.store, trace(), layer))
        return await paginate(ctx, keys, first, after, lambda page: page_records(ctx, LAYER_KINDS[layer], page))
