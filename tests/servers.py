"""``tracegraph serve`` in its own process on a port the OS picks, for the tests (and benchmarks) of the real CLI.

Asking for a free port and then starting a server on it is a race: another process on a shared machine
can take the port in between. Here the server binds port 0 itself and the caller reads the port it got
from uvicorn's startup line ("Uvicorn running on http://127.0.0.1:PORT"), which uvicorn writes only
once it listens, with the bound port.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+) ")  # the space: the whole port is written


def start_serve(db: Path, log_path: Path, *options: str, python: str = sys.executable,
                cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """``tracegraph --db DB serve --host 127.0.0.1 --port 0 [OPTIONS]`` run by ``python``, output in ``log_path``."""
    with log_path.open("wb") as log:  # the server keeps its own copy of the descriptor
        return subprocess.Popen([python, "-m", "tracegraph.cli", "--db", str(db), "serve", "--host", "127.0.0.1",
                                 "--port", "0", *options], cwd=cwd, stdout=log, stderr=subprocess.STDOUT)


def bound_port(server: subprocess.Popen[bytes], log_path: Path, timeout: float = 60) -> int:
    """The port ``server`` (from ``start_serve``) listens on, once it listens; the error quotes its log.

    ``timeout`` is a time budget, not a count of polls: a busy machine may take longer to start it.
    """
    deadline = time.monotonic() + timeout
    while not (listening := _LISTENING.search(log_path.read_text())):
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"serve did not start: {log_path.read_text()}")
        time.sleep(0.05)
    return int(listening[1])


def wait_ready(url: str, server: subprocess.Popen[bytes] | None = None, timeout: float = 60) -> list[int]:
    """Poll ``url``/readyz until it answers 200; the statuses seen, which before that may only be 503 (the
    server builds its index first). Stops early if ``server`` exits."""
    address = urlsplit(url)
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while not seen or seen[-1] != 200:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} was not ready within {timeout:g} s: {seen[-3:]}")
        if seen:
            time.sleep(0.02)
        con = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
        try:
            con.request("GET", "/readyz")
            seen.append(con.getresponse().status)
        finally:
            con.close()
        if seen[-1] not in (200, 503):
            raise RuntimeError(f"/readyz answered {seen[-1]}")
    return seen


@contextmanager
def serve(db: Path, log_path: Path, *options: str, timeout: float = 60) -> Iterator[str]:
    """``tracegraph --db DB serve [OPTIONS]`` on 127.0.0.1; yields its base URL once it listens."""
    server = start_serve(db, log_path, *options)
    try:
        yield f"http://127.0.0.1:{bound_port(server, log_path, timeout)}"
    finally:
        server.terminate()
        server.wait(timeout=30)
