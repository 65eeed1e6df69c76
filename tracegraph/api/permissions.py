"""The permission class root fields declare, and the GraphQL face of :class:`Role`."""

from __future__ import annotations

from functools import cache
from typing import Any

import strawberry
from strawberry.permission import BasePermission

from .roles import CAPABILITIES, Role

strawberry.enum(Role, description="What an API key may do; each role includes the ones before it.")


@cache
def requires(capability: str) -> type[BasePermission]:
    """The permission class for fields that need ``capability``; it fails with code FORBIDDEN."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")
    roles = ", ".join(sorted(r.value for r in CAPABILITIES[capability]))

    def has_permission(self: BasePermission, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.may(capability)

    # built with type() so the class has its own name from the start (strawberry derives a directive from it)
    return type(f"Requires{capability.capitalize()}", (BasePermission,), {
        "capability": capability,
        "message": f"this needs one of the roles: {roles}",
        "error_extensions": {"code": "FORBIDDEN"},
        "has_permission": has_permission,
    })
