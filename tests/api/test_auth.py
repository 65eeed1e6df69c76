"""Authentication over HTTP: health checks are open, everything else needs a valid key."""

from __future__ import annotations

import httpx
import pytest
from servers import wait_ready

from .conftest import Server

ME = "{ me { keyId role } }"


def test_health_and_readiness_need_no_key(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    wait_ready(server.url)  # the server builds its store's index in the background first
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer tgk_000000000000_notakey"},
    {"Authorization": "Bearer garbage"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"X-API-Key": ""},
])
def test_graphql_without_a_valid_key_is_401_in_the_error_shape(server: Server, headers: dict[str, str]) -> None:
    response = server.post(ME, role=None, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


def test_a_key_with_a_wrong_secret_is_refused(server: Server) -> None:
    real = server.keys["admin"]
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    assert server.post(ME, role=None, headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_a_revoked_key_is_refused(server: Server) -> None:
    response = server.post(ME, role=None, headers={"Authorization": f"Bearer {server.revoked_key}"})
    assert response.status_code == 401
    assert "revoked" in response.json()["errors"][0]["message"]


def test_get_queries_and_unknown_paths_need_a_key(server: Server) -> None:
    assert httpx.get(f"{server.url}/graphql", params={"query": ME}).status_code == 401
    assert httpx.get(f"{server.url}/nothing-here").status_code == 401


def test_the_graphiql_page_loads_but_holds_no_data(server: Server) -> None:
    page = httpx.get(f"{server.url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_bearer_and_x_api_key_headers_both_work(server: Server) -> None:
    key = server.keys["analyst"]
    by_bearer = server.post(ME, role=None, headers={"Authorization": f"Bearer {key}"}).json()
    by_header = server.post(ME, role=None, headers={"X-API-Key": key}).json()
    assert by_bearer == by_header
    assert by_bearer["data"]["me"]["role"] == "ANALYST"


@pytest.mark.parametrize("method, body, status", [("POST", b"{not json", 400), ("PUT", b"{}", 405)])
def test_requests_refused_before_graphql_get_the_error_shape(server: Server, method: str, body: bytes,
                                                             status: int) -> None:
    response = httpx.request(method, f"{server.url}/graphql", content=body, headers={
        "Authorization": f"Bearer {server.keys['reader']}", "Content-Type": "application/json"})
    assert response.status_code == status
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["BAD_INPUT"]
