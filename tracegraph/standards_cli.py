"""CLI commands for standard formats: ``load epcis``, ``load gudid`` and ``identify``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from . import identify  # parses with the [standards] extra, imported when called
from .cli_rejects import kept_rejects
from .errors import NoDatabase

if TYPE_CHECKING:
    from .identifiers import Identification

console = Console()
err = Console(stderr=True)


def register(app: typer.Typer, load_app: typer.Typer, trace_app: typer.Typer,
             graph: Callable[..., AbstractContextManager[Any]], print_json: Callable[[Any], None],
             summary: Callable[[str, Any], Any]) -> None:
    """Add the commands to the CLI; ``graph(ctx, read_only=...)`` opens the store as the CLI does."""
    from .cli import _with_errors  # cli.py defines it before it registers these commands

    @trace_app.command("id")
    def trace_id_cmd(ctx: typer.Context, text: str,
                     backward: Annotated[bool, typer.Option(help="Trace upstream instead.")] = False,
                     as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
        """Trace from any identifier of a lot, serial or container (EPC URN, Digital Link, GS1, HIBC, key)."""
        with graph(ctx, read_only=True) as g:
            start = g.start_of(text)
            result = g.engine.backward(start) if backward else g.engine.forward(start)
        if as_json:
            print_json(result.as_dict())
        else:
            console.print(summary(f"{'backward' if backward else 'forward'} trace from {text}", result))

    @load_app.command("epcis")
    def load_epcis_cmd(ctx: typer.Context, files: list[Path],
                       proceed: Annotated[bool, typer.Option(help="Load valid events of a document with "
                                                             "invalid ones (default: reject it whole).")] = False,
                       rejects: Annotated[Path, typer.Option(help="Where rejected events are written.")] = Path(
                           "tracegraph-epcis-rejects.csv")) -> None:
        """Capture EPCIS 2.0 (and 1.2 XML) documents, JSON/JSON-LD or XML, each as one batch."""
        with _with_errors(), kept_rejects(rejects, ("file", "event", "event_id", "reason"),
                                          lambda r: (r.file, r.index, r.event_id, r.reason)) as rejected:
            with graph(ctx, create=True) as g:  # fills ``rejected`` document by document
                report = g.load_epcis(files, proceed=proceed, rejected=rejected)
        console.print(f"documents {report.documents}, events captured {report.captured}, "
                      f"already held {report.recaptured}, rejected {len(report.rejected)}")
        for name, n in sorted(report.written.items()):
            console.print(f"  wrote {n:>8,} {name}")
        for warning in report.warnings:
            err.print(f"warning: {warning}", highlight=False)
        for doc in report.rolled_back:
            err.print(f"rolled back {doc}: it has invalid events (use --proceed to load the valid ones)",
                      highlight=False, soft_wrap=True)  # a path broken across lines would be no path
        if report.rejected:
            for r in report.rejected[:20]:
                err.print(f"  {r.file} event {r.index} ({r.event_id}): {r.reason}", highlight=False, soft_wrap=True)
            raise typer.Exit(1)

    @load_app.command("gudid")
    def load_gudid_cmd(ctx: typer.Context, file: Path,
                       rejects: Annotated[Path, typer.Option(help="Where invalid DIs are written.")] = Path(
                           "tracegraph-gudid-rejects.csv")) -> None:
        """Load FDA GUDID device records (XML release format, zipped or not) as products."""
        with _with_errors(), kept_rejects(rejects, ("record_key", "device_id", "id_type", "reason"),
                                          lambda i: (i.record_key, i.device_id, i.id_type, i.reason)) as rejected:
            with graph(ctx, create=True) as g:
                report = g.load_gudid(file)
            rejected += report.invalid
        console.print(f"devices {report.devices:,}, products {report.products:,}, package links "
                      f"{report.packages:,}, other identifiers {report.identifiers:,}, invalid DIs {len(report.invalid):,}")
        for warning in report.warnings[:10]:
            err.print(f"warning: {warning}", highlight=False)
        if report.invalid:
            console.print(f"invalid DIs written to {rejects}")
            raise typer.Exit(1)

    @app.command("identify")
    def identify_cmd(ctx: typer.Context, text: str,
                     as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
        """What an identifier means: GS1 element string, HRI, Digital Link, EPC URN, HIBC or ERP key.

        Parsing needs no store: without a database the parts are printed and no records looked up. With
        one, a text no record matches is printed as read, then NOT_FOUND (exit 2), in JSON as in text."""
        from .graph import connect
        with _with_errors():
            try:
                with connect(ctx.obj, read_only=True) as g:
                    result, unread = g.identify(text), None
            except NoDatabase as exc:
                result, unread = identify(text), f"no records were looked up: {exc}"
        if as_json:
            print_json({**result.as_dict(), "records_looked_up": result.looked_up})
        else:
            _print_identification(result)
        if unread:
            (err if as_json else console).print(unread, highlight=False)
            return
        from .identifiers import require_match  # the extra is there: it read the text
        with _with_errors():
            require_match(result)


def _print_identification(result: Identification) -> None:
    for r in [result, *result.alternatives]:
        title = "ambiguous reading" if result.ambiguous else "reading"
        console.print(f"{title} ({r.reading.format}): {r.reading.parts_text}", highlight=False)
        for check in r.reading.checks:
            console.print(f"  checked: {check}", highlight=False)
        for kind, records in r.records.items():
            for record in records:
                console.print(f"  {kind} {next(iter(record.values()))}", highlight=False)
        missing = [p.unheld for p in r.named_parts(matched=False)]
        for line in missing:
            console.print(f"  not in the store: {line}", highlight=False)
        if r.records and missing:  # partly matched: the product is held, the unit scanned is not
            found = ", ".join(f"{p.part} {p.value} ({p.kind.lower()})" for p in r.named_parts(matched=True))
            err.print(f"warning: {r.text!r}: not in the store: {', '.join(missing)}; matched: {found}",
                      highlight=False, soft_wrap=True)
    if result.ambiguous:
        err.print("the text allows more than one reading (a scanner may have dropped FNC1); "
                  "rescan or use the bracketed form")
