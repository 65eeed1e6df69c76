"""schema.graphql at the top of the repository is the schema the code builds."""

from pathlib import Path

from tracegraph.api.schema import export_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_graphql_has_not_drifted() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == export_sdl(), (
        "schema.graphql is stale: regenerate it with `python -m tracegraph.api.schema > schema.graphql`")
