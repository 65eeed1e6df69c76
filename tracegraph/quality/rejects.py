"""Records a table load rejected: completeness findings that only a fix at the source can clear.

The loader keeps every record with a required value missing or a value off its constraint out of
the graph, so the stored data never shows them; the load's audit entry lists them instead. For
each canonical table, the rejects of its most recent load count (a later load of the corrected
file supersedes them). The audit trail is read through the Store interface, so this works on
every backend.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..loaders.tables import AUDIT_ACTION, SourceRow
from ..recall.audit import AuditLog
from ..schema import Defect
from ..store import Store
from .model import FieldCompleteness, Finding

# A reference to a missing record or a second record with the same key breaks a constraint of the
# dictionary (a key, a reference) just as a bad value does.
CHECK_OF: dict[Defect, str] = {Defect.REQUIRED_MISSING: "required_missing", Defect.INVALID_VALUE: "invalid_value",
                               Defect.UNKNOWN_REFERENCE: "invalid_value", Defect.DUPLICATE: "invalid_value"}


def _table(file: str) -> str:
    return file.rsplit(".", 1)[0]


def latest_rejects(store: Store) -> list[dict[str, Any]]:
    """The rejects of the most recent load of each table, by file and row."""
    latest: dict[str, list[dict[str, Any]]] = {}
    for entry in AuditLog(store).entries():
        if entry.get("action") != AUDIT_ACTION:
            continue
        after = entry.get("after") or {}
        rejects = after.get("rejects", [])  # entries written before rejects were recorded have none
        for table in after.get("loaded", {}):
            latest[table] = [r for r in rejects if _table(r["file"]) == table]
    return sorted((r for found in latest.values() for r in found), key=lambda r: (r["file"], r["row"]))


def rejected_findings(store: Store) -> list[Finding]:
    """One required_missing or invalid_value finding per field of each record the latest loads rejected."""
    findings = []
    for r in latest_rejects(store):
        kind, key = r["subject"]
        source = SourceRow(r["file"], r["row"], r["field"], r["reason"])
        what = kind if key == f"{r['file']} row {r['row']}" else f"{kind} {key}"
        findings.append(Finding(CHECK_OF[Defect(r["defect"])], (kind, key),
                                f"{r['file']} row {r['row']} ({what}), rejected by its load: {r['field']}: "
                                f"{r['reason']}", source=source))
    return findings


def with_rejected(rows: Iterable[FieldCompleteness], findings: Iterable[Finding]) -> list[FieldCompleteness]:
    """Completeness rows with each field's rejected records counted.

    A rejected field with no row of its own is an edge table's endpoint column (e.g. consumptions'
    input_id): it gets a required row whose stored records all have it.
    """
    rejected = Counter((f.subject[0], f.source.field) for f in findings if f.source)
    out = [dataclasses.replace(c, rejected=rejected.pop((c.kind, c.field), 0)) for c in rows]
    stored = {c.kind: c.records for c in out}
    out += [FieldCompleteness(kind, field, True, stored.get(kind, 0), stored.get(kind, 0), 0, n)
            for (kind, field), n in sorted(rejected.items())]
    return out
