"""schema.graphql and the README's root fields and roles are what the code builds (tests that fail when docs drift)."""

import re
from pathlib import Path

from tracegraph.api.roles import CAPABILITIES, Role
from tracegraph.api.schema import build_schema, export_sdl

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schema.graphql"


def test_schema_graphql_has_not_drifted() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == export_sdl(), (
        "schema.graphql is stale: regenerate it with `python -m tracegraph.api.schema > schema.graphql`")


def _readme_roles() -> dict[str, str]:
    """Root field -> role, from the Roles table of the README's GraphQL section."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## GraphQL API", 1)[1].split("\n## ", 1)[0]
    documented: dict[str, str] = {}
    for row in re.findall(r"^ *\| `(\w+)` \|(.*)\|$", section, flags=re.MULTILINE):
        role, cells = row
        for name in re.findall(r"`(\w+)`", cells):
            assert name not in documented, f"{name} is listed twice in the README's Roles table"
            documented[name] = role
    return documented


def test_readme_lists_every_root_field_with_the_least_role_that_may_use_it() -> None:
    schema = build_schema()
    declared: dict[str, str] = {}
    for root in (schema.query, schema.mutation):
        for field in root.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            (permission,) = field.permission_classes
            least = next(r for r in Role if r in CAPABILITIES[permission.capability])
            declared[schema.config.name_converter.get_graphql_name(field)] = least.value
    assert _readme_roles() == declared
