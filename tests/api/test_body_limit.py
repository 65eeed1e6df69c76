"""The request body cap: an oversized body is refused with HTTP 413 before it is read, declared or chunked.

Raw sockets, so the tests control what is sent: the refusal must come while the client still holds back
the rest of the body (a server that reads it all first would wait for it, and the read would time out).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from tracegraph.api.context import ApiSettings

from .conftest import Server, codes

CAP = ApiSettings().max_body_bytes
QUERY = json.dumps({"query": "{ me { role } }"}).encode()


def _connect(server: Server) -> socket.socket:
    url = urlsplit(server.url)
    return socket.create_connection((url.hostname, url.port), timeout=20)


def _head(server: Server, framing: str) -> bytes:
    return (f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {server.keys['reader']}\r\n{framing}\r\n\r\n").encode()


def _response(sock: socket.socket) -> tuple[int, dict]:
    """Status and JSON body of the one response on ``sock`` (read to its Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection without an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection inside its answer"
        body += chunk
    return int(lines[0].split()[1]), json.loads(body)


def _refused(status: int, body: dict, what: str) -> None:
    assert status == 413, body
    assert body["data"] is None and codes(body["errors"]) == {"LIMIT_EXCEEDED"}
    assert body["errors"][0]["message"] == f"the request body may have at most {CAP:,} bytes, not {what}"


def test_a_declared_body_over_the_cap_is_refused_before_any_of_it_is_sent(server: Server) -> None:
    """Only the headers are sent: the server answers 413 from Content-Length alone."""
    declared = 200_000_000
    with _connect(server) as sock:
        sock.sendall(_head(server, f"Content-Length: {declared}"))
        status, body = _response(sock)
    _refused(status, body, f"{declared:,}")


def test_a_chunked_body_is_refused_once_it_passes_the_cap_without_waiting_for_its_end(server: Server) -> None:
    """No Content-Length: the body is counted as it arrives. The client stops just past the cap and never
    sends the last chunk, so an answer proves the server stopped reading there."""
    piece = b"x" * 65536
    with _connect(server) as sock:
        sock.sendall(_head(server, "Transfer-Encoding: chunked"))
        sent = 0
        while sent <= CAP:
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
        status, body = _response(sock)
    _refused(status, body, f"more than {CAP:,}")


def test_bodies_within_the_cap_are_served_declared_or_chunked(server: Server) -> None:
    padded = json.dumps({"query": "{ me { role } }", "variables": {"pad": "x" * (CAP - 100)}}).encode()
    assert CAP - 100 < len(padded) <= CAP
    headers = {"Authorization": f"Bearer {server.keys['reader']}", "Content-Type": "application/json"}
    declared = httpx.post(f"{server.url}/graphql", content=padded, headers=headers, timeout=60)
    assert declared.json() == {"data": {"me": {"role": "READER"}}}

    def chunks() -> Iterator[bytes]:
        yield from (padded[i:i + 65536] for i in range(0, len(padded), 65536))

    chunked = httpx.post(f"{server.url}/graphql", content=chunks(), headers=headers, timeout=60)
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
    assert chunked.json() == {"data": {"me": {"role": "READER"}}}
    with _connect(server) as sock:  # and the small request of every day, framed both ways
        sock.sendall(_head(server, f"Content-Length: {len(QUERY)}") + QUERY)
        assert _response(sock) == (200, {"data": {"me": {"role": "READER"}}})
        sock.sendall(_head(server, "Transfer-Encoding: chunked") + b"%x\r\n%s\r\n0\r\n\r\n" % (len(QUERY), QUERY))
        assert _response(sock) == (200, {"data": {"me": {"role": "READER"}}})
