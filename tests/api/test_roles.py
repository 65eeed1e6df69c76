"""The role matrix: what each role may ask, checked over HTTP field by field."""

from __future__ import annotations

import pytest

from .conftest import ROLES, Server, codes

# operation -> the roles allowed to run it; written out here, independently of tracegraph.api.roles
MATRIX: dict[str, set[str]] = {
    "record": {"reader", "analyst", "recall_coordinator", "admin"},
    "me": {"reader", "analyst", "recall_coordinator", "admin"},
    "identify": {"reader", "analyst", "recall_coordinator", "admin"},
    "search": {"reader", "analyst", "recall_coordinator", "admin"},
    "recordView": {"reader", "analyst", "recall_coordinator", "admin"},
    "recalls": {"reader", "analyst", "recall_coordinator", "admin"},
    "auditVerify": {"reader", "analyst", "recall_coordinator", "admin"},
    "traceGraph": {"analyst", "recall_coordinator", "admin"},
    "forwardTrace": {"analyst", "recall_coordinator", "admin"},
    "backwardTrace": {"analyst", "recall_coordinator", "admin"},
    "supplierExposure": {"analyst", "recall_coordinator", "admin"},
    "quality": {"analyst", "recall_coordinator", "admin"},
    "recallScope": {"recall_coordinator", "admin"},
    "apiKeys": {"admin"},
    "createApiKey": {"admin"},
    "revokeApiKey": {"admin"},
}


def _operation(server: Server, name: str) -> tuple[str, dict]:
    store = server.graph.store
    lot = next(k for k in store.keys("Lot") if k.startswith("RL"))
    serial = next(store.keys("Serial"))
    supplier = next(store.keys("Supplier"))
    return {
        "record": ("query($id: ID!) { lot(id: $id) { id } }", {"id": lot}),
        "me": ("{ me { role } }", {}),
        "identify": ("query($id: String!) { identify(text: $id) { format } }", {"id": lot}),
        "search": ("query($id: String!) { search(text: $id) { kind } }", {"id": lot}),
        "recordView": ("query($id: ID!) { recordView(kind: Lot, id: $id) }", {"id": lot}),
        "recalls": ("{ recalls { id } }", {}),
        "auditVerify": ("{ auditVerify { ok } }", {}),
        "traceGraph": ("query($id: ID!) { traceGraph(start: {lots: [$id]}, direction: FORWARD, limit: 5) }",
                       {"id": lot}),
        "forwardTrace": ("query($id: ID!) { forwardTrace(start: {lots: [$id]}) { counts { lots } } }", {"id": lot}),
        "backwardTrace": ("query($id: ID!) { backwardTrace(start: {serials: [$id]}) { counts { lots } } }",
                          {"id": serial}),
        "supplierExposure": ("query($id: ID!) { supplierExposure(supplierId: $id) { supplierId } }",
                             {"id": supplier}),
        "quality": ("{ quality { traceCoverage { share } } }", {}),
        "recallScope": ("query($id: ID!) { recallScope(trigger: {lots: [$id]}) { byCustomer { customerId } } }",
                        {"id": lot}),
        "apiKeys": ("{ apiKeys { id role } }", {}),
        "createApiKey": ('mutation { createApiKey(role: READER, name: "matrix") { key info { id } } }', {}),
        "revokeApiKey": ('mutation { revokeApiKey(id: "000000000000") { id } }', {}),
    }[name]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", sorted(MATRIX))
def test_role_matrix(server: Server, role: str, operation: str) -> None:
    query, variables = _operation(server, operation)
    body = server.post(query, variables, role=role).json()
    if role in MATRIX[operation]:
        # allowed: either data, or (revoking an unknown id) a domain error, never FORBIDDEN
        assert "FORBIDDEN" not in codes(body.get("errors") or []), body
        if operation != "revokeApiKey":
            assert body["data"] and body.get("errors") is None, body
    else:
        assert codes(body["errors"]) == {"FORBIDDEN"}, body
        assert body["data"] is None


def test_a_forbidden_field_is_reported_at_its_path(server: Server) -> None:
    body = server.post("{ me { role } apiKeys { id } }", role="reader").json()
    assert body["data"] is None  # apiKeys is non-null, so its refusal nulls the whole answer
    assert codes(body["errors"]) == {"FORBIDDEN"}
    assert "admin" in body["errors"][0]["message"]
    assert body["errors"][0]["path"] == ["apiKeys"]
