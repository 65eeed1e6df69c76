"""``tracegraph serve`` in its own process on a port the OS picks, for tests that need the real CLI server.

Asking for a free port and then starting a server on it is a race: another process on a shared machine
can take the port in between. Here the server binds port 0 itself and the test reads the port it got
from uvicorn's startup line ("Uvicorn running on http://127.0.0.1:PORT"), which uvicorn writes only
once it listens, with the bound port.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CLI = [sys.executable, "-m", "tracegraph.cli"]
_LISTENING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+) ")  # the space: the whole port is written


@contextmanager
def serve(db: Path, log_path: Path, *options: str, timeout: float = 60) -> Iterator[str]:
    """``tracegraph --db DB serve [OPTIONS]`` on 127.0.0.1; yields its base URL once it listens.

    Its output goes to ``log_path``, which the error quotes when the server does not start within
    ``timeout`` seconds (a time budget, not a count of polls: a busy machine may take longer).
    """
    with log_path.open("w") as log:
        server = subprocess.Popen([*CLI, "--db", str(db), "serve", "--host", "127.0.0.1", "--port", "0", *options],
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while not (listening := _LISTENING.search(log_path.read_text())):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"serve did not start: {log_path.read_text()}")
                time.sleep(0.05)
            yield listening[1]
        finally:
            server.terminate()
            server.wait(timeout=30)
