"""``tracegraph identify`` of a UDI whose product is held but whose lot or serial is not: it says plainly which
parts matched nothing (a unit scanned for a recall that is not in the store must not pass for found), in text
(a line under the reading and a warning on stderr) and in ``--json`` (``matched`` and ``unmatched``), and
exits 0, since the text did identify a record. Real CLI process, real store; GS1 element strings, HRI, HIBC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_contract import run

GTIN, HIBC_DI = "04012345111118", "A99912345"
GS = "\x1d"

PARTIAL = [  # (text, parts that match a record, parts that match none), each part as (name, value, kind)
    (f"]d201{GTIN}21SN-9", [("gtin", GTIN, "Product")], [("serial", "SN-9", "Serial")]),
    (f"01{GTIN}10L-404{GS}21SN-77", [("gtin", GTIN, "Product"), ("serial", "SN-77", "Serial")],
     [("lot", "L-404", "Lot")]),
    (f"(01){GTIN}(10)L-1(21)SN-404", [("gtin", GTIN, "Product"), ("lot", "L-1", "Lot")],
     [("serial", "SN-404", "Serial")]),
    ("+A99912345/$+SN404E", [("hibc_di", HIBC_DI, "Product")], [("serial", "SN404", "Serial")]),
    ("+A99912345/$L1/SSN404K", [("hibc_di", HIBC_DI, "Product"), ("lot", "L1", "Lot")],
     [("serial", "SN404", "Serial")]),
    ("+A99912345/$L404T", [("hibc_di", HIBC_DI, "Product")], [("lot", "L404", "Lot")]),
]


def _parts(parts: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"part": name, "value": value, "kind": kind} for name, value, kind in parts]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("identify-partial")
    tables = root / "tables"
    tables.mkdir()
    (tables / "products.csv").write_text(f"product_id,name\n{GTIN},Pump\n{HIBC_DI},Catheter\n", "utf-8")
    (tables / "lots.csv").write_text(f"lot_id,item_id\nL-1,{GTIN}\nL1,{HIBC_DI}\n", "utf-8")
    (tables / "serials.csv").write_text(f"serial_id,product_id\nSN-77,{GTIN}\nSN9,{HIBC_DI}\n", "utf-8")
    assert run("--db", "t.db", "load", "tables", "tables", cwd=root).returncode == 0
    return root


@pytest.mark.parametrize(("text", "matched", "unmatched"), PARTIAL)
def test_text_output_says_which_parts_are_not_in_the_store(store: Path, text: str, matched: list,
                                                           unmatched: list) -> None:
    done = run("--db", "t.db", "identify", text, cwd=store)
    assert done.returncode == 0, (done.stdout, done.stderr)
    lines = done.stdout.splitlines()
    for name, value, kind in matched:
        assert any(line.startswith(f"  {kind} ") for line in lines), lines
    for name, value, kind in unmatched:
        assert f"  not in the store: {name} {value} (no {kind.lower()} has it)" in lines
        assert not any(line.startswith(f"  {kind} ") for line in lines), lines
    warning = " ".join(done.stderr.split())
    assert warning == (f"warning: {text!r}: not in the store: "
                       f"{', '.join(f'{n} {v} (no {k.lower()} has it)' for n, v, k in unmatched)}; "
                       f"matched: {', '.join(f'{n} {v} ({k.lower()})' for n, v, k in matched)}")


@pytest.mark.parametrize(("text", "matched", "unmatched"), PARTIAL)
def test_json_output_lists_matched_and_unmatched_parts(store: Path, text: str, matched: list,
                                                       unmatched: list) -> None:
    done = run("--db", "t.db", "identify", "--json", text, cwd=store)
    assert done.returncode == 0, (done.stdout, done.stderr)
    data = json.loads(done.stdout)
    assert (data["matched"], data["unmatched"]) == (_parts(matched), _parts(unmatched))
    assert set(data["records"]) == {kind for _, _, kind in matched}
    assert done.stderr == ""


def test_a_scan_that_matches_in_full_has_nothing_unmatched(store: Path) -> None:
    text = f"(01){GTIN}(10)L-1(21)SN-77"
    done = run("--db", "t.db", "identify", text, cwd=store)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "not in the store" not in done.stdout
    data = json.loads(run("--db", "t.db", "identify", "--json", text, cwd=store).stdout)
    assert data["unmatched"] == [] and [p["kind"] for p in data["matched"]] == ["Product", "Lot", "Serial"]


def test_a_scan_nothing_matches_lists_every_part_unmatched_and_is_not_found(store: Path) -> None:
    done = run("--db", "t.db", "identify", "--json", "(01)09501101020917(10)L1", cwd=store)
    assert done.returncode == 2
    data = json.loads(done.stdout)
    assert (data["matched"], data["unmatched"]) == (
        [], _parts([("gtin", "09501101020917", "Product"), ("lot", "L1", "Lot")]))
    assert "error (NOT_FOUND)" in done.stderr


def test_without_a_database_nothing_is_said_to_match_or_not(tmp_path: Path) -> None:
    done = run("--db", "absent.db", "identify", "--json", f"]d201{GTIN}21SN-9", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["records_looked_up"], data["matched"], data["unmatched"]) == (False, None, None)
