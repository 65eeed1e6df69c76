"""Helpers for the Neo4j checks that run without a server: Neo4j's own Cypher linter, run with Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from tracegraph.schema import NODE_KINDS, REL_KINDS
from tracegraph.store.base import ATTRIBUTES
from tracegraph.store.neo4j_statements import STATE_KEYS, STATE_PROPERTIES, Statement

LINTER = Path(__file__).resolve().parents[1] / "tools" / "cypher-lint"


def graph_schema() -> dict[str, list[str]]:
    """What the database holds, from the data dictionary (and the state kept beside the graph):
    the linter flags any other name."""
    props = {f.name for k in NODE_KINDS for f in k.fields} | {f.name for r in REL_KINDS for f in r.fields}
    return {"labels": [k.name for k in NODE_KINDS] + list(STATE_KEYS),
            "relationshipTypes": [r.name for r in REL_KINDS],
            "propertyKeys": sorted(props | {ATTRIBUTES, *STATE_PROPERTIES})}


def lint(statements: Iterable[Statement]) -> list[dict[str, Any]]:
    """Each statement's diagnostics from @neo4j-cypher/language-support (installed by scripts/test.sh)."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed: the Cypher linter needs Node.js 20+")
    if not (LINTER / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        pytest.fail(f"the Cypher linter is not installed: run `npm ci` in {LINTER} (scripts/test.sh does)")
    items = list(statements)
    payload = {"schema": graph_schema(),
               "statements": [{"id": str(i), "text": s.text, "params": sorted(s.params)} for i, s in enumerate(items)]}
    done = subprocess.run(["node", "lint.mjs"], cwd=LINTER, input=json.dumps(payload), capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    return [{"statement": s, "diagnostics": r["diagnostics"]} for s, r in zip(items, results, strict=True)]
