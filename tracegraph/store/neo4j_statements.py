"""Every Cypher statement the Neo4j backend sends, built from the files in :mod:`tracegraph.cypher`.

A :class:`Statement` carries its text and the names of the parameters the backend passes with it;
the backend refuses to send other parameters, and the linter test declares exactly these, so a
misspelt ``$parameter`` in a file fails. :func:`catalogue` lists every statement the backend can
send, generated from the data dictionary with the same builders the backend calls.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Literal

from ..cypher import render
from ..schema import GENEALOGY_RELS, KINDS, NODE_KINDS, REL_KINDS, RELS, NodeKind, RelKind

Direction = Literal["out", "in"]

# State kept beside the graph (Store.documents, Store.append): labels no node kind uses, and their keys.
DOCUMENT_LABEL = "TraceGraphDocument"
LOG_HEAD_LABEL = "TraceGraphLog"
LOG_ENTRY_LABEL = "TraceGraphLogEntry"
STATE_KEYS: dict[str, tuple[str, ...]] = {DOCUMENT_LABEL: ("collection", "key"), LOG_HEAD_LABEL: ("log",),
                                          LOG_ENTRY_LABEL: ("log", "seq")}
STATE_PROPERTIES = ("collection", "key", "body", "log", "seq")


@dataclass(frozen=True)
class Statement:
    name: str
    text: str
    params: frozenset[str]


def _statement(template: str, params: Collection[str], **fills: str) -> Statement:
    return Statement(template, render(template, **fills), frozenset(params))


def _arrows(direction: Direction) -> dict[str, str]:
    return {"left": "-", "right": "->"} if direction == "out" else {"left": "<-", "right": "-"}


def ref_expression(var: str, kinds: Collection[str]) -> str:
    """``[kind, key]`` of node ``var``, which is one of ``kinds`` (each node has its kind as its one label)."""
    ordered = [k for k in NODE_KINDS if k.name in kinds]
    branches = " ".join(f"WHEN {var}:{k.name} THEN ['{k.name}', {var}.{k.key}]" for k in ordered)
    return f"CASE {branches} END"


def far_kinds(rels: Collection[RelKind], direction: Direction) -> set[str]:
    return {k for r in rels for k in (r.target if direction == "out" else r.source)}


# -- nodes ---------------------------------------------------------------------------------------
def node_ids(kind: NodeKind) -> Statement:
    return _statement("node_ids", ["keys"], label=kind.name, key=kind.key)


def node_get(kind: NodeKind) -> Statement:
    return _statement("node_get", ["keys"], label=kind.name, key=kind.key)


def node_find(kind: NodeKind, field: str) -> Statement:
    kind.field(field)  # an unknown field raises: slots are never user text
    return _statement("node_find", ["values"], label=kind.name, key=kind.key, field=field)


def node_keys(kind: NodeKind) -> Statement:
    return _statement("node_keys", ["after", "page"], label=kind.name, key=kind.key)


def node_upsert(kind: NodeKind) -> Statement:
    return _statement("node_upsert", ["rows"], label=kind.name, key=kind.key)


def node_stub(kind: NodeKind) -> Statement:
    return _statement("node_stub", ["keys"], label=kind.name, key=kind.key)


def count_nodes(kind: NodeKind) -> Statement:
    return _statement("count_nodes", [], label=kind.name)


# -- relationships ---------------------------------------------------------------------------------
def edge_merge(rel: RelKind, src: NodeKind, dst: NodeKind) -> Statement:
    identity = ", ".join(f"{name}: row.props.{name}" for name in rel.identity)
    return _statement("edge_merge", ["rows"], type=rel.name, src_label=src.name, src_key=src.key,
                      dst_label=dst.name, dst_key=dst.key, identity=f" {{{identity}}}" if identity else "")


def edge_forget(rel: RelKind, owner: NodeKind) -> Statement:
    """Derived edges leave their owner when it is the source, and enter it otherwise."""
    return _statement("edge_forget", ["keys"], type=rel.name, label=owner.name, key=owner.key,
                      **_arrows("out" if owner.name in rel.source else "in"))


def edges(rel: RelKind, near: NodeKind, direction: Direction) -> Statement:
    return _statement("edges", ["keys"], type=rel.name, label=near.name, key=near.key,
                      far=ref_expression("b", far_kinds([rel], direction)), **_arrows(direction))


def edges_by_field(rel: RelKind, field: str) -> Statement:
    if field not in {f.name for f in rel.fields}:  # slots are never user text
        raise KeyError(f"{rel.name} has no field {field!r}")
    return _statement("edges_by_field", ["values"], type=rel.name, field=field,
                      src=ref_expression("a", rel.source), dst=ref_expression("b", rel.target))


def reach_hop(rels: Collection[str], direction: Direction) -> Statement:
    kinds = [r for r in REL_KINDS if r.name in rels]  # dictionary order: one text per set
    return _statement("reach_hop", ["frontier"], types="|".join(r.name for r in kinds),
                      far=ref_expression("m", far_kinds(kinds, direction)), **_arrows(direction))


def count_rels(rel: RelKind) -> Statement:
    return _statement("count_rels", [], type=rel.name)


# -- schema and maintenance ----------------------------------------------------------------------
def unique_keys() -> dict[str, tuple[str, ...]]:
    """The properties each label is unique on: every node kind's key, and the state labels' keys."""
    return {**{k.name: (k.key,) for k in NODE_KINDS}, **STATE_KEYS}


def schema() -> dict[str, Statement]:
    """Uniqueness constraints and lookup indexes by name, generated from the data dictionary
    (``IF NOT EXISTS``)."""
    out = {}
    for label, keys in unique_keys().items():
        name = f"tracegraph_{label.lower()}_key"
        properties = ", ".join(f"n.{k}" for k in keys)
        out[name] = _statement("constraint_unique", [], name=name, label=label,
                               properties=properties if len(keys) == 1 else f"({properties})")
    for k in NODE_KINDS:
        for f in k.lookup_fields:
            name = f"tracegraph_{k.name.lower()}_{f.name}"
            out[name] = _statement("index_field", [], name=name, label=k.name, field=f.name)
    for r in REL_KINDS:
        for f in r.fields:
            if f.references:  # as the embedded store: a referencing field is looked up by find_edges
                name = f"tracegraph_{r.name.lower()}_{f.name}"
                out[name] = _statement("index_rel_field", [], name=name, type=r.name, field=f.name)
    return out


def show_constraints() -> Statement:
    return _statement("show_constraints", [])


def document_get() -> Statement:
    return _statement("document_get", ["collection", "keys"], label=DOCUMENT_LABEL)


def document_keys() -> Statement:
    return _statement("document_keys", ["collection"], label=DOCUMENT_LABEL)


def document_put() -> Statement:
    return _statement("document_put", ["collection", "key", "body"], label=DOCUMENT_LABEL)


def log_next() -> Statement:
    return _statement("log_next", ["log"], head_label=LOG_HEAD_LABEL)


def log_append() -> Statement:
    return _statement("log_append", ["log", "seq", "body"], entry_label=LOG_ENTRY_LABEL)


def log_entries() -> Statement:
    return _statement("log_entries", ["log", "start", "page"], entry_label=LOG_ENTRY_LABEL)


def log_last() -> Statement:
    return _statement("log_last", ["log"], entry_label=LOG_ENTRY_LABEL)


def delete_all() -> Statement:
    return _statement("delete_all", [])


def catalogue() -> Iterator[Statement]:
    """Every statement the backend can send.

    ``reach_hop`` is filled with any set of relationship types; its text differs between sets only
    in the ``A|B`` alternation and the far-end CASE, so each single type, the genealogy set and the
    set of all types cover every name and form it can contain.
    """
    for kind in NODE_KINDS:
        yield from (node_ids(kind), node_get(kind), node_keys(kind), node_upsert(kind), node_stub(kind),
                    count_nodes(kind))
        yield from (node_find(kind, f.name) for f in kind.fields)
    for rel in REL_KINDS:
        yield count_rels(rel)
        yield from (edges_by_field(rel, f.name) for f in rel.fields)
        for src in rel.source:
            for dst in rel.target:
                yield edge_merge(rel, KINDS[src], KINDS[dst])
        if rel.derived_from is not None:
            yield edge_forget(rel, KINDS[rel.derived_from[0]])
        for direction, near_kinds in (("out", rel.source), ("in", rel.target)):
            for near in near_kinds:
                yield edges(rel, KINDS[near], direction)  # type: ignore[arg-type]
    for direction in ("out", "in"):
        for rels in [(r,) for r in RELS] + [GENEALOGY_RELS, tuple(RELS)]:
            yield reach_hop(rels, direction)  # type: ignore[arg-type]
    yield from schema().values()
    yield from (show_constraints(), document_get(), document_keys(), document_put(), log_next(), log_append(),
                log_entries(), log_last(), delete_all())
