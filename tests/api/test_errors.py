"""What the server logs about errors: a client's mistakes are answered, not logged as the server's errors."""

from __future__ import annotations

import logging

import pytest

from .conftest import Server, codes


def test_a_client_error_is_not_logged_nor_the_signing_secret_in_its_query(server: Server,
                                                                             caplog: pytest.LogCaptureFixture) -> None:
    """A failed closeRecall used to be logged at ERROR with a traceback and the query text, signing secret and all
    (strawberry logs every error of a result by default); only INTERNAL errors are the server's to log."""
    secret = "s3cret-typed-in-the-query"
    with caplog.at_level(logging.INFO):
        errors = server.errors(f'mutation {{ closeRecall(id: "RC-NONE", secret: "{secret}") {{ id }} }}',
                               role="recall_coordinator")
        assert codes(errors) == {"NOT_FOUND"}
        assert codes(server.errors('{ lot(id: "NO-SUCH-LOT") { id } }', role="reader")) == {"NOT_FOUND"}
        assert codes(server.errors("{ me { rolez } }", role="reader")) == {"BAD_INPUT"}
    assert secret not in caplog.text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_missing_signing_secret_says_how_to_set_one_over_graphql(server: Server) -> None:
    """The hint named only the CLI (`tracegraph signer set`), which an API client has no use for. The error is
    UNAUTHENTICATED inside a 200 result: the key is fine, the signer's re-authentication is not (README)."""
    rid = server.query('mutation { openRecall(trigger: {kind: SUPPLIER, ids: ["SUP-0001"]}, reason: "hint", '
                       'classification: III) { id } }')["openRecall"]["id"]
    response = server.post("mutation($id: ID!) { signRecall(id: $id, meaning: REVIEWED, secret: \"x\") { intact } }",
                           {"id": rid}, role="admin")
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED" and "setSigningSecret" in error["message"]
