"""Moving a whole graph out of a store: into another store, or into neo4j-admin import files.

Both walk any store through its primitives only (``keys``, ``get``, ``edges``), so they work from
every backend to every backend: embedded to Neo4j and back.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import BadInput
from ..schema import KINDS, LOAD_ORDER, REL_KINDS, FieldType, NodeKind, RelKind
from .base import ATTRIBUTES, Batch, Edge, Store, Writer, plain_writer

CHUNK = 5_000


def walk_nodes(store: Store, kind: NodeKind, chunk: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    """Every record of ``kind``, a chunk at a time, in key order."""
    keys: list[str] = []
    for key in store.keys(kind.name):
        keys.append(key)
        if len(keys) == chunk:
            yield _records(store, kind, keys)
            keys = []
    if keys:
        yield _records(store, kind, keys)


def _records(store: Store, kind: NodeKind, keys: list[str]) -> list[dict[str, Any]]:
    found = store.get(kind.name, keys)
    return [found[k] for k in keys if k in found]


def walk_edges(store: Store, rel: RelKind, chunk: int = CHUNK) -> Iterator[list[Edge]]:
    """Every edge of ``rel``, gathered from its source nodes a chunk at a time."""
    for source in rel.source:
        keys: list[str] = []
        for key in store.keys(source):
            keys.append(key)
            if len(keys) == chunk:
                yield store.edges(rel.name, [(source, k) for k in keys], "out")
                keys = []
        if keys:
            yield store.edges(rel.name, [(source, k) for k in keys], "out")


def copy_graph(src: Store, dst: Store, chunk: int = CHUNK, write: Writer | None = None) -> dict[str, int]:
    """Upsert every record and edge of ``src`` into ``dst``; returns how many of each were copied.

    Each chunk is one atomic write and a write is an upsert, so an interrupted copy is finished by
    running it again. Nodes go first (in load order), then edges, so no edge names a missing node.
    ``write`` writes each chunk with what it holds (``{"copied": {kind: n}}``); by default alone.
    """
    write = write or plain_writer(dst)
    copied: dict[str, int] = {}
    for name in LOAD_ORDER:
        for records in walk_nodes(src, KINDS[name], chunk):
            write(Batch(nodes={name: records}), {"copied": {name: len(records)}})
            copied[name] = copied.get(name, 0) + len(records)
    for rel in REL_KINDS:
        for edges in walk_edges(src, rel, chunk):
            if edges:
                write(Batch(edges={rel.name: edges}), {"copied": {rel.name: len(edges)}})
                copied[rel.name] = copied.get(rel.name, 0) + len(edges)
    return copied


# -- neo4j-admin database import full -------------------------------------------------------------
_ADMIN_TYPES = {FieldType.DECIMAL: ":double", FieldType.INTEGER: ":long"}  # the rest stay strings


def _cell(value: Any) -> str:
    """One CSV field: strings always quoted (so "" stays an empty string), None left empty (no property)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return repr(value)


def _line(out: IO[str], cells: list[Any]) -> None:
    out.write(",".join(cells) + "\n")


def export_neo4j_admin(store: Store, outdir: str | Path, chunk: int = CHUNK) -> dict[str, int]:
    """Write the graph as CSV files with neo4j-admin import headers, plus ``import.sh`` to load them.

    One node file per kind (``nodes/Lot.csv``: ``lot_id:ID(Lot),...,:LABEL``, each kind its own ID
    space) and one relationship file per relationship kind and endpoint kinds
    (``relationships/CONSUMED_INTO__Lot__Serial.csv``: ``:START_ID(Lot),:END_ID(Serial),...,:TYPE``).
    Values are stored as the Neo4j backend writes them, so the imported graph answers the same.
    """
    root = Path(outdir)
    try:
        (root / "nodes").mkdir(parents=True, exist_ok=True)
        (root / "relationships").mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file in the way, no permission
        raise BadInput(f"cannot write the export to {root}: {e.strerror or e}") from e
    written: dict[str, int] = {}
    files: list[str] = []
    for name in LOAD_ORDER:
        kind = KINDS[name]
        path = root / "nodes" / f"{name}.csv"
        fields = [f for f in kind.fields if f.name != kind.key]
        with path.open("w", encoding="utf-8", newline="") as out:
            _line(out, [f"{kind.key}:ID({name})"] + [f.name + _ADMIN_TYPES.get(f.type, "") for f in fields]
                  + [ATTRIBUTES, ":LABEL"])
            for records in walk_nodes(store, kind, chunk):
                for r in records:
                    attributes = r.get(ATTRIBUTES)
                    _line(out, [_cell(r[kind.key])] + [_cell(r.get(f.name)) for f in fields]
                          + [_cell(json.dumps(attributes, sort_keys=True) if attributes else None), name])
                    written[name] = written.get(name, 0) + 1
        files.append(f"--nodes={path.relative_to(root)}")
    for rel in REL_KINDS:
        outs: dict[tuple[str, str], IO[str]] = {}
        try:
            for edges in walk_edges(store, rel, chunk):
                for e in edges:
                    sink = outs.get((e.src[0], e.dst[0]))
                    if sink is None:
                        path = root / "relationships" / f"{rel.name}__{e.src[0]}__{e.dst[0]}.csv"
                        sink = outs[(e.src[0], e.dst[0])] = path.open("w", encoding="utf-8", newline="")
                        _line(sink, [f":START_ID({e.src[0]})", f":END_ID({e.dst[0]})"]
                              + [f.name + _ADMIN_TYPES.get(f.type, "") for f in rel.fields] + [":TYPE"])
                        files.append(f"--relationships={path.relative_to(root)}")
                    _line(sink, [_cell(e.src[1]), _cell(e.dst[1])] + [_cell(e.props.get(f.name)) for f in rel.fields]
                          + [rel.name])
                    written[rel.name] = written.get(rel.name, 0) + 1
        finally:
            for sink in outs.values():
                sink.close()
    _write_import_script(root, files)
    return written


def _write_import_script(root: Path, files: list[str]) -> None:
    script = root / "import.sh"
    script.write_text(
        "#!/bin/sh\n"
        "# Initial load of an empty Neo4j database from these files; run it where neo4j-admin is, with the\n"
        "# database stopped. Then start it and run `tracegraph --db neo4j://... init` for the constraints.\n"
        "# Usage: sh import.sh [DATABASE]   (default: neo4j)\n"
        "set -eu\n"
        'cd "$(dirname "$0")"\n'
        'neo4j-admin database import full "${1:-neo4j}" --multiline-fields=true \\\n'
        + " \\\n".join(f"  {shlex.quote(f)}" for f in files) + "\n",
        encoding="utf-8")
    script.chmod(0o755)
