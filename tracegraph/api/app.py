"""The ASGI application: ``/graphql`` (GraphiQL in a browser), ``/healthz``, ``/readyz`` and the web pages.

Authentication happens here, before GraphQL: every request but the health checks (and the
GraphiQL page and the web explorer's pages and assets, which hold no data) needs an API key, as
``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; without a valid one the answer is HTTP 401
with the API's error shape.
Authorization (roles) is enforced in the schema.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.types.unset import UNSET

from ..errors import TraceGraphError, Unauthenticated
from ..graph import Graph, connect
from ..web import is_public as is_web_page, routes as web_routes
from .body import BodyLimit
from .context import ApiSettings, Context
from .errors import error_body, log
from .keys import ApiKeys
from .roles import Principal
from .schema import build_schema

PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})


class KeyUser(BaseUser):
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.principal.name or self.principal.key_id


def _presented_key(conn: HTTPConnection) -> str | None:
    scheme, _, token = conn.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return conn.headers.get("x-api-key") or None


def _is_ide_page(conn: HTTPConnection) -> bool:
    return (conn.url.path == "/graphql" and conn.scope.get("method") == "GET" and "query" not in conn.query_params
            and "text/html" in conn.headers.get("accept", ""))


class KeyBackend(AuthenticationBackend):
    def __init__(self, keys: ApiKeys) -> None:
        self.keys = keys

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        if conn.url.path in PUBLIC_PATHS or is_web_page(conn.url.path) or _is_ide_page(conn):
            return None
        presented = _presented_key(conn)
        if presented is None:
            raise AuthenticationError("an API key is required: send 'Authorization: Bearer <key>'")
        try:
            principal = await anyio.to_thread.run_sync(self.keys.verify, presented)
        except Unauthenticated as exc:
            raise AuthenticationError(str(exc)) from None
        return AuthCredentials([principal.role.value]), KeyUser(principal)


def _unauthenticated(conn: HTTPConnection, exc: Exception) -> Response:
    return JSONResponse(error_body("UNAUTHENTICATED", str(exc)), status_code=401,
                        headers={"WWW-Authenticate": "Bearer"})


def create_app(graph: str | Graph, *, settings: ApiSettings | None = None) -> Starlette:
    """The service over a graph, given as a store URL (opened here, closed at shutdown) or a Graph."""
    limits: ApiSettings = settings or ApiSettings()
    owned = isinstance(graph, str)
    g = connect(graph) if isinstance(graph, str) else graph
    store_threads = anyio.CapacityLimiter(limits.store_threads)

    class GraphQLApp(GraphQL[Context, None]):
        async def get_context(self, request: Any, response: Any) -> Context:
            # No principal only for the GraphiQL page, which the middleware lets through and runs no query.
            return Context.start(g, getattr(request.user, "principal", None), limits, store_threads)

        async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
            """Requests strawberry refuses before GraphQL (bad JSON, wrong method) get the error shape too."""
            try:
                return await super().run(request, context, root_value)
            except HTTPException as exc:
                return JSONResponse(error_body("BAD_INPUT", exc.reason), status_code=exc.status_code)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    warmed = anyio.Event()  # set once the store's in-memory caches are built (see lifespan)

    async def warm() -> None:
        try:
            await anyio.to_thread.run_sync(g.engine.warm, abandon_on_cancel=True)
        except Exception:  # noqa: BLE001 -- not fatal: the store builds what a query needs on first use instead
            log.exception("building the store's index at startup failed; the first query will build it")
        # What the server holds from now on (the index above all) leaves the cyclic collector's full passes,
        # which at 1M serials otherwise stop a request for 50-130 ms about every 20 requests. Garbage is
        # collected first: the collector never looks at frozen objects again.
        gc.collect()
        gc.freeze()
        warmed.set()

    async def readyz(request: Request) -> Response:
        if not warmed.is_set():
            return JSONResponse({"status": "starting", "detail": "the store's index is being built"}, status_code=503)
        try:
            await anyio.to_thread.run_sync(g.store.get, "Lot", [])
        except TraceGraphError as exc:
            return JSONResponse(error_body(exc.code, str(exc)), status_code=503)
        except Exception:  # noqa: BLE001 -- any failure means not ready; it is logged
            log.exception("readiness check failed")
            return JSONResponse(error_body("INTERNAL", "the store is not ready"), status_code=503)
        return JSONResponse({"status": "ready"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Build the index in the background: /healthz answers at once, /readyz once the first query is fast.
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(warm)
            yield
            tasks.cancel_scope.cancel()
        if owned:
            g.close()

    return Starlette(
        routes=[Route("/healthz", healthz), Route("/readyz", readyz),
                Route("/graphql", GraphQLApp(build_schema(limits))), *web_routes()],
        middleware=[Middleware(BodyLimit, max_bytes=limits.max_body_bytes),
                    Middleware(AuthenticationMiddleware, backend=KeyBackend(ApiKeys(g.store)),
                               on_error=_unauthenticated)],
        lifespan=lifespan,
    )
