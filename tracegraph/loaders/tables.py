"""Loads the canonical tables (CSV or Parquet files named after their kind) into a store.

One call is one batch: every valid record lands in one transaction, or nothing does. A record
that breaks the data dictionary or names a record that does not exist is rejected with its file,
row, field and reason, and the rest of the batch still loads; a file that cannot be read as a
table at all (unreadable, missing a required column, ragged rows) stops the whole batch.
Loading the same tables again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LoadError
from ..gcpause import paused_gc
from ..schema import (EDGE_TABLES, KINDS, KINDS_BY_TABLE, LOAD_ORDER, RELS, Defect, EdgeTable, FieldType, NodeKind,
                      Problem, validate)
from ..store import Batch, Edge, NodeRef, Store, Writer, plain_writer
from .source import HashingReader, not_utf8

Row = dict[str, Any]
Progress = Callable[[str, int], None]
TABLE_SUFFIXES = (".csv", ".parquet")
AUDIT_ACTION = "load.tables"  # the audit entry of a table load; its rejects feed the quality report


@dataclass(frozen=True)
class SourceRow:
    """A record of a source file with a problem in one field: where it is and what is wrong."""

    file: str
    row: int  # 1-based record number in its file, the header not counted
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class Rejected(SourceRow):
    """One rejected record: where it was, which field, why, and which kind of rule it broke."""

    record: dict[str, Any]
    defect: Defect
    subject: NodeRef  # (kind, key) of a node record with a key, else (kind or relationship, "<file> row <n>")

    def as_audit(self) -> dict[str, Any]:
        """What the load's audit entry keeps of it: where, what and why, not the record's values."""
        return {**self.as_dict(), "defect": self.defect.value, "subject": list(self.subject)}


@dataclass
class LoadReport:
    loaded: Counter[str] = field(default_factory=Counter)
    rejected: list[Rejected] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)

    REJECT_COLUMNS = ("file", "row", "field", "reason", "record")

    @staticmethod
    def reject_row(r: Rejected) -> list[Any]:
        """A reject as a row of :attr:`REJECT_COLUMNS` (the record's non-empty fields as k=v; ...)."""
        return [r.file, r.row, r.field, r.reason, "; ".join(f"{k}={v}" for k, v in r.record.items() if v not in (None, ""))]


def _columns_unique(path: Path, header: list[str]) -> None:
    """A repeated column would let one of its values silently replace the other."""
    repeated = sorted(n for n, count in Counter(h for h in header if h).items() if count > 1)  # blank: unnamed
    if repeated:
        raise LoadError(f"has the column(s) {', '.join(repeated)} more than once", file=str(path))


# What a Parquet column of each field type may be (predicates of pyarrow.types), so that its values
# reach validation unchanged: a float64 key would read '1.0', a binary one "b'S1'", a boolean quantity 1.0
_TEXT = ("is_string", "is_large_string", "is_string_view")
_ARROW_TYPES: dict[FieldType, tuple[str, tuple[str, ...]]] = {
    FieldType.STRING: ("text or integers", (*_TEXT, "is_integer")),
    FieldType.ENUM: ("text", _TEXT),
    FieldType.INTEGER: ("integers", ("is_integer",)),
    FieldType.DECIMAL: ("numbers, not booleans", ("is_integer", "is_floating", "is_decimal")),
    FieldType.DATETIME: ("timestamps, dates or ISO 8601 text", (*_TEXT, "is_timestamp", "is_date")),
    FieldType.JSON: ("JSON text, structs or lists", (*_TEXT, "is_struct", "is_list", "is_large_list")),
}


def _check_arrow_types(path: Path, table: Any, types: Mapping[str, FieldType]) -> None:
    """A Parquet column whose type cannot hold its field's values as they are refuses the file; one with
    no value at all holds none of the wrong type (pandas writes an empty optional column as doubles)."""
    import pyarrow.types as pat
    for column in table.schema:
        wanted = types.get(column.name)
        dtype = column.type.value_type if pat.is_dictionary(column.type) else column.type
        if wanted is None or pat.is_null(dtype) or table.column(column.name).null_count == table.num_rows:
            continue
        accepted, checks = _ARROW_TYPES[wanted]
        if not any(getattr(pat, check)(dtype) for check in checks):
            raise LoadError(f"is a Parquet {dtype} column; a {wanted.value} field takes {accepted}",
                            file=str(path), field=column.name)


def read_table(path: Path, sha256: Any = None, types: Mapping[str, FieldType] | None = None,
               required: Collection[str] = ()) -> Iterator[Row]:
    """Rows of one CSV or Parquet file as dicts of text; structural problems raise LoadError.

    ``sha256`` (a hashlib object), if given, is fed the file's bytes in the same read. ``types``
    (column -> field type) are checked against a Parquet file's column types, ``required`` columns
    against its header, rows or not.
    """
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq
        try:
            data = path.read_bytes()  # Parquet is read from its footer backwards: hash the whole file first
            if sha256 is not None:
                sha256.update(data)
            table = pq.read_table(pa.BufferReader(data))
        except Exception as exc:  # pyarrow raises several unrelated types for a broken file
            raise LoadError(f"not a readable Parquet file ({exc})", file=str(path)) from None
        _columns_present(path, table.column_names, required)
        _check_arrow_types(path, table, types or {})
        yield from table.to_pylist()
        return
    try:
        with path.open("rb") as raw:
            fh = io.TextIOWrapper(io.BufferedReader(HashingReader(raw, sha256)), encoding="utf-8-sig", newline="")
            reader = csv.reader(fh)
            header = next(reader, None)
            if not header:
                raise LoadError("the file is empty (no header row)", file=str(path))
            header = [h.strip() for h in header]
            _columns_unique(path, header)
            _columns_present(path, header, required)
            number = 0  # records after the header; blank lines are skipped and not counted, as in rejects
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                number += 1
                if len(values) != len(header):
                    raise LoadError(f"has {len(values)} fields where the header has {len(header)}",
                                    file=str(path), row=number)
                yield dict(zip(header, values))
    except UnicodeDecodeError:
        with path.open("rb") as lines:
            where = not_utf8(lines)
        raise LoadError(f"is not UTF-8 text ({where})", file=str(path)) from None
    except csv.Error as exc:
        raise LoadError(f"is not valid CSV ({exc})", file=str(path)) from None


def _columns_present(path: Path, header: list[str], required: Collection[str]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise LoadError(f"lacks required column(s) {', '.join(missing)}", file=str(path))


def _edge_table_ends(table: EdgeTable) -> list[str]:
    """An edge table's endpoint columns: the type (unless fixed) and id of each end."""
    return [c for c in (table.source_type, table.source_id, table.target_type, table.target_id) if c]


def _edge_table_types(table: EdgeTable) -> dict[str, FieldType]:
    """Field types of an edge table's columns: its endpoints' types and ids are text."""
    fields = {f.name: f.type for f in RELS[table.rel].fields}
    return {**{c: FieldType.STRING for c in _edge_table_ends(table)}, **fields}


def _edge_table_required(table: EdgeTable) -> list[str]:
    """An edge table's required columns: its endpoints and the relationship's required fields."""
    return _edge_table_ends(table) + [f.name for f in RELS[table.rel].fields if f.required]


class TableLoader:
    """Validates a directory of canonical tables against the dictionary and writes one batch."""

    def __init__(self, store: Store, progress: Progress | None = None, write: Writer | None = None) -> None:
        self.store = store
        self.write = write or plain_writer(store)
        self.progress = progress or (lambda _table, _n: None)
        self.report = LoadReport()
        self.batch = Batch()
        self._keys: dict[str, set[str]] = {}  # kind -> valid keys in this batch
        self._known_cache: dict[str, set[str]] = {}

    # -- references --------------------------------------------------------------------------
    def _exists(self, kind: str, key: str) -> bool:
        if key in self._keys.get(kind, ()):
            return True
        return key in self._known_cache.get(kind, ())

    def _prefetch(self, kind: str, keys: set[str]) -> None:
        """Look up, in one store call, which referenced keys the store already holds."""
        unknown = keys - self._keys.get(kind, set()) - self._known_cache.get(kind, set())
        if unknown:
            self._known_cache.setdefault(kind, set()).update(self.store.get(kind, unknown))

    def _item_kind(self, item_id: str) -> str:
        return "Product" if self._exists("Product", item_id) else "Material"

    def _reference_problem(self, kind: str, key: str | None, field_name: str) -> Problem | None:
        if key is None or self._exists(kind, key) or KINDS[kind].implicit:
            return None
        return Problem(field_name, f"no {kind} with id {key!r}", Defect.UNKNOWN_REFERENCE)

    # -- loading -----------------------------------------------------------------------------
    def load_dir(self, directory: Path) -> LoadReport:
        if not directory.is_dir():
            raise LoadError("is not a directory", file=str(directory))
        files: dict[str, Path] = {}
        for path in sorted(directory.iterdir()):
            name = path.name.removesuffix(path.suffix)
            if path.suffix in TABLE_SUFFIXES and (name in KINDS_BY_TABLE or any(t.table == name for t in EDGE_TABLES)):
                if name in files:
                    raise LoadError(f"table {name} is given twice ({files[name].name} and {path.name})",
                                    file=str(path))
                files[name] = path
            elif path.is_file():
                self.report.skipped_files.append(path.name)
        if not files:
            raise LoadError("holds no canonical table (suppliers.csv, lots.csv, ...)", file=str(directory))
        # one table's raw rows in memory at a time: a big load's peak is its batch, not its files
        hashes = {name: hashlib.sha256() for name in files}
        for kind_name in LOAD_ORDER:
            kind = KINDS[kind_name]
            if kind.table in files:
                rows = list(read_table(files[kind.table], hashes[kind.table], {f.name: f.type for f in kind.fields},
                                       [f.name for f in kind.fields if f.required]))
                self._load_nodes(kind, files[kind.table], rows)
        for edge_table in EDGE_TABLES:
            if edge_table.table in files:
                rows = list(read_table(files[edge_table.table], hashes[edge_table.table],
                                       _edge_table_types(edge_table), _edge_table_required(edge_table)))
                self._load_edges(edge_table, files[edge_table.table], rows)
        self.batch.derive_edges(self._item_kind)
        self.write(self.batch, {"source": str(directory.resolve()),
                                "files": {files[n].name: h.hexdigest() for n, h in sorted(hashes.items())},
                                "loaded": dict(self.report.loaded), "rejected": len(self.report.rejected),
                                "rejects": [r.as_audit() for r in self.report.rejected],
                                "skipped_files": self.report.skipped_files})
        return self.report

    def _reject(self, path: Path, number: int, problems: list[Problem], raw: Row, kind: str,
                key: object = None) -> None:
        subject = (kind, str(key) if key else f"{path.name} row {number}")
        self.report.rejected.extend(Rejected(path.name, number, p.field, p.reason, raw, p.defect, subject)
                                    for p in problems)

    def _load_nodes(self, kind: NodeKind, path: Path, rows: list[Row]) -> None:
        known = {f.name for f in kind.fields}
        refs = [f for f in kind.fields if f.references]
        for f in refs:
            self._prefetch(f.references, {str(r[f.name]).strip() for r in rows if r.get(f.name)})  # type: ignore[arg-type]
        if kind.name == "Lot":
            items = {str(r["item_id"]).strip() for r in rows if r.get("item_id")}
            self._prefetch("Product", items)
            self._prefetch("Material", items)
        if kind.name == "Inspection":
            for t, k in (("lot", "Lot"), ("serial", "Serial")):
                self._prefetch(k, {str(r["subject_id"]).strip() for r in rows
                                   if str(r.get("subject_type") or "").strip() == t})
        keys = self._keys.setdefault(kind.name, set())
        loaded = 0
        for number, raw in enumerate(rows, start=1):
            clean, issues = validate(kind.fields, raw)
            key = clean.get(kind.key)
            if not issues:
                issues = [i for i in self._node_references(kind, clean) if i]
                if key in keys:
                    issues.append(Problem(kind.key, f"duplicate {kind.name} id {key!r} in {path.name}",
                                          Defect.DUPLICATE))
            if issues:
                self._reject(path, number, issues, raw, kind.name, key)
                continue
            extra = {k: v for k, v in raw.items() if k not in known and v not in (None, "")}
            if extra:
                clean["attributes"] = extra
            keys.add(key)  # type: ignore[arg-type]
            self.batch.add_node(kind.name, clean)
            loaded += 1
        self.report.loaded[kind.table] += loaded
        self.progress(kind.table, len(rows))

    def _node_references(self, kind: NodeKind, clean: Row) -> list[Problem | None]:
        found = [self._reference_problem(f.references, clean.get(f.name), f.name)  # type: ignore[arg-type]
                 for f in kind.fields if f.references]
        if kind.name == "Lot":
            item = clean["item_id"]
            if not (self._exists("Material", item) or self._exists("Product", item)):
                found.append(Problem("item_id", f"no Material or Product with id {item!r}", Defect.UNKNOWN_REFERENCE))
        if kind.name == "Inspection":
            subject_kind = "Lot" if clean["subject_type"] == "lot" else "Serial"
            found.append(self._reference_problem(subject_kind, clean["subject_id"], "subject_id"))
        return found

    def _endpoint(self, table: EdgeTable, raw: Row, type_col: str, id_col: str,
                  fixed_kind: str | None) -> tuple[NodeRef | None, Problem | None]:
        key = str(raw.get(id_col) or "").strip()
        if not key:
            return None, Problem(id_col, "required value is missing", Defect.REQUIRED_MISSING)
        if fixed_kind is None:
            type_name = str(raw.get(type_col) or "").strip()
            if type_name not in table.type_names:
                return None, Problem(type_col, f"{type_name!r} is not one of {', '.join(table.type_names)}",
                                     Defect.INVALID_VALUE)
            kind = table.type_names[type_name]
        else:
            kind = fixed_kind
        problem = self._reference_problem(kind, key, id_col)
        return (kind, key), problem

    def _load_edges(self, table: EdgeTable, path: Path, rows: list[Row]) -> None:
        rel = RELS[table.rel]
        target_kind = None if table.target_type else rel.target[0]
        for type_col, id_col, fixed in ((table.source_type, table.source_id, None),
                                        (table.target_type, table.target_id, target_kind)):
            for kind in ([fixed] if fixed else set(table.type_names.values())):
                wanted = {str(r.get(id_col)).strip() for r in rows
                          if fixed or table.type_names.get(str(r.get(type_col)).strip()) == kind}
                self._prefetch(kind, wanted)
        for f in rel.fields:
            if f.references:
                self._prefetch(f.references, {str(r[f.name]).strip() for r in rows if r.get(f.name)})
        seen: set[tuple[Any, ...]] = set()
        loaded = 0
        for number, raw in enumerate(rows, start=1):
            src, src_problem = self._endpoint(table, raw, table.source_type, table.source_id, None)
            dst, dst_problem = self._endpoint(table, raw, table.target_type, table.target_id, target_kind)
            clean, problems = validate(rel.fields, raw)
            issues = [p for p in (src_problem, dst_problem) if p] + problems
            if not issues:
                issues = [i for f in rel.fields if f.references
                          for i in [self._reference_problem(f.references, clean.get(f.name), f.name)] if i]
            if not issues and src == dst:
                issues = [Problem(table.target_id, "an edge may not join a record to itself", Defect.INVALID_VALUE)]
            identity = (src, dst, *(clean.get(n) for n in rel.identity))
            if not issues and identity in seen:
                issues = [Problem(table.source_id, f"duplicate {rel.name} edge in {path.name}", Defect.DUPLICATE)]
            if issues:
                self._reject(path, number, issues, raw, rel.name)
                continue
            seen.add(identity)
            for ref in (src, dst):
                if KINDS[ref[0]].implicit and not self._exists(*ref):  # type: ignore[index]
                    self.batch.add_stub(*ref)  # type: ignore[misc]
            self.batch.add_edge(Edge(rel.name, src, dst, clean))  # type: ignore[arg-type]
            loaded += 1
        self.report.loaded[table.table] += loaded
        self.progress(table.table, len(rows))


@paused_gc()
def load_tables(store: Store, directory: str | Path, progress: Progress | None = None,
                write: Writer | None = None) -> LoadReport:
    """Load every canonical table in ``directory`` as one batch; see the module docstring.

    ``write`` writes the batch with its source (files and their SHA-256, counts); by default alone.
    """
    return TableLoader(store, progress, write).load_dir(Path(directory))
