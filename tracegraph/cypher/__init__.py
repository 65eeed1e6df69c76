"""Cypher text for the Neo4j backend, kept as files and generated from the data dictionary.

Each ``*.cypher`` file here is one statement. Where labels, relationship types or property names
vary, the file is a template with ``{{name}}`` slots that :func:`render` fills from the data
dictionary (values never come from users; those travel as ``$parameters``). Leading ``//`` lines
document the file and are not sent.

Every statement is sent with the one pinned :data:`CYPHER_VERSION` prefix. ``CYPHER 5`` because it
is the version both server lines we support understand: Neo4j 5.21+ (the 5.26 LTS in
docker-compose.yml) accepts it, and 2025.06+ servers keep it frozen while their default moves to
Cypher 25 (which a 5.x server rejects). Moving to Cypher 25 is this one constant, re-linted.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

CYPHER_VERSION = "CYPHER 5"

_SLOT = re.compile(r"\{\{(\w+)\}\}")


@cache
def template(name: str) -> str:
    """The statement of ``<name>.cypher`` without its comment lines."""
    text = files(__name__).joinpath(f"{name}.cypher").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//")).strip()


def template_names() -> list[str]:
    return sorted(p.name.removesuffix(".cypher") for p in files(__name__).iterdir()
                  if p.name.endswith(".cypher"))


@cache
def _render(template_name: str, fills: tuple[tuple[str, str], ...]) -> str:
    values = dict(fills)
    used: set[str] = set()

    def fill(match: re.Match[str]) -> str:
        used.add(match.group(1))
        return values[match.group(1)]  # a missing fill is a bug: KeyError names it

    text = _SLOT.sub(fill, template(template_name))
    if used != set(values):
        raise KeyError(f"{template_name}.cypher has no slot for {sorted(set(values) - used)}")
    return f"{CYPHER_VERSION}\n{text}"


def render(template_name: str, /, **fills: str) -> str:
    """Statement ``template_name`` with its slots filled, prefixed with the pinned Cypher version."""
    return _render(template_name, tuple(sorted(fills.items())))
