"""A 200 MB POST to ``tracegraph serve``: the server's peak RSS and how long until it answers.

Each framing (a declared Content-Length, and chunked without one) gets a fresh server, so its peak RSS
(VmHWM) is that request's doing. ``--python`` picks the server's interpreter: run once with a venv of the
code before the body cap and once with this one to compare. The server runs outside the repository, so it
imports the tracegraph installed in that interpreter.

    python -m bench.body_limit [--python /path/to/venv/bin/python] [--mb 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import tracegraph
from tracegraph.api.keys import ApiKeys
from tracegraph.generate import generate

from .http import bound_port, start_serve, wait_ready

PIECE = 1 << 20
PREFIX = b'{"query": "{ me { role } }", "variables": {"pad": "'
SUFFIX = b'"}}'


def _body(size: int) -> Iterator[bytes]:
    """A valid GraphQL request of ``size`` bytes (an unused variable pads it), in 1 MiB pieces."""
    pad = size - len(PREFIX) - len(SUFFIX)
    yield PREFIX
    for start in range(0, pad, PIECE):
        yield b"x" * min(PIECE, pad - start)
    yield SUFFIX


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def post_big(port: int, key: str, size: int, chunked: bool) -> tuple[int, float, int]:
    """(HTTP status, seconds from the first byte sent to the status line, bytes the client got to send)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=600)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {key}\r\n{framing}\r\n\r\n").encode()
    sent = 0

    def send() -> None:
        nonlocal sent
        try:
            sock.sendall(head)
            for piece in _body(size):
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server answered and closed the connection: the rest is not wanted
            pass

    started = time.perf_counter()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("the server closed the connection without an answer")
        answer += chunk
    seconds = time.perf_counter() - started
    sock.close()
    sender.join(timeout=600)
    return int(answer.split()[1]), seconds, sent


def measure(python: str, db: Path, key: str, size: int, chunked: bool, runs: int) -> dict[str, float | int]:
    log = db.parent / "serve.log"
    server = start_serve(db, log, python=python, cwd=db.parent)
    try:
        port = bound_port(server, log, 120)
        wait_ready(f"http://127.0.0.1:{port}", server, 120)
        idle = _peak_rss_mb(server.pid)
        results = [post_big(port, key, size, chunked) for _ in range(runs)]
        return {"status": results[0][0], "median_s": statistics.median(r[1] for r in results),
                "sent_mb": min(r[2] for r in results) / PIECE, "idle_peak_rss_mb": idle,
                "peak_rss_mb": _peak_rss_mb(server.pid)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.body_limit", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", default=sys.executable, help="the server's interpreter")
    p.add_argument("--mb", type=int, default=200, help="body size in MiB")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "tables", 200, seed=3)
        with tracegraph.connect(f"sqlite:///{root / 'plant.db'}") as graph:
            graph.load_tables(root / "tables")
            key, _ = ApiKeys(graph.store).create("reader", "body-limit bench")
        for chunked in (False, True):
            got = measure(args.python, root / "plant.db", key, args.mb * PIECE, chunked, args.runs)
            print(f"{'chunked' if chunked else 'declared'} {args.mb} MiB: HTTP {got['status']} after "
                  f"{got['median_s'] * 1000:.0f} ms (median of {args.runs}); client sent {got['sent_mb']:.1f} MiB; "
                  f"server peak RSS {got['peak_rss_mb']:.0f} MB (idle {got['idle_peak_rss_mb']:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
