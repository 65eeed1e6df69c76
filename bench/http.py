"""forwardTrace and recallScope over HTTP against a running ``tracegraph serve`` (the GraphQL API, extra ``[api]``).

The timed requests are what an API client sends first: for the forward trace, the counts of every group
and the first page (up to 1,000 ids) of each; for the recall scope, the counts, the counts per customer
and the first page of 100 affected items with where each is now. Once, untimed, every page of the
forward trace's lots and serials is fetched and compared with the Python API's answer, and so are the
recall scope's size and first page, so the figures are for correct answers.
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from servers import bound_port, start_serve, wait_ready  # noqa: E402  (serve on a port the OS picks, as the tests do)

GROUPS = ("lots", "serials", "containers", "shipments", "customers", "suppliers", "processSteps", "materials",
          "products", "inspections")
PAGE = 1000
FIRST_PAGES = ("query($lots: [ID!]!) { forwardTrace(start: {lots: $lots}) { counts { "
               + " ".join(GROUPS) + " } " + " ".join(f"{g}(first: {PAGE}) {{ nodes {{ id }} }}" for g in GROUPS)
               + " } }")
ONE_GROUP = ("query($lots: [ID!]!, $after: String) { forwardTrace(start: {lots: $lots}) { "
             "%s(first: 1000, after: $after) { pageInfo { hasNextPage endCursor } nodes { id } } } }")
AFFECTED_PAGE = 100
RECALL_FIRST_PAGE = ("query($lots: [ID!]!) { recallScope(trigger: {lots: $lots}) { "
                     "trace { counts { " + " ".join(GROUPS) + " } } "
                     "byCustomer { customerId lots serials shipments lotQuantity } "
                     f"affected(first: {AFFECTED_PAGE}) {{ totalCount nodes {{ item {{ __typename id }} status "
                     "customerIds shipmentIds containerId remaining } } } }")


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


def http_ms(db: Path, forward_lot: str, recall_lots: list[str], runs: int, expected: dict[str, set[str]],
            affected: list[tuple[str, str]]) -> tuple[dict[str, float] | None, str]:
    """Median ms of the first requests of a forward trace and of a recall scope, or None and why they were not
    measured. ``expected``: the forward trace's lot and serial ids; ``affected``: the recall scope's lots and
    serials in order."""
    try:
        from tracegraph.api.keys import ApiKeys
    except ImportError as exc:
        return None, f"not measured: the API is not installed here ({exc}); pip install 'tracegraph[api]'"
    import tracegraph

    with tracegraph.connect(f"sqlite:///{db}") as graph:
        key, record = ApiKeys(graph.store).create("recall_coordinator", "benchmark")
    log = db.parent / "serve.log"
    server = start_serve(db, log)
    try:
        port = bound_port(server, log, 120)
        wait_ready(f"http://127.0.0.1:{port}", server, 120)
        client = Client(port, key)
        for group, want in expected.items():
            if client.every_id(group, [forward_lot]) != want:
                return None, f"not measured: forwardTrace {group} over HTTP differ from the Python API"
        scope = client.query(RECALL_FIRST_PAGE, {"lots": recall_lots})["recallScope"]["affected"]
        if scope["totalCount"] != len(affected) or [(n["item"]["__typename"], n["item"]["id"]) for n in scope["nodes"]] \
                != affected[:AFFECTED_PAGE]:
            return None, "not measured: recallScope's affected items over HTTP differ from the Python API"
        return {"forward": _median_ms(client, FIRST_PAGES, {"lots": [forward_lot]}, runs),
                "recall_scope": _median_ms(client, RECALL_FIRST_PAGE, {"lots": recall_lots}, runs)}, ""
    except (OSError, RuntimeError) as exc:  # the figures are then missing, with the reason; the run goes on
        return None, f"not measured: {exc}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        with tracegraph.connect(f"sqlite:///{db}") as graph:
            ApiKeys(graph.store).revoke(record.id)


def _median_ms(client: Client, query: str, variables: dict[str, Any], runs: int) -> float:
    """Median ms of ``runs`` requests after one untimed."""
    client.query(query, variables)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.query(query, variables)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000
