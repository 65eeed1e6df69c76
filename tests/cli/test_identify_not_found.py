"""``tracegraph identify`` of a text no record matches: it says what it read and that nothing in the store
matches, and exits with NOT_FOUND's code (2), in text and JSON output alike. Real CLI process, real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_contract import run

NOT_FOUND = "error (NOT_FOUND): no product, lot, serial or container in the store matches"

UNKNOWN = [  # (text, what it is read as)
    ("(01)09501101020917(10)L1", "gs1-hri: gtin=09501101020917, lot=L1"),
    ("]d2010950110102091721SN-9", "gs1-element-string: gtin=09501101020917, serial=SN-9"),
    ("+A99912345/$L1M", "hibc: hibc_di=A99912345"),
    ("NOPE", "plain: key=NOPE"),
]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "products.csv").write_text("product_id,name\n04012345111118,Pump\n", "utf-8")
    (tables / "serials.csv").write_text("serial_id,product_id\nSN-77,04012345111118\n", "utf-8")
    assert run("--db", "t.db", "load", "tables", "tables", cwd=tmp_path).returncode == 0
    return tmp_path


@pytest.mark.parametrize(("text", "read_as"), UNKNOWN)
def test_a_text_no_record_matches_says_so_and_is_not_found(store: Path, text: str, read_as: str) -> None:
    done = run("--db", "t.db", "identify", text, cwd=store)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout.startswith(f"reading ({read_as.split(':')[0]}): {read_as.split(': ', 1)[1]}")
    error = " ".join(done.stderr.split())
    assert error.startswith(f"{NOT_FOUND} {text!r} (read as {read_as}")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("text", "read_as"), UNKNOWN)
def test_json_output_of_a_text_no_record_matches_is_the_same_object_and_not_found(
        store: Path, text: str, read_as: str) -> None:
    done = run("--db", "t.db", "identify", "--json", text, cwd=store)
    assert done.returncode == 2, (done.stdout, done.stderr)
    data = json.loads(done.stdout)
    assert (data["text"], data["format"], data["records"], data["records_looked_up"]) == (
        text, read_as.split(":")[0], {}, True)
    assert " ".join(done.stderr.split()).startswith(f"{NOT_FOUND} {text!r}")


def test_a_text_that_matches_a_record_still_exits_0(store: Path) -> None:
    """The control: the same store does answer, so the failures above are about the text."""
    done = run("--db", "t.db", "identify", "(01)04012345111118(21)SN-77", cwd=store)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "  Serial SN-77" and done.stderr == ""
