"""Store commands of the ``tracegraph`` CLI: ``init``, ``copy`` and ``export neo4j-admin``.

Registered on the main app by :func:`register`; like every command, thin over the store interface.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .graph import connect
from .store.transfer import export_neo4j_admin

export_app = typer.Typer(help="Write the graph out in other tools' formats.", no_args_is_help=True)


def init_cmd(ctx: typer.Context) -> None:
    """Create the store's schema (an embedded schema-1 file is upgraded); on Neo4j, the key constraints and
    lookup indexes (IF NOT EXISTS)."""
    from .cli import _graph, console
    with _graph(ctx, create=True) as graph:
        made = graph.store.ensure_schema()
    if not made:
        console.print("the embedded store is ready")
    for name, created in made.items():
        console.print(f"{'created' if created else 'present':<8} {name}", highlight=False)


def copy_cmd(src: Annotated[str, typer.Argument(help="Store URL to copy from.")],
             dst: Annotated[str, typer.Argument(help="Store URL to copy into (upserted).")]) -> None:
    """Copy every record and edge from SRC to DST, e.g. sqlite:///trace.db to neo4j://host:7687."""
    from .cli import _print_counts, _with_errors
    with _with_errors(), connect(src, read_only=True) as source, connect(dst) as target:
        target.store.ensure_schema()
        copied = target.copy_from(source.store, src)
        _print_counts("copied", copied)
        _print_counts("now in destination", target.counts())


@export_app.command("neo4j-admin")
def export_admin_cmd(ctx: typer.Context, outdir: Path) -> None:
    """CSV files for `neo4j-admin database import full` (and import.sh to run it) from the --db store."""
    from .cli import _graph, _print_counts, console
    with _graph(ctx, read_only=True) as graph:
        written = export_neo4j_admin(graph.store, outdir)
    _print_counts("exported", written)
    console.print(f"load them with: sh {outdir / 'import.sh'} [DATABASE]", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("init")(init_cmd)
    app.command("copy")(copy_cmd)
    app.add_typer(export_app, name="export")
