"""Trace questions: forwardTrace, backwardTrace, recallScope, supplierExposure.

Each root field asks :class:`tracegraph.Graph` once and pages through the answer; no trace rule
lives here. Groups are connections over the engine's sorted ids, with key-based cursors.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

import strawberry

from ..errors import BadInput
from ..trace import GROUPS
from ..trace import RecallScope as EngineScope
from ..trace import SupplierExposure as EngineExposure
from ..trace import TraceResult as EngineTrace
from ..trace.model import KIND_OF_GROUP
from ..trace.model import Whereabouts as EngineWhereabouts
from .connections import Connection, nodes_ask_only, paginate
from .context import DEFAULT_PAGE_SIZE, Context
from .permissions import requires
from .recalls import REMAINING, actor
from .types import RECORD_TYPES, Record, RecordKind, Relation, load_each, load_many, require_all, to_relation

T = TypeVar("T")

# generated types under names that annotations (resolved by strawberry from this module) can use
LotType: Any = RECORD_TYPES["Lot"]
MaterialType: Any = RECORD_TYPES["Material"]
CustomerType: Any = RECORD_TYPES["Customer"]

_ID_FIELDS = frozenset({"id", "__typename"})  # what a bare Record answers


@strawberry.input(description="Where a trace starts: any mix of ids; at least one.")
class TraceStartInput:
    lots: list[strawberry.ID] = strawberry.field(default_factory=list)
    serials: list[strawberry.ID] = strawberry.field(default_factory=list)
    containers: list[strawberry.ID] = strawberry.field(default_factory=list,
                                                       description="Stands for everything ever packed in it.")
    suppliers: list[strawberry.ID] = strawberry.field(default_factory=list,
                                                      description="Forward only: the supplier's lots.")
    materials: list[strawberry.ID] = strawberry.field(default_factory=list,
                                                      description="Forward only: every lot of the material.")

    def ids(self, ctx: Context) -> dict[str, list[str]]:
        """The start ids by Graph.forward's argument names."""
        ids = {name: [str(i) for i in values] for name, values in (
            ("lot", self.lots), ("serial", self.serials), ("container", self.containers),
            ("supplier", self.suppliers), ("material", self.materials))}
        ctx.settings.check_start_ids(sum(map(len, ids.values())))
        return ids

    def backward_ids(self, ctx: Context) -> dict[str, list[str]]:
        """The start ids by Graph.backward's argument names; suppliers and materials are refused, not dropped."""
        ids = self.ids(ctx)
        for name in ("supplier", "material"):
            if ids.pop(name):
                raise BadInput(f"start.{name}s: a backward trace starts from lots, serials or containers "
                               "(suppliers and materials start forward traces)")
        return ids


async def page_records(ctx: Context, kind: str, keys: list[str], only_ids: bool = False) -> list[Any]:
    """The records of ``keys``, in order; NOT_FOUND names every key without one.

    With ``only_ids`` (nothing but ``id`` is asked of them) only their existence is read, and each
    is a bare :class:`Record`, which strawberry takes for any kind implementing it.
    """
    if not only_ids:
        return await load_each(ctx, [(kind, k) for k in keys])
    found = await ctx.existing().load((kind, tuple(keys)))
    require_all([(kind, k) for k in keys], {(kind, k) for k in found})
    return [Record(id=k) for k in keys]


def _record_pages(info: strawberry.Info, kind: str) -> Callable[[list[str]], Awaitable[list[Any]]]:
    """How :func:`paginate` turns a page of keys into the records of the connection ``info`` resolves."""
    only_ids = nodes_ask_only(info, _ID_FIELDS)
    return lambda keys: page_records(info.context, kind, keys, only_ids)


def _group_field(group: str) -> Any:
    kind = KIND_OF_GROUP[group]

    async def resolve(self: Any, info: strawberry.Info, first: int = DEFAULT_PAGE_SIZE,
                      after: str | None = None) -> Any:
        return await paginate(info.context, self.result.ids[group], first, after, _record_pages(info, kind))

    resolve.__annotations__ = {"info": strawberry.Info, "first": int, "after": str | None,
                               "return": Connection[RECORD_TYPES[kind]]}  # type: ignore[valid-type]
    return strawberry.field(resolver=resolve, description=f"Reached {group.replace('_', ' ')}, in key order.")


async def _explain(ctx: Context, result: EngineTrace, kind: Enum, id: str) -> list[Relation]:
    chain = await ctx.run(result.explain, kind.value, id)
    return [to_relation(link) for link in chain]


def _trace_type() -> type:
    namespace: dict[str, Any] = {group: _group_field(group) for group in GROUPS}
    namespace["__annotations__"] = {"direction": str, "result": strawberry.Private[EngineTrace]}
    namespace["direction"] = strawberry.field(description="forward or backward.")

    async def explain(self: Any, info: strawberry.Info, kind: RecordKind, id: strawberry.ID) -> list[Relation]:  # type: ignore[valid-type]
        return await _explain(info.context, self.result, kind, id)

    namespace["explain"] = strawberry.field(
        resolver=explain, description="One shortest chain of records from the start to a reached record.")

    def counts(self: Any) -> Any:
        return GroupCounts(**{g: len(self.result.ids[g]) for g in GROUPS})

    counts.__annotations__["return"] = GroupCounts
    namespace["counts"] = strawberry.field(resolver=counts, description="How many records each group has.")

    def on_hold(self: Any) -> list[str]:
        return sorted(self.result.holds)

    namespace["on_hold"] = strawberry.field(resolver=on_hold, description="Reached records (Kind:id) on recall hold.")
    return strawberry.type(type("TraceResult", (), namespace),
                           description="What a trace reached, grouped by kind; each group a connection.")


GroupCounts = strawberry.type(type("GroupCounts", (), {"__annotations__": dict.fromkeys(GROUPS, int)}),
                              description="Records per group of a trace.")
TraceResult = _trace_type()


def to_trace(result: EngineTrace) -> Any:
    return TraceResult(direction=result.direction, result=result)


@strawberry.enum(description="Where an affected item is now.")
class ItemStatus(Enum):
    SHIPPED = "shipped"
    CONSUMED = "consumed"
    IN_STOCK = "in_stock"


@strawberry.type(description="Where one affected lot or serial is now.")
class Whereabouts:
    w: strawberry.Private[EngineWhereabouts]

    @strawberry.field(description="The affected lot or serial.")
    async def item(self, info: strawberry.Info) -> Record:
        return (await page_records(info.context, self.w.item[0], [self.w.item[1]]))[0]

    @strawberry.field
    def status(self) -> ItemStatus:
        return ItemStatus(self.w.status)

    @strawberry.field(description="Customers it was shipped to.")
    def customer_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(c) for c in self.w.customers]

    @strawberry.field(description="Shipments that carried it, oldest first.")
    def shipment_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(s) for s in self.w.shipments]

    @strawberry.field(description="The container it is in now, if any (the first of `containerIds`).")
    def container_id(self) -> strawberry.ID | None:
        return None if self.w.container is None else strawberry.ID(self.w.container)

    @strawberry.field(description="Every container it is in now: more than one for a lot split between them.")
    def container_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(c) for c in self.w.containers]

    @strawberry.field(description="What it was consumed into.")
    async def consumed_into(self, info: strawberry.Info) -> list[Record]:
        return await load_many(info.context, list(self.w.consumed_into))

    @strawberry.field(description=REMAINING)
    def remaining(self) -> float | None:
        return self.w.remaining


@strawberry.type(description="Affected items and shipments of one customer.")
class CustomerCount:
    customer_id: strawberry.ID
    lots: int
    serials: int
    shipments: int
    lot_quantity: float = strawberry.field(description="Quantity of affected lots shipped to it (lots' uom).")

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> CustomerType | None:
        found = await load_many(info.context, [("Customer", self.customer_id)])
        return found[0] if found else None


def _answered(ask: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Ask, and build the answer's ids here, in the worker thread and under the request's time limit: the
    resolvers read them on the event loop, which a 100k-item scope would block. Whereabouts are made for the
    page asked for (or all of them, in a worker thread too)."""
    result = ask(*args, **kwargs)
    trace = getattr(result, "trace", result)
    trace.ids  # noqa: B018 -- built on first use
    if isinstance(result, EngineScope):
        result.affected_refs  # noqa: B018
    return result


@strawberry.type(description="Everything a recall of the trigger must reach, and where each item is now.")
class RecallScope:
    scope: strawberry.Private[EngineScope]

    @strawberry.field(description="The forward trace of the trigger, grouped by kind.")
    def trace(self) -> TraceResult:  # type: ignore[valid-type]
        return to_trace(self.scope.trace)

    @strawberry.field(description="Affected lots and serials with where each is now; cursors key on Kind:id.")
    async def affected(self, info: strawberry.Info, first: int = DEFAULT_PAGE_SIZE,
                       after: str | None = None) -> Connection[Whereabouts]:
        keys = self.scope.affected_refs

        async def load(page: list[str]) -> list[Whereabouts]:
            start = bisect_left(keys, page[0]) if page else 0  # a page is a run of the keys
            found = await info.context.run(self.scope.whereabouts_between, start, start + len(page))
            return [Whereabouts(w=w) for w in found]
        return await paginate(info.context, keys, first, after, load)

    @strawberry.field(description="Every affected lot and serial with where it is now, in Kind:id order, unpaged: "
                                  "for a client that pages one scope computation itself (each recallScope runs "
                                  "and audits the scope again).")
    async def all_affected(self, info: strawberry.Info) -> list[Whereabouts]:
        found = await info.context.run(lambda: list(self.scope.whereabouts.values()))
        return [Whereabouts(w=w) for w in found]

    @strawberry.field(description="Counts per affected customer, by customer id.")
    def by_customer(self) -> list[CustomerCount]:
        return [CustomerCount(customer_id=strawberry.ID(c), lots=int(n["lots"]), serials=int(n["serials"]),
                              shipments=int(n["shipments"]), lot_quantity=n["lot_quantity"])
                for c, n in self.scope.by_customer.items()]

    @strawberry.field(description="One shortest chain of records from the trigger to an affected record.")
    async def explain(self, info: strawberry.Info, kind: RecordKind, id: strawberry.ID) -> list[Relation]:  # type: ignore[valid-type]
        return await _explain(info.context, self.scope.trace, kind, id)


@strawberry.type(description="What depends on one supplier.")
class SupplierExposure:
    exposure: strawberry.Private[EngineExposure]

    @strawberry.field
    def supplier_id(self) -> strawberry.ID:
        return strawberry.ID(self.exposure.supplier_id)

    @strawberry.field(description="The forward trace from the supplier's lots.")
    def trace(self) -> TraceResult:  # type: ignore[valid-type]
        return to_trace(self.exposure.trace)

    @strawberry.field(description="Reached lots of finished products.")
    async def finished_lots(self, info: strawberry.Info, first: int = DEFAULT_PAGE_SIZE,
                            after: str | None = None) -> Connection[LotType]:
        return await paginate(info.context, self.exposure.finished_lots, first, after, _record_pages(info, "Lot"))

    @strawberry.field(description="Materials this supplier is the only source of.")
    async def sole_source_materials(self, info: strawberry.Info) -> list[MaterialType]:
        return await page_records(info.context, "Material", self.exposure.sole_source_materials)


@strawberry.input(description="What a recall is about: any mix of ids; at least one.")
class RecallTriggerInput(TraceStartInput):
    pass


@strawberry.type
class TraceQuery:
    @strawberry.field(permission_classes=[requires("trace")],
                      description="Everything downstream of the start: lots, serials, containers, shipments, customers.")
    async def forward_trace(self, info: strawberry.Info, start: TraceStartInput) -> TraceResult:  # type: ignore[valid-type]
        ctx: Context = info.context
        ids = start.ids(ctx)
        return to_trace(await ctx.run(_answered, ctx.graph.forward, **ids))

    @strawberry.field(permission_classes=[requires("trace")],
                      description="Everything upstream of the start: lots, serials, suppliers, materials, steps.")
    async def backward_trace(self, info: strawberry.Info, start: TraceStartInput) -> TraceResult:  # type: ignore[valid-type]
        ctx: Context = info.context
        return to_trace(await ctx.run(_answered, ctx.graph.backward, **start.backward_ids(ctx)))

    @strawberry.field(permission_classes=[requires("recall")],
                      description="The forward trace of a trigger, where each affected item is now, per customer.")
    async def recall_scope(self, info: strawberry.Info, trigger: RecallTriggerInput) -> RecallScope:
        ctx: Context = info.context
        ids = trigger.ids(ctx)
        scope = await ctx.run(_answered, ctx.graph.recall_scope, lots=ids["lot"], serials=ids["serial"],
                              containers=ids["container"], suppliers=ids["supplier"], materials=ids["material"],
                              actor=actor(ctx), why="recallScope query")
        return RecallScope(scope=scope)

    @strawberry.field(permission_classes=[requires("trace")],
                      description="Products, finished lots, serials and customers depending on one supplier.")
    async def supplier_exposure(self, info: strawberry.Info, supplier_id: strawberry.ID) -> SupplierExposure:
        ctx: Context = info.context
        return SupplierExposure(exposure=await ctx.run(_answered, ctx.graph.supplier_exposure, supplier_id))
