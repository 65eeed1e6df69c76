"""Recall exports: the scope and its status as CSV, and one self-contained HTML evidence document.

The CSV has one row per affected lot, serial, container, shipment and customer of the latest
scope version, so its row counts per kind equal the engine's scope. The evidence document lists
the trigger, every scope version with its differences per customer, the affected items by
customer, the chains of records that explain them, every audited action and the signatures.
"""

from __future__ import annotations

import csv
import io
from html import escape
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..trace.model import KIND_OF_GROUP
from .model import ITEM_GROUPS, Recall, ScopeVersion, diff, holds_on, ref
from .service import RecallService
from .signatures import intact

CSV_COLUMNS = ("recall_id", "scope_version", "kind", "id", "status", "customers", "shipments", "containers",
               "unit", "on_hold", "disposition", "disposition_reason", "disposed_by", "disposed_at",
               "assignee", "notified_at", "notified_by", "method", "acknowledged_at")


def csv_rows(service: RecallService, recall_id: str) -> list[dict[str, Any]]:
    recall, scope = service.get(recall_id), service.version(recall_id)
    items = [ref(KIND_OF_GROUP[g], k) for g in ITEM_GROUPS for k in scope.items[g]]
    held = holds_on(service.store, items)
    units = set(scope.units)
    rows = []
    for item in items:
        kind, key = item.split(":", 1)
        where = scope.where.get(item, {})
        done = recall.dispositions.get(item, {})
        contact = recall.customers.get(key, {}) if kind == "Customer" else {}
        rows.append({
            "recall_id": recall_id, "scope_version": scope.version, "kind": kind, "id": key,
            "status": where.get("status", ""), "customers": " ".join(where.get("customers", ())),
            "shipments": " ".join(where.get("shipments", ())), "containers": " ".join(where.get("containers", ())),
            "unit": "yes" if item in units else "", "on_hold": "yes" if item in held else "",
            "disposition": done.get("outcome") or "", "disposition_reason": done.get("reason", ""),
            "disposed_by": done.get("by", ""), "disposed_at": done.get("at", ""),
            "assignee": contact.get("assignee", ""), "notified_at": contact.get("notified_at", ""),
            "notified_by": contact.get("notified_by", ""), "method": contact.get("method", ""),
            "acknowledged_at": contact.get("acknowledged_at", "")})
    return rows


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def csv_text(service: RecallService, recall_id: str) -> str:
    return _csv(csv_rows(service, recall_id))


def write_csv(service: RecallService, recall_id: str, path: str | Path) -> int:
    """Write the CSV; returns the number of rows."""
    rows = csv_rows(service, recall_id)
    _write(path, _csv(rows))
    return len(rows)


def write_html(service: RecallService, recall_id: str, path: str | Path) -> None:
    _write(path, evidence_html(service, recall_id))


def _write(path: str | Path, text: str) -> None:
    """Write one export; a path that cannot be written (no such folder, a folder, no permission) is BAD_INPUT."""
    try:
        Path(path).write_text(text, encoding="utf-8", newline="")
    except OSError as e:
        raise BadInput(f"cannot write the export to {path}: {e.strerror or e}") from e


# -- the evidence document ------------------------------------------------------------------------
def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _chain(links: list[dict[str, Any]]) -> str:
    if not links:
        return "start of the trace"
    steps = [f"{links[0]['from']['kind']} {links[0]['from']['id']}"]
    steps += [f"-[{link['rel']}]-> {link['to']['kind']} {link['to']['id']}" for link in links]
    return " ".join(steps)


def evidence_html(service: RecallService, recall_id: str) -> str:
    recall = service.get(recall_id)
    versions = [service.version(recall_id, v["version"], audited=True) for v in recall.versions]
    parts = [_header(recall), _trigger(recall, versions)]
    if versions:
        parts += [_versions(versions), _by_customer(service, recall, versions[-1]), _chains(versions[-1])]
    parts += [_actions(service, recall), _signatures(service, recall)]
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
             "td,th{border:1px solid #999;padding:2px 6px;font-size:90%;text-align:left}code{font-size:85%}")
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Recall {_e(recall_id)}"
            f" evidence</title><style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


def _header(recall: Recall) -> str:
    rows = [["Recall", recall.recall_id], ["Status", recall.status], ["Classification", recall.classification],
            ["Reason", recall.reason], ["Owner", recall.owner], ["Opened", f"{recall.opened_at} by {recall.opened_by}"],
            ["Closed", recall.closed_at or "not closed"], ["Record hash (SHA-256)", recall.record_hash()]]
    return f"<h1>Recall {_e(recall.recall_id)}: evidence</h1>" + _table(["", ""], rows)


def _trigger(recall: Recall, versions: list[ScopeVersion]) -> str:
    starts = [[v.version, " ".join(v.start["lots"]), " ".join(v.start["serials"])] for v in versions]
    return (f"<h2>Trigger</h2><p>{_e(recall.trigger_value.describe())}</p>"
            + (_table(["scope version", "start lots", "start serials"], starts) if starts else ""))


def _versions(versions: list[ScopeVersion]) -> str:
    groups = ["lots", "serials", "containers", "shipments", "customers", "units"]
    rows = [[v.version, v.computed_at, v.computed_by, v.why, *(v.counts()[g] for g in groups), v.hash]
            for v in versions]
    out = "<h2>Scope versions</h2>" + _table(["version", "computed at", "by", "why", *groups, "hash"], rows)
    for old, new in zip([None, *versions[:-1]], versions):
        change = diff(old, new)
        label = "first version" if old is None else f"changes from version {old.version}"
        out += f"<h3>Version {new.version}: {label}</h3>"
        if old is None:
            continue
        if not change["by_customer"] and not change["groups"]:
            out += "<p>No change.</p>"
            continue
        out += _table(["customer", "added", "removed"],
                      [[c, " ".join(d["added"]), " ".join(d["removed"])] for c, d in change["by_customer"].items()])
        out += _table(["group", "added", "removed"],
                      [[g, " ".join(d["added"]), " ".join(d["removed"])] for g, d in change["groups"].items()])
    return out


def _by_customer(service: RecallService, recall: Recall, scope: ScopeVersion) -> str:
    held = holds_on(service.store, scope.where)
    out = f"<h2>Affected items by customer (version {scope.version})</h2>"

    def rows(items: list[str]) -> list[list[Any]]:
        return [[item, scope.where[item]["status"], " ".join(scope.where[item]["shipments"]),
                 " ".join(scope.where[item]["containers"]), "yes" if item in held else "",
                 (recall.dispositions.get(item) or {}).get("outcome") or "",
                 (recall.dispositions.get(item) or {}).get("reason", "")] for item in items]
    headers = ["item", "status", "shipments", "containers", "on hold", "disposition", "reason"]
    for customer, counts in scope.by_customer.items():
        contact = recall.customers.get(customer, {})
        items = sorted(i for i, w in scope.where.items() if customer in w["customers"])
        out += (f"<h3>Customer {_e(customer)}</h3><p>{counts['serials']:g} serials, {counts['lots']:g} lots, "
                f"{counts['shipments']:g} shipments. Assigned to {_e(contact.get('assignee') or 'nobody')}; "
                f"notified {_e(contact.get('notified_at') or 'no')} {_e(contact.get('method') or '')}; "
                f"acknowledged {_e(contact.get('acknowledged_at') or 'no')}.</p>" + _table(headers, rows(items)))
    rest = sorted(i for i, w in scope.where.items() if not w["customers"])
    return out + "<h3>Not shipped (in stock or consumed)</h3>" + _table(headers, rows(rest))


def _chains(scope: ScopeVersion) -> str:
    rows = [[item, _chain(links)] for item, links in sorted(scope.chains.items())]
    return (f"<h2>Explaining chains (version {scope.version})</h2><p>Why each customer, shipment and lot is in "
            "scope: one shortest chain of records from the trigger. A serial is in scope through its lot, a "
            "container through what it held.</p>"
            + _table(["record", "chain"], rows))


def _actions(service: RecallService, recall: Recall) -> str:
    entries = list(service.audit.entries(target=f"recall:{recall.recall_id}"))
    check = service.audit.verify()
    verdict = (f"The whole audit trail ({check.entries} entries) verifies." if check.ok
               else f"The audit trail does NOT verify: {check.problem}.")
    head = service.audit.head()
    if head is not None:  # this document, kept outside the store, anchors the chain up to here
        verdict += (f" Audit head at export: entry {head.seq}, hash {head.hash}. To check later that no entry up"
                    f" to here was removed or re-hashed: tracegraph audit verify --anchor {head.anchor}")
    rows = [[e["seq"], e["at"], e["actor"], e["action"], e["why"], _summarise(e["after"]), e["hash"]] for e in entries]
    return f"<h2>Actions (audit trail)</h2><p>{_e(verdict)}</p>" + _table(
        ["seq", "at", "who", "action", "why", "what", "entry hash"], rows)


def _summarise(after: Any) -> str:
    if not isinstance(after, dict):
        return str(after)
    parts = []
    for key, value in after.items():
        if isinstance(value, list) and len(value) > 6:
            value = f"{len(value)} items: {' '.join(map(str, value[:6]))} ..."
        parts.append(f"{key}={value}")
    return "; ".join(parts)


def _signatures(service: RecallService, recall: Recall) -> str:
    checks = intact(recall, service.audit.entries(target=f"recall:{recall.recall_id}"))
    rows = [[s["signer"], s["meaning"], s["signed_at"], s["record_hash"], s["signature_hash"],
             "intact" if ok else "BROKEN",
             "yes" if s["record_hash"] == recall.record_hash(i) else "no (signed an earlier state)"]
            for i, (s, ok) in enumerate(zip(recall.signatures, checks))]
    return "<h2>Electronic signatures</h2>" + (_table(
        ["signer", "meaning", "signed at", "record hash", "signature hash", "integrity", "matches this record"], rows)
        if rows else "<p>None.</p>")
