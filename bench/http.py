"""forwardTrace over HTTP against a running ``tracegraph serve`` (the GraphQL API, extra ``[api]``).

The timed request is what an API client sends first: the counts of every group and the first page
(up to 1,000 ids) of each. Once, untimed, every page of lots and serials is fetched and compared
with the Python API's answer, so the figure is for a correct answer.
"""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from servers import bound_port, start_serve  # noqa: E402  (serve on a port the OS picks, as the tests do)

GROUPS = ("lots", "serials", "containers", "shipments", "customers", "suppliers", "processSteps", "materials",
          "products", "inspections")
PAGE = 1000
FIRST_PAGES = ("query($lots: [ID!]!) { forwardTrace(start: {lots: $lots}) { counts { "
               + " ".join(GROUPS) + " } " + " ".join(f"{g}(first: {PAGE}) {{ nodes {{ id }} }}" for g in GROUPS)
               + " } }")
ONE_GROUP = ("query($lots: [ID!]!, $after: String) { forwardTrace(start: {lots: $lots}) { "
             "%s(first: 1000, after: $after) { pageInfo { hasNextPage endCursor } nodes { id } } } }")


class Client:
    def __init__(self, port: int, key: str) -> None:
        self.con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def query(self, text: str, variables: dict[str, Any]) -> dict[str, Any]:
        self.con.request("POST", "/graphql", json.dumps({"query": text, "variables": variables}), self.headers)
        answer = json.loads(self.con.getresponse().read())
        if answer.get("errors"):
            raise RuntimeError(f"GraphQL errors: {answer['errors']}")
        return answer["data"]

    def every_id(self, group: str, lots: list[str]) -> set[str]:
        ids: set[str] = set()
        after = None
        while True:
            page = self.query(ONE_GROUP % group, {"lots": lots, "after": after})["forwardTrace"][group]
            ids.update(n["id"] for n in page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                return ids
            after = page["pageInfo"]["endCursor"]


def wait_ready(port: int, server: subprocess.Popen[bytes], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            con.request("GET", "/readyz")
            if con.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready within {seconds:g} s")


def forward_ms(db: Path, lot: str, runs: int, expected: dict[str, set[str]]) -> tuple[float | None, str]:
    """Median ms of the first-page forwardTrace request, or None and why it was not measured."""
    try:
        from tracegraph.api.keys import ApiKeys
    except ImportError as exc:
        return None, f"not measured: the API is not installed here ({exc}); pip install 'tracegraph[api]'"
    import tracegraph

    with tracegraph.connect(f"sqlite:///{db}") as graph:
        key, record = ApiKeys(graph.store).create("analyst", "benchmark")
    log = db.parent / "serve.log"
    server = start_serve(db, log)
    try:
        return _measure(bound_port(server, log, 120), server, key, lot, runs, expected)
    except (OSError, RuntimeError) as exc:  # the figure is then missing, with its reason; the run goes on
        return None, f"not measured: {exc}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        with tracegraph.connect(f"sqlite:///{db}") as graph:
            ApiKeys(graph.store).revoke(record.id)


def _measure(port: int, server: subprocess.Popen[bytes], key: str, lot: str, runs: int,
             expected: dict[str, set[str]]) -> tuple[float | None, str]:
    wait_ready(port, server)
    client = Client(port, key)
    for group, want in expected.items():
        got = client.every_id(group, [lot])
        if got != want:
            return None, f"not measured: forwardTrace {group} over HTTP differ from the Python API"
    client.query(FIRST_PAGES, {"lots": [lot]})
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.query(FIRST_PAGES, {"lots": [lot]})
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, ""
