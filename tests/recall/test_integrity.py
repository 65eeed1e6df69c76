"""Signatures and frozen scope versions are checked, not trusted: copies, forgeries and edits made
directly in the store file (sqlite3, as an intruder would) are reported."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import tracegraph
from tracegraph.errors import IntegrityError
from tracegraph.recall.audit import digest, now
from tracegraph.recall.export import evidence_html
from tracegraph.recall.signatures import intact
from tracegraph.trace.triggers import RecallTrigger

from .test_cli import _run

SECRET = "correct horse battery"


def _recall(svc: Any, lot: str) -> str:
    recall_id = svc.open(RecallTrigger("lots", (lot,)), "seal failure", "II").recall_id
    svc.scope(recall_id)
    return str(recall_id)


def _reviewed(svc: Any) -> str:
    """A scoped recall of the newest finished lot, signed as reviewed."""
    recall_id = _recall(svc, max(k for k in svc.store.keys("Lot") if k.startswith("FL-")))
    svc.set_signing_secret(SECRET)
    svc.sign(recall_id, "reviewed", SECRET)
    return recall_id


def _rewrite(db: Path, collection: str, key: str, change: Any) -> None:
    """Change one stored document behind the library's back."""
    with sqlite3.connect(db) as con:
        (body,) = con.execute("select body from document where collection=? and key=?", (collection, key)).fetchone()
        doc = json.loads(body)
        change(doc)
        con.execute("update document set body=? where collection=? and key=?", (json.dumps(doc), collection, key))


def _checks(db: Path, recall_id: str) -> list[bool]:
    with tracegraph.connect(str(db), user="alice") as g:
        svc = g.recalls("alice")
        return intact(svc.get(recall_id), svc.audit.entries(f"recall:{recall_id}"))


def test_signatures_are_intact_only_where_made(db: Path) -> None:
    with tracegraph.connect(str(db), user="alice") as g:
        svc = g.recalls("alice")
        lots = sorted(k for k in g.store.keys("Lot") if k.startswith("FL-"))
        closed, other = _recall(svc, lots[-1]), _recall(svc, lots[-2])
        svc.dispose(closed, "destroyed", remaining=True)
        svc.set_signing_secret(SECRET)
        svc.sign(closed, "approved", SECRET)
        svc.close(closed, SECRET)  # closing changes the record: the closing signature covers the approval
        svc.sign(other, "reviewed", SECRET)
        assert intact(svc.get(closed), svc.audit.entries(f"recall:{closed}")) == [True, True]
        assert _checks(db, other) == [True]
        copied = svc.get(closed).signatures[-1]

    # a signature copied from another recall, and one forged for a signer who never signed
    with tracegraph.connect(str(db), user="alice") as g:
        forged = {"signer": "bob", "meaning": "approved", "signed_at": now(), "record": f"recall:{other}",
                  "record_hash": g.recalls("alice").get(other).record_hash()}
    forged["signature_hash"] = digest(forged)
    _rewrite(db, "recalls", other, lambda d: d["signatures"].extend([copied, forged]))
    assert _checks(db, other) == [True, False, False]

    # the same forgery made to look like it belongs: right recall name, right record hash, right hash
    retargeted = {k: v for k, v in copied.items() if k != "signature_hash"} | {"record": f"recall:{other}"}
    retargeted["signature_hash"] = digest(retargeted)
    _rewrite(db, "recalls", other, lambda d: d["signatures"].__setitem__(1, retargeted))
    assert _checks(db, other)[1] is False

    # a changed record: the reviewed signature no longer binds it, and the evidence says so
    _rewrite(db, "recalls", other, lambda d: (d["signatures"].__delitem__(slice(1, None)),
                                               d.update(reason="nothing to see")))
    assert _checks(db, other) == [False]
    with tracegraph.connect(str(db), user="alice") as g:
        html = evidence_html(g.recalls("alice"), other)
    assert "BROKEN" in html and "intact" not in html.split("Electronic signatures")[1]


def test_a_record_changed_after_signing_is_not_covered(db: Path) -> None:
    with tracegraph.connect(str(db), user="alice") as g:
        svc = g.recalls("alice")
        recall_id = _reviewed(svc)
        assert _checks(db, recall_id) == [True]
        svc.dispose(recall_id, "destroyed", remaining=True)  # an audited change nobody signed since
        assert _checks(db, recall_id) == [False]
        svc.sign(recall_id, "approved", SECRET)  # the approval covers the review and the change
        assert _checks(db, recall_id) == [True, True]


def test_a_scope_version_changed_in_the_store_is_refused_and_reported(db: Path) -> None:
    with tracegraph.connect(str(db), user="alice") as g:
        svc = g.recalls("alice")
        recall_id = _recall(svc, max(k for k in g.store.keys("Lot") if k.startswith("FL-")))
        customer = svc.version(recall_id).items["customers"][0]
    assert _run(db, "recall", "verify").returncode == 0

    def drop(doc: dict[str, Any]) -> None:
        doc["items"]["customers"].remove(customer)
        doc["by_customer"].pop(customer)
    _rewrite(db, "recall_scopes", f"{recall_id}/v0001", drop)
    with tracegraph.connect(str(db), user="alice") as g, pytest.raises(IntegrityError) as caught:
        g.recalls("alice").summary(recall_id)
    assert f"scope version 1 of recall {recall_id} was changed" in str(caught.value)
    shown = _run(db, "recall", "show", recall_id)
    assert shown.returncode == 2 and "STORE_ERROR" in shown.stderr and recall_id in shown.stderr
    checked = _run(db, "recall", "verify")
    assert checked.returncode == 3 and f"scope version 1 of recall {recall_id}" in checked.stderr

    # rehashed to look consistent: the audit entry still holds the hash that was frozen
    _rewrite(db, "recall_scopes", f"{recall_id}/v0001",
             lambda doc: doc.update(hash=digest({k: v for k, v in doc.items() if k != "hash"})))
    with tracegraph.connect(str(db), user="alice") as g, pytest.raises(IntegrityError, match="audit entry"):
        g.recalls("alice").version(recall_id, 1, audited=True)
    checked = _run(db, "recall", "verify")
    assert checked.returncode == 3 and "does not match its recall.scope audit entry" in " ".join(checked.stderr.split())


def test_signatures_of_older_stores_still_check_and_removals_are_found(db: Path) -> None:
    with tracegraph.connect(str(db), user="alice") as g:
        svc = g.recalls("alice")
        recall_id = _reviewed(svc)
        recall = svc.get(recall_id)  # an approval as versions before chained signatures made it: the record alone
        legacy = svc.signatures.sign("alice", SECRET, "approved", f"recall:{recall_id}", recall.record_hash(0))
        recall.signatures.append(legacy)
        svc._save(recall, "recall.sign", "signed as approved", None, legacy)
    assert _checks(db, recall_id) == [True, True]
    assert _run(db, "recall", "verify", recall_id).returncode == 0

    _rewrite(db, "recalls", recall_id, lambda d: d["signatures"].pop(0))  # the review, taken out
    checked = _run(db, "recall", "verify", recall_id)
    assert checked.returncode == 3 and f"is missing from recall {recall_id}" in checked.stderr
