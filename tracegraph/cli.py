"""The ``tracegraph`` command. Every command is a thin shell over :class:`tracegraph.Graph`.

Exit codes (the README's table is the one list; a test checks it against the code): 0 success; 1 a load
rejected records; 2 a domain error (the message names the cause) or a usage error; 3 a broken audit trail.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .api import cli as api_cli
from .cli_options import GlobalOptionsGroup
from .cli_rejects import kept_rejects
from .cli_store import register as register_store_commands
from .errors import BadInput, TraceGraphError
from .graph import Graph, connect
from .loaders import LoadReport
from .standards_cli import register as register_standards
from .store import redact
from .trace import GROUPS, Link, RecallScope, TraceResult, live_edges

app = typer.Typer(help="TraceGraph: genealogy, trace and recall scope for medical devices.",
                  no_args_is_help=True, pretty_exceptions_enable=False, cls=GlobalOptionsGroup)
load_app = typer.Typer(help="Load records from source systems.", no_args_is_help=True)
trace_app = typer.Typer(help="Forward and backward traces.", no_args_is_help=True)
app.add_typer(load_app, name="load")
app.add_typer(trace_app, name="trace")
app.add_typer(api_cli.apikey_app, name="apikey")
app.command("serve")(api_cli.serve_cmd)
console = Console()
err = Console(stderr=True)

DB_HELP = ("Store URL or path: sqlite:///trace.db, a file path, or neo4j://user:password@host:7687/database; "
           "before or after the command.")
Ids = Annotated[list[str] | None, typer.Option()]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.callback()
def main(ctx: typer.Context,
         db: Annotated[str, typer.Option("--db", envvar="TRACEGRAPH_DB", help=DB_HELP)] = "tracegraph.db") -> None:
    ctx.obj = db


@contextmanager
def _with_errors() -> Iterator[None]:
    """Turn domain errors into a message and exit code 2."""
    try:
        yield
    except TraceGraphError as exc:
        err.print(f"[red]error[/red] ({exc.code}): {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Files a command writes: a path that cannot be written is BAD_INPUT naming it (exit 2), not a traceback."""
    with _with_errors():
        try:
            yield
        except OSError as e:
            raise BadInput(f"cannot write {path}: {e.strerror or e}") from e


@contextmanager
def _graph(ctx: typer.Context, *, read_only: bool = False, create: bool = False) -> Iterator[Graph]:
    """Open the graph named by --db, turning domain errors into a message and exit code 2. Only the
    commands that make a store (``create``: loads, init, demo) make one at a mistyped path; the others
    say there is no database there."""
    with _with_errors(), connect(ctx.obj, read_only=read_only, create=create) as graph:
        yield graph


def _print_counts(title: str, counts: dict[str, int]) -> None:
    if title:
        console.print(f"{title}:")
    for name, n in counts.items():
        console.print(f"{name:<16} {n:>12,}")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def _summary(title: str, result: TraceResult) -> Table:
    table = Table(title=title, show_header=True)
    table.add_column("kind")
    table.add_column("count", justify="right")
    table.add_column("first ids")
    for group in GROUPS:
        ids = result.ids[group]
        if ids:
            table.add_row(group, str(len(ids)), ", ".join(ids[:4]) + (" ..." if len(ids) > 4 else ""))
    if result.holds:
        held = sorted(result.holds)
        table.add_row("on recall hold", str(len(held)), ", ".join(held[:4]) + (" ..." if len(held) > 4 else ""))
    return table


def _load_with_progress(graph: Graph, directory: Path) -> Any:
    with Progress(TextColumn("{task.description:<16}"), BarColumn(), TextColumn("{task.completed:>10,} rows"),
                  TimeElapsedColumn(), console=err, transient=False) as progress:
        tasks: dict[str, Any] = {}

        def step(table: str, rows: int) -> None:
            tasks.setdefault(table, progress.add_task(table, total=rows))
            progress.update(tasks[table], completed=rows)
        return graph.load_tables(directory, step)


@load_app.command("tables")
def load_tables_cmd(ctx: typer.Context, directory: Path,
                    rejects: Annotated[Path, typer.Option(help="Where rejected records are written.")] = Path(
                        "tracegraph-rejects.csv")) -> None:
    """Load canonical tables (CSV or Parquet named after their kind) from DIRECTORY as one batch."""
    with _with_errors(), kept_rejects(rejects, LoadReport.REJECT_COLUMNS, LoadReport.reject_row) as rejected:
        with _graph(ctx, create=True) as graph:
            report = _load_with_progress(graph, directory)
        rejected += report.rejected
    for table, n in sorted(report.loaded.items()):
        console.print(f"loaded {n:>10,} {table}")
    for name in report.skipped_files:
        console.print(f"skipped {name} (not a canonical table)")
    if report.rejected:
        console.print(f"rejected {len(report.rejected):,} record problem(s); see {rejects}")
        for r in report.rejected[:10]:
            err.print(f"  {r.file} row {r.row} field {r.field}: {r.reason}", highlight=False)
        raise typer.Exit(1)
    console.print("rejected          0")


def _trace_cmd(direction: str) -> Callable[..., None]:
    def command(ctx: typer.Context, lot: Ids = None, serial: Ids = None, container: Ids = None,
                supplier: Ids = None, material: Ids = None, as_json: Json = False) -> None:
        with _graph(ctx, read_only=True) as graph:
            if direction == "forward":
                result = graph.forward(lot=lot, serial=serial, container=container, supplier=supplier,
                                       material=material)
            else:
                if supplier or material:
                    err.print("error (BAD_INPUT): a backward trace starts from --lot, --serial or --container")
                    raise typer.Exit(2)
                result = graph.backward(lot=lot, serial=serial, container=container)
        if as_json:
            _print_json(result.as_dict())
        else:
            console.print(_summary(f"{direction} trace", result))
    command.__doc__ = f"{direction.capitalize()} trace from --lot, --serial, --container" + (
        ", --supplier or --material (where-used)." if direction == "forward" else ".")
    return command


trace_app.command("forward")(_trace_cmd("forward"))
trace_app.command("backward")(_trace_cmd("backward"))


def _print_scope(scope: RecallScope) -> None:
    console.print(_summary("recall scope", scope.trace))
    statuses: dict[str, int] = {}
    for w in scope.whereabouts.values():
        statuses[f"{w.item[0].lower()}s {w.status}"] = statuses.get(f"{w.item[0].lower()}s {w.status}", 0) + 1
    console.print("where affected items are now: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    table = Table(title=f"affected customers ({len(scope.by_customer)})")
    for column in ("customer", "serials", "lots", "shipments"):
        table.add_column(column, justify="left" if column == "customer" else "right")
    for customer, c in list(scope.by_customer.items())[:15]:
        table.add_row(customer, str(c["serials"]), str(c["lots"]), str(c["shipments"]))
    console.print(table)


@app.command("recall-scope")
def recall_scope_cmd(ctx: typer.Context, lot: Ids = None, serial: Ids = None, container: Ids = None,
                     supplier: Ids = None, material: Ids = None, as_json: Json = False) -> None:
    """Everything a recall of these lots (serials, containers, suppliers, materials) must reach (audited)."""
    with _graph(ctx) as graph:
        scope = graph.recall_scope(lots=lot, serials=serial, containers=container, suppliers=supplier,
                                   materials=material)
    if as_json:
        _print_json(scope.as_dict())
    else:
        _print_scope(scope)


@app.command("explain")
def explain_cmd(ctx: typer.Context,
                target: Annotated[str, typer.Argument(help="KIND:ID of a reached record, e.g. Serial:SN000000001")],
                lot: Ids = None, serial: Ids = None, container: Ids = None, supplier: Ids = None,
                material: Ids = None, backward: Annotated[bool, typer.Option(help="Explain a backward trace.")] = False,
                as_json: Json = False) -> None:
    """The shortest chain of records from the start to TARGET."""
    kind, sep, key = target.partition(":")
    with _graph(ctx, read_only=True) as graph:
        if not (kind and sep and key):
            raise BadInput(f"TARGET must be KIND:ID (e.g. Serial:SN000000001), not {target!r}")
        result = (graph.backward(lot=lot, serial=serial, container=container) if backward else
                  graph.forward(lot=lot, serial=serial, container=container, supplier=supplier, material=material))
        chain = result.explain(kind, key)
    if as_json:
        _print_json([link.as_dict() for link in chain])
        return
    for link in chain:
        props = ", ".join(f"{k}={v}" for k, v in link.props.items() if v is not None)
        console.print(f"{link.src[0]} {link.src[1]} -[{link.rel}]-> {link.dst[0]} {link.dst[1]}"
                      + (f"  ({props})" if props else ""), highlight=False)


@app.command("supplier-exposure")
def supplier_exposure_cmd(ctx: typer.Context, supplier_id: str, as_json: Json = False) -> None:
    """Products, finished lots, serials and customers depending on one supplier; its sole-source materials."""
    with _graph(ctx, read_only=True) as graph:
        exposure = graph.supplier_exposure(supplier_id)
    data = exposure.as_dict()
    if as_json:
        _print_json(data)
        return
    for key in ("products", "finished_lots", "serials", "customers", "sole_source_materials"):
        console.print(f"{key:<22} {len(data[key]):>8,}  {', '.join(data[key][:5])}")


@app.command("counts")
def counts_cmd(ctx: typer.Context, as_json: Json = False) -> None:
    """Records per kind and edges per relationship."""
    with _graph(ctx, read_only=True) as graph:
        counts = graph.counts()
    if as_json:
        _print_json(counts)
    else:
        _print_counts("", counts)


@app.command("quality")
def quality_cmd(ctx: typer.Context, as_json: Json = False,
                show: Annotated[int, typer.Option(help="Findings listed per check.")] = 5) -> None:
    """Data quality and KPIs: completeness, broken chains, trace coverage, supplier compliance."""
    from .quality import CHECKS
    with _graph(ctx, read_only=True) as graph:
        report = graph.quality()
    if as_json:
        _print_json(report.as_dict())
        return
    cov = report.coverage
    console.print(f"trace coverage: {cov.covered:,} of {cov.shipped_serials:,} shipped serials reach supplier lots "
                  f"({cov.share:.2%}; target > {cov.target:.0%}: {'met' if cov.meets_target else 'NOT met'})")
    worst = sorted((s for s in report.suppliers if s.failed_lots), key=lambda s: (-s.share_failed, s.supplier_id))
    for s in worst[:show]:
        console.print(f"supplier {s.supplier_id}: {s.failed_lots} of {s.consumed_lots} consumed lots failed "
                      f"inspection ({s.share_failed:.1%})", highlight=False)
    gaps = [c for c in report.completeness if c.filled < c.records or c.invalid or c.rejected]
    table = Table(title="completeness (fields not fully filled, with invalid values, or in rejected records)")
    for column in ("kind", "field", "required", "filled", "records", "fill rate", "invalid", "rejected"):
        table.add_column(column, justify="left" if column in ("kind", "field") else "right")
    for c in gaps:
        table.add_row(c.kind, c.field, "yes" if c.required else "", f"{c.filled:,}", f"{c.records:,}",
                      f"{c.fill_rate:.1%}", str(c.invalid), str(c.rejected))
    console.print(table)
    for check, found in report.by_check().items():
        console.print(f"[bold]{check}[/bold]: {len(found)}  ({CHECKS[check]})")
        for f in found[:show]:
            console.print(f"  {f.detail}", highlight=False)
        if len(found) > show:
            console.print(f"  ... {len(found) - show} more (--json lists all)")


@app.command("generate")
def generate_cmd(outdir: Path, serials: Annotated[int, typer.Option(help="About how many units.")] = 5000,
                 seed: Annotated[int, typer.Option(help="Same seed, same files.")] = 7,
                 defects: Annotated[bool, typer.Option(help="Add deliberate data-quality defects.")] = False) -> None:
    """Write a synthetic medical-device genealogy as canonical tables into OUTDIR."""
    from .generate import generate
    with _writing(outdir):
        rows = generate(outdir, serials, seed, defects)
    for table, n in rows.items():
        console.print(f"{table:<16} {n:>10,}")


@app.command("dictionary")
def dictionary_cmd(out: Annotated[Path | None, typer.Option(help="Write to this file.")] = None) -> None:
    """Print (or write) the data dictionary as Markdown."""
    from .schema.docs import render_markdown
    text = render_markdown()
    if out:
        with _writing(out):
            out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@app.command("demo")
def demo_cmd(ctx: typer.Context, serials: Annotated[int, typer.Option(help="Size of the demo plant.")] = 5000,
             seed: int = 7,
             defects: Annotated[bool, typer.Option(help="Plant data-quality defects for `quality`.")] = True) -> None:
    """Generate a demo plant, load it into the store and walk through a trace and a recall."""
    from .generate import generate
    with tempfile.TemporaryDirectory() as tmp:
        console.rule("1. Generate a synthetic device plant")
        rows = generate(tmp, serials, seed, defects)
        console.print(", ".join(f"{n:,} {t}" for t, n in rows.items()))
        console.rule(f"2. Load it into {redact(ctx.obj)}")
        with _graph(ctx, create=True) as graph:
            report = _load_with_progress(graph, Path(tmp))
            console.print(f"loaded {sum(report.loaded.values()):,} records, rejected {len(report.rejected)}"
                          + (" (planted defects: kept out of the graph, listed in the data-quality step)"
                             if report.rejected else ""))
            _demo_walkthrough(graph, ctx.obj)


def _demo_start(graph: Graph) -> tuple[str, str]:
    """The demo's starting point: the first purchased lot that was consumed, and its supplier.

    A supplier's lot that went into production is what a recall usually starts from, and its
    forward trace and recall scope reach finished lots, units and customers.
    """
    purchased = {r["lot_id"]: r["supplier_id"] for r in graph.store.records("Lot") if r.get("supplier_id")}
    consumed = {e.src[1] for e in live_edges(graph.store, "CONSUMED_INTO", [("Lot", lot) for lot in purchased], "out")}
    if not consumed:
        raise BadInput("the demo plant has no purchased lot that was consumed")
    lot = min(consumed)
    return lot, purchased[lot]


def _print_chain(chain: list[Link]) -> None:
    for link in chain:
        console.print(f"  {link.src[0]} {link.src[1]} -[{link.rel}]-> {link.dst[0]} {link.dst[1]}", highlight=False)


def _demo_walkthrough(graph: Graph, db: str) -> None:
    raw_lot, supplier = _demo_start(graph)
    console.rule(f"3. Forward trace: where did supplier lot {raw_lot} go?")
    console.print(f"Lot {raw_lot} was bought from supplier {supplier} and consumed in production.")
    forward = graph.forward(lot=raw_lot)
    console.print(_summary(f"forward from {raw_lot}", forward))
    customer = forward.ids["customers"][0] if forward.ids["customers"] else None
    if customer:
        console.print(f"Why is customer {customer} affected? The chain of records:")
        _print_chain(forward.explain("Customer", customer))
    serial = forward.ids["serials"][0] if forward.ids["serials"] else next(iter(graph.store.keys("Serial")))
    console.rule(f"4. Backward trace: where did unit {serial} come from?")
    console.print(_summary(f"backward from {serial}", graph.backward(serial=serial)))
    console.rule(f"5. Recall scope: what must a recall of lot {raw_lot} reach?")
    _print_scope(graph.recall_scope(lots=[raw_lot]))
    console.rule("6. Data quality: can the data be trusted?")
    report = graph.quality()
    console.print(f"trace coverage {report.coverage.share:.2%}; findings: "
                  + ", ".join(f"{check} {len(found)}" for check, found in report.by_check().items()))
    for f in (f for f in report.findings if f.source):
        console.print(f"  {f.check}: {f.detail}", highlight=False)
    console.rule(f"7. Open and scope a recall of lot {raw_lot}")
    from .recall.cli import demo_recall
    demo_recall(graph, [raw_lot])
    console.rule("Next: try these on the demo store")
    tg = f"tracegraph --db {redact(db)}"
    tries = [(f"{tg} trace backward --serial {serial}", "where one unit came from"),
             (f"{tg} supplier-exposure {supplier}", "everything that depends on one supplier"),
             (f"{tg} quality", "every data-quality finding"),
             (f"{tg} apikey create --role analyst", "an API key; then serve the API and web explorer:"),
             (f"{tg} serve", "GraphQL at http://127.0.0.1:8000/graphql, the explorer at http://127.0.0.1:8000/")]
    if customer:
        tries.insert(1, (f"{tg} explain Customer:{customer} --lot {raw_lot}", "why a customer is affected"))
    for command, what in tries:
        console.print(f"  {command}\n      {what}", highlight=False)


from .recall.cli import register as _register_recall  # noqa: E402  (the recall commands use the helpers above)

_register_recall(app)


register_standards(app, load_app, trace_app, _graph, _print_json, _summary)
register_store_commands(app)

if __name__ == "__main__":
    app()
