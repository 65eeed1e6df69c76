"""Root fields behind the web trace explorer: search by id, a record's page, a drawable trace.

The pictures come from :mod:`tracegraph.web.view` over the engine's answers; tables page through
the trace connections of :mod:`tracegraph.api.traces`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from ..errors import BadInput, LimitExceeded
from ..web.view import DEFAULT_LIMIT, LAYERS, record_view, trace_view
from .context import Context
from .permissions import requires
from .traces import TraceStartInput
from .types import RecordKind

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
                      description="A trace as layered nodes and edges to draw, with counts per kind; layers over "
                                  "`limit` nodes collapse into counted groups unless named in `expand`.")
    async def trace_graph(self, info: strawberry.Info, start: TraceStartInput, direction: TraceDirection,
                          expand: list[str] | None = None, limit: int = DEFAULT_LIMIT) -> JSON:
        ctx: Context = info.context
        ids = start.ids(ctx) if direction is TraceDirection.FORWARD else start.backward_ids(ctx)
        unknown = sorted(set(expand or ()) - set(LAYERS))
        if unknown:
            raise BadInput(f"unknown layer(s) {', '.join(unknown)}; layers: {', '.join(LAYERS)}")
        if limit < 1:
            raise BadInput("limit must be at least 1")
        if limit > ctx.settings.max_page_size:
            raise LimitExceeded(f"limit may be at most {ctx.settings.max_page_size}, not {limit}")

        def draw() -> dict[str, Any]:
            g = ctx.graph
            trace = g.forward(**ids) if direction is TraceDirection.FORWARD else g.backward(**ids)
            return trace_view(g.store, trace, limit=limit, expand=tuple(expand or ()))
        return await ctx.run(draw)
