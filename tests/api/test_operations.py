"""Which operation of a document runs: GetOperation of the GraphQL spec, over HTTP.

strawberry runs the first operation when a document has several and no operationName (its choice since
strawberry PR #3916); the spec makes that a request error, and so does this API.
"""

from __future__ import annotations

from typing import Any

import httpx

from tracegraph.api.keys import ApiKeys

from .conftest import Server, codes

TWO_QUERIES = "query Mine { me { role } } query Theirs { me { name } }"


def _post(server: Server, query: str, operation_name: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"query": query}
    if operation_name is not None:
        body["operationName"] = operation_name
    return httpx.post(f"{server.url}/graphql", json=body, timeout=60,
                      headers={"Authorization": f"Bearer {server.keys['admin']}"})


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["data"] is None, body
    (error,) = body["errors"]
    return error


def test_several_operations_without_an_operation_name_is_an_error_naming_them(server: Server) -> None:
    error = _error(_post(server, TWO_QUERIES))
    assert codes([error]) == {"BAD_INPUT"}
    assert error["message"] == ("operationName is required: the document has 2 operations (Mine, Theirs); "
                                "name the one to run")


def test_an_anonymous_operation_beside_others_is_the_error_the_spec_names(server: Server) -> None:
    """An anonymous operation cannot be named, so "name the one to run" would be no help: the document breaks
    the spec's Lone Anonymous Operation rule, which is what the client is told, and nothing runs (a mutation
    among them included: validation stops the document first)."""
    for document, name in (("query Mine { me { role } } { me { name } }", None),
                           ("query Mine { me { role } } { me { name } }", "Mine"),
                           ("{ me { role } } { me { name } }", None),
                           ('mutation { createApiKey(role: READER, name: "anonymous-made") { key } } '
                            "query Look { me { role } }", None)):
        body = _post(server, document, name).json()
        assert body["data"] is None and body["errors"], body
        assert codes(body["errors"]) == {"BAD_INPUT"}, (document, name, body)
        assert all("anonymous operation must be the only defined operation" in e["message"]
                   for e in body["errors"]), body
    assert "anonymous-made" not in {k.name for k in ApiKeys(server.store).list()}


def test_without_an_operation_name_no_operation_of_several_runs_not_even_a_mutation(server: Server) -> None:
    """The first operation used to run: here a mutation that made an API key the client never chose to make."""
    name = "made-by-an-unnamed-operation"
    document = (f'mutation Make {{ createApiKey(role: READER, name: "{name}") {{ key }} }} '
                "query Look { me { role } }")
    error = _error(_post(server, document))
    assert codes([error]) == {"BAD_INPUT"}
    assert "operationName is required" in error["message"]
    assert "(Make, Look)" in error["message"]
    assert name not in {k.name for k in ApiKeys(server.store).list()}


def test_an_operation_name_that_names_no_operation_is_an_error_naming_those_there_are(server: Server) -> None:
    error = _error(_post(server, TWO_QUERIES, "Yours"))
    assert codes([error]) == {"BAD_INPUT"}
    assert error["message"] == "no operation named 'Yours' in the document; it has: Mine, Theirs"
    lone = _error(_post(server, "{ me { role } }", "Mine"))
    assert codes([lone]) == {"BAD_INPUT"}
    assert lone["message"] == ("no operation named 'Mine' in the document; it has one anonymous operation "
                               "(send no operationName)")


def test_a_document_with_no_operation_is_an_error(server: Server) -> None:
    error = _error(_post(server, "fragment F on Me { role }"))
    assert codes([error]) == {"BAD_INPUT"}
    assert error["message"] == "the document has no operation to run"


def test_the_named_operation_runs_and_a_lone_operation_needs_no_name(server: Server) -> None:
    assert _post(server, TWO_QUERIES, "Theirs").json() == {"data": {"me": {"name": "test admin"}}}
    assert _post(server, TWO_QUERIES, "Mine").json() == {"data": {"me": {"role": "ADMIN"}}}
    assert _post(server, "query Mine { me { role } }").json() == {"data": {"me": {"role": "ADMIN"}}}
    assert _post(server, "{ me { role } }").json() == {"data": {"me": {"role": "ADMIN"}}}
