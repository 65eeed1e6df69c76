"""Who am I, and API key management over GraphQL (admin only)."""

from __future__ import annotations

import strawberry

from .context import Context
from .keys import ApiKey, ApiKeys
from .permissions import requires
from .recalls import actor
from .roles import CAPABILITIES, Role


@strawberry.type(description="An API key as stored: never the key itself.")
class ApiKeyInfo:
    id: strawberry.ID
    name: str
    role: Role
    created_at: str
    expires_at: str | None
    revoked_at: str | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyInfo:
        return cls(id=strawberry.ID(key.id), name=key.name, role=Role(key.role), created_at=key.created_at,
                   expires_at=key.expires_at, revoked_at=key.revoked_at)


@strawberry.type(description="A new API key: `key` is shown this once and stored only as a hash.")
class NewApiKey:
    key: str
    info: ApiKeyInfo


@strawberry.type(description="The caller of this request.")
class Me:
    key_id: strawberry.ID
    name: str
    role: Role
    capabilities: list[str]


@strawberry.type
class AccessQuery:
    @strawberry.field(permission_classes=[requires("read")], description="The caller: key id, name and role.")
    def me(self, info: strawberry.Info) -> Me:
        p = info.context.principal
        assert p is not None  # the permission class let only a principal through
        return Me(key_id=strawberry.ID(p.key_id), name=p.name, role=p.role,
                  capabilities=sorted(c for c, roles in CAPABILITIES.items() if p.role in roles))

    @strawberry.field(permission_classes=[requires("admin")], description="Every API key, revoked ones too.")
    async def api_keys(self, info: strawberry.Info) -> list[ApiKeyInfo]:
        ctx: Context = info.context
        return [ApiKeyInfo.of(k) for k in await ctx.run(ApiKeys(ctx.graph.store).list)]


@strawberry.type
class AccessMutation:
    @strawberry.mutation(permission_classes=[requires("admin")], description="Create an API key with a role.")
    async def create_api_key(self, info: strawberry.Info, role: Role, name: str = "",
                             expires_in_days: int | None = None) -> NewApiKey:
        ctx: Context = info.context
        key, record = await ctx.run(ApiKeys(ctx.graph.store, actor(ctx)).create, role, name, expires_in_days)
        return NewApiKey(key=key, info=ApiKeyInfo.of(record))

    @strawberry.mutation(permission_classes=[requires("admin")], description="Revoke an API key at once.")
    async def revoke_api_key(self, info: strawberry.Info, id: strawberry.ID) -> ApiKeyInfo:
        ctx: Context = info.context
        return ApiKeyInfo.of(await ctx.run(ApiKeys(ctx.graph.store, actor(ctx)).revoke, id))
