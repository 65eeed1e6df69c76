"""Copying a graph from the embedded store into every backend, and exporting it for neo4j-admin."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from plants import embedded_plant
from typer.testing import CliRunner

import tracegraph
from tracegraph.cli import app
from tracegraph.schema import NODE_KINDS, REL_KINDS, FieldType
from tracegraph.store import SQLiteStore, Store
from tracegraph.store.transfer import _cell, copy_graph, walk_edges, walk_nodes


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(embedded_plant(tmp_path_factory.mktemp("plant"), 1500, seed=11).path)


def _everything(store: Store) -> tuple[dict, dict]:
    nodes = {k.name: [r for chunk in walk_nodes(store, k, chunk=97) for r in chunk] for k in NODE_KINDS}
    edges = {r.name: sorted((e.src, e.dst, tuple(sorted(e.props.items()))) for chunk in walk_edges(store, r, chunk=97)
                            for e in chunk) for r in REL_KINDS}
    return nodes, edges


def test_copy_reproduces_every_record_edge_and_answer(plant: Path, store: Store) -> None:
    """The README's migration path: the embedded store copied into each backend (Neo4j with NEO4J_URI)."""
    src = SQLiteStore(plant, read_only=True)
    dst = store
    copied = copy_graph(src, dst, chunk=250)
    counts = src.counts()
    assert copied == {name: n for name, n in counts.items() if n}
    assert dst.counts() == counts
    assert _everything(dst) == _everything(src)
    a, b = tracegraph.Graph(src), tracegraph.Graph(dst)
    for lot in list(src.keys("Lot"))[:25]:
        assert b.forward(lot=lot).as_dict() == a.forward(lot=lot).as_dict()
        assert b.recall_scope(lots=lot).as_dict() == a.recall_scope(lots=lot).as_dict()
    serial = next(iter(src.keys("Serial")))
    assert b.backward(serial=serial).as_dict() == a.backward(serial=serial).as_dict()


def test_copy_again_changes_nothing(plant: Path, store: Store) -> None:
    src = SQLiteStore(plant, read_only=True)
    dst = store
    copy_graph(src, dst)
    before = _everything(dst)
    copy_graph(src, dst)
    assert _everything(dst) == before and dst.counts() == src.counts()


def test_copy_command(plant: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["copy", f"sqlite:///{plant}", f"sqlite:///{tmp_path / 'c.db'}"])
    assert result.exit_code == 0, result.output
    assert "now in destination" in result.output
    assert SQLiteStore(tmp_path / "c.db").counts() == SQLiteStore(plant, read_only=True).counts()


def test_copy_from_a_missing_store_is_a_clean_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["copy", f"sqlite:///{tmp_path / 'none.db'}", f"sqlite:///{tmp_path / 'd.db'}"])
    assert result.exit_code == 2 and "STORE_ERROR" in result.output


# -- neo4j-admin import files -------------------------------------------------------------------
# neo4j-admin's header grammar: name[:type], name:ID(space) or :ID(space), :START_ID(space),
# :END_ID(space), :LABEL, :TYPE; types as neo4j-admin spells them.
_HEADER = re.compile(r"^(?:(?P<id>\w*):ID\((?P<space>\w+)\)|:(?P<end>START_ID|END_ID)\((?P<espace>\w+)\)"
                     r"|:LABEL|:TYPE|(?P<prop>\w+)(?::(?P<type>int|long|float|double|boolean|byte|short|char"
                     r"|string|point|date|localtime|time|localdatetime|datetime|duration))?)$")


def _expected_cell(value: object) -> str:
    return "" if value is None else str(value) if isinstance(value, str) else repr(value)


def test_cells_keep_empty_strings_apart_from_missing_values() -> None:
    assert [_cell(None), _cell(""), _cell('say "hi"'), _cell(2.5), _cell(3)] == ["", '""', '"say ""hi"""', "2.5", "3"]


def test_export_writes_admin_import_files_that_hold_the_graph(plant: Path, tmp_path: Path) -> None:
    store = SQLiteStore(plant, read_only=True)
    out = tmp_path / "export"
    result = CliRunner().invoke(app, ["--db", str(plant), "export", "neo4j-admin", str(out)])
    assert result.exit_code == 0, result.output
    counts = store.counts()
    ids: dict[str, set[str]] = {}
    for kind in NODE_KINDS:
        with (out / "nodes" / f"{kind.name}.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        header = [_HEADER.match(h) for h in rows[0]]
        assert all(header), rows[0]
        assert header[0]["id"] == kind.key and header[0]["space"] == kind.name and rows[0][-1] == ":LABEL"
        for h, name in zip(header[1:-1], rows[0][1:-1], strict=True):
            if h["prop"] in {f.name for f in kind.fields}:
                wanted = {FieldType.DECIMAL: "double", FieldType.INTEGER: "long"}.get(kind.field(h["prop"]).type)
                assert h["type"] == wanted, name
        assert len(rows) - 1 == counts[kind.name]
        records = store.get(kind.name, [r[0] for r in rows[1:]])
        names = [h["prop"] or h["id"] for h in header[:-1]]
        for row in rows[1:]:
            assert row[-1] == kind.name
            record = records[row[0]]
            assert row[:-2] == [_expected_cell(record.get(n)) for n in names[:-1]]
        ids[kind.name] = {r[0] for r in rows[1:]}
    files = sorted((out / "relationships").glob("*.csv"))
    seen = {r.name: 0 for r in REL_KINDS}
    for path in files:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        start, end = (_HEADER.match(h) for h in rows[0][:2])
        assert start and end and start["end"] == "START_ID" and end["end"] == "END_ID" and rows[0][-1] == ":TYPE"
        assert all(_HEADER.match(h) for h in rows[0])
        rel = path.stem.split("__")[0]
        for row in rows[1:]:
            assert row[0] in ids[start["espace"]] and row[1] in ids[end["espace"]] and row[-1] == rel
        seen[rel] += len(rows) - 1
    assert seen == {r.name: counts[r.name] for r in REL_KINDS}
    script = (out / "import.sh").read_text()
    assert "neo4j-admin database import full" in script
    listed = re.findall(r"--(nodes|relationships)=(\S+)", script)
    assert sorted(p for _, p in listed) == sorted(str(p.relative_to(out)) for p in out.rglob("*.csv"))


def test_export_to_a_folder_that_cannot_be_made_is_bad_input(plant: Path, tmp_path: Path) -> None:
    """A file where the folder should be: the command names the path (BAD_INPUT, exit 2), no traceback."""
    (tmp_path / "taken").write_text("a file", encoding="utf-8")
    for out in (tmp_path / "taken", tmp_path / "taken" / "under"):
        result = CliRunner().invoke(app, ["--db", str(plant), "export", "neo4j-admin", str(out)])
        assert result.exit_code == 2, (out, result.output, result.exception)
        assert "error (BAD_INPUT): cannot write the export to" in result.stderr
        assert str(out) in result.stderr.replace("\n", "")
