"""``tracegraph identify``: parsing needs no store, so without a database it prints the parts and says
that no records were looked up; with one it also lists the matching records. Run through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tracegraph.cli import app

HRI = "(01)04012345111118(17)261231(21)SN-77"
PARTS = {"gtin": "04012345111118", "expiry": "2026-12-31", "serial": "SN-77"}


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACEGRAPH_DB", raising=False)
    return tmp_path


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_without_a_database_it_prints_the_parts(here: Path) -> None:
    result = cli("identify", HRI)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "reading (gs1-hri): gtin=04012345111118, expiry=2026-12-31, serial=SN-77"
    assert "  checked: GTIN check digit 8 verified" in lines
    assert lines[-1] == "no records were looked up: no database at tracegraph.db"
    assert not (here / "tracegraph.db").exists()  # read only: no empty store left behind


def test_without_a_database_json_says_no_records_were_looked_up(here: Path) -> None:
    result = cli("--db", "absent.db", "identify", "--json", HRI)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["format"], data["parts"], data["records"], data["records_looked_up"]) == (
        "gs1-hri", PARTS, {}, False)
    assert "no records were looked up: no database at absent.db" in result.stderr


def test_without_a_database_a_bad_check_digit_is_still_an_error(here: Path) -> None:
    result = cli("identify", "]d20109501101020918")
    assert result.exit_code == 2
    assert "error (BAD_INPUT)" in result.stderr and "check digit" in result.stderr


def test_a_broken_store_is_still_reported(here: Path) -> None:
    (here / "junk.db").write_bytes(b"not a database at all" * 100)
    result = cli("--db", "junk.db", "identify", HRI)
    assert result.exit_code == 2 and "error (STORE_ERROR)" in result.stderr


def test_with_a_database_it_matches_records(here: Path) -> None:
    tables = here / "tables"
    tables.mkdir()
    (tables / "products.csv").write_text("product_id,name\n04012345111118,Pump\n", "utf-8")
    (tables / "serials.csv").write_text("serial_id,product_id\nSN-77,04012345111118\n", "utf-8")
    assert cli("--db", "t.db", "load", "tables", "tables").exit_code == 0
    result = cli("--db", "t.db", "identify", "--json", HRI)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["parts"] == PARTS and data["records_looked_up"] is True
    assert [r["serial_id"] for r in data["records"]["Serial"]] == ["SN-77"]
    assert [r["product_id"] for r in data["records"]["Product"]] == ["04012345111118"]
    assert result.stderr == ""
    text = cli("--db", "t.db", "identify", HRI)
    assert text.exit_code == 0
    assert text.stdout.splitlines()[-2:] == ["  Product 04012345111118", "  Serial SN-77"]
    assert "looked up" not in text.output


def test_trace_id_of_an_identifier_no_record_has_is_not_found(here: Path) -> None:
    """As `trace forward --lot NOPE`: a well-formed scan of a unit the store does not hold is NOT_FOUND (the
    data lacks it), not BAD_INPUT (rescan); one that names only a product still cannot start a trace."""
    tables = here / "tables"
    tables.mkdir()
    (tables / "products.csv").write_text("product_id,name\n04012345111118,Pump\n", "utf-8")
    (tables / "serials.csv").write_text("serial_id,product_id\nSN-77,04012345111118\n", "utf-8")
    assert cli("--db", "t.db", "load", "tables", "tables").exit_code == 0
    assert cli("--db", "t.db", "trace", "id", HRI).exit_code == 0
    for absent in ("(01)04012345111118(21)SN-78", "SN-78"):
        result = cli("--db", "t.db", "trace", "id", absent)
        assert result.exit_code == 2 and "error (NOT_FOUND):" in result.stderr, (absent, result.output)
        assert absent in result.stderr
    product_only = cli("--db", "t.db", "trace", "id", "(01)04012345111118")
    assert product_only.exit_code == 2 and "error (BAD_INPUT):" in product_only.stderr
    assert "Product 04012345111118" in product_only.stderr
