"""Every write that changes the graph or security state leaves an audit entry: who, what, when, counts, why.

EPCIS and GUDID loads, API keys (library, CLI) and ``tracegraph copy``, each entry written in the
same transaction as its change and chained with the rest (``audit verify`` passes).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tracegraph
from tracegraph.api.keys import COLLECTION, ApiKeys
from tracegraph.cli import app
from tracegraph.generate import generate
from tracegraph.store import SQLiteStore, redact

from .faults import allow_inserts, refuse_inserts

DATA = Path(__file__).resolve().parents[1] / "standards" / "data"
EPCIS = DATA / "openepcis" / "Combination_of_different_event.json"
GUDID = DATA / "openfda" / "test.xml"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entries(db: Path) -> list[dict[str, Any]]:
    with tracegraph.connect(str(db), read_only=True) as graph:
        assert graph.audit.verify().ok
        return list(graph.audit.entries())


def test_an_epcis_load_is_audited_per_document(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with tracegraph.connect(str(db), user="edi") as graph:
        report = graph.load_epcis([EPCIS], why="supplier ASN batch 7")
        graph.load_epcis([EPCIS])  # held unchanged: nothing written, so nothing to audit
        counts = graph.counts()
    (entry,) = entries(db)
    assert (entry["actor"], entry["action"], entry["why"]) == ("edi", "load.epcis", "supplier ASN batch 7")
    assert entry["target"] == f"load:{EPCIS.resolve()}"
    after = entry["after"]
    assert after["files"] == {EPCIS.name: sha256(EPCIS)} and after["captured"] == report.captured > 0
    assert after["written"] == dict(report.written) and after["counts"] == counts
    assert after["counts"]["Event"] - entry["before"]["counts"]["Event"] == report.captured


def test_a_gudid_load_is_audited_with_the_xml_hash(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with tracegraph.connect(str(db), user="ra") as graph:
        report = graph.load_gudid(GUDID)
    (entry,) = entries(db)
    assert (entry["actor"], entry["action"], entry["target"]) == ("ra", "load.gudid", f"load:{GUDID.resolve()}")
    assert entry["after"]["files"] == {GUDID.name: sha256(GUDID)}
    assert entry["after"]["products"] == report.products == entry["after"]["counts"]["Product"] > 0
    assert entry["before"]["counts"]["Product"] == 0


def test_a_zipped_gudid_file_is_hashed_as_the_xml_inside(tmp_path: Path) -> None:
    archive = tmp_path / "release.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.write(GUDID, "devices.xml")
    with tracegraph.connect(str(tmp_path / "t.db"), user="ra") as graph:
        graph.load_gudid(archive)
        (entry,) = graph.audit.entries()
    assert entry["after"]["files"] == {"release.zip/devices.xml": sha256(GUDID)}


def test_api_keys_created_and_revoked_are_audited_without_their_hash(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    keys = ApiKeys(SQLiteStore(db), actor="adam")
    plain, record = keys.create("analyst", "etl", expires_in_days=30)
    keys.revoke(record.id)
    keys.revoke(record.id)  # already revoked: nothing changes, nothing is audited
    created, revoked = entries(db)
    assert (created["actor"], created["action"], created["target"]) == ("adam", "apikey.create", f"apikey:{record.id}")
    assert created["before"] is None and created["after"]["role"] == "analyst" and created["after"]["name"] == "etl"
    assert (revoked["action"], revoked["before"]["revoked_at"]) == ("apikey.revoke", None)
    assert revoked["after"]["revoked_at"] == keys.list()[0].revoked_at is not None
    text = json.dumps([created, revoked])
    secret = plain.split("_", 2)[2]  # tg_<id>_<secret>; the secret itself may hold "_"
    assert "sha256" not in text and record.sha256 not in text and secret not in text


def test_a_key_is_not_stored_when_its_audit_entry_fails(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    refuse_inserts(db, "log")
    with pytest.raises(Exception, match="refused"):
        ApiKeys(SQLiteStore(db), actor="adam").create("admin")
    assert SQLiteStore(db).documents(COLLECTION) == {}
    allow_inserts(db, "log")


def test_the_apikey_commands_audit_as_the_user(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    runner = CliRunner(env={"TRACEGRAPH_USER": "sam"})
    created = runner.invoke(app, ["--db", str(db), "apikey", "create", "--role", "reader", "--name", "kiosk"])
    assert created.exit_code == 0, created.output
    key_id = ApiKeys(SQLiteStore(db)).list()[0].id
    assert runner.invoke(app, ["--db", str(db), "apikey", "revoke", key_id]).exit_code == 0
    assert [(e["actor"], e["action"], e["target"]) for e in entries(db)] == [
        ("sam", "apikey.create", f"apikey:{key_id}"), ("sam", "apikey.revoke", f"apikey:{key_id}")]


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("copy")
    generate(root / "tables", 150, seed=3)
    with tracegraph.connect(str(root / "src.db"), user="loader") as graph:
        graph.load_tables(root / "tables")
    return root / "src.db"


def test_copy_audits_every_chunk_in_the_destination(plant: Path, tmp_path: Path) -> None:
    dst = tmp_path / "dst.db"
    result = CliRunner(env={"TRACEGRAPH_USER": "ops"}).invoke(app, ["copy", f"sqlite:///{plant}", f"sqlite:///{dst}"])
    assert result.exit_code == 0, result.output
    log = entries(dst)
    assert log and {(e["actor"], e["action"], e["target"]) for e in log} == {("ops", "copy", f"copy:sqlite:///{plant}")}
    copied: dict[str, int] = {}
    for entry in log:
        for name, n in entry["after"]["copied"].items():
            copied[name] = copied.get(name, 0) + n
    with tracegraph.connect(str(dst), read_only=True) as graph:
        assert copied == {k: n for k, n in graph.counts().items() if n}


def test_a_copy_whose_audit_entry_fails_copies_nothing(plant: Path, tmp_path: Path) -> None:
    dst = tmp_path / "dst.db"
    refuse_inserts(dst, "log")
    result = CliRunner().invoke(app, ["copy", f"sqlite:///{plant}", f"sqlite:///{dst}"])
    assert result.exit_code != 0 and "refused" in str(result.exception)
    with tracegraph.connect(str(dst), read_only=True) as graph:
        assert sum(graph.counts().values()) == 0


def test_the_audit_trail_never_holds_a_password() -> None:
    assert redact("neo4j://neo4j:s3cret@db.example:7687/trace") == "neo4j://neo4j:***@db.example:7687/trace"
    assert redact("sqlite:///trace.db") == "sqlite:///trace.db"


def test_a_blank_tracegraph_user_falls_back_to_the_login_name(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """As an empty one does: a load's audit entry must name someone, not '   '."""
    import getpass
    monkeypatch.setenv("TRACEGRAPH_USER", "   ")
    db = tmp_path / "t.db"
    with tracegraph.connect(str(db)) as graph:
        graph.load_epcis([EPCIS])
    (entry,) = entries(db)
    assert entry["actor"] == getpass.getuser()
