"""Notebook views: to_pandas, to_networkx, _repr_html_ agree with the engine and the store."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

import tracegraph
from tracegraph import BadInput, Graph
from tracegraph.generate import generate
from tracegraph.schema import KINDS, REL_KINDS
from tracegraph.trace import GROUPS
from tracegraph.trace.model import KIND_OF_GROUP


@pytest.fixture(scope="module")
def g(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graph]:
    root = tmp_path_factory.mktemp("nb")
    generate(root / "tables", 1500, seed=4)
    with tracegraph.connect(f"sqlite:///{root / 'nb.db'}") as graph:
        assert graph.load_tables(root / "tables").rejected == []
        yield graph


def _raw_lot(g: Graph) -> str:
    return next(k for k in g.store.keys("Lot") if k.startswith("RL") and g.forward(lot=k).ids["customers"])


def test_to_pandas_gives_one_frame_per_group_with_the_records(g: Graph) -> None:
    result = g.forward(lot=_raw_lot(g))
    frames = result.to_pandas()
    assert list(frames) == list(GROUPS)
    for group in GROUPS:
        key = KINDS[KIND_OF_GROUP[group]].key
        assert frames[group][key].tolist() == result.ids[group], group
    lots = frames["lots"].set_index("lot_id")
    stored = g.store.get("Lot", result.ids["lots"])
    assert all(lots.loc[k, "item_id"] == r["item_id"] for k, r in stored.items())


def test_tidy_frame_has_one_row_per_reached_record(g: Graph) -> None:
    result = g.backward(serial=next(g.store.keys("Serial")))
    tidy = result.to_pandas(tidy=True)
    assert list(tidy.columns) == ["group", "kind", "id", "depth"]
    assert len(tidy) == len(result)
    assert sorted(zip(tidy["kind"], tidy["id"])) == sorted(
        (KIND_OF_GROUP[grp], k) for grp in GROUPS for k in result.ids[grp])
    lots = tidy[tidy["kind"] == "Lot"]
    assert all(lots["depth"].notna()) and lots["depth"].min() >= 1


def test_to_networkx_is_the_subgraph_induced_by_the_trace(g: Graph) -> None:
    """Checked against an independent build: networkx over every stored edge, restricted to the trace."""
    result = g.forward(lot=_raw_lot(g))
    graph = result.to_networkx()
    reached = {f"{KIND_OF_GROUP[grp]}:{k}" for grp in GROUPS for k in result.ids[grp]}
    assert set(graph.nodes) == reached
    full = nx.MultiDiGraph()
    for rel in REL_KINDS:
        sources = [(kind, key) for kind in rel.source for key in g.store.keys(kind)]
        for e in g.store.edges(rel.name, sources, "out"):
            full.add_edge(f"{e.src[0]}:{e.src[1]}", f"{e.dst[0]}:{e.dst[1]}", rel=rel.name)
    oracle = full.subgraph(reached)
    assert sorted((u, v, d["rel"]) for u, v, d in graph.edges(data=True)) == sorted(
        (u, v, d["rel"]) for u, v, d in oracle.edges(data=True))
    lot = result.ids["lots"][0]
    node = graph.nodes[f"Lot:{lot}"]
    assert node["kind"] == "Lot" and node["id"] == lot and node["item_id"] == g.store.get("Lot", [lot])[lot]["item_id"]
    packed = next(d for _, _, d in graph.edges(data=True) if d["rel"] == "PACKED_IN")
    assert "packed_at" in packed
    # every reached serial is downstream of the start in the traced subgraph
    downstream = nx.descendants(graph, f"Lot:{result.start.lots[0]}")
    assert {f"Serial:{s}" for s in result.ids["serials"]} <= downstream


def test_an_unknown_group_is_bad_input_naming_the_groups(g: Graph) -> None:
    """A typo in a notebook ('serial', 'Serial') says which groups there are; it was a bare KeyError."""
    result = g.forward(lot=_raw_lot(g))
    for read in (result.columns, result.records):
        for typo in ("serial", "Serial"):
            with pytest.raises(BadInput, match=rf"unknown group {typo!r}: one of {', '.join(GROUPS)}"):
                read(typo)


def test_recall_scope_views(g: Graph) -> None:
    scope = g.recall_scope(lots=[_raw_lot(g)])
    affected = scope.to_pandas(tidy=True)
    assert len(affected) == len(scope.whereabouts)
    assert dict(affected["status"].value_counts()) == {
        s: sum(1 for w in scope.whereabouts.values() if w.status == s)
        for s in {w.status for w in scope.whereabouts.values()}}
    by_customer = scope.to_pandas()["by_customer"]
    assert by_customer.set_index("customer_id")["serials"].to_dict() == {
        c: n["serials"] for c, n in scope.by_customer.items()}
    graph = scope.to_networkx()
    assert {graph.nodes[f"{k}:{i}"]["status"] for k, i in scope.whereabouts} == {
        w.status for w in scope.whereabouts.values()}


def test_html_reprs_are_tables_with_the_counts(g: Graph) -> None:
    result = g.forward(lot=_raw_lot(g))
    page = result._repr_html_()
    assert page.startswith("<div>") and "<table>" in page and "Forward trace" in page
    assert f"{len(result.ids['serials']):,}" in page
    scope_page = g.recall_scope(lots=[_raw_lot(g)])._repr_html_()
    assert "Recall scope" in scope_page and "Affected customers" in scope_page


_T = "2025-03-01T08:00:00Z"
_MARKUP_PLANT: dict[str, list[list[str]]] = {  # a lot and a customer whose ids (and a name) are markup
    "suppliers": [["supplier_id", "name"], ["S1", "Supplier one"]],
    "materials": [["material_id", "revision"], ["M1", "A"]],
    "products": [["product_id", "name"], ["P1", "Pump"]],
    "customers": [["customer_id", "name"], ["<i>C&1</i>", "<u>Hospital</u>"]],
    "lots": [["lot_id", "item_id", "supplier_id", "quantity", "uom"],
             ["<b>x</b>", "M1", "S1", "10", "EA"], ["F1", "P1", "", "1", "EA"]],
    "serials": [["serial_id", "product_id", "lot_id"], ["N1", "P1", "F1"]],
    "process_steps": [["step_id", "work_order", "operation"], ["ST1", "W1", "FINAL"]],
    "consumptions": [["step_id", "input_type", "input_id", "output_type", "output_id", "quantity", "uom"],
                     ["ST1", "lot", "<b>x</b>", "lot", "F1", "1", "EA"]],
    "packing": [["child_type", "child_id", "container_id", "packed_at", "unpacked_at"],
                ["serial", "N1", "K1", _T, ""]],
    "shipments": [["shipment_id", "customer_id", "shipped_at"], ["H1", "<i>C&1</i>", "2025-03-02T08:00:00Z"]],
    "shipment_items": [["shipment_id", "item_type", "item_id", "quantity"], ["H1", "container", "K1", "1"]],
}


def _write_plant(tables: Path, plant: dict[str, list[list[str]]]) -> Path:
    tables.mkdir()
    for name, rows in plant.items():
        with (tables / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    return tables


def test_html_reprs_escape_ids_and_names(tmp_path: Path) -> None:
    """Ids and names are data, never markup: each repr shows them escaped and no raw tag gets through."""
    with tracegraph.connect(f"sqlite:///{tmp_path / 'm.db'}") as graph:
        assert graph.load_tables(_write_plant(tmp_path / "tables", _MARKUP_PLANT)).rejected == []
        scope = graph.recall_scope(lots=["<b>x</b>"])
        assert scope.by_customer and scope.trace.ids["lots"] == ["<b>x</b>", "F1"]
        pages = {"forward": graph.forward(lot="<b>x</b>")._repr_html_(),
                 "backward": graph.backward(serial="N1")._repr_html_(), "recall": scope._repr_html_()}
    for name, page in pages.items():
        assert "&lt;b&gt;x&lt;/b&gt;" in page, name
        assert "<b>" not in page and "<i>" not in page and "<u>" not in page, name
    assert "&lt;i&gt;C&amp;1&lt;/i&gt;" in pages["recall"]


def test_to_networkx_keeps_parallel_edges_apart(tmp_path: Path) -> None:
    """A lot consumed into one output in two steps, a unit packed twice into one case: one edge each in the
    store, so one each in the graph, with its own properties (they were merged into one edge per relationship,
    a quantity lost and a packing from 10:00 to 09:00)."""
    plant = {**_MARKUP_PLANT,
             "process_steps": [["step_id", "work_order", "operation"], ["ST1", "W1", "MIX"], ["ST2", "W1", "MIX"]],
             "consumptions": [["step_id", "input_type", "input_id", "output_type", "output_id", "quantity", "uom"],
                              ["ST1", "lot", "<b>x</b>", "lot", "F1", "3", "EA"],
                              ["ST2", "lot", "<b>x</b>", "lot", "F1", "4", "EA"]],
             "packing": [["child_type", "child_id", "container_id", "packed_at", "unpacked_at"],
                         ["serial", "N1", "K1", "2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z"],
                         ["serial", "N1", "K1", "2025-03-01T10:00:00Z", ""]]}
    with tracegraph.connect(f"sqlite:///{tmp_path / 'p.db'}") as graph:
        assert graph.load_tables(_write_plant(tmp_path / "tables", plant)).rejected == []
        drawn = graph.forward(lot="<b>x</b>").to_networkx()
    consumed = sorted((d["step_id"], d["quantity"]) for d in drawn.get_edge_data("Lot:<b>x</b>", "Lot:F1").values())
    assert consumed == [("ST1", 3.0), ("ST2", 4.0)]
    packed = sorted((d["packed_at"], d.get("unpacked_at"))
                    for d in drawn.get_edge_data("Serial:N1", "Container:K1").values())
    assert packed == [("2025-03-01T08:00:00.000Z", "2025-03-01T09:00:00.000Z"), ("2025-03-01T10:00:00.000Z", None)]
    assert drawn.has_edge("Lot:F1", "Serial:N1", "HAS_SERIAL")  # a relationship with one edge a pair: its name
    assert drawn.has_edge("Lot:<b>x</b>", "Lot:F1", "CONSUMED_INTO ST1")


def test_the_example_notebook_runs_top_to_bottom() -> None:
    import nbformat
    from nbclient import NotebookClient

    path = Path(__file__).resolve().parents[2] / "examples" / "genealogy.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("Forward trace" in h for h in html) and any("Recall scope" in h for h in html)
