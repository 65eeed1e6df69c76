"""Fixtures for the standards tests: copied open-licence files, and the GS1 examples read in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tracegraph

DATA = Path(__file__).parent / "data"
# <repo>/../shared/data, as CI lays it out; TRACEGRAPH_SHARED_DATA points elsewhere (e.g. from a worktree)
SHARED = Path(os.environ.get("TRACEGRAPH_SHARED_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"))
GS1_EXAMPLES = SHARED / "EPCIS"
VALID_COPIED = sorted((DATA / "openepcis").glob("*.json")) + sorted((DATA / "openepcis").glob("*.xml")) + sorted(
    (DATA / "opentraceability").glob("*.jsonld"))
INVALID_COPIED = sorted((DATA / "openepcis" / "invalid").glob("*.json"))


def gs1_examples() -> list[Path]:
    """The GS1 EPCIS examples (disclaimer only, never copied), or a skip naming where they should be."""
    if not GS1_EXAMPLES.is_dir():
        pytest.skip(f"GS1 EPCIS examples not found at {GS1_EXAMPLES} (they may not be copied into the repo)")
    return sorted(GS1_EXAMPLES.rglob("*.jsonld")) + sorted(GS1_EXAMPLES.rglob("*.xml"))


@pytest.fixture
def graph(tmp_path: Path):
    with tracegraph.connect(f"sqlite:///{tmp_path / 'standards.db'}") as g:
        yield g
