"""API keys: hashed at rest, managed by the CLI and by admins over GraphQL; serve refuses unsafe hosts."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from servers import serve, wait_ready
from typer.testing import CliRunner

from tracegraph.api.keys import COLLECTION, ApiKeys
from tracegraph.cli import app
from tracegraph.errors import BadInput
from tracegraph.store import SQLiteStore

from .conftest import Server, codes


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    SQLiteStore(tmp_path / "keys.db").close()
    return tmp_path / "keys.db"


def test_keys_are_stored_only_as_hashes(empty_db: Path) -> None:
    store = SQLiteStore(empty_db)
    key, record = ApiKeys(store).create("analyst", "etl")
    secret = key.split("_", 2)[2]  # tgk_<hex id>_<secret>; the secret itself may hold "_"
    stored = store.documents(COLLECTION)[record.id]
    assert stored["sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(stored)
    store.close()
    files = b"".join(p.read_bytes() for p in empty_db.parent.glob(f"{empty_db.name}*"))
    assert stored["sha256"].encode() in files and secret.encode() not in files
    assert ApiKeys(SQLiteStore(empty_db)).verify(key).role.value == "analyst"


def test_cli_creates_lists_and_revokes_keys(empty_db: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["--db", str(empty_db), "apikey", "create", "--role", "recall_coordinator",
                                  "--name", "qa team"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    keys = ApiKeys(SQLiteStore(empty_db))
    principal = keys.verify(key)
    assert principal.role.value == "recall_coordinator" and principal.name == "qa team"
    listed = json.loads(runner.invoke(app, ["--db", str(empty_db), "apikey", "list", "--json"]).stdout)
    assert [(k["id"], k["name"], k["role"], k["revoked_at"]) for k in listed] == [
        (principal.key_id, "qa team", "recall_coordinator", None)]
    assert "sha256" not in listed[0]
    assert runner.invoke(app, ["--db", str(empty_db), "apikey", "revoke", principal.key_id]).exit_code == 0
    assert not keys.any_active()
    bad = runner.invoke(app, ["--db", str(empty_db), "apikey", "create", "--role", "superuser"])
    assert bad.exit_code != 0


def test_cli_refuses_a_second_key_with_a_name_in_use(empty_db: Path) -> None:
    runner = CliRunner()

    def create(name: str) -> Any:
        return runner.invoke(app, ["--db", str(empty_db), "apikey", "create", "--role", "analyst", "--name", name])
    first = create("etl")
    assert first.exit_code == 0, first.output
    again = create("etl")
    assert again.exit_code == 2 and "BAD_INPUT" in again.output and "'etl'" in again.output
    assert [k.name for k in ApiKeys(SQLiteStore(empty_db)).list()] == ["etl"]
    key_id = ApiKeys(SQLiteStore(empty_db)).list()[0].id
    assert runner.invoke(app, ["--db", str(empty_db), "apikey", "revoke", key_id]).exit_code == 0
    assert create("etl").exit_code == 0  # a revoked key no longer acts, so its name may be used again
    assert create("").exit_code == 0 and create("").exit_code == 0  # unnamed keys act as apikey:<id>


def test_serve_refuses_a_non_loopback_host_without_keys(empty_db: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "tracegraph.cli", "--db", str(empty_db), "serve",
                           "--host", "0.0.0.0", "--port", "1"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0" in done.stderr and "apikey create" in done.stderr


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--max-body-bytes", "0", "max_body_bytes must be at least 1, not 0"),
    ("--time-limit", "0", "request_time_limit must be more than 0, not 0.0")])
def test_serve_refuses_a_limit_that_would_refuse_every_request(empty_db: Path, option: str, value: str,
                                                               message: str) -> None:
    """A body cap of 0 bytes, or no time for any store work, would make every request fail: serve says so
    and exits 2 before it listens."""
    done = subprocess.run([sys.executable, "-m", "tracegraph.cli", "--db", str(empty_db), "serve", option, value,
                           "--port", "1"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert f"error (BAD_INPUT): {message}" in done.stderr.replace("\n", "")


def test_settings_name_the_limit_that_cannot_be() -> None:
    from tracegraph.api.context import ApiSettings
    with pytest.raises(BadInput, match="store_threads must be at least 1, not 0"):
        ApiSettings(store_threads=0)
    assert ApiSettings(max_aliases=0).max_aliases == 0  # allowing no aliases at all is a policy, not a mistake


def test_serve_on_a_port_in_use_exits_2_not_3(empty_db: Path) -> None:
    """uvicorn exits 3 when it cannot bind; 3 is the code of a broken audit trail, so serve says what failed
    and exits 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "tracegraph.cli", "--db", str(empty_db), "serve",
                               "--port", str(port)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert f"error (BAD_INPUT): could not serve on 127.0.0.1:{port}" in done.stderr.replace("\n", "")


def test_serve_runs_the_api_on_loopback(plant_db: Path, server: Server, tmp_path: Path) -> None:
    """The CLI path end to end: `tracegraph serve` in its own process answers health checks and queries, and
    refuses a body over its --max-body-bytes."""
    with serve(plant_db, tmp_path / "serve.log", "--max-body-bytes", "4096") as url:
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        wait_ready(url)
        assert httpx.post(f"{url}/graphql", json={"query": "{ me { role } }"}).status_code == 401
        me = httpx.post(f"{url}/graphql", json={"query": "{ me { role } }"},
                        headers={"Authorization": f"Bearer {server.keys['reader']}"}).json()
        assert me == {"data": {"me": {"role": "READER"}}}
        padded = httpx.post(f"{url}/graphql", json={"query": "{ me { role } }", "variables": {"pad": "x" * 4096}},
                            headers={"Authorization": f"Bearer {server.keys['reader']}"})
        assert padded.status_code == 413 and "at most 4,096 bytes" in padded.json()["errors"][0]["message"]


def test_admins_manage_keys_over_graphql(server: Server) -> None:
    created = server.query('mutation { createApiKey(role: ANALYST, name: "ci", expiresInDays: 30) '
                           '{ key info { id role expiresAt revokedAt } } }')["createApiKey"]
    key, info = created["key"], created["info"]
    assert info["role"] == "ANALYST" and info["expiresAt"] and info["revokedAt"] is None
    me = server.post("{ me { keyId role } }", role=None, headers={"X-API-Key": key}).json()["data"]["me"]
    assert me == {"keyId": info["id"], "role": "ANALYST"}
    listed = server.query("{ apiKeys { id } }")["apiKeys"]
    assert info["id"] in {k["id"] for k in listed}
    assert server.query("mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
                        {"id": info["id"]})["revokeApiKey"]["revokedAt"]
    assert server.post("{ me { keyId } }", role=None, headers={"X-API-Key": key}).status_code == 401


def test_graphql_refuses_a_second_key_with_a_name_in_use(server: Server) -> None:
    create = 'mutation { createApiKey(role: READER, name: "one signer") { info { id } } }'
    first = server.query(create)["createApiKey"]["info"]["id"]
    errors = server.errors(create)
    assert codes(errors) == {"BAD_INPUT"} and "'one signer'" in errors[0]["message"] and first in errors[0]["message"]
    assert [k["id"] for k in server.query("{ apiKeys { id name } }")["apiKeys"] if k["name"] == "one signer"] == [first]
    server.query("mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }", {"id": first})
    assert server.query(create)["createApiKey"]["info"]["id"] != first


def test_key_changes_over_graphql_are_audited_as_the_admin(server: Server) -> None:
    info = server.query('mutation { createApiKey(role: READER, name: "audited") { info { id } } }')[
        "createApiKey"]["info"]
    server.query("mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }", {"id": info["id"]})
    trail = [(e["actor"], e["action"]) for e in server.graph.audit.entries(target=f"apikey:{info['id']}")]
    assert trail == [("test admin", "apikey.create"), ("test admin", "apikey.revoke")]


def test_two_keys_created_at_once_cannot_share_a_name(empty_db: Path) -> None:
    """Two admins (or the CLI beside a server) creating a key with one name at the same moment: both read that
    no key has it before either writes. The second write must be refused, or the audit trail would name two
    keys alike. ``list`` below is the real one, held open until the other creation has committed."""
    read, other_done = threading.Event(), threading.Event()

    class Slow(ApiKeys):
        def list(self) -> list[Any]:
            found = super().list()
            read.set()
            other_done.wait(10)
            return found

    outcome: list[Any] = []

    def create_slowly() -> None:
        try:
            outcome.append(Slow(SQLiteStore(empty_db)).create("analyst", "night shift"))
        except BadInput as exc:
            outcome.append(exc)

    slow = threading.Thread(target=create_slowly)
    slow.start()
    assert read.wait(10)
    first = ApiKeys(SQLiteStore(empty_db)).create("reader", "night shift")[1]
    other_done.set()
    slow.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], BadInput), outcome
    assert "an API key named 'night shift' exists" in str(outcome[0])
    named = [k.id for k in ApiKeys(SQLiteStore(empty_db)).list() if k.name == "night shift"]
    assert named == [first.id]


def test_a_key_name_is_trimmed_and_a_blank_one_is_no_name(empty_db: Path) -> None:
    """A key's name is the actor in the audit trail: spaces around it would make a second 'etl', and a name
    of spaces an actor no one can read; the key stays unnamed (it acts as apikey:<id>)."""
    keys = ApiKeys(SQLiteStore(empty_db))
    assert keys.create("analyst", "   ")[1].name == ""
    assert keys.create("analyst", " etl ")[1].name == "etl"
    with pytest.raises(BadInput, match="an API key named 'etl' exists"):
        keys.create("analyst", "etl  ")


@pytest.mark.parametrize("days", [3_000_000, 2_000_000_000])
def test_an_expiry_past_the_calendar_is_bad_input_not_an_internal_error(server: Server, empty_db: Path,
                                                                        days: int) -> None:
    """Used to fail with OverflowError: INTERNAL over GraphQL, a traceback from the CLI."""
    errors = server.errors("mutation($d: Int) { createApiKey(role: READER, name: \"far\", expiresInDays: $d) { key } }",
                           {"d": days})
    assert codes(errors) == {"BAD_INPUT"} and f"expires_in_days: {days} days" in errors[0]["message"]
    done = CliRunner().invoke(app, ["--db", str(empty_db), "apikey", "create", "--role", "reader",
                                    "--expires-in-days", str(days)])
    assert done.exit_code == 2 and "BAD_INPUT" in done.output
    assert ApiKeys(SQLiteStore(empty_db)).list() == []
    far = server.query('mutation { createApiKey(role: READER, expiresInDays: 36500) { info { expiresAt } } }')
    assert far["createApiKey"]["info"]["expiresAt"] > "2100"
