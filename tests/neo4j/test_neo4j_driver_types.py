"""The driver-facing code against the neo4j driver's real types: records, summaries, errors, drivers.

No Neo4j server can run here, so these build the driver's own objects (as it builds them from a
server's replies) and point real drivers at local ports where no Neo4j answers.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from neo4j import Address, Record, ResultSummary, ServerInfo
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

import tracegraph
from tracegraph.errors import BadInput, LimitExceeded, StoreError
from tracegraph.schema import KINDS, RELS
from tracegraph.store import _BACKENDS, Edge
from tracegraph.store.neo4j import (
    Neo4jSettings,
    Neo4jStore,
    edge_rows,
    edges_from_records,
    node_rows,
    record_from_props,
    schema_created,
    translate,
)

SETTINGS = Neo4jSettings("neo4j://db.example:7687", "app", "pw", "trace", 300.0)


# -- URL and settings ----------------------------------------------------------------------------
def test_credentials_and_database_come_from_the_url() -> None:
    s = Neo4jSettings.from_url("neo4j+s://app:p%40ss@graph.example:7688/trace", env={})
    assert (s.uri, s.user, s.password, s.database) == ("neo4j+s://graph.example:7688", "app", "p@ss", "trace")


def test_settings_fill_what_the_url_leaves_out_and_the_url_wins() -> None:
    env = {"TRACEGRAPH_NEO4J_USER": "envuser", "TRACEGRAPH_NEO4J_PASSWORD": "envpw",
           "TRACEGRAPH_NEO4J_DATABASE": "envdb", "TRACEGRAPH_NEO4J_TIMEOUT": "12.5"}
    s = Neo4jSettings.from_url("bolt://localhost", env=env)
    assert (s.uri, s.user, s.password, s.database, s.timeout) == ("bolt://localhost:7687", "envuser", "envpw",
                                                                  "envdb", 12.5)
    s = Neo4jSettings.from_url("bolt+s://urluser:urlpw@localhost:7000/urldb", env=env)
    assert (s.user, s.password, s.database) == ("urluser", "urlpw", "urldb")
    assert Neo4jSettings.from_url("neo4j://h", env={}).database is None  # the server's default database


@pytest.mark.parametrize("url, words", [
    ("neo4j:///nohost", "names no host"),
    ("neo4j://h:notaport", "bad port"),
    ("neo4j://h/a/b", "one database name"),
    ("http://h:7474", "not a Neo4j URL"),
])
def test_bad_urls_are_bad_input(url: str, words: str) -> None:
    with pytest.raises(BadInput, match=words):
        Neo4jSettings.from_url(url, env={})


def test_bad_timeout_setting_names_the_variable() -> None:
    with pytest.raises(BadInput, match="TRACEGRAPH_NEO4J_TIMEOUT"):
        Neo4jSettings.from_url("neo4j://h", env={"TRACEGRAPH_NEO4J_TIMEOUT": "soon"})


def test_password_is_not_in_messages() -> None:
    with pytest.raises(BadInput) as caught:
        Neo4jSettings.from_url("neo4j://u:secret@h:bad", env={})
    assert "secret" not in str(caught.value)
    assert "secret" not in SETTINGS.describe() and "pw" not in SETTINGS.describe()


def test_the_store_implements_the_whole_interface() -> None:
    assert not Neo4jStore.__abstractmethods__
    assert set(Neo4jStore.schemes) == {s for s, opener in _BACKENDS.items() if opener is not _BACKENDS["sqlite"]}


# -- errors ---------------------------------------------------------------------------------------
def _server_error(code: str, message: str) -> Neo4jError:
    """The exception the driver raises for a server FAILURE with this code (its own hydration)."""
    return Neo4jError._hydrate_neo4j(code=code, message=message)


def test_transaction_timeouts_are_limit_exceeded() -> None:
    for code in ("Neo.ClientError.Transaction.TransactionTimedOut",
                 "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration"):
        exc = _server_error(code, "The transaction has been terminated.")
        assert isinstance(translate(exc, SETTINGS, 2.5), LimitExceeded)
        assert "2.5 s" in str(translate(exc, SETTINGS, 2.5))


def test_bad_credentials_say_where_to_set_them_without_the_password() -> None:
    exc = _server_error("Neo.ClientError.Security.Unauthorized", "The client is unauthorized.")
    error = translate(exc, SETTINGS)
    assert isinstance(error, StoreError) and "TRACEGRAPH_NEO4J_PASSWORD" in str(error) and "pw" not in str(error)


def test_missing_database_and_other_server_errors_are_store_errors() -> None:
    missing = translate(_server_error("Neo.ClientError.Database.DatabaseNotFound", "no such db"), SETTINGS)
    assert isinstance(missing, StoreError) and "no database 'trace'" in str(missing)
    other = translate(_server_error("Neo.ClientError.Statement.SyntaxError", "Invalid input 'X'"), SETTINGS)
    assert isinstance(other, StoreError) and "Neo.ClientError.Statement.SyntaxError" in str(other)
    transient = translate(_server_error("Neo.TransientError.General.MemoryPoolOutOfMemoryError", "oom"), SETTINGS)
    assert isinstance(transient, StoreError)


def test_connection_losses_are_store_errors_naming_the_server() -> None:
    for exc in (ServiceUnavailable("Unable to retrieve routing information"), SessionExpired("gone")):
        error = translate(exc, SETTINGS)
        assert isinstance(error, StoreError) and "cannot reach Neo4j at neo4j://db.example:7687/trace" in str(error)


# -- records and summaries ------------------------------------------------------------------------
def test_node_properties_map_to_the_embedded_stores_records() -> None:
    lot = KINDS["Lot"]
    record = Record({"props": {"lot_id": "L1", "item_id": "M1", "quantity": 5.0,
                               "attributes": '{"colour": "blue"}'}})
    mapped = record_from_props(lot, record["props"])
    assert mapped == {"lot_id": "L1", "item_id": "M1", "supplier_id": None, "quantity": 5.0, "uom": None,
                      "created_at": None, "expires_at": None, "attributes": {"colour": "blue"}}


def test_node_rows_carry_every_field_so_a_rewrite_removes_stale_properties() -> None:
    rows = node_rows(KINDS["Supplier"], [{"supplier_id": "S1", "name": "Acme", "country": None,
                                          "attributes": {"b": 2, "a": 1}}])
    assert rows == [{"key": "S1", "props": {"name": "Acme", "country": None, "attributes": '{"a": 1, "b": 2}'}}]
    # and back: a record written and read returns the same record
    read = record_from_props(KINDS["Supplier"], {"supplier_id": "S1", **{k: v for k, v in rows[0]["props"].items()
                                                                         if v is not None}})
    assert read == {"supplier_id": "S1", "name": "Acme", "country": None, "attributes": {"a": 1, "b": 2}}


def test_edge_records_map_to_edges_in_both_directions() -> None:
    rel = RELS["PACKED_IN"]
    records = [Record({"near": "K1", "far": ["Serial", "S1"], "props": {"packed_at": "2026-01-01T00:00:00.000Z"}})]
    (edge,) = edges_from_records(rel, "Container", "in", records)
    assert edge == Edge("PACKED_IN", ("Serial", "S1"), ("Container", "K1"))
    # every property the dictionary gives the relationship is present, None where the record has none
    assert edge.props == {**dict.fromkeys(f.name for f in rel.fields), "packed_at": "2026-01-01T00:00:00.000Z"}
    (out,) = edges_from_records(rel, "Serial", "out", [Record({"near": "S1", "far": ["Container", "K1"],
                                                               "props": {}})])
    assert (out.src, out.dst) == (("Serial", "S1"), ("Container", "K1"))


def test_edge_rows_group_by_endpoint_kinds() -> None:
    rel = RELS["CONSUMED_INTO"]
    rows = edge_rows(rel, [Edge(rel.name, ("Lot", "A"), ("Lot", "B"), {"step_id": "S1"}),
                           Edge(rel.name, ("Lot", "A"), ("Serial", "X"), {"step_id": "S2", "quantity": 1.0})])
    assert set(rows) == {("Lot", "Lot"), ("Lot", "Serial")}
    assert rows[("Lot", "Serial")] == [{"src": "A", "dst": "X", "props": {
        **dict.fromkeys(f.name for f in rel.fields), "step_id": "S2", "quantity": 1.0}}]


def test_schema_summaries_tell_created_from_present() -> None:
    address = Address(("127.0.0.1", 7687))
    server = ServerInfo(address, (5, 8))

    def summary(stats: dict[str, int]) -> ResultSummary:
        # as the driver builds it from a SUCCESS message's metadata
        return ResultSummary(address, True, False, {"server": server, "stats": stats, "type": "s"})
    assert schema_created(summary({"constraints-added": 1}))
    assert schema_created(summary({"indexes-added": 1}))
    assert not schema_created(summary({}))  # IF NOT EXISTS found it


# -- drivers against ports where no Neo4j answers ------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts and hangs up: not a Neo4j server."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.mark.parametrize("scheme", ["neo4j", "bolt"])
def test_an_unreachable_server_is_a_clean_store_error(scheme: str) -> None:
    port = _closed_port()
    with pytest.raises(StoreError, match=f"cannot reach Neo4j at {scheme}://127.0.0.1:{port}/traces as app"):
        tracegraph.connect(f"{scheme}://app:secret@127.0.0.1:{port}/traces")


def test_a_server_that_is_not_neo4j_is_a_clean_store_error(silent_server: int) -> None:
    with pytest.raises(StoreError) as caught:
        tracegraph.connect(f"bolt://app:secret@127.0.0.1:{silent_server}")
    assert f"127.0.0.1:{silent_server}" in str(caught.value) and "secret" not in str(caught.value)


def test_the_cli_reports_an_unreachable_server_with_exit_code_2() -> None:
    from typer.testing import CliRunner

    from tracegraph.cli import app
    port = _closed_port()
    result = CliRunner().invoke(app, ["--db", f"neo4j://127.0.0.1:{port}", "counts"])
    assert result.exit_code == 2
    assert "STORE_ERROR" in result.output and "cannot reach Neo4j" in result.output
