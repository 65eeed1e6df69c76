"""Odd arguments to the recall API over a real server: each is refused with the documented code, and
nothing is done for them."""

from __future__ import annotations

from typing import Any

import pytest

import tracegraph
from tracegraph.api.context import ApiSettings

from .test_graphql_e2e import _code, _data, _gql

ASSIGN = 'mutation($id: ID!) { assignRecallCustomers(id: $id, person: "bob", customers: []) { id } }'
NOTIFY = 'mutation($id: ID!) { notifyRecallCustomers(id: $id, customers: [], method: "letter") { id } }'
CUSTOMERS = "query($id: ID!) { recall(id: $id) { scope { customers { customerId assignee notifiedAt } } } }"


@pytest.fixture(scope="module")
def recall_id(api: dict[str, Any]) -> str:
    """A new recall of the demo recall's trigger (the one of lots the demo opened, whichever other recalls the
    module's tests opened before), scoped once."""
    recalls = _data(api, "reader", "{ recalls { reason trigger { ids } } }")["recalls"]
    demo = next(r for r in recalls if r["reason"].startswith("Demo: "))
    opened = _data(api, "coordinator", 'mutation($ids: [String!]!) { openRecall(trigger: {kind: LOTS, ids: $ids}, '
                   'reason: "inputs", classification: III) { id } }', ids=demo["trigger"]["ids"])["openRecall"]["id"]
    _data(api, "coordinator", "mutation($id: ID!) { scopeRecall(id: $id) { scope { version } } }", id=opened)
    return str(opened)


def test_an_empty_customer_list_is_refused_not_everyone(api: dict[str, Any], recall_id: str) -> None:
    assert _code(api, "coordinator", ASSIGN, id=recall_id) == "BAD_INPUT"
    assert _code(api, "coordinator", NOTIFY, id=recall_id) == "BAD_INPUT"
    customers = _data(api, "reader", CUSTOMERS, id=recall_id)["recall"]["scope"]["customers"]
    assert customers and all(c["assignee"] is None and c["notifiedAt"] is None for c in customers)


def test_a_recall_starts_from_at_most_the_start_id_limit(api: dict[str, Any]) -> None:
    cap = ApiSettings().max_start_ids
    with tracegraph.connect(str(api["db"]), read_only=True) as g:
        serials = sorted(g.store.keys("Serial"))[:cap + 1]
    assert len(serials) == cap + 1
    before = len(_data(api, "reader", "{ recalls { id } }")["recalls"])
    query = ('mutation($ids: [String!]!) { openRecall(trigger: {kind: SERIALS, ids: $ids}, reason: "many", '
             'classification: II) { id } }')
    assert _code(api, "coordinator", query, ids=serials) == "LIMIT_EXCEEDED"
    assert len(_data(api, "reader", "{ recalls { id } }")["recalls"]) == before


def test_unknown_chain_refs_and_groups_are_named_errors(api: dict[str, Any], recall_id: str) -> None:
    scope = ('query($id: ID!, $ref: String!) { recall(id: $id) { scope { chain(ref: $ref) ids(group: "customers") '
             '} } }')
    customer = _data(api, "reader", CUSTOMERS, id=recall_id)["recall"]["scope"]["customers"][0]["customerId"]
    found = _data(api, "reader", scope, id=recall_id, ref=f"Customer:{customer}")["recall"]["scope"]
    assert found["chain"] and customer in found["ids"]
    body = _gql(api, "reader", scope, id=recall_id, ref="Customer:NOPE")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND" and "Customer:NOPE" in body["errors"][0]["message"]
    groups = 'query($id: ID!) { recall(id: $id) { scope { ids(group: "bogus") } } }'
    body = _gql(api, "reader", groups, id=recall_id)
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT" and "bogus" in body["errors"][0]["message"]
