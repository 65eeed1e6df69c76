"""Completeness against the data dictionary: fill rates, required values missing, invalid values.

The table loader keeps such records out (they are reported from its audit entries, see
:mod:`.rejects`), but a store can also be written by other loaders and integrations; this check
reads what is actually stored, one kind (or relationship) at a time; a retracted edge counts nowhere.
Validity is judged by the dictionary's own coercion rules (:func:`tracegraph.schema.validate.coerce`),
and references by one set look-up per referenced kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ..schema import NODE_KINDS, REL_KINDS, Field
from ..schema.validate import coerce, is_empty
from ..store import NodeRef, Store
from ..trace import live
from .model import FieldCompleteness, Finding

_CHUNK = 50_000


class _Tally:
    """Counts and findings for the fields of one kind or relationship."""

    def __init__(self, kind: str, fields: tuple[Field, ...]) -> None:
        self.kind, self.fields = kind, fields
        self.records = 0
        self.filled: dict[str, int] = defaultdict(int)
        self.invalid: dict[str, int] = defaultdict(int)
        self.findings: list[Finding] = []
        # referenced kind -> value -> the records naming it (subject, records, label, field)
        self.refs: dict[str, dict[str, list[tuple[NodeRef, tuple[NodeRef, ...], str, Field]]]] = defaultdict(dict)

    def add(self, subject: NodeRef, records: tuple[NodeRef, ...], label: str, values: dict[str, object]) -> None:
        self.records += 1
        for f in self.fields:
            value = values.get(f.name)
            if is_empty(value):
                if f.required:
                    self.findings.append(Finding("required_missing", subject,
                                                 f"{label}: required field {f.name} is empty", records))
                continue
            self.filled[f.name] += 1
            try:
                coerce(f, value)
            except ValueError as exc:
                self._invalid(f, subject, records, f"{label}: {f.name} {exc}")
                continue
            if f.references:
                self.refs[f.references].setdefault(str(value), []).append((subject, records, label, f))

    def _invalid(self, f: Field, subject: NodeRef, records: tuple[NodeRef, ...], detail: str) -> None:
        self.invalid[f.name] += 1
        self.findings.append(Finding("invalid_value", subject, detail, records))

    def check_references(self, store: Store) -> None:
        """Flag values naming records that do not exist, one look-up per chunk of names."""
        for target, named in self.refs.items():
            values = list(named)
            for start in range(0, len(values), _CHUNK):
                chunk = values[start:start + _CHUNK]
                found = store.get(target, chunk)
                for value in chunk:
                    if value not in found:
                        for subject, records, label, f in named[value]:
                            self._invalid(f, subject, records,
                                          f"{label}: {f.name} names {target} {value!r}, which does not exist")
        self.refs.clear()

    def rows(self) -> Iterable[FieldCompleteness]:
        for f in self.fields:
            yield FieldCompleteness(self.kind, f.name, f.required, self.records, self.filled[f.name],
                                    self.invalid[f.name])


def completeness(store: Store) -> tuple[list[FieldCompleteness], list[Finding]]:
    """Per kind and field: how many records have a value, and every required gap or bad value."""
    rows: list[FieldCompleteness] = []
    findings: list[Finding] = []
    for kind in NODE_KINDS:
        tally = _Tally(kind.name, kind.fields)
        for record in store.records(kind.name):
            ref: NodeRef = (kind.name, record[kind.key])
            tally.add(ref, (ref,), f"{kind.name} {ref[1]}", record)
        tally.check_references(store)
        rows += tally.rows()
        findings += tally.findings
    for rel in REL_KINDS:
        if not rel.fields:
            continue
        tally = _Tally(rel.name, rel.fields)
        for edge in live(store.all_edges(rel.name)):
            label = f"{rel.name} {edge.src[0]} {edge.src[1]} -> {edge.dst[0]} {edge.dst[1]}"
            tally.add(edge.src, (edge.src, edge.dst), label, edge.props)
        tally.check_references(store)
        rows += tally.rows()
        findings += tally.findings
    return rows, findings
