"""A recall driven end to end over GraphQL on the demo data: a real uvicorn server on 127.0.0.1, httpx."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import tracegraph
from tracegraph.trace.triggers import RecallTrigger, resolve_trigger

from .conftest import CLI

SECRET = "alice-signs-here"


def _gql(api: dict[str, Any], who: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(f"{api['url']}/graphql", json={"query": query, "variables": variables},
                          headers={"Authorization": f"Bearer {api[who]}"}, timeout=120)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _data(api: dict[str, Any], who: str, query: str, **variables: Any) -> dict[str, Any]:
    body = _gql(api, who, query, **variables)
    assert not body.get("errors"), body["errors"]
    return dict(body["data"])


def _code(api: dict[str, Any], who: str, query: str, **variables: Any) -> str:
    body = _gql(api, who, query, **variables)
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


OPEN = """mutation($lot: String!) { openRecall(trigger: {kind: LOTS, ids: [$lot]}, reason: "seal leak",
          classification: II, why: "complaint CMP-9") { id status openedBy trigger { description } } }"""
SCOPE = "mutation($id: ID!) { scopeRecall(id: $id, why: \"initial\") { scope { version hash counts } diff } }"
DISPOSE = """mutation($id: ID!, $status: String, $remaining: Boolean!, $outcome: Outcome, $reason: String!) {
  disposeRecallUnits(id: $id, status: $status, remaining: $remaining, outcome: $outcome, reason: $reason) }"""
CLOSE = "mutation($id: ID!, $secret: String!) { closeRecall(id: $id, secret: $secret) { status closedAt " \
        "signatures { signer meaning recordHash intact } recordHash } }"


def _mixed_lots(g: Any) -> Iterator[tuple[str, Any]]:
    """Finished lots, newest first, with units both shipped and still in stock, and their engine scope."""
    for lot in sorted((k for k in g.store.keys("Lot") if k.startswith("FL-")), reverse=True):
        scope = g.engine.recall_scope(resolve_trigger(g.store, RecallTrigger("lots", (lot,))))
        if {w.status for w in scope.whereabouts.values()} >= {"shipped", "in_stock"}:
            yield lot, scope


def test_recall_over_graphql(api: dict[str, Any]) -> None:
    with tracegraph.connect(str(api["db"]), read_only=True) as g:
        lot, engine = next(_mixed_lots(g))
    # a reader may look but not act
    assert _code(api, "reader", OPEN, lot=lot) == "FORBIDDEN"
    opened = _data(api, "coordinator", OPEN, lot=lot)["openRecall"]
    rid = opened["id"]
    assert (opened["status"], opened["openedBy"], opened["trigger"]["description"]) == ("open", "alice", f"lots {lot}")
    assert _code(api, "reader", SCOPE, id=rid) == "FORBIDDEN"

    scoped = _data(api, "coordinator", SCOPE, id=rid)["scopeRecall"]
    counts = scoped["scope"]["counts"]
    for group in ("lots", "serials", "containers", "shipments", "customers"):
        assert counts[group] == len(engine.trace.ids[group]), group

    placed = _data(api, "coordinator", "mutation($id: ID!) { holdRecallStock(id: $id) }", id=rid)["holdRecallStock"]
    assert placed and _code(api, "reader", "mutation($id: ID!) { holdRecallStock(id: $id) }", id=rid) == "FORBIDDEN"
    serial = next(p for p in placed if p.startswith("Serial:")).split(":", 1)[1]
    seen = _data(api, "reader", "query($s: ID!) { serial(id: $s) { id recallHolds { recallId placedBy } } }", s=serial)
    assert seen["serial"]["recallHolds"] == [{"recallId": rid, "placedBy": "alice"}]
    later = _data(api, "coordinator", "query($lot: ID!) { forwardTrace(start: {lots: [$lot]}) { onHold } }", lot=lot)
    assert later["forwardTrace"]["onHold"] == sorted(placed)

    _data(api, "coordinator", "mutation($id: ID!) { assignRecallCustomers(id: $id, person: \"bob\") { id } }", id=rid)
    _data(api, "coordinator", "mutation($id: ID!) { notifyRecallCustomers(id: $id, method: \"letter\") { id } }",
          id=rid)
    acked = _data(api, "coordinator", "mutation($id: ID!) { notifyRecallCustomers(id: $id, acknowledged: true) "
                  "{ scope { customers { customerId assignee notifiedAt acknowledgedAt } } } }", id=rid)
    customers = acked["notifyRecallCustomers"]["scope"]["customers"]
    assert [c["customerId"] for c in customers] == engine.trace.ids["customers"]
    assert all(c["assignee"] == "bob" and c["notifiedAt"] and c["acknowledgedAt"] for c in customers)

    assert _code(api, "coordinator", CLOSE, id=rid, secret=SECRET) == "BAD_INPUT"  # units not dispositioned
    destroyed = _data(api, "coordinator", DISPOSE, id=rid, status="in_stock", remaining=False,
                      outcome="DESTROYED", reason="")["disposeRecallUnits"]
    returned = _data(api, "coordinator", DISPOSE, id=rid, status=None, remaining=True, outcome="RETURNED",
                     reason="")["disposeRecallUnits"]
    assert len(destroyed) + len(returned) == counts["units"]
    assert _code(api, "reader", DISPOSE, id=rid, status=None, remaining=True, outcome="RETURNED",
                 reason="") == "FORBIDDEN"

    _data(api, "coordinator", "mutation($s: String!) { setSigningSecret(secret: $s) }", s=SECRET)
    assert _code(api, "coordinator", CLOSE, id=rid, secret="wrong-secret") == "UNAUTHENTICATED"
    assert _code(api, "reader", CLOSE, id=rid, secret=SECRET) == "FORBIDDEN"
    closed = _data(api, "coordinator", CLOSE, id=rid, secret=SECRET)["closeRecall"]
    with tracegraph.connect(str(api["db"]), read_only=True) as g:
        signed = g.recalls("rita").get(rid).record_hash(0)  # the closed record, before its signature
    assert closed["status"] == "closed" and closed["signatures"] == [
        {"signer": "alice", "meaning": "closed", "recordHash": signed, "intact": True}]

    # export, viewed by a reader: counts equal the engine's scope
    export = _data(api, "reader", "query($id: ID!) { recall(id: $id) { status csv evidenceHtml "
                   "actions { actor action } } }", id=rid)["recall"]
    kinds = Counter(row["kind"] for row in csv.DictReader(io.StringIO(export["csv"])))
    for group, kind in (("lots", "Lot"), ("serials", "Serial"), ("containers", "Container"),
                        ("shipments", "Shipment"), ("customers", "Customer")):
        assert kinds[kind] == len(engine.trace.ids[group]), kind
    html = export["evidenceHtml"]
    for text in ("Trigger", "Scope versions", f"Customer {engine.trace.ids['customers'][0]}", "Explaining chains",
                 "recall.close", "Electronic signatures", "intact"):
        assert text in html, text
    assert [a["action"] for a in export["actions"]] == [
        "recall.open", "recall.scope", "recall.hold", "recall.assign", "recall.notify", "recall.acknowledge",
        "recall.dispose", "recall.dispose", "recall.close"]
    assert {a["actor"] for a in export["actions"]} == {"alice"}


def test_editing_an_audit_entry_makes_verify_fail_there(api: dict[str, Any]) -> None:
    """Edits the newest entry's actor, then puts it back: the shared store is left as it was, whichever
    test ran before on it (with pytest-xdist that need not be the end-to-end recall)."""
    assert _data(api, "reader", "{ auditVerify { ok entries firstBad } }")["auditVerify"]["ok"]
    con = sqlite3.connect(api["db"])
    seq, body = con.execute("SELECT seq, body FROM log WHERE log = 'audit' ORDER BY seq DESC LIMIT 1").fetchone()
    guard = con.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'log_no_update'").fetchone()
    con.execute("DROP TRIGGER IF EXISTS log_no_update")
    con.execute("UPDATE log SET body = ? WHERE log = 'audit' AND seq = ?", (json.dumps({**json.loads(body), "actor": "mallory"}), seq))
    con.commit()
    try:
        verdict = _data(api, "reader", "{ auditVerify { ok firstBad problem } }")["auditVerify"]
        assert (verdict["ok"], verdict["firstBad"]) == (False, seq)
        cli = subprocess.run([*CLI, "--db", str(api["db"]), "audit", "verify"], capture_output=True, text=True,
                             env={**os.environ}, timeout=60)
        assert cli.returncode == 3 and f"broken at entry {seq}" in cli.stderr
    finally:
        con.execute("UPDATE log SET body = ? WHERE log = 'audit' AND seq = ?", (body, seq))
        if guard:
            con.execute(guard[0])
        con.commit()
        con.close()
    assert _data(api, "reader", "{ auditVerify { ok } }")["auditVerify"]["ok"]


# operation -> (query, variables); allowed roles get a domain error at most (nothing exists), never FORBIDDEN
MUTATIONS = {
    "openRecall": ('mutation { openRecall(trigger: {kind: LOTS, ids: ["NOPE"]}, reason: "x", classification: I) '
                   '{ id } }'),
    "scopeRecall": 'mutation { scopeRecall(id: "RC-NOPE") { diff } }',
    "holdRecallStock": 'mutation { holdRecallStock(id: "RC-NOPE") }',
    "releaseRecallHolds": 'mutation { releaseRecallHolds(id: "RC-NOPE") }',
    "assignRecallCustomers": 'mutation { assignRecallCustomers(id: "RC-NOPE", person: "p") { id } }',
    "notifyRecallCustomers": 'mutation { notifyRecallCustomers(id: "RC-NOPE", method: "letter") { id } }',
    "disposeRecallUnits": 'mutation { disposeRecallUnits(id: "RC-NOPE", outcome: RETURNED, remaining: true) }',
    "signRecall": 'mutation { signRecall(id: "RC-NOPE", meaning: REVIEWED, secret: "x") { signer } }',
    "closeRecall": 'mutation { closeRecall(id: "RC-NOPE", secret: "x") { id } }',
    "setSigningSecret": 'mutation { setSigningSecret(secret: "short") }',
}
QUERIES = {"recalls": "{ recalls { id status } }", "auditVerify": "{ auditVerify { entries } }"}


@pytest.mark.parametrize("role", ["reader", "analyst", "recall_coordinator", "admin"])
def test_role_matrix(api: dict[str, Any], role: str) -> None:
    for name, query in MUTATIONS.items():
        body = _gql(api, role, query)
        codes = {e["extensions"]["code"] for e in body["errors"]}
        if role in ("recall_coordinator", "admin"):
            assert "FORBIDDEN" not in codes and codes <= {"NOT_FOUND", "BAD_INPUT"}, (name, body)
        else:
            assert codes == {"FORBIDDEN"}, (name, body)
    for name, query in QUERIES.items():
        assert not _gql(api, role, query).get("errors"), name
