"""The embedded store: one SQLite file, no server.

Tables come from the data dictionary: ``node`` gives every record an integer id across kinds,
``n_<table>`` holds each kind's properties and ``r_<rel>`` each relationship's edges, indexed in
both directions. WAL mode lets an API server and notebooks read while one process writes.
Edges are read and traversed through an in-memory CSR index of these tables (:mod:`.index`), which
every write invalidates by bumping the header's ``user_version``, whichever process makes it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import LimitExceeded, NoDatabase, StoreError
from ..gcpause import paused_gc
from ..schema import KINDS, NODE_KINDS, REL_KINDS, RELS, FieldType, NodeKind, RelKind
from .base import Batch, Counts, Direction, DocRef, Edge, EntryBuilder, LogEntry, NodeRef, Store, ThreadDeadline
from .index import AdjacencyIndex, IndexColumns, Relation, Stale, bump_change_counter, change_counter

SCHEMA_VERSION = 2  # 2: packing and attachments carry retracted_at
LOG_PAGE = 10_000  # the most log entries read at a time
LOG_FIRST_PAGE = 100  # a log read's first page; pages grow tenfold up to LOG_PAGE (see SQLiteStore.entries)
_ADDED_IN_2 = (("PACKED_IN", "retracted_at"), ("ATTACHED_TO", "retracted_at"))  # (relationship, column)
_SQL_TYPES = {FieldType.STRING: "TEXT", FieldType.ENUM: "TEXT", FieldType.DATETIME: "TEXT",
              FieldType.JSON: "TEXT", FieldType.INTEGER: "INTEGER", FieldType.DECIMAL: "REAL"}


def schema_ddl() -> list[str]:
    """CREATE statements for every table and index, generated from the data dictionary."""
    ddl = [
        "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS node (nid INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,"
        " UNIQUE (kind, key))",
        "CREATE TABLE IF NOT EXISTS document (collection TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,"
        " PRIMARY KEY (collection, key))",
    ]
    for kind in NODE_KINDS:
        cols = ", ".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in kind.fields)
        ddl.append(f"CREATE TABLE IF NOT EXISTS {kind.sql_table} (nid INTEGER PRIMARY KEY, {cols},"
                   f" attributes TEXT)")
        ddl.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {kind.sql_table}_key ON {kind.sql_table} ({kind.key})")
        for f in kind.lookup_fields:
            ddl.append(f"CREATE INDEX IF NOT EXISTS {kind.sql_table}_{f.name} ON {kind.sql_table} ({f.name})")
    for rel in REL_KINDS:
        cols = "".join(f", {f.name} {_SQL_TYPES[f.type]}" for f in rel.fields)
        unique = ", ".join(("src", "dst") + rel.identity)
        ddl.append(f"CREATE TABLE IF NOT EXISTS {rel.sql_table} (src INTEGER NOT NULL, dst INTEGER NOT NULL"
                   f"{cols}, UNIQUE ({unique}))")
        ddl.append(f"CREATE INDEX IF NOT EXISTS {rel.sql_table}_dst ON {rel.sql_table} (dst)")
        for f in rel.fields:
            if f.references:
                ddl.append(f"CREATE INDEX IF NOT EXISTS {rel.sql_table}_{f.name} ON {rel.sql_table} ({f.name})")
    # Logs that only grow (guarded by triggers; the audit trail's hash chain detects edits made by
    # going around them).
    ddl += [
        "CREATE TABLE IF NOT EXISTS log (log TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,"
        " PRIMARY KEY (log, seq))",
        # one record's entries (a recall's history) without reading the whole trail
        "CREATE INDEX IF NOT EXISTS log_target ON log (log, json_extract(body, '$.target'), seq)",
        "CREATE TRIGGER IF NOT EXISTS log_no_update BEFORE UPDATE ON log"
        " BEGIN SELECT RAISE(ABORT, 'log entries are append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS log_no_delete BEFORE DELETE ON log"
        " BEGIN SELECT RAISE(ABORT, 'log entries are append-only'); END",
    ]
    return ddl


def _ids(values: Iterable[Any]) -> str:
    return json.dumps(list(values))


class SQLiteStore(Store):
    schemes = ("sqlite",)

    def __init__(self, path: str | Path, *, read_only: bool = False, create: bool = True) -> None:
        """Opens the file at ``path``, made empty if absent unless ``read_only`` or not ``create``: then a
        missing file is NoDatabase (a mistyped path makes no stray empty store)."""
        if not (create or Path(path).exists()):
            raise NoDatabase(f"no database at {path}")
        self.path = str(path)
        self.read_only = read_only
        self._local = threading.local()
        self._deadline = ThreadDeadline()
        self._write_lock = threading.Lock()
        self._adjacency: AdjacencyIndex | None = None
        self._asked: tuple[set[str], set[str]] = (set(), set())  # what any version was asked for: the next builds it
        self._index_lock = threading.Lock()
        try:
            if not read_only:
                with self._tx() as con:
                    if self._version(con) == 1:
                        self._upgrade_from_1(con)
                    for stmt in schema_ddl():
                        con.execute(stmt)
                    con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            version = self._version(self._con())
        except sqlite3.DatabaseError as exc:  # e.g. a file that is not SQLite, or SQLite without our tables
            raise StoreError(f"cannot open {self.path} as a TraceGraph database: {exc}") from None
        if version == 1 and read_only:
            raise StoreError(f"{self.path} is a TraceGraph 1 database, open read-only: opening it writable upgrades "
                             f"it to {SCHEMA_VERSION} in place (`tracegraph --db {self.path} init`)")
        if version != SCHEMA_VERSION:
            raise StoreError(f"{self.path} is not a TraceGraph {SCHEMA_VERSION} database")

    @staticmethod
    def _version(con: sqlite3.Connection) -> int | None:
        """The schema version the file records; None for a file without TraceGraph's meta table."""
        if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
            return None
        found = con.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        return None if found is None else int(found[0])

    def _upgrade_from_1(self, con: sqlite3.Connection) -> None:
        """Schema 1 to 2 inside the opening transaction: add the columns 2 added and record who did it in
        the audit trail, so an old file keeps its records, audit trail, recalls, holds and API keys."""
        from ..recall.audit import LOG, default_user, entry  # the audit trail is built on the store
        added = []
        for rel, column in _ADDED_IN_2:
            field = next(f for f in RELS[rel].fields if f.name == column)
            con.execute(f"ALTER TABLE {RELS[rel].sql_table} ADD COLUMN {column} {_SQL_TYPES[field.type]}")
            added.append(f"{RELS[rel].sql_table}.{column}")
        con.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (str(SCHEMA_VERSION),))
        bump_change_counter(con)
        self._append(con, LOG, entry(default_user(), "store.upgrade", f"store:{self.path}",
                                     "opened a schema 1 database writable", before={"schema_version": 1},
                                     after={"schema_version": SCHEMA_VERSION, "added_columns": added}))

    # -- connections -------------------------------------------------------------------------
    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            if self.read_only and not Path(self.path).exists():
                raise NoDatabase(f"no database at {self.path}")
            uri = f"file:{self.path}?mode=ro" if self.read_only else f"file:{self.path}"
            try:
                con = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                                      timeout=30.0)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open {self.path}: {exc}") from exc
            if not self.read_only:
                con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA cache_size=-65536")  # 64 MiB per connection
            con.execute("PRAGMA temp_store=MEMORY")
            con.set_progress_handler(self._check_deadline, 10000)
            self._local.con = con
        return con

    def _check_deadline(self) -> int:
        # Per thread, like the connections: a server runs each request's store work in its own thread.
        left = self._deadline.remaining()
        return 1 if left is not None and left < 0 else 0

    @contextmanager
    def time_limit(self, seconds: float | None) -> Iterator[None]:
        try:
            with self._deadline.until(seconds):
                yield
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise LimitExceeded(f"the query ran longer than its time limit of {seconds:g} s") from None
            raise

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if self.read_only:  # every write starts here: refuse it as the other backends do, not with SQLite's error
            raise StoreError(f"the SQLite store at {self.path} was opened read-only")
        con = self._con()
        with self._write_lock:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    # -- writes ------------------------------------------------------------------------------
    def write(self, batch: Batch, entry: LogEntry | None = None) -> dict[str, Any] | None:
        with self._tx() as con:
            return self._write_in(con, batch, entry)

    def _write(self, con: sqlite3.Connection, batch: Batch) -> None:
        bump_change_counter(con)
        nids: dict[str, dict[str, int]] = defaultdict(dict)  # kind -> key -> nid, looked up in bulk
        for kind in NODE_KINDS:
            records = batch.nodes.get(kind.name, [])
            stubs = batch.stubs.get(kind.name, set())
            if records or stubs:
                keys = [r[kind.key] for r in records] + list(stubs)
                con.executemany("INSERT INTO node (kind, key) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                ((kind.name, k) for k in keys))
                nids[kind.name].update(self._lookup_nids(con, kind.name, keys))
            if records:
                self._upsert_records(con, kind, records, nids[kind.name])
            if stubs:
                ids = nids[kind.name]
                con.executemany(f"INSERT INTO {kind.sql_table} (nid, {kind.key}) VALUES (?, ?) "
                                f"ON CONFLICT DO NOTHING", ((ids[k], k) for k in stubs))
        for rel in REL_KINDS:
            if rel.derived_from is not None:
                self._forget_derived(con, rel, batch.nodes.get(rel.derived_from[0], []), nids)
            edges = batch.edges.get(rel.name)
            if edges:
                self._upsert_edges(con, rel, edges, nids)

    @staticmethod
    def _lookup_nids(con: sqlite3.Connection, kind: str, keys: Iterable[str]) -> dict[str, int]:
        return dict(con.execute("SELECT key, nid FROM node WHERE kind = ? AND key IN (SELECT value FROM json_each(?))",
                                (kind, _ids(keys))))

    def _upsert_records(self, con: sqlite3.Connection, kind: NodeKind, records: list[dict[str, Any]],
                        ids: dict[str, int]) -> None:
        names = [f.name for f in kind.fields] + ["attributes"]
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != kind.key)
        sql = (f"INSERT INTO {kind.sql_table} (nid, {', '.join(names)}) VALUES (?, {', '.join('?' * len(names))})"
               f" ON CONFLICT (nid) DO UPDATE SET {updates}")
        con.executemany(sql, (
            (ids[r[kind.key]], *(r.get(f.name) for f in kind.fields),
             json.dumps(r["attributes"], sort_keys=True) if r.get("attributes") else None)
            for r in records))

    def _forget_derived(self, con: sqlite3.Connection, rel: RelKind, owners: list[dict[str, Any]],
                        nids: dict[str, dict[str, int]]) -> None:
        """Drop the derived edges of re-written owners, so a changed key field moves its edge."""
        if not owners or con.execute(f"SELECT 1 FROM {rel.sql_table} LIMIT 1").fetchone() is None:
            return
        owner_kind = KINDS[rel.derived_from[0]]  # type: ignore[index]
        column = "src" if owner_kind.name in rel.source else "dst"
        ids = nids[owner_kind.name]
        con.executemany(f"DELETE FROM {rel.sql_table} WHERE {column} = ?", ((ids[r[owner_kind.key]],) for r in owners))

    def _upsert_edges(self, con: sqlite3.Connection, rel: RelKind, edges: list[Edge],
                      nids: dict[str, dict[str, int]]) -> None:
        wanted: dict[str, set[str]] = defaultdict(set)
        for e in edges:
            for kind, key in (e.src, e.dst):
                if key not in nids[kind]:
                    wanted[kind].add(key)
        for kind, keys in wanted.items():
            nids[kind].update(self._lookup_nids(con, kind, keys))
        names = [f.name for f in rel.fields]
        conflict = ", ".join(("src", "dst") + rel.identity)
        updates = [f"{n} = excluded.{n}" for n in names if n not in rel.identity]
        on_conflict = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
        sql = (f"INSERT INTO {rel.sql_table} (src, dst{''.join(', ' + n for n in names)}) VALUES "
               f"(?, ?{', ?' * len(names)}) ON CONFLICT ({conflict}) {on_conflict}")
        try:  # an endpoint that is not in the store gives a NULL id, which NOT NULL rejects
            con.executemany(sql, ((nids[e.src[0]].get(e.src[1]), nids[e.dst[0]].get(e.dst[1]),
                                   *(e.props.get(n) for n in names)) for e in edges))
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{rel.name}: an edge names a record that does not exist ({exc})") from exc

    # -- reads -------------------------------------------------------------------------------
    def _select_records(self, kind: str, where: str, params: tuple[Any, ...]) -> Iterator[dict[str, Any]]:
        k = KINDS[kind]
        names = [f.name for f in k.fields]
        for row in self._con().execute(f"SELECT {', '.join(names)}, attributes FROM {k.sql_table} {where}", params):
            record = dict(zip(names, row))
            if row[-1]:
                record["attributes"] = json.loads(row[-1])
            yield record

    @paused_gc()
    def get(self, kind: str, keys: Collection[str]) -> dict[str, dict[str, Any]]:
        key = KINDS[kind].key
        return {r[key]: r for r in self._select_records(
            kind, f"WHERE {key} IN (SELECT value FROM json_each(?))", (_ids(keys),))}

    def records(self, kind: str, chunk: int = 10_000) -> Iterator[dict[str, Any]]:
        return self._select_records(kind, f"ORDER BY {KINDS[kind].key}", ())

    def find(self, kind: str, field: str, values: Collection[str]) -> list[str]:
        k = KINDS[kind]
        k.field(field)  # raises for an unknown field: names below are never user text
        rows = self._con().execute(
            f"SELECT {k.key} FROM {k.sql_table} WHERE {field} IN (SELECT value FROM json_each(?))", (_ids(values),))
        return [r[0] for r in rows]

    def keys(self, kind: str) -> Iterator[str]:
        k = KINDS[kind]
        for (key,) in self._con().execute(f"SELECT {k.key} FROM {k.sql_table} ORDER BY {k.key}"):
            yield key

    def _index(self) -> AdjacencyIndex:
        """The adjacency index of the tables as they are now, rebuilt after any write."""
        con = self._con()
        version = change_counter(con)
        index = self._adjacency
        if index is None or index.version != version:
            with self._index_lock:  # one build at a time, however many threads ask
                index = self._adjacency
                if index is None or index.version != change_counter(con):
                    # let go of the old version first: a rebuild then needs one index of memory, not two
                    index = self._adjacency = None
                    index = self._adjacency = AdjacencyIndex(con, self._asked)
        return index

    def _relations(self, rels: Collection[str]) -> tuple[AdjacencyIndex, list[Relation]]:
        for _attempt in range(3):
            self._deadline.check()  # index reads run in Python, where SQLite's progress handler cannot stop them
            index = self._index()
            try:
                return index, index.relations(self._con(), rels)
            except Stale:  # written since: the next version builds these with its nodes
                del index  # and is built without this one held
        raise StoreError(f"{self.path} keeps changing while its index is built; try again")

    def revision(self) -> int:
        """The write counter (see :func:`change_counter`), which every write bumps in its transaction."""
        return change_counter(self._con())

    def warm(self) -> None:
        """Build the adjacency index of every relationship now (a 1M-serial store takes seconds)."""
        self._relations([rel.name for rel in REL_KINDS])

    def columns(self) -> IndexColumns:
        """The columnar view of the in-memory index as it is now (built on first use after a write)."""
        self._deadline.check()
        return IndexColumns(self._index(), self._con, self._deadline.check)

    def edges(self, rel: str, nodes: Iterable[NodeRef], direction: Direction) -> list[Edge]:
        index, (relation,) = self._relations([RELS[rel].name])
        return index.edges(relation, index.nids(nodes), direction)

    def neighbours(self, rel: str, nodes: Iterable[NodeRef], direction: Direction) -> set[NodeRef]:
        index, (relation,) = self._relations([RELS[rel].name])
        return set(index.neighbours(relation, index.nids(nodes), direction))

    def find_edges(self, rel: str, field: str, values: Collection[str]) -> list[Edge]:
        if field not in {f.name for f in RELS[rel].fields}:  # names below are never user text
            raise KeyError(f"{rel} has no field {field!r}")
        return self._select_edges(rel, field, values, "e.src, e.dst")

    def all_edges(self, rel: str, chunk: int = 10_000) -> Iterator[Edge]:
        return self._edge_query(rel, "ORDER BY e.src, e.dst", ())

    def _select_edges(self, rel: str, column: str, values: Iterable[Any], order: str) -> list[Edge]:
        """Edges of ``rel`` whose ``column`` is one of ``values``, with endpoints and properties."""
        return list(self._edge_query(rel, f"WHERE e.{column} IN (SELECT value FROM json_each(?)) ORDER BY {order}",
                                     (_ids(values),)))

    def _edge_query(self, rel: str, where: str, params: tuple[Any, ...]) -> Iterator[Edge]:
        r = RELS[rel]
        names = [f.name for f in r.fields]
        sql = (f"SELECT a.kind, a.key, b.kind, b.key{''.join(', e.' + n for n in names)} FROM {r.sql_table} e "
               f"JOIN node a ON a.nid = e.src JOIN node b ON b.nid = e.dst {where}")
        for row in self._con().execute(sql, params):
            yield Edge(rel, (row[0], row[1]), (row[2], row[3]), dict(zip(names, row[4:])))

    def _reach(self, seeds: Mapping[str, set[str]], rels: list[str], direction: Direction,
               max_depth: int) -> dict[NodeRef, int]:
        index, relations = self._relations(rels)
        refs = ((kind, key) for kind, keys in seeds.items() for key in keys)
        reached, depths = index.reach(relations, index.nids(refs), direction, max_depth)
        return dict(zip(index.refs(reached), depths.tolist()))

    def documents(self, collection: str, keys: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
        return self._documents_in(self._con(), collection, keys)

    def document_keys(self, collection: str) -> list[str]:
        return [key for (key,) in self._con().execute(
            "SELECT key FROM document WHERE collection = ? ORDER BY key", (collection,))]

    def _documents_in(self, con: sqlite3.Connection, collection: str,
                      keys: Collection[str] | None) -> dict[str, dict[str, Any]]:
        sql = "SELECT key, body FROM document WHERE collection = ?"
        args: tuple[str, ...] = (collection,)
        if keys is not None:
            sql += " AND key IN (SELECT value FROM json_each(?))"
            args += (_ids(keys),)
        return {key: json.loads(body) for key, body in con.execute(sql + " ORDER BY key", args)}

    def counts(self) -> dict[str, int]:
        return self._counts(self._con())

    def _counts(self, con: sqlite3.Connection) -> Counts:
        out = {k.name: con.execute(f"SELECT count(*) FROM {k.sql_table}").fetchone()[0] for k in NODE_KINDS}
        out.update({r.name: con.execute(f"SELECT count(*) FROM {r.sql_table}").fetchone()[0] for r in REL_KINDS})
        return out

    # -- append-only logs ----------------------------------------------------------------------
    def _log_rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Rows of the log table; none from a database opened read-only before it existed."""
        try:
            return self._con().execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if self.read_only and "no such table" in str(exc):
                return []
            raise

    def append(self, log: str, build: EntryBuilder, documents: Mapping[DocRef, dict[str, Any]] | None = None,
               expected: Mapping[DocRef, dict[str, Any] | None] | None = None) -> dict[str, Any]:
        with self._tx() as con:  # BEGIN IMMEDIATE: no other process writes until this commits
            self._check_unchanged(con, expected or {})
            entry = self._append(con, log, build)
            con.executemany(
                "INSERT INTO document (collection, key, body) VALUES (?, ?, ?) "
                "ON CONFLICT (collection, key) DO UPDATE SET body = excluded.body",
                ((c, k, json.dumps(d, sort_keys=True)) for (c, k), d in (documents or {}).items()))
        return entry

    def _append(self, con: sqlite3.Connection, log: str, build: EntryBuilder) -> dict[str, Any]:
        """Append ``build(seq, previous)`` inside the caller's transaction, chained to the last entry."""
        last = con.execute("SELECT seq, body FROM log WHERE log = ? ORDER BY seq DESC LIMIT 1", (log,)).fetchone()
        seq = 1 if last is None else last[0] + 1
        entry = build(seq, None if last is None else json.loads(last[1]))
        con.execute("INSERT INTO log (log, seq, body) VALUES (?, ?, ?)", (log, seq, json.dumps(entry)))
        return entry

    def entries(self, log: str, start: int = 1, target: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
        # a page at a time, so that a long trail is never all in memory; the target's test is the
        # expression of the log_target index, word for word, or SQLite would not use it
        # pages grow from LOG_FIRST_PAGE to LOG_PAGE, so that a caller who wants only the first entry
        # (AuditLog.contains) reads few
        about = "" if target is None else " AND json_extract(body, '$.target') = ?"
        page = min(LOG_FIRST_PAGE, LOG_PAGE)  # LOG_PAGE bounds every page, the first one too
        while True:
            rows = self._log_rows(f"SELECT seq, body FROM log WHERE log = ?{about} AND seq >= ? ORDER BY seq "
                                  f"LIMIT {page}", (log, *([] if target is None else [target]), start))
            for seq, body in rows:
                yield seq, json.loads(body)
            if len(rows) < page:
                return
            start, page = rows[-1][0] + 1, min(page * 10, LOG_PAGE)

    def last(self, log: str) -> tuple[int, dict[str, Any]] | None:
        rows = self._log_rows("SELECT seq, body FROM log WHERE log = ? ORDER BY seq DESC LIMIT 1", (log,))
        return (rows[0][0], json.loads(rows[0][1])) if rows else None
