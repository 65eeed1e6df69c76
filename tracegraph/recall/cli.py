"""``tracegraph recall ...``, ``tracegraph audit ...`` and ``tracegraph signer set``: thin shells over
:class:`RecallService` and :class:`AuditLog`. The acting user is ``--user`` or ``$TRACEGRAPH_USER``
(else the login name); signing secrets are prompted for, never taken from the command line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..errors import BadInput, IntegrityError, NotFound
from ..graph import Graph
from ..trace.triggers import RecallTrigger
from .audit import Head
from .export import write_csv, write_html
from .model import ScopeVersion
from .notices import open_recall
from .service import RecallService
from .signatures import SIGNERS, intact, unrecorded

recall_app = typer.Typer(help="Recalls: open, scope, hold, notify, dispose, close, export.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
signer_app = typer.Typer(help="Electronic-signature secrets.", no_args_is_help=True)

console, err = Console(), Console(stderr=True)
Ids = Annotated[list[str] | None, typer.Option()]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
User = Annotated[str | None, typer.Option("--user", envvar="TRACEGRAPH_USER", help="Who is acting.")]
Why = Annotated[str, typer.Option("--why", help="Why (recorded in the audit trail).")]
Opt = Annotated[str | None, typer.Option()]


def register(app: typer.Typer) -> None:
    app.add_typer(recall_app, name="recall")
    app.add_typer(audit_app, name="audit")
    app.add_typer(signer_app, name="signer")


# The main CLI module registers these commands, so its helpers are imported when a command runs.
@contextmanager
def _graph(ctx: typer.Context, *, read_only: bool = False) -> Iterator[Graph]:
    """The graph named by --db; domain errors become a message and exit code 2 (as in every command)."""
    from ..cli import _graph as open_graph
    with open_graph(ctx, read_only=read_only) as graph:
        yield graph


@contextmanager
def _recalls(ctx: typer.Context, user: str | None = None, *, read_only: bool = False) -> Iterator[RecallService]:
    """The recall service acting as ``user``; commands that only read open the store ``read_only`` (a
    schema-1 file is refused, not upgraded). A mistyped --db is an error for every recall command."""
    with _graph(ctx, read_only=read_only) as graph:
        yield graph.recalls(user)


def _print_json(data: Any) -> None:
    from ..cli import _print_json as print_json
    print_json(data)


def _secret(prompt: str, confirm: bool = False) -> str:
    """A signing secret from the prompt (or stdin); none given (stdin ended, Ctrl-C) is BAD_INPUT, exit 2."""
    try:
        return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm))
    except typer.Abort:
        raise BadInput(f"no signing secret given ({prompt.lower()}): type it at the prompt or pipe it on "
                       "stdin") from None


@recall_app.command("open")
def open_cmd(ctx: typer.Context, reason: Annotated[str, typer.Option(help="Why the recall is needed.")],
             classification: Annotated[str, typer.Option("--class", help="I, II or III.")],
             lot: Ids = None, serial: Ids = None, supplier: Opt = None, material: Opt = None,
             equipment: Opt = None, bom_revision: Opt = None, process_revision: Opt = None,
             failed_inspection: Annotated[str | None, typer.Option(help="A characteristic that failed.")] = None,
             since: Annotated[str | None, typer.Option(help="Window start (ISO 8601 UTC).")] = None,
             until: Annotated[str | None, typer.Option(help="Window end, exclusive.")] = None,
             item: Annotated[str | None, typer.Option(help="Only lots of this material or product.")] = None,
             owner: Opt = None, user: User = None, why: Why = "", as_json: Json = False) -> None:
    """Open a recall from one trigger: --lot/--serial (repeatable), --supplier, --material, --equipment,
    --bom-revision, --process-revision or --failed-inspection, with an optional --since/--until window."""
    given = {"lots": lot, "serials": serial, "supplier": supplier, "material": material, "equipment": equipment,
             "bom_revision": bom_revision, "process_revision": process_revision, "inspection": failed_inspection}
    chosen = {k: v for k, v in given.items() if v}
    if len(chosen) != 1:
        err.print("error (BAD_INPUT): give exactly one trigger (--lot, --serial, --supplier, --material, "
                  "--equipment, --bom-revision, --process-revision or --failed-inspection)")
        raise typer.Exit(2)
    (kind, ids), = chosen.items()
    with _recalls(ctx, user) as svc:
        trigger = RecallTrigger(kind, tuple(ids) if isinstance(ids, list) else (ids,), since, until, item)  # type: ignore[arg-type]
        recall = svc.open(trigger, reason, classification, owner, why)
    if as_json:
        _print_json(recall.as_dict())
    else:
        console.print(f"opened {recall.recall_id} (class {recall.classification}): {trigger.describe()}",
                      highlight=False)


@recall_app.command("from-notice")
def from_notice_cmd(ctx: typer.Context, notice: Annotated[Path, typer.Argument(help="An openFDA device recall "
                                                                               "record, a list or {results}.")],
                    opening: Annotated[bool, typer.Option("--open", help="Open a recall of the matched lots "
                                                          "or serials.")] = False,
                    classification: Annotated[str | None, typer.Option("--class", help="I, II or III (default: "
                                                                        "the notice's).")] = None,
                    reason: Annotated[str | None, typer.Option(help="Default: the notice's reason.")] = None,
                    owner: Opt = None, user: User = None, why: Why = "", as_json: Json = False) -> None:
    """Read a recall notice: every lot, serial, catalog number and UDI in its free text and the records each
    matches (or not); --open opens a recall whose trigger is the matched lots or serials."""
    with _graph(ctx, read_only=not opening) as graph:
        reading = graph.recall_notice(notice)
        recall = open_recall(graph.recalls(user), reading, classification, reason, owner, why) if opening else None
    if as_json:
        _print_json({**reading.as_dict(), **({"recall": recall.as_dict()} if recall else {})})
        return
    lines = []
    for n, matches in zip(reading.notices, reading.matches):
        lines += [f"notice {n.number} of {notice}", *(f"  {key:<22} {value}" for key, value in n.shown.items())]
        for m in matches:
            found = "; ".join(f"{kind} {', '.join(keys)}" for kind, keys in m.records.items()) or m.status
            lines.append(f"  {m.token.kind:<18} {m.token.text!r:<28} {found}" + (f"  ({m.reason})" if m.reason else ""))
    lines += [f"unmatched: {len(reading.unmatched)}", *(f"  {m.token.text!r} ({m.status})" for m in reading.unmatched)]
    if recall:
        lines.append(f"opened {recall.recall_id} (class {recall.classification}): {recall.trigger_value.describe()}")
    console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)


@recall_app.command("scope")
def scope_cmd(ctx: typer.Context, recall_id: str, user: User = None, why: Why = "", as_json: Json = False) -> None:
    """Compute the scope now and freeze it as a new version; shows what changed per customer."""
    with _recalls(ctx, user) as svc:
        snapshot, change = svc.scope(recall_id, why)
    if as_json:
        _print_json({"version": snapshot.summary(), "diff": change})
        return
    print_version(snapshot)
    if change["from_version"] is not None:
        console.print(f"changes from version {change['from_version']}: "
                      + (", ".join(f"{g} +{len(d['added'])} -{len(d['removed'])}" for g, d in change["groups"].items())
                         or "none"))
        for customer, d in list(change["by_customer"].items())[:15]:
            console.print(f"  {customer}: +{len(d['added'])} -{len(d['removed'])}", highlight=False)


def print_version(snapshot: ScopeVersion) -> None:
    table = Table(title=f"{snapshot.recall_id} scope version {snapshot.version} ({snapshot.hash[:12]})")
    table.add_column("kind")
    table.add_column("count", justify="right")
    for group, n in snapshot.counts().items():
        table.add_row(group, f"{n:,}")
    console.print(table)


@recall_app.command("hold")
def hold_cmd(ctx: typer.Context, recall_id: str,
             item: Annotated[list[str] | None, typer.Option(help="Kind:id to hold; default: affected stock.")] = None,
             user: User = None, why: Why = "") -> None:
    """Put affected stock on hold (every lot and serial in stock and its container, and every lot whose remaining
    quantity the records cannot tell; or --item ...)."""
    with _recalls(ctx, user) as svc:
        placed = svc.hold(recall_id, item, why)
    console.print(f"placed {len(placed):,} hold(s)")


@recall_app.command("release")
def release_cmd(ctx: typer.Context, recall_id: str,
                item: Annotated[list[str] | None, typer.Option(help="Kind:id to release; default: all.")] = None,
                user: User = None, why: Why = "") -> None:
    """Release this recall's holds (all, or --item ...), e.g. once the stock is destroyed or cleared."""
    with _recalls(ctx, user) as svc:
        released = svc.release(recall_id, item, why)
    console.print(f"released {len(released):,} hold(s)")


@recall_app.command("assign")
def assign_cmd(ctx: typer.Context, recall_id: str, to: Annotated[str, typer.Option(help="The person.")],
               customer: Ids = None, all_customers: bool = False, user: User = None, why: Why = "") -> None:
    """Make a person responsible for notifying --customer ... (or --all-customers)."""
    with _recalls(ctx, user) as svc:
        svc.assign(recall_id, _customers(svc, recall_id, customer, all_customers), to, why)
    console.print("assigned")


@recall_app.command("notify")
def notify_cmd(ctx: typer.Context, recall_id: str, customer: Ids = None, all_customers: bool = False,
               via: Annotated[str, typer.Option(help="How: letter, email, phone ...")] = "",
               ack: Annotated[bool, typer.Option("--ack", help="Record the acknowledgement instead.")] = False,
               note: str = "", user: User = None, why: Why = "") -> None:
    """Record that customers were notified (--via) or acknowledged the notice (--ack)."""
    with _recalls(ctx, user) as svc:
        chosen = _customers(svc, recall_id, customer, all_customers)
        svc.notify(recall_id, chosen, via, acknowledged=ack, note=note, why=why)
    console.print(f"{'acknowledged' if ack else 'notified'}: {len(chosen)} customer(s)")


def _customers(svc: RecallService, recall_id: str, customers: list[str] | None, every: bool) -> list[str]:
    """Every affected customer, or those named, each once (so the count printed is of customers)."""
    return list(svc.version(recall_id).items["customers"]) if every else list(dict.fromkeys(customers or []))


@recall_app.command("dispose")
def dispose_cmd(ctx: typer.Context, recall_id: str,
                outcome: Annotated[str | None, typer.Option(help="returned, destroyed, corrected or not_found")] = None,
                reason: Annotated[str, typer.Option(help="A documented reason (with or without an outcome).")] = "",
                item: Annotated[list[str] | None, typer.Option(help="Kind:id of a unit.")] = None,
                customer: Opt = None, status: Annotated[str | None, typer.Option(help="shipped or in_stock")] = None,
                remaining: Annotated[bool, typer.Option(help="Only units without a disposition.")] = False,
                user: User = None, why: Why = "") -> None:
    """Record units' disposition: chosen by --item, --customer, --status and/or --remaining."""
    with _recalls(ctx, user) as svc:
        units = svc.dispose(recall_id, outcome, reason, items=item, customer=customer, status=status,
                                       remaining=remaining, why=why)
    console.print(f"recorded {len(units):,} unit disposition(s)")


@recall_app.command("sign")
def sign_cmd(ctx: typer.Context, recall_id: str,
             meaning: Annotated[str, typer.Option(help="reviewed or approved")], user: User = None,
             why: Why = "") -> None:
    """Sign the recall record; you re-enter your signing secret."""
    with _recalls(ctx, user) as svc:
        signature = svc.sign(recall_id, meaning, _secret("Signing secret"), why)
    console.print(f"signed as {signature['meaning']} by {signature['signer']} at {signature['signed_at']}")


@recall_app.command("close")
def close_cmd(ctx: typer.Context, recall_id: str, user: User = None, why: Why = "") -> None:
    """Close the recall with your electronic signature (every unit needs a disposition or a reason)."""
    with _recalls(ctx, user) as svc:
        recall = svc.close(recall_id, _secret("Signing secret"), why)
    console.print(f"closed {recall.recall_id} at {recall.closed_at}")


@recall_app.command("export")
def export_cmd(ctx: typer.Context, recall_id: str,
               csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the scope and status here.")] = None,
               html_path: Annotated[Path | None, typer.Option("--html", help="Write the evidence here.")] = None,
               ) -> None:
    """Export the scope and status as CSV and/or the evidence document as HTML."""
    if not csv_path and not html_path:
        err.print("error (BAD_INPUT): give --csv and/or --html")
        raise typer.Exit(2)
    with _recalls(ctx, read_only=True) as svc:
        if csv_path:
            console.print(f"wrote {write_csv(svc, recall_id, csv_path):,} rows to {csv_path}")
        if html_path:
            write_html(svc, recall_id, html_path)
            console.print(f"wrote the evidence document to {html_path}")


@recall_app.command("show")
def show_cmd(ctx: typer.Context, recall_id: str, as_json: Json = False) -> None:
    """A recall's summary: trigger, scope counts, holds, notifications, dispositions, signatures."""
    with _recalls(ctx, read_only=True) as svc:
        summary = svc.summary(recall_id)
        checks = intact(svc.get(recall_id), svc.audit.entries(f"recall:{recall_id}"))
    summary["signatures"] = [f"{line} ({'intact' if ok else 'NOT INTACT'})"
                             for line, ok in zip(summary["signatures"], checks)]
    if as_json:
        _print_json(summary)
    else:
        print_summary(summary)


def print_summary(summary: dict[str, Any]) -> None:
    for key, value in summary.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:,}" for k, v in value.items() if v)
        elif isinstance(value, list):
            value = "; ".join(value) or "none"
        console.print(f"{key:<24} {value}", highlight=False)


@recall_app.command("list")
def list_cmd(ctx: typer.Context) -> None:
    """Every recall."""
    with _recalls(ctx, read_only=True) as svc:
        for r in svc.recalls():
            console.print(f"{r.recall_id}  {r.status:<6} class {r.classification:<3} {r.reason}", highlight=False)


@recall_app.command("diff")
def diff_cmd(ctx: typer.Context, recall_id: str, old: int, new: int) -> None:
    """What changed between two scope versions, per group and per customer (JSON)."""
    with _recalls(ctx, read_only=True) as svc:
        _print_json(svc.diff(recall_id, old, new))


@recall_app.command("verify")
def recall_verify_cmd(ctx: typer.Context, recall_id: Annotated[str | None, typer.Argument(help="Default: all.")] = None,
                      ) -> None:
    """Check each recall's frozen scope versions (hash and audit entry) and signatures; exit 3 naming what fails."""
    problems: list[str] = []
    with _graph(ctx, read_only=True) as graph:
        svc = graph.recalls()
        for recall in [svc.get(recall_id)] if recall_id else svc.recalls():
            for v in recall.versions:
                try:
                    svc.version(recall.recall_id, v["version"], audited=True)
                except IntegrityError as e:
                    problems.append(str(e))
            entries = list(svc.audit.entries(f"recall:{recall.recall_id}"))
            checks = intact(recall, entries)
            problems += [f"signature {i + 1} of recall {recall.recall_id} ({s['meaning']} by {s['signer']}) is not "
                         "intact" for i, (s, ok) in enumerate(zip(recall.signatures, checks)) if not ok]
            problems += [f"the signature audit entry {e['seq']} recorded is missing from recall {recall.recall_id}"
                         for e in unrecorded(recall, entries)]
    for problem in problems:
        err.print(f"[red]{problem}[/red]", highlight=False)
    if problems:
        raise typer.Exit(3)
    console.print("every scope version and signature checks out")


@audit_app.command("verify")
def verify_cmd(ctx: typer.Context, anchor: Annotated[list[str] | None, typer.Option(
                   help="A head noted earlier (`audit head`), '<seq>:<hash>'; repeatable.")] = None,
               as_json: Json = False) -> None:
    """Check the audit trail's hash chain, and that it still passes through each --anchor; exit 3 and
    name the first bad entry if not. Without anchors a re-hashed or truncated tail goes unseen."""
    with _graph(ctx, read_only=True) as graph:
        result = graph.audit.verify([Head.parse(a) for a in anchor or ()])
    if as_json:
        _print_json(result.as_dict())
    elif result.ok:
        console.print(f"audit trail intact: {result.entries:,} entries")
    else:
        err.print(f"[red]audit trail broken at entry {result.first_bad}[/red]: {result.problem}", highlight=False)
    if not result.ok:
        raise typer.Exit(3)


@audit_app.command("head")
def head_cmd(ctx: typer.Context, as_json: Json = False) -> None:
    """The chain's last entry (seq, hash) and its anchor string: keep it outside the store (a QMS record,
    a ticket) and pass it to `audit verify --anchor` to detect a later re-hash or truncation."""
    with _graph(ctx, read_only=True) as graph:
        head = graph.audit.head()
        if head is None:
            raise NotFound("the audit trail is empty: there is no head to anchor")
    if as_json:
        _print_json(head.as_dict())
    else:
        console.print(f"seq {head.seq}\nhash {head.hash}\nanchor {head.anchor}", highlight=False)


@audit_app.command("log")
def log_cmd(ctx: typer.Context, target: Annotated[str | None, typer.Option(help="e.g. recall:RC-...")] = None,
            as_json: Json = False) -> None:
    """The audit entries, optionally about one target."""
    with _graph(ctx, read_only=True) as graph:
        entries = list(graph.audit.entries(target))
    if as_json:
        _print_json(entries)
        return
    for e in entries:
        console.print(f"{e['seq']:>6} {e['at']} {e['actor']:<12} {e['action']:<20} {e['target']}  {e['why']}",
                      highlight=False)


@signer_app.command("set")
def signer_set_cmd(ctx: typer.Context, user: User = None) -> None:
    """Set (or change) your signing secret; it is stored only as a salted hash."""
    with _recalls(ctx, user) as svc:
        current = _secret("Current signing secret") if svc.store.documents(SIGNERS, [svc.actor]) else None
        svc.set_signing_secret(_secret("New signing secret", confirm=True), current)
    console.print("signing secret set")


def demo_recall(graph: Graph, lots: list[str]) -> None:
    """The demo's recall step (its heading printed by the caller): open and scope a recall of ``lots``."""
    service = graph.recalls()
    trigger = RecallTrigger("lots", tuple(lots))
    recall = service.open(trigger, "Demo: seal failure found at final inspection", "II", why="tracegraph demo")
    print_version(service.scope(recall.recall_id, "tracegraph demo")[0])
    print_summary(service.summary(recall.recall_id))
    console.print(f"Next: tracegraph recall hold {recall.recall_id}; recall notify ...; recall dispose ...; "
                  f"signer set; recall close; recall export {recall.recall_id} --html evidence.html", highlight=False)
