"""A load whose rejects file cannot be written stops before it loads anything.

Rejected records are kept with their reasons in the rejects file; a path there that cannot be written
(no such folder, a folder) would leave the load committed and its rejects lost, with a traceback. Each
load command refuses it up front: BAD_INPUT naming the path, exit 2, nothing written to the store.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from canonical import write_csv
from test_cli_contract import tables

STANDARDS = Path(__file__).parents[1] / "standards" / "data"  # OpenEPCIS (Apache-2.0), openFDA (CC0) copies


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracegraph.cli", "--db", "t.db", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def _tables_with_a_reject(tmp_path: Path) -> list[str]:
    t = tables()
    t.rows["serials"].append({"serial_id": "S9", "product_id": "DEV", "lot_id": "NOPE"})
    write_csv(tmp_path / "tables", t.rows)
    return ["tables", "tables"]


def _epcis_with_a_reject(tmp_path: Path) -> list[str]:
    return ["epcis", "--proceed", str(STANDARDS / "opentraceability" / "traceback_tests.jsonld"),
            str(STANDARDS / "openepcis" / "invalid" / "Combination_of_multiple_invalid_fields.json")]


def _gudid_with_an_invalid_di(tmp_path: Path) -> list[str]:
    text = (STANDARDS / "openfda" / "test.xml").read_text(encoding="utf-8")
    (tmp_path / "bad.xml").write_text(text.replace("<pkgQuantity>25</pkgQuantity>", "<pkgQuantity>ten</pkgQuantity>"),
                                      encoding="utf-8")
    return ["gudid", "bad.xml"]


@pytest.mark.parametrize("source", [_tables_with_a_reject, _epcis_with_a_reject, _gudid_with_an_invalid_di])
def test_the_input_has_rejects_so_the_file_is_written(tmp_path: Path, source) -> None:  # type: ignore[no-untyped-def]
    """The inputs below do produce rejects, so the refusal is about the path, not about a clean load."""
    done = _cli(tmp_path, "load", *source(tmp_path), "--rejects", "rejects.csv")
    assert done.returncode == 1, done.stderr
    assert len((tmp_path / "rejects.csv").read_text(encoding="utf-8").splitlines()) >= 2


@pytest.mark.parametrize("source", [_tables_with_a_reject, _epcis_with_a_reject, _gudid_with_an_invalid_di])
@pytest.mark.parametrize("where", ["no/such/folder/rejects.csv", "a-folder"])
def test_a_rejects_path_that_cannot_be_written_refuses_the_load(tmp_path: Path, source, where: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a-folder").mkdir()
    done = _cli(tmp_path, "load", *source(tmp_path), "--rejects", where)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "error (BAD_INPUT):" in done.stderr and where in done.stderr.replace("\n", "")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "t.db").exists()  # nothing loaded: the store was not even created


def _clean_tables(tmp_path: Path) -> list[str]:
    write_csv(tmp_path / "clean", tables().rows)
    return ["tables", "clean"]


def _clean_epcis(tmp_path: Path) -> list[str]:
    return ["epcis", str(STANDARDS / "opentraceability" / "traceback_tests.jsonld")]


def _clean_gudid(tmp_path: Path) -> list[str]:
    return ["gudid", str(STANDARDS / "openfda" / "test.xml")]


@pytest.mark.parametrize(("source", "clean"), [(_tables_with_a_reject, _clean_tables),
                                                (_epcis_with_a_reject, _clean_epcis),
                                                (_gudid_with_an_invalid_di, _clean_gudid)])
def test_a_clean_load_empties_the_rejects_an_earlier_load_left(tmp_path: Path, source, clean) -> None:  # type: ignore[no-untyped-def]
    """The rejects file is the last load's: old rejects left in it would pass for the new load's."""
    assert _cli(tmp_path, "load", *source(tmp_path), "--rejects", "rejects.csv").returncode == 1
    header = (tmp_path / "rejects.csv").read_text(encoding="utf-8").splitlines()[0]
    done = _cli(tmp_path, "load", *clean(tmp_path), "--rejects", "rejects.csv")
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert (tmp_path / "rejects.csv").read_text(encoding="utf-8").splitlines() == [header]


def test_a_clean_load_writes_no_rejects_file_where_there_was_none(tmp_path: Path) -> None:
    assert _cli(tmp_path, "load", *_clean_tables(tmp_path), "--rejects", "rejects.csv").returncode == 0
    assert not (tmp_path / "rejects.csv").exists()


def _tables_that_stop(tmp_path: Path) -> list[str]:
    (tmp_path / "stop").mkdir()
    (tmp_path / "stop" / "serials.csv").write_text("serial_id\nS1\n", encoding="utf-8")  # product_id missing
    return ["tables", "stop"]


def _epcis_that_stops(tmp_path: Path) -> list[str]:
    (tmp_path / "broken.json").write_text('{"type": "EPCISDocument", ', encoding="utf-8")
    return ["epcis", "broken.json"]


def _gudid_that_stops(tmp_path: Path) -> list[str]:
    (tmp_path / "broken.xml").write_text("<gudid><device>", encoding="utf-8")
    return ["gudid", "broken.xml"]


@pytest.mark.parametrize(("source", "stop"), [(_tables_with_a_reject, _tables_that_stop),
                                               (_epcis_with_a_reject, _epcis_that_stops),
                                               (_gudid_with_an_invalid_di, _gudid_that_stops)])
def test_a_load_that_stops_with_bad_input_empties_the_rejects_an_earlier_load_left(
        tmp_path: Path, source, stop) -> None:  # type: ignore[no-untyped-def]
    """A load that stops loads nothing and rejects no record; the earlier load's rejects must not stay
    behind to pass for this one's."""
    assert _cli(tmp_path, "load", *source(tmp_path), "--rejects", "rejects.csv").returncode == 1
    header = (tmp_path / "rejects.csv").read_text(encoding="utf-8").splitlines()[0]
    done = _cli(tmp_path, "load", *stop(tmp_path), "--rejects", "rejects.csv")
    assert done.returncode == 2 and "error (BAD_INPUT):" in done.stderr, (done.stdout, done.stderr)
    assert (tmp_path / "rejects.csv").read_text(encoding="utf-8").splitlines() == [header]


@pytest.mark.parametrize("stop", [_tables_that_stop, _epcis_that_stops, _gudid_that_stops])
def test_a_load_that_stops_writes_no_rejects_file_where_there_was_none(tmp_path: Path, stop) -> None:  # type: ignore[no-untyped-def]
    done = _cli(tmp_path, "load", *stop(tmp_path), "--rejects", "rejects.csv")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert not (tmp_path / "rejects.csv").exists()


def test_an_unreadable_epcis_document_stops_the_documents_before_it_too(tmp_path: Path) -> None:
    """Were the documents ahead of it captured, their rejects would belong to a load that ended in an error:
    an unreadable document, like a missing one, stops them all before any loads."""
    stop = _epcis_that_stops(tmp_path)[1]
    done = _cli(tmp_path, "load", "epcis", "--proceed", *_epcis_with_a_reject(tmp_path)[2:], stop,
                "--rejects", "rejects.csv")
    assert done.returncode == 2 and "error (BAD_INPUT): file broken.json:" in done.stderr, (done.stdout, done.stderr)
    assert not (tmp_path / "rejects.csv").exists()
    counts = _cli(tmp_path, "counts", "--json")
    assert counts.returncode == 0 and json.loads(counts.stdout)["Event"] == 0, counts.stdout  # nothing captured


def _epcis_doc(path: Path, event_id: str) -> Path:
    """An EPCIS document with one event whose epcList holds text that is no EPC: it is rejected."""
    path.parent.mkdir(parents=True, exist_ok=True)
    event = {"type": "ObjectEvent", "eventID": event_id, "eventTime": "2026-01-01T00:00:00Z",
             "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "epcList": [7]}
    path.write_text(json.dumps({"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
                                "epcisBody": {"eventList": [event]}}), encoding="utf-8")
    return path


def test_epcis_rejects_name_each_file_as_given_so_two_of_one_name_are_told_apart(tmp_path: Path) -> None:
    _epcis_doc(tmp_path / "site-a" / "day.json", "urn:uuid:a")  # given relative, the second absolute
    second = _epcis_doc(tmp_path / "site-b" / "day.json", "urn:uuid:b")
    done = _cli(tmp_path, "load", "epcis", "site-a/day.json", str(second), "--rejects", "rejects.csv")
    assert done.returncode == 1, (done.stdout, done.stderr)
    with (tmp_path / "rejects.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["file"], r["event_id"]) for r in rows] == [("site-a/day.json", "urn:uuid:a"),
                                                          (str(second), "urn:uuid:b")]
    errors = " ".join(done.stderr.split())
    assert "site-a/day.json event 1 (urn:uuid:a)" in errors and f"{second} event 1 (urn:uuid:b)" in errors
