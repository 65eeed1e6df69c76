"""The recall, signer and audit commands, run as a user would (a real process, secrets on stdin)."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import tracegraph
from tracegraph.trace.triggers import RecallTrigger, resolve_trigger

SECRET = "s3cret-signing-key"


def _run(db: Path, *args: str, stdin: str = "", user: str = "carol") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACEGRAPH_USER": user}
    return subprocess.run([sys.executable, "-m", "tracegraph.cli", "--db", str(db), *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120)


def _ok(db: Path, *args: str, stdin: str = "") -> str:
    done = _run(db, *args, stdin=stdin)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def test_recall_commands_end_to_end(db: Path, graph: Any, tmp_path: Path) -> None:
    supplier = "SUP-0009"
    trigger = RecallTrigger("supplier", (supplier,), "2025-01-01", "2025-06-01")
    expected = graph.engine.recall_scope(resolve_trigger(graph.store, trigger))
    graph.close()
    opened = json.loads(_ok(db, "recall", "open", "--supplier", supplier, "--since", "2025-01-01", "--until",
                            "2025-06-01", "--reason", "contaminated resin", "--class", "I", "--json"))
    rid = opened["recall_id"]
    assert opened["opened_by"] == "carol" and opened["trigger"]["kind"] == "supplier"
    scoped = json.loads(_ok(db, "recall", "scope", rid, "--json"))
    assert scoped["version"]["counts"]["serials"] == len(expected.trace.ids["serials"])
    assert "placed" in _ok(db, "recall", "hold", rid)
    _ok(db, "recall", "assign", rid, "--all-customers", "--to", "dave")
    _ok(db, "recall", "notify", rid, "--all-customers", "--via", "letter")
    _ok(db, "recall", "notify", rid, "--all-customers", "--ack")
    refused = _run(db, "recall", "close", rid, stdin=SECRET + "\n")
    assert refused.returncode == 2 and "no disposition" in refused.stderr
    _ok(db, "recall", "dispose", rid, "--status", "in_stock", "--outcome", "destroyed")
    _ok(db, "recall", "dispose", rid, "--remaining", "--outcome", "corrected", "--reason", "field fix FSN-2")
    _ok(db, "signer", "set", stdin=f"{SECRET}\n{SECRET}\n")
    wrong = _run(db, "recall", "close", rid, stdin="guess-guess\n")
    assert wrong.returncode == 2 and "UNAUTHENTICATED" in wrong.stderr
    assert "closed" in _ok(db, "recall", "close", rid, "--why", "done", stdin=SECRET + "\n")
    _ok(db, "recall", "export", rid, "--csv", str(tmp_path / "r.csv"), "--html", str(tmp_path / "r.html"))
    with (tmp_path / "r.csv").open(newline="", encoding="utf-8") as fh:
        kinds = Counter(row["kind"] for row in csv.DictReader(fh))
    assert kinds["Serial"] == len(expected.trace.ids["serials"]) and kinds["Lot"] == len(expected.trace.ids["lots"])
    assert kinds["Customer"] == len(expected.trace.ids["customers"])
    assert "<td>carol</td><td>closed</td>" in (tmp_path / "r.html").read_text()
    shown = json.loads(_ok(db, "recall", "show", rid, "--json"))
    assert shown["status"] == "closed" and shown["units_disposed"] == shown["scope"]["units"]
    trace = json.loads(_ok(db, "trace", "forward", "--supplier", supplier, "--json"))
    assert trace["on_hold"], "holds show in later traces"

    assert "intact" in _ok(db, "audit", "verify")
    log = json.loads(_ok(db, "audit", "log", "--target", f"recall:{rid}", "--json"))
    assert [e["action"] for e in log][:3] == ["recall.open", "recall.scope", "recall.hold"]
    bad = log[3]["seq"]
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER log_no_update")
    con.execute("UPDATE log SET body = replace(body, 'dave', 'eve') WHERE log = 'audit' AND seq = ?", (bad,))
    con.commit()
    con.close()
    broken = _run(db, "audit", "verify")
    assert broken.returncode == 3 and f"broken at entry {bad}" in broken.stderr


def test_open_needs_exactly_one_trigger(db: Path) -> None:
    done = _run(db, "recall", "open", "--reason", "x", "--class", "I")
    assert done.returncode == 2 and "exactly one trigger" in done.stderr
    done = _run(db, "recall", "open", "--lot", "NOPE", "--reason", "x", "--class", "I")
    assert done.returncode == 2 and "NOT_FOUND" in done.stderr


def test_audit_head_anchors_the_chain_against_a_deleted_tail(db: Path, graph: Any) -> None:
    from tracegraph.recall.export import evidence_html
    svc = graph.recalls("carol")
    rid = svc.open(RecallTrigger("supplier", ("SUP-0009",)), "resin", "II").recall_id
    svc.scope(rid)
    graph.close()
    head = json.loads(_ok(db, "audit", "head", "--json"))
    assert head["anchor"] == f"{head['seq']}:{head['hash']}" and head["seq"] == 3
    with tracegraph.connect(str(db)) as g:
        assert f"--anchor {head['anchor']}" in evidence_html(g.recalls("carol"), rid)
    assert "intact" in _ok(db, "audit", "verify", "--anchor", head["anchor"])
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER log_no_delete")
    con.execute("DELETE FROM log WHERE log = 'audit' AND seq = ?", (head["seq"],))
    con.commit()
    con.close()
    assert "intact" in _ok(db, "audit", "verify")  # the documented limit without an anchor
    broken = _run(db, "audit", "verify", "--anchor", head["anchor"])
    assert broken.returncode == 3 and f"broken at entry {head['seq']}" in broken.stderr and "missing" in broken.stderr
    malformed = _run(db, "audit", "verify", "--anchor", "3:abc")
    assert malformed.returncode == 2 and "BAD_INPUT" in malformed.stderr


def test_export_to_a_path_that_cannot_be_written_is_bad_input(db: Path, graph: Any, tmp_path: Path) -> None:
    lot = max(k for k in graph.store.keys("Lot") if k.startswith("FL-"))
    recall_id = _ok(db, "recall", "open", "--lot", lot, "--reason", "r", "--class", "II").split()[1]
    _ok(db, "recall", "scope", recall_id)
    for option, path in (("--csv", tmp_path / "no" / "such" / "x.csv"), ("--csv", tmp_path), ("--html", tmp_path)):
        done = _run(db, "recall", "export", recall_id, option, str(path))
        assert done.returncode == 2, (option, path, done.stderr)
        assert "error (BAD_INPUT)" in done.stderr and str(path) in done.stderr.replace("\n", "")
        assert "Traceback" not in done.stderr



@pytest.mark.parametrize("command", [("recall", "sign", "RC-ANY", "--meaning", "approved"),
                                     ("recall", "close", "RC-ANY"), ("signer", "set")])
def test_no_secret_on_stdin_is_bad_input(db: Path, command: tuple[str, ...]) -> None:
    done = _run(db, *command, stdin="")
    assert done.returncode == 2, done
    assert "error (BAD_INPUT): no signing secret given" in done.stderr and "Aborted" not in done.stderr


@pytest.mark.parametrize("command", [("recall", "list"), ("recall", "show", "RC-ANY"), ("recall", "diff", "RC-ANY", "1", "2"),
                                     ("recall", "export", "RC-ANY", "--csv", "x.csv")])
def test_reading_a_recall_from_a_mistyped_database_path_creates_no_database(tmp_path: Path,
                                                                             command: tuple[str, ...]) -> None:
    """Read-only commands, like `recall verify` and `audit log`: a wrong --db is an error, not an empty store
    (where `recall list` would show no recalls, and a later `audit verify` an intact trail of 0 entries)."""
    absent = tmp_path / "typo.db"
    done = _run(absent, *command)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "error (STORE_ERROR): no database at" in done.stderr
    assert not absent.exists()


@pytest.mark.parametrize("how", ["--user", "TRACEGRAPH_USER"])
def test_a_blank_user_name_is_refused_not_recorded(db: Path, graph: Any, how: str) -> None:
    """The audit trail and the signatures name who acted: a name of spaces would attribute a recall to no one."""
    lot = max(k for k in graph.store.keys("Lot") if k.startswith("FL-"))
    args = ("recall", "open", "--lot", lot, "--reason", "r", "--class", "II")
    done = _run(db, *args, "--user", "   ") if how == "--user" else _run(db, *args, user="   ")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "error (BAD_INPUT): recall actions need a user name" in done.stderr
    assert graph.recalls("alice").recalls() == []


def test_a_customer_named_twice_is_counted_once(db: Path, graph: Any) -> None:
    lot = max(k for k in graph.store.keys("Lot") if k.startswith("FL-"))
    recall_id = _ok(db, "recall", "open", "--lot", lot, "--reason", "r", "--class", "II").split()[1]
    _ok(db, "recall", "scope", recall_id)
    customer = graph.recalls("alice").version(recall_id).items["customers"][0]
    twice = ("--customer", customer, "--customer", customer)
    assert _ok(db, "recall", "notify", recall_id, *twice, "--via", "letter").strip() == "notified: 1 customer(s)"
    assert _ok(db, "recall", "notify", recall_id, *twice, "--ack").strip() == "acknowledged: 1 customer(s)"
    assert graph.recalls("alice").summary(recall_id)["customers_notified"] == 1
