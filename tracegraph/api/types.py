"""GraphQL types for records and relationships, generated from the data dictionary.

Each node kind becomes an object type implementing ``Record`` with the kind's fields; each field
that references another kind (``Lot.supplier_id``) adds an object field (``supplier``). Each
relationship kind becomes a type implementing ``Relation``, with ``from``, ``to`` and its fields.
Each kind's neighbour lists (:data:`~tracegraph.schema.neighbours.NEIGHBOURS`) add the direct
neighbours a person asks for. Every object field resolves through the request's DataLoaders, so a
nested query costs one store call per level.
"""

from __future__ import annotations

import asyncio
import json
from enum import Enum
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from ..errors import NotFound
from ..schema import KINDS, NODE_KINDS, REL_KINDS, RELS, Field, FieldType
from ..schema.neighbours import NEIGHBOURS, Neighbours
from ..store import Edge, NodeRef
from ..trace import Link, link_order, live
from .connections import Connection, paginate_by
from .context import DEFAULT_PAGE_SIZE, Context
from .recalls import HOLDABLE_KINDS, holds_field

_SCALARS: dict[FieldType, Any] = {FieldType.STRING: str, FieldType.ENUM: str, FieldType.DATETIME: str,
                                  FieldType.INTEGER: int, FieldType.DECIMAL: float, FieldType.JSON: JSON}


@strawberry.interface(description="A record of the genealogy graph; its __typename is its kind.")
class Record:
    id: strawberry.ID = strawberry.field(description="The record's key (lot id, serial number, ...).")


@strawberry.interface(description="A relationship between two records, with its own properties.")
class Relation:
    rel: str = strawberry.field(description="Relationship kind, as in the data dictionary.")
    edge: strawberry.Private[Edge]

    @strawberry.field(name="from", description="The source record.")
    async def source(self, info: strawberry.Info) -> Record:
        return await load_one(info.context, self.edge.src)

    @strawberry.field(name="to", description="The target record.")
    async def target(self, info: strawberry.Info) -> Record:
        return await load_one(info.context, self.edge.dst)


RECORD_TYPES: dict[str, type] = {}
RELATION_TYPES: dict[str, type] = {}


def _lazy(kind: str) -> Any:
    return Annotated[kind, strawberry.lazy(__name__)]


def _value(field: Field, value: Any) -> Any:
    return json.loads(value) if field.type is FieldType.JSON and isinstance(value, str) else value


def to_record(kind: str, record: dict[str, Any]) -> Any:
    """The GraphQL object for a store record of ``kind``."""
    k = KINDS[kind]
    return RECORD_TYPES[kind](id=record[k.key], attributes=record.get("attributes"),
                              **{f.name: _value(f, record.get(f.name)) for f in k.fields})


def to_relation(edge: Edge | Link) -> Any:
    """The GraphQL object for a store edge or an explaining link (the same four parts)."""
    rel = RELS[edge.rel]
    return RELATION_TYPES[edge.rel](rel=edge.rel, edge=edge,
                                    **{f.name: _value(f, edge.props.get(f.name)) for f in rel.fields})


async def _rows(ctx: Context, refs: list[NodeRef]) -> dict[NodeRef, dict[str, Any]]:
    """The store records of refs that have one; one loader batch per kind."""
    kinds = list(dict.fromkeys(kind for kind, _ in refs))
    loaded = await asyncio.gather(*(ctx.records(kind).load_many([k for kk, k in refs if kk == kind])
                                    for kind in kinds))
    return {(kind, row[KINDS[kind].key]): row for kind, found in zip(kinds, loaded) for row in found if row}


async def load_many(ctx: Context, refs: list[NodeRef]) -> list[Any]:
    """Records for refs, in order, skipping any that have no record."""
    rows = await _rows(ctx, refs)
    return [to_record(ref[0], rows[ref]) for ref in refs if ref in rows]


def require_all(refs: list[NodeRef], have: Any) -> None:
    """NOT_FOUND naming every ref not in ``have``, by kind: a page has a node for each cursor."""
    missing: dict[str, list[str]] = {}
    for kind, key in refs:
        if (kind, key) not in have:
            missing.setdefault(kind, []).append(key)
    if missing:
        raise NotFound("; ".join(f"no {kind} with id {', '.join(map(repr, keys))}" for kind, keys in missing.items()))


async def load_each(ctx: Context, refs: list[NodeRef]) -> list[Any]:
    """Records for refs, in order; NOT_FOUND names any without one."""
    rows = await _rows(ctx, refs)
    require_all(refs, rows)
    return [to_record(ref[0], rows[ref]) for ref in refs]


async def load_one(ctx: Context, ref: NodeRef) -> Any:
    found = await load_many(ctx, [ref])
    if not found:
        raise NotFound(f"no {ref[0]} with id {ref[1]!r}")
    return found[0]


def _reference_field(field: Field) -> Any:
    """``supplier`` for ``supplier_id``: the referenced record, or null when the field is empty."""
    assert field.references is not None
    kind = field.references

    async def resolve(self: Any, info: strawberry.Info) -> Any:
        key = getattr(self, field.name)
        found = [] if key is None else await load_many(info.context, [(kind, key)])
        return found[0] if found else None

    resolve.__annotations__ = {"info": strawberry.Info, "return": _lazy(kind) | None}
    return strawberry.field(resolver=resolve, description=f"The {kind} that {field.name} names.")


def _paged_fields(name: str, description: str, item_type: Any, resolve: Any, resolve_connection: Any) -> dict[str, Any]:
    """A list that can be cut: ``name`` gives the first ``first`` (at most the page cap), ``<name>Connection``
    all of them a page at a time, with the total."""
    paged = f"{name}Connection"
    resolve.__annotations__ = {"info": strawberry.Info, "first": int, "return": list[item_type]}  # type: ignore[valid-type]
    resolve_connection.__annotations__ = {"info": strawberry.Info, "first": int, "after": str | None,
                                          "return": Connection[item_type]}  # type: ignore[valid-type]
    return {
        name: strawberry.field(resolver=resolve, name=name, description=(
            f"{description} The first `first` in key order; `{paged}` pages through all, with the total.")),
        paged: strawberry.field(resolver=resolve_connection, name=paged,
                                description=f"{description} All of them, a page at a time in key order."),
    }


def _neighbours_fields(kind: str, spec: Neighbours) -> dict[str, Any]:
    """The field ``spec`` names (and, for a list, its connection: see :func:`_paged_fields`)."""
    rel = RELS[spec.rel]
    far = rel.target if spec.direction == "out" else rel.source
    far_type = _lazy(far[0]) if len(far) == 1 else Record

    async def edges(self: Any, info: strawberry.Info) -> list[Edge]:
        return await info.context.edges(spec.rel, spec.direction).load((kind, self.id))

    def far_ref(e: Edge) -> NodeRef:
        return e.dst if spec.direction == "out" else e.src

    if spec.shape == "one":
        async def resolve_one(self: Any, info: strawberry.Info) -> Any:
            found = await load_many(info.context, [far_ref(e) for e in await edges(self, info)][:1])
            return found[0] if found else None
        resolve_one.__annotations__ = {"info": strawberry.Info, "return": far_type | None}
        return {spec.name: strawberry.field(resolver=resolve_one, name=spec.name, description=spec.description)}

    async def nodes(ctx: Context, found: list[Edge], load: Any = load_each) -> list[Any]:
        if spec.shape == "relations":
            return [to_relation(e) for e in found]
        return await load(ctx, [far_ref(e) for e in found])

    async def resolve(self: Any, info: strawberry.Info, first: int = DEFAULT_PAGE_SIZE) -> list[Any]:
        return await nodes(info.context, (await edges(self, info))[:info.context.page_size(first)], load_many)

    async def resolve_connection(self: Any, info: strawberry.Info, first: int = DEFAULT_PAGE_SIZE,
                                 after: str | None = None) -> Any:
        # in the loader's order (link_order): far end, then what tells parallel edges apart
        return await paginate_by(info.context, await edges(self, info), link_order, first, after,
                                 partial(nodes, info.context))

    item_type = _lazy(_type_name(spec.rel)) if spec.shape == "relations" else far_type
    return _paged_fields(spec.name, spec.description, item_type, resolve, resolve_connection)


def _steps_field(kind: str) -> Any:
    """The process steps an item went through: those that made it and those that consumed it."""
    async def resolve(self: Any, info: strawberry.Info) -> list[Any]:
        ctx: Context = info.context
        made, used = await asyncio.gather(ctx.edges("CONSUMED_INTO", "in").load((kind, self.id)),
                                          ctx.edges("CONSUMED_INTO", "out").load((kind, self.id)))
        steps = sorted({e.props["step_id"] for e in live((*made, *used))})  # a retracted one never happened
        return await load_many(ctx, [("ProcessStep", s) for s in steps])

    resolve.__annotations__ = {"info": strawberry.Info, "return": list[_lazy("ProcessStep")]}  # type: ignore[misc]
    return strawberry.field(resolver=resolve, name="steps",
                            description="Process steps that made it or consumed it (retracted consumptions "
                                        "left out), in key order.")


def _received_fields() -> dict[str, Any]:
    """A customer's lots and serials by the engine's rule, not its raw shipment lines."""
    async def received(self: Any, info: strawberry.Info) -> list[NodeRef]:
        ctx: Context = info.context
        return await ctx.run(ctx.graph.received, self.id)

    async def resolve(self: Any, info: strawberry.Info, first: int = DEFAULT_PAGE_SIZE) -> list[Any]:
        return await load_many(info.context, (await received(self, info))[:info.context.page_size(first)])

    async def resolve_connection(self: Any, info: strawberry.Info, first: int = DEFAULT_PAGE_SIZE,
                                 after: str | None = None) -> Any:
        return await paginate_by(info.context, await received(self, info), lambda ref: ref, first, after,
                                 partial(load_each, info.context))

    return _paged_fields("received", "The lots and serials this customer received: those shipped to it loose and "
                         "what its shipped containers held when they left (retracted lines and packings left out), "
                         "lots first.", Record, resolve, resolve_connection)


def _type_name(rel: str) -> str:
    return "".join(part.capitalize() for part in rel.split("_"))


def _build() -> None:
    for kind in NODE_KINDS:
        annotations: dict[str, Any] = {"attributes": JSON | None}
        namespace: dict[str, Any] = {
            "attributes": strawberry.field(default=None, description="Extra source-system fields, if any."),
        }
        for f in kind.fields:
            annotations[f.name] = _SCALARS[f.type] if f.required else _SCALARS[f.type] | None
            namespace[f.name] = strawberry.field(description=f.description) if f.required else strawberry.field(
                default=None, description=f.description)
            if f.references:
                namespace[f.name.removesuffix("_id")] = _reference_field(f)
        for spec in NEIGHBOURS.get(kind.name, ()):
            namespace.update(_neighbours_fields(kind.name, spec))
        if kind.name in ("Lot", "Serial"):
            namespace["steps"] = _steps_field(kind.name)
        if kind.name == "Customer":
            namespace.update(_received_fields())
        if kind.name in HOLDABLE_KINDS:
            namespace["recall_holds"] = holds_field(kind.name)
        namespace["__annotations__"] = annotations
        cls = type(kind.name, (Record,), namespace)
        RECORD_TYPES[kind.name] = strawberry.type(cls, description=kind.description)
    for rel in REL_KINDS:
        annotations = {}
        namespace = {}
        for f in rel.fields:
            annotations[f.name] = _SCALARS[f.type] | None
            namespace[f.name] = strawberry.field(default=None, description=f.description)
            if f.references:
                namespace[f.name.removesuffix("_id")] = _reference_field(f)
        namespace["__annotations__"] = annotations
        cls = type(_type_name(rel.name), (Relation,), namespace)
        RELATION_TYPES[rel.name] = strawberry.type(cls, description=rel.description)
    globals().update({cls.__name__: cls for cls in (*RECORD_TYPES.values(), *RELATION_TYPES.values())})


_build()

_record_kinds: type[Enum] = Enum("RecordKind", {k.name: k.name for k in NODE_KINDS})  # type: ignore[misc]
RecordKind = strawberry.enum(_record_kinds, description="A kind of record, as in the data dictionary.")
