"""Generates ``docs/data-dictionary.md`` from the dictionary (a test keeps the two equal)."""

from __future__ import annotations

from .dictionary import EDGE_TABLES, NODE_KINDS, REL_KINDS, Field


def _field_rows(fields: tuple[Field, ...], key: str | None = None) -> list[str]:
    rows = ["| field | type | unit | required | constraints | meaning |", "|---|---|---|---|---|---|"]
    for f in fields:
        required = "key" if f.name == key else ("yes" if f.required else "no")
        rows.append(f"| `{f.name}` | {f.type.value} | {f.unit or ''} | {required} | "
                    f"{f.constraint_text()} | {f.description} |")
    return rows


def render_markdown() -> str:
    out = [
        "# TraceGraph data dictionary",
        "",
        "Generated from `tracegraph/schema/dictionary.py` by `tracegraph dictionary`; do not edit by hand.",
        "Times are ISO 8601; a time without an offset is UTC. Empty cells mean no value.",
        "Columns a table has beyond these are kept on the record as `attributes`.",
        "",
        "## Node kinds",
    ]
    for kind in NODE_KINDS:
        out += ["", f"### {kind.name} (table `{kind.table}`, key `{kind.key}`)", "", kind.description]
        if kind.implicit:
            out.append("Created with only its key when another record refers to it.")
        out += [""] + _field_rows(kind.fields, kind.key)
    out += ["", "## Relationship kinds", ""]
    for rel in REL_KINDS:
        src, dst = "|".join(rel.source), "|".join(rel.target)
        origin = (f"table `{rel.table}`" if rel.table
                  else f"field `{rel.derived_from[1]}` of {rel.derived_from[0]}" if rel.derived_from
                  else "the standards loaders (EPCIS, GUDID)")
        out += [f"### ({src})-[:{rel.name}]->({dst})", "", f"{rel.description} From {origin}."]
        if rel.identity:
            out.append("One edge per endpoints and " + ", ".join(f"`{n}`" for n in rel.identity) + ".")
        if rel.fields:
            out += [""] + _field_rows(rel.fields)
        out.append("")
    out += ["## Edge tables", "", "| table | relationship | source | target | type values |",
            "|---|---|---|---|---|"]
    for t in EDGE_TABLES:
        source = f"`{t.source_type}`, `{t.source_id}`"
        target = f"`{t.target_type}`, `{t.target_id}`" if t.target_type else f"`{t.target_id}`"
        types = ", ".join(f"{k}={v}" for k, v in t.type_names.items())
        out.append(f"| `{t.table}` | {t.rel} | {source} | {target} | {types} |")
    return "\n".join(out) + "\n"
