"""docs/data-dictionary.md is generated from the dictionary; the committed copy must not drift."""

from __future__ import annotations

from pathlib import Path

from tracegraph.schema import EDGE_TABLES, NODE_KINDS, REL_KINDS
from tracegraph.schema.docs import render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"


def test_committed_doc_is_what_the_dictionary_generates() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/data-dictionary.md is stale: run `tracegraph dictionary --out docs/data-dictionary.md`")


def test_doc_names_every_kind_field_and_relationship() -> None:
    text = render_markdown()
    for kind in NODE_KINDS:
        assert f"### {kind.name} (table `{kind.table}`, key `{kind.key}`)" in text
        assert all(f"| `{f.name}` |" in text for f in kind.fields)
    assert all(f"-[:{rel.name}]->" in text for rel in REL_KINDS)
    assert all(f"| `{t.table}` | {t.rel} |" in text for t in EDGE_TABLES)
