"""The ``tracegraph`` command's contract, run as a real process on real files.

Exit codes: 0 success, 1 a load rejected records, 2 a domain error whose code is in the message (or a
usage error), 3 a broken audit trail; the README's table lists them, checked here against the code.
``--json`` output is one object whose keys and sorted id lists other tools rely on.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from canonical import Tables, write_csv

from tracegraph import connect
from tracegraph.schema.docs import render_markdown
from tracegraph.trace import GROUPS

EXE = Path(sys.executable).with_name("tracegraph")
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NO_COLOR": "1"})


def tables() -> Tables:
    t = Tables()
    t.lot("R1", material="RESIN", supplier="SUP-A")
    t.lot("F1", product="DEV")
    t.consume("ST1", "R1", "F1")
    t.serial("S2", product="DEV", lot="F1")
    t.serial("S1", product="DEV", lot="F1")
    t.pack("S1", "K1", 1)
    t.pack("S2", "K1", 1)
    t.ship("SH1", "CUST-B", 3, "K1")
    t.ship("SH2", "CUST-A", 4, "R1", quantity=5)
    return t


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    write_csv(tmp_path / "tables", tables().rows)
    result = run("--db", "t.db", "load", "tables", "tables", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_load_prints_counts_and_exits_0(tmp_path: Path) -> None:
    write_csv(tmp_path / "tables", tables().rows)
    result = run("--db", "t.db", "load", "tables", "tables", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    for expected in ("loaded 2 lots", "loaded 2 serials", "loaded 1 consumptions", "loaded 2 packing",
                     "loaded 2 shipments", "rejected 0"):
        assert expected in lines
    assert not (tmp_path / "tracegraph-rejects.csv").exists()


def test_load_with_rejects_writes_the_file_and_exits_1(tmp_path: Path) -> None:
    t = tables()
    t.rows["serials"].append({"serial_id": "S9", "product_id": "DEV", "lot_id": "NOPE"})
    write_csv(tmp_path / "tables", t.rows)
    result = run("--db", "t.db", "load", "tables", "tables", "--rejects", "bad.csv", cwd=tmp_path)
    assert result.returncode == 1
    assert "rejected 1 record problem(s); see bad.csv" in " ".join(result.stdout.split())
    assert "serials.csv row 3 field lot_id: no Lot with id 'NOPE'" in result.stderr
    assert (tmp_path / "bad.csv").read_text().splitlines() == [
        "file,row,field,reason,record",
        "serials.csv,3,lot_id,no Lot with id 'NOPE',serial_id=S9; product_id=DEV; lot_id=NOPE"]
    counts = json.loads(run("--db", "t.db", "counts", "--json", cwd=tmp_path).stdout)
    assert counts["Serial"] == 2  # the rest of the batch loaded


def test_malformed_file_exits_2_with_the_code(tmp_path: Path) -> None:
    write_csv(tmp_path / "tables", tables().rows)
    (tmp_path / "tables" / "lots.csv").write_text("lot_id\nR1\n")
    result = run("--db", "t.db", "load", "tables", "tables", cwd=tmp_path)
    assert result.returncode == 2
    assert "error (BAD_INPUT):" in result.stderr and "lots.csv" in result.stderr and "item_id" in result.stderr


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_trace_json_has_exactly_the_documented_keys(loaded: Path, direction: str) -> None:
    result = run("--db", "t.db", "trace", direction, "--serial", "S1", "--json", cwd=loaded)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == [*GROUPS, "on_hold"] and data["on_hold"] == []  # records on recall hold, as Kind:id
    assert {"lots", "serials", "containers", "shipments", "customers", "suppliers", "process_steps"} <= set(data)
    assert all(isinstance(v, list) and v == sorted(v) for v in data.values())
    if direction == "backward":
        assert data["lots"] == ["F1", "R1"] and data["suppliers"] == ["SUP-A"] and data["shipments"] == []
    else:
        assert data["containers"] == ["K1"] and data["customers"] == ["CUST-B"] and data["lots"] == []


def test_forward_json_from_lot_supplier_and_container(loaded: Path) -> None:
    by_lot = json.loads(run("--db", "t.db", "trace", "forward", "--lot", "R1", "--json", cwd=loaded).stdout)
    assert (by_lot["serials"], by_lot["customers"], by_lot["process_steps"]) == (["S1", "S2"], ["CUST-A", "CUST-B"],
                                                                               ["ST1"])
    by_supplier = json.loads(
        run("--db", "t.db", "trace", "forward", "--supplier", "SUP-A", "--json", cwd=loaded).stdout)
    assert by_supplier == by_lot | {"suppliers": ["SUP-A"]}
    by_container = json.loads(run("--db", "t.db", "trace", "forward", "--container", "K1", "--json", cwd=loaded).stdout)
    assert (by_container["serials"], by_container["shipments"]) == (["S1", "S2"], ["SH1"])


def test_recall_scope_json_adds_by_customer(loaded: Path) -> None:
    result = run("--db", "t.db", "recall-scope", "--lot", "R1", "--json", cwd=loaded)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == [*GROUPS, "on_hold", "by_customer", "whereabouts"]
    assert data["by_customer"] == {"CUST-A": {"lots": 1, "serials": 0, "shipments": 1, "lot_quantity": 5.0},
                                   "CUST-B": {"lots": 0, "serials": 2, "shipments": 1, "lot_quantity": 0.0}}
    assert {(w["kind"], w["id"], w["status"]) for w in data["whereabouts"]} == {
        ("Lot", "R1", "shipped"), ("Lot", "F1", "shipped"),  # F1: no quantity, and both its units shipped
        ("Serial", "S1", "shipped"), ("Serial", "S2", "shipped")}


def test_explain_json_is_a_chain_of_records(loaded: Path) -> None:
    result = run("--db", "t.db", "explain", "Customer:CUST-B", "--lot", "R1", "--json", cwd=loaded)
    assert result.returncode == 0, result.stderr
    assert [(link["rel"], link["from"]["id"], link["to"]["id"]) for link in json.loads(result.stdout)] == [
        ("CONSUMED_INTO", "R1", "F1"), ("HAS_SERIAL", "F1", "S1"), ("PACKED_IN", "S1", "K1"),
        ("SHIPPED_IN", "K1", "SH1"), ("SHIPPED_TO", "SH1", "CUST-B")]


@pytest.mark.parametrize(("args", "code"), [
    (["trace", "forward", "--lot", "NOPE"], "NOT_FOUND"),
    (["trace", "backward", "--supplier", "SUP-A"], "BAD_INPUT"),
    (["trace", "forward"], "BAD_INPUT"),
    (["recall-scope", "--lot", "NOPE"], "NOT_FOUND"),
    (["explain", "Lot:NOPE", "--lot", "R1"], "NOT_FOUND"),
    (["explain", "Serial", "--lot", "R1"], "BAD_INPUT"),
    (["explain", "Serial:", "--lot", "R1"], "BAD_INPUT"),
    (["explain", ":S1", "--lot", "R1"], "BAD_INPUT"),
    (["supplier-exposure", "NOPE"], "NOT_FOUND"),
])
def test_domain_errors_exit_2_with_the_code(loaded: Path, args: list[str], code: str) -> None:
    result = run("--db", "t.db", *args, cwd=loaded)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert f"error ({code}):" in result.stderr


def test_missing_database_is_a_domain_error(tmp_path: Path) -> None:
    result = run("--db", "absent.db", "trace", "forward", "--lot", "R1", cwd=tmp_path)
    assert result.returncode == 2 and "error (STORE_ERROR):" in result.stderr


def test_dictionary_out_writes_the_generated_doc(tmp_path: Path) -> None:
    assert run("dictionary", "--out", "dd.md", cwd=tmp_path).returncode == 0
    assert (tmp_path / "dd.md").read_text(encoding="utf-8") == render_markdown()


def test_generate_is_reproducible(tmp_path: Path) -> None:
    for out in ("a", "b"):
        assert run("generate", "--serials", "400", "--seed", "5", out, cwd=tmp_path).returncode == 0
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "serials.csv" in files and "shipment_items.csv" in files
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)


def test_demo_starts_from_a_consumed_supplier_lot_and_its_suggestions_run(tmp_path: Path) -> None:
    """The first thing a user runs: each step once and in order, a start worth tracing, commands that work."""
    result = run("--db", "demo.db", "demo", "--serials", "600", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    steps = [m.group(1) for line in lines if (m := re.match(r"[─ ]*(\d)\. ", line))]
    assert steps == ["1", "2", "3", "4", "5", "6", "7"]
    out = " ".join(result.stdout.split())
    assert "2. Load it into demo.db" in out and "rejected 6 (planted defects" in out
    assert "required_missing 2, invalid_value 4" in out
    # the data-quality step lists each record the load rejected, by its source row
    for planted in ("(Supplier SUP-X0001), rejected by its load: name: required value is missing",
                    "(Lot RL-X000005), rejected by its load: item_id: required value is missing",
                    "(Lot RL-X000006), rejected by its load: quantity: -5 is below the minimum 0",
                    "(CONSUMED_INTO), rejected by its load: quantity: -3 is below the minimum 0",
                    "(Inspection INS-X000004), rejected by its load: result: 'unclear' is not one of pass, fail",
                    "(Shipment SHP-X000003), rejected by its load: customer_id: no Customer with id 'CUST-X9999'"):
        assert planted in out, planted
    lot, supplier = re.search(r"Lot (\S+) was bought from supplier (\S+) and consumed in production", out).groups()
    assert f"3. Forward trace: where did supplier lot {lot} go?" in out
    assert f"5. Recall scope: what must a recall of lot {lot} reach?" in out
    assert f"7. Open and scope a recall of lot {lot} " in out
    assert re.search(rf"trigger lots {lot} ", out)  # the recall starts from that one lot, named once
    with connect(str(tmp_path / "demo.db"), read_only=True) as graph:
        assert graph.store.get("Lot", [lot])[lot]["supplier_id"] == supplier
        assert graph.store.edges("CONSUMED_INTO", [("Lot", lot)], "out")
        forward = graph.forward(lot=[lot])
    assert forward.ids["customers"] and forward.ids["serials"]
    assert f"affected customers ({len(forward.ids['customers'])})" in out
    # every suggested command (but the server) runs on the demo store
    suggested = [line.split()[1:] for line in lines if line.startswith("  tracegraph --db demo.db ")]
    assert len(suggested) == 6 and ["--db", "demo.db", "serve"] in suggested
    for args in suggested:
        if args[-1] != "serve":
            done = run(*args, cwd=tmp_path)
            assert done.returncode == 0, (args, done.stderr)


def test_readme_documents_every_exit_code_the_commands_use(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("**Exit codes** of every `tracegraph` command:", 1)[1].split("\n\n", 2)[1]
    documented = {int(code) for code in re.findall(r"^\| `(\d+)` \|", table, flags=re.MULTILINE)}
    used = {int(code) for source in (ROOT / "tracegraph").rglob("*.py")
            for code in re.findall(r"typer\.Exit\((\d+)\)", source.read_text(encoding="utf-8"))}
    usage = run("trace", "forward", "--no-such-option", cwd=tmp_path).returncode  # click's usage error
    assert documented == used | {0, usage}
    assert usage == 2


@pytest.mark.parametrize("args", [["generate", "taken", "--serials", "50"], ["generate", "taken/under"],
                                  ["dictionary", "--out", "no/such/folder/dd.md"], ["dictionary", "--out", "."]])
def test_an_output_path_that_cannot_be_written_is_bad_input(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "taken").write_text("a file", encoding="utf-8")
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "error (BAD_INPUT): cannot write" in result.stderr and "Traceback" not in result.stderr
