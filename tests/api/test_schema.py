"""schema.graphql and the README's root fields, roles and error codes are what the code builds (tests that fail
when docs drift)."""

import re
from pathlib import Path

from tracegraph.api.roles import CAPABILITIES, Role
from tracegraph.errors import TraceGraphError
from tracegraph.api.schema import build_schema, export_sdl

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schema.graphql"


def test_schema_graphql_has_not_drifted() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == export_sdl(), (
        "schema.graphql is stale: regenerate it with `python -m tracegraph.api.schema > schema.graphql`")


def _readme_section(title: str) -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8").split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _readme_roles() -> dict[str, str]:
    """Root field -> role, from the Roles table of the README's GraphQL section."""
    section = _readme_section("GraphQL API")
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


def _codes(cls: type[TraceGraphError]) -> set[str]:
    return {cls.code}.union(*(_codes(sub) for sub in cls.__subclasses__()))


def test_readme_lists_every_error_code_of_the_api_and_the_cli() -> None:
    """The API passes every domain error's code through and masks the rest as INTERNAL (api/errors.py);
    the CLI prints a domain error's code and exits 2."""
    domain = _codes(TraceGraphError) - {"INTERNAL"}
    table = _readme_section("GraphQL API").split("| code | when |", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"^ *\| `([A-Z_]+)` \|", table, flags=re.MULTILINE)) == domain | {"INTERNAL"}
    exit_2 = re.search(r"CODE one of ([A-Z_, ]+);", _readme_section("Quick start"))
    assert exit_2 is not None and set(exit_2.group(1).split(", ")) == domain
