"""Record look-ups: one root field per kind (``lot(id)``, ``serial(id)``, ...), NOT_FOUND when absent."""

from __future__ import annotations

from typing import Any

import strawberry

from ..schema import NODE_KINDS, NodeKind
from .permissions import requires
from .types import RECORD_TYPES, load_one


def _root_field(kind: NodeKind) -> Any:
    async def resolve(self: Any, info: strawberry.Info, id: strawberry.ID) -> Any:
        return await load_one(info.context, (kind.name, id))

    resolve.__annotations__ = {"info": strawberry.Info, "id": strawberry.ID, "return": RECORD_TYPES[kind.name]}
    name = kind.name[0].lower() + kind.name[1:]
    return strawberry.field(resolver=resolve, name=name, permission_classes=[requires("read")],
                            description=f"One {kind.name} by its {kind.key}, with its direct neighbours.")


RecordQuery = strawberry.type(type("RecordQuery", (), {kind.name: _root_field(kind) for kind in NODE_KINDS}),
                              description="Records by id.")
