"""Odd arguments to the recall API over a real server: each is refused with the documented code, and
nothing is done for them."""

from __future__ import annotations

from typing import Any

import pytest

from .test_graphql_e2e import _code, _data

ASSIGN = 'mutation($id: ID!) { assignRecallCustomers(id: $id, person: "bob", customers: []) { id } }'
NOTIFY = 'mutation($id: ID!) { notifyRecallCustomers(id: $id, customers: [], method: "letter") { id } }'
CUSTOMERS = "query($id: ID!) { recall(id: $id) { scope { customers { customerId assignee notifiedAt } } } }"


@pytest.fixture(scope="module")
def recall_id(api: dict[str, Any]) -> str:
    """A new recall of the demo recall's trigger, scoped once."""
    demo = _data(api, "reader", "{ recalls { trigger { ids } } }")["recalls"][0]
    opened = _data(api, "coordinator", 'mutation($ids: [String!]!) { openRecall(trigger: {kind: LOTS, ids: $ids}, '
                   'reason: "inputs", classification: III) { id } }', ids=demo["trigger"]["ids"])["openRecall"]["id"]
    _data(api, "coordinator", "mutation($id: ID!) { scopeRecall(id: $id) { scope { version } } }", id=opened)
    return str(opened)


def test_an_empty_customer_list_is_refused_not_everyone(api: dict[str, Any], recall_id: str) -> None:
    assert _code(api, "coordinator", ASSIGN, id=recall_id) == "BAD_INPUT"
    assert _code(api, "coordinator", NOTIFY, id=recall_id) == "BAD_INPUT"
    customers = _data(api, "reader", CUSTOMERS, id=recall_id)["recall"]["scope"]["customers"]
    assert customers and all(c["assignee"] is None and c["notifiedAt"] is None for c in customers)
