"""``tracegraph serve`` and ``tracegraph apikey ...``: thin commands over the API and its keys."""

from __future__ import annotations

import ipaddress
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import BadInput, TraceGraphError
from ..extras import extra_module
from ..graph import connect
from .keys import ApiKeys, shown
from .roles import Role

apikey_app = typer.Typer(help="API keys for the GraphQL service (stored hashed in the database).",
                         no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _fail(exc: TraceGraphError) -> typer.Exit:
    err.print(f"[red]error[/red] ({exc.code}): {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_cmd(ctx: typer.Context,
              host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
              port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
              time_limit: Annotated[float, typer.Option(help="Seconds of store work per request.")] = 30.0,
              max_body_bytes: Annotated[int | None, typer.Option(
                  help="Largest request body in bytes (default 1 MiB); a larger one gets HTTP 413.")] = None) -> None:
    """Serve the GraphQL API (/graphql, GraphiQL in a browser) with /healthz and /readyz."""
    try:
        uvicorn = extra_module("uvicorn", "api", "serve")
        create_app = extra_module("tracegraph.api.app", "api", "serve").create_app
        body = {} if max_body_bytes is None else {"max_body_bytes": max_body_bytes}
        settings = extra_module("tracegraph.api.context", "api", "serve").ApiSettings(request_time_limit=time_limit,
                                                                                     **body)
        graph = connect(ctx.obj, create=False)
        if not ApiKeys(graph.store).any_active():
            if not is_loopback(host):
                graph.close()
                err.print(f"refusing to serve on {host}: no API keys are configured. "
                          "Create one with: tracegraph apikey create --role reader")
                raise typer.Exit(2)
            err.print("warning: no API keys yet, so every request but /healthz and /readyz gets 401; "
                      "create one with: tracegraph apikey create --role ROLE")
        app = create_app(graph, settings=settings)
    except TraceGraphError as exc:
        raise _fail(exc) from None
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    except SystemExit as exc:  # uvicorn exits 3 when it cannot start; here 3 means a broken audit trail
        if exc.code:
            raise _fail(BadInput(f"could not serve on {host}:{port} (the log above says why: is the port in use?)"))
        raise
    finally:
        graph.close()


@apikey_app.command("create")
def create_cmd(ctx: typer.Context, role: Annotated[Role, typer.Option(help="What the key may do.")],
               name: Annotated[str, typer.Option(help="Who or what uses the key.")] = "",
               expires_in_days: Annotated[int | None, typer.Option(help="Expire after this many days.")] = None) -> None:
    """Create a key and print it once; only its hash is stored."""
    try:
        with connect(ctx.obj, create=False) as graph:
            key, record = ApiKeys(graph.store, graph.user).create(role, name, expires_in_days)
    except TraceGraphError as exc:
        raise _fail(exc) from None
    err.print(f"created key {record.id} ({record.role}); it is shown only now:")
    print(key)


@apikey_app.command("list")
def list_cmd(ctx: typer.Context,
             as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """Every key: id, name, role, when created, expires, revoked (never the key or its hash)."""
    try:
        with connect(ctx.obj, read_only=True) as graph:
            keys = ApiKeys(graph.store).list()
    except TraceGraphError as exc:
        raise _fail(exc) from None
    if as_json:
        print(json.dumps([shown(key) for key in keys], indent=2))
        return
    table = Table("id", "name", "role", "created", "expires", "revoked")
    for k in keys:
        table.add_row(k.id, k.name, k.role, k.created_at, k.expires_at or "", k.revoked_at or "")
    console.print(table)


@apikey_app.command("revoke")
def revoke_cmd(ctx: typer.Context, key_id: str) -> None:
    """Revoke a key by its id; it stops working at once."""
    try:
        with connect(ctx.obj, create=False) as graph:
            ApiKeys(graph.store, graph.user).revoke(key_id)
    except TraceGraphError as exc:
        raise _fail(exc) from None
    console.print(f"revoked {key_id}")
