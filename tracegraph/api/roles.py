"""Who may do what: roles and the capabilities each grants (no GraphQL here, so the CLI needs none).

A capability names an area of the schema ("read", "trace", "recall", "admin"); root fields
declare the capability they need with :func:`tracegraph.api.permissions.requires`. To add an
area, add a capability here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(Enum):
    """What an API key may do; each role includes the ones before it."""

    READER = "reader"
    ANALYST = "analyst"
    RECALL_COORDINATOR = "recall_coordinator"
    ADMIN = "admin"


CAPABILITIES: dict[str, frozenset[Role]] = {
    "read": frozenset(Role),  # look up records and their neighbours
    # traces, supplier exposure, data-quality KPIs (analysis across many records, not one look-up)
    "trace": frozenset({Role.ANALYST, Role.RECALL_COORDINATOR, Role.ADMIN}),
    "recall": frozenset({Role.RECALL_COORDINATOR, Role.ADMIN}),  # recall scope and recall work
    "admin": frozenset({Role.ADMIN}),  # API keys
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    key_id: str
    name: str
    role: Role

    def may(self, capability: str) -> bool:
        return self.role in CAPABILITIES[capability]
