"""The embedded store's in-memory adjacency index against the tables it caches.

The oracle is independent of the index: plain SQL on the same file through the sqlite3 module,
and networkx shortest-path lengths on the edges read that way.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import networkx as nx
import pytest

import tracegraph
from tracegraph.generate import generate
from tracegraph.schema import GENEALOGY_RELS, KINDS, REL_KINDS, RELS
from tracegraph.store import Batch, Edge, SQLiteStore


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plant")
    generate(root / "tables", 3000, seed=11)
    with tracegraph.connect(f"sqlite:///{root / 'plant.db'}") as g:
        assert g.load_tables(root / "tables").rejected == []
    return root / "plant.db"


def sql_edges(db: Path, rel: str) -> list[tuple[tuple[str, str], tuple[str, str], dict]]:
    names = [f.name for f in RELS[rel].fields]
    con = sqlite3.connect(db)
    rows = con.execute(f"SELECT a.kind, a.key, b.kind, b.key{''.join(', e.' + n for n in names)} "
                       f"FROM {RELS[rel].sql_table} e JOIN node a ON a.nid = e.src JOIN node b ON b.nid = e.dst").fetchall()
    con.close()
    return [((r[0], r[1]), (r[2], r[3]), dict(zip(names, r[4:]))) for r in rows]


@pytest.mark.parametrize("rel", [r.name for r in REL_KINDS])
def test_edges_match_the_tables(plant: Path, rel: str) -> None:
    everything = sql_edges(plant, rel)
    rng = random.Random(rel)
    store = SQLiteStore(plant, read_only=True)
    for direction, near in (("out", 0), ("in", 1)):
        nodes = sorted({e[near] for e in everything})
        chosen = set(rng.sample(nodes, min(50, len(nodes)))) | {("Lot", "no such lot")}
        want = sorted((e[0], e[1], sorted(e[2].items())) for e in everything if e[near] in chosen)
        got = [(e.src, e.dst, sorted(e.props.items())) for e in store.edges(rel, chosen, direction)]
        assert sorted(got) == want
    store.close()


def test_reach_matches_networkx_depths(plant: Path) -> None:
    graph = nx.DiGraph()
    for rel in GENEALOGY_RELS:
        graph.add_edges_from((src, dst) for src, dst, _ in sql_edges(plant, rel))
    store = SQLiteStore(plant, read_only=True)
    rng = random.Random(5)
    lots = sorted(n for n in graph if n[0] == "Lot")
    serials = sorted(n for n in graph if n[0] == "Serial")
    for seeds, direction, g in ((rng.sample(lots, 3), "out", graph), (rng.sample(serials, 2), "in", graph.reverse())):
        g = g.copy()
        g.add_edges_from(("seed", s) for s in seeds)
        want = {n: d - 1 for n, d in nx.single_source_shortest_path_length(g, "seed").items() if n != "seed"}
        assert store.reach(seeds, GENEALOGY_RELS, direction, 64) == want
    store.close()


def _new_output_batch(parent: str, lot: str) -> Batch:
    batch = Batch()
    batch.add_node("Lot", {"lot_id": lot, "item_id": "RM-00001", "supplier_id": None, "quantity": 1.0,
                           "uom": "EA", "created_at": None, "expires_at": None})
    batch.add_node("ProcessStep", {"step_id": f"STEP-{lot}", "work_order": "WO-X", "operation": "0010"})
    batch.add_edge(Edge("CONSUMED_INTO", ("Lot", parent), ("Lot", lot), {"step_id": f"STEP-{lot}"}))
    return batch


@pytest.fixture
def plant_copy(plant: Path, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the plant to write to, and a lot to hang new outputs on."""
    db = tmp_path / "copy.db"
    db.write_bytes(plant.read_bytes())
    with SQLiteStore(db, read_only=True) as store:
        return db, next(iter(store.keys("Lot")))


def test_a_write_through_the_same_store_is_seen(plant_copy: tuple[Path, str]) -> None:
    db, parent = plant_copy
    store = SQLiteStore(db)
    before = store.reach([("Lot", parent)], GENEALOGY_RELS, "out", 64)
    store.write(_new_output_batch(parent, "NEW-1"))
    after = store.reach([("Lot", parent)], GENEALOGY_RELS, "out", 64)
    assert after == {**before, ("Lot", "NEW-1"): 1}
    assert [e.dst for e in store.edges("CONSUMED_INTO", [("Lot", "NEW-1")], "in")] == [("Lot", "NEW-1")]
    store.close()


def test_a_write_by_another_process_is_seen(plant_copy: tuple[Path, str]) -> None:
    db, parent = plant_copy
    reader = SQLiteStore(db, read_only=True)
    assert ("Lot", "NEW-2") not in reader.reach([("Lot", parent)], GENEALOGY_RELS, "out", 64)
    script = ("import sys; sys.path.insert(0, sys.argv[2]); from test_adjacency_index import _new_output_batch;"
              "from tracegraph.store import SQLiteStore; s = SQLiteStore(sys.argv[1]);"
              f"s.write(_new_output_batch({parent!r}, 'NEW-2')); s.close()")
    subprocess.run([sys.executable, "-c", script, str(db), str(Path(__file__).parent)], check=True)
    assert reader.reach([("Lot", parent)], GENEALOGY_RELS, "out", 64)[("Lot", "NEW-2")] == 1
    reader.close()


@pytest.mark.parametrize("rel", ["OF_PRODUCT", "INSPECTS", "PACKED_IN"])
def test_neighbours_are_the_far_ends_of_edges(plant: Path, rel: str) -> None:
    store = SQLiteStore(plant, read_only=True)
    for direction, near, far in (("out", 0, 1), ("in", 1, 0)):
        everything = sql_edges(plant, rel)
        nodes = sorted({e[near] for e in everything})[:40]
        want = {e[far] for e in everything if e[near] in set(nodes)}
        assert store.neighbours(rel, nodes, direction) == want
        assert super(SQLiteStore, store).neighbours(rel, nodes, direction) == want  # the generic default
    store.close()


def test_threads_reading_while_another_writes_see_one_state_or_the_other(plant_copy: tuple[Path, str]) -> None:
    db, parent = plant_copy
    store = SQLiteStore(db)
    before = store.reach([("Lot", parent)], GENEALOGY_RELS, "out", 64)
    after = {**before, ("Lot", "NEW-3"): 1}
    seen: list[dict] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(store.reach([("Lot", parent)], GENEALOGY_RELS, "out", 64))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    store.write(_new_output_batch(parent, "NEW-3"))
    deadline = time.monotonic() + 60
    while not any(s == after for s in seen) and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    for t in readers:
        t.join()
    assert seen and all(s in (before, after) for s in seen)
    assert store.reach([("Lot", parent)], GENEALOGY_RELS, "out", 64) == after
    store.close()


def test_nodes_are_numbered_in_key_order(tmp_path: Path) -> None:
    """The index numbers nodes in (kind, key) order, whatever order they were written in, so that node numbers
    in order are in key order: the order plain SQL gives (code point order, as Python sorts)."""
    store = SQLiteStore(tmp_path / "order.db")
    keys = ["LOT-9", "LOT-10", "lot-1", "LOT-é", "LOT-z", "LOT-1"]
    for key in keys:  # one write each: the store's own ids follow the writes, not the keys
        store.write(Batch(nodes={"Lot": [{"lot_id": key}], "Customer": [{"customer_id": f"C-{key}"}]}))
    expected = sorted([("Lot", k) for k in keys] + [("Customer", f"C-{k}") for k in keys])
    con = sqlite3.connect(tmp_path / "order.db")
    assert expected == list(con.execute("SELECT kind, key FROM node ORDER BY kind, key"))
    con.close()
    view = store.columns()
    numbers = view.nids(expected)
    assert view.refs(numbers) == expected
    assert view.refs(view.in_key_order(numbers[::-1])) == expected
    store.close()


def test_a_node_without_a_record_reads_as_none(tmp_path: Path) -> None:
    """Every node this store writes has a record row (a stub's is its key alone), so a kind's nodes are one
    range of numbers, read row by row. A node row another writer left without a record breaks the range: its
    fields read None, and the others' still read right."""
    db = tmp_path / "gap.db"
    store = SQLiteStore(db)
    store.write(Batch(nodes={"Lot": [{"lot_id": k, "item_id": f"M-{k}"} for k in ("A", "C", "D")]}))
    con = sqlite3.connect(db)
    con.execute("INSERT INTO node (kind, key) VALUES ('Lot', 'B')")  # between A and C in key order
    con.execute("PRAGMA user_version = 99")  # as a write would move the counter
    con.commit()
    con.close()
    view = store.columns()
    lots = view.nids([("Lot", k) for k in ("A", "B", "C", "D")])
    assert view.refs(lots) == [("Lot", "A"), ("Lot", "B"), ("Lot", "C"), ("Lot", "D")]
    assert view.fields("Lot", lots[:3], ["lot_id", "item_id"])["item_id"].tolist() == ["M-A", None, "M-C"]
    assert view.fields("Lot", lots[[0, 2, 3]], ["item_id"])["item_id"].tolist() == ["M-A", "M-C", "M-D"]
    store.close()


def test_a_row_naming_a_node_the_store_lacks_is_a_store_error(tmp_path: Path) -> None:
    """The index numbers nodes by their key order, through a table from the store's node ids: an edge or a
    record another writer left naming an id no node has is said, not read as some other node."""
    from tracegraph.errors import StoreError
    db = tmp_path / "dangling.db"
    store = SQLiteStore(db)
    store.write(Batch(nodes={"Lot": [{"lot_id": k} for k in ("A", "B", "C")]},
                      edges={"CONSUMED_INTO": [Edge("CONSUMED_INTO", ("Lot", "A"), ("Lot", "B"), {"step_id": "S1"})]}))
    consumptions, lots = RELS["CONSUMED_INTO"].sql_table, KINDS["Lot"].sql_table
    con = sqlite3.connect(db)
    top = con.execute("SELECT max(nid) FROM node").fetchone()[0]
    con.execute("DELETE FROM node WHERE key = 'C'")  # a hole in the ids, and a record without its node
    removed = con.execute(f"SELECT nid FROM {lots} WHERE lot_id = 'C'").fetchone()[0]
    for version, missing in enumerate((removed, top + 1, top + 10_000)):  # a hole, past the last id, far past
        con.execute(f"UPDATE {consumptions} SET dst = ?", (missing,))
        con.execute(f"PRAGMA user_version = {100 + version}")  # as a write moves the counter
        con.commit()
        with pytest.raises(StoreError, match=f"the {consumptions} table names a node id the node table lacks"):
            store.reach([("Lot", "A")], ["CONSUMED_INTO"], "out", 5)
    con.execute(f"UPDATE {consumptions} SET dst = (SELECT nid FROM node WHERE key = 'B')")
    con.execute("PRAGMA user_version = 200")
    con.commit()
    assert store.reach([("Lot", "A")], ["CONSUMED_INTO"], "out", 5) == {("Lot", "A"): 0, ("Lot", "B"): 1}
    with pytest.raises(StoreError, match=f"the {lots} table names a node id the node table lacks"):
        store.columns().fields("Lot", store.columns().nids([("Lot", "A")]), ["lot_id"])
    con.close()
    store.close()


def test_a_kept_scope_gives_its_rows_after_another_writer(plant: Path, tmp_path: Path) -> None:
    """The scope's view belongs to the index as it was; a write through another connection moves the index
    on, and the rows of the scope computed before are still given (keys never change)."""
    import shutil

    from tracegraph.trace import TraceEngine, TraceStart
    db = tmp_path / "plant.db"
    shutil.copy(plant, db)
    mine, theirs = SQLiteStore(db), SQLiteStore(db)
    lot = next(k for k in mine.keys("Lot") if k.startswith("RL"))
    scope = TraceEngine(mine).recall_scope(TraceStart(lots=(lot,)))
    theirs.write(Batch(nodes={"Customer": [{"customer_id": "CUST-NEW"}]}))
    rows = scope.affected_columns()
    assert list(zip(rows["kind"].tolist(), rows["id"].tolist())) == sorted(scope.whereabouts)
    assert len(rows["id"]) > 1


@contextmanager
def _writing(db: Path) -> Iterator[subprocess.Popen]:
    """Another process writing a customer to ``db`` every 2 ms (for 60 s at most) while the block runs."""
    script = ("import sys, time; from tracegraph.store import Batch, SQLiteStore; s = SQLiteStore(sys.argv[1]);"
              "print('writing', flush=True); stop = time.monotonic() + 60\n"
              "for i in range(100000):\n"
              "    s.write(Batch(nodes={'Customer': [{'customer_id': f'C-{i}'}]})); time.sleep(0.002)\n"
              "    if time.monotonic() > stop: break")
    writer = subprocess.Popen([sys.executable, "-c", script, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        yield writer
    finally:
        writer.kill()
        writer.wait()


def test_recall_scopes_keep_answering_while_another_process_writes_every_few_milliseconds(
        plant_copy: tuple[Path, str]) -> None:
    """An index rebuilt after a write also rebuilds, in the same read, everything the last one was asked for:
    a question never meets a later write half-way (which it would retry, and then give up on)."""
    from tracegraph.trace import TraceEngine, TraceStart
    db, parent = plant_copy
    engine = TraceEngine(SQLiteStore(db))
    engine.warm()
    start = TraceStart(lots=(parent,))
    expected = engine.recall_scope(start).trace.ids
    with _writing(db) as writer:
        before = engine.store.counts()["Customer"]
        answers: list[dict] = []
        deadline = time.monotonic() + 60
        while len(answers) < 25 or engine.store.counts()["Customer"] - before < 25:  # both sides kept busy
            assert time.monotonic() < deadline, f"{len(answers)} answers and too few writes in 60 s"
            answers.append(engine.recall_scope(start).trace.ids)
        assert writer.poll() is None, "the writer stopped before the questions ended"
    assert all(a == expected for a in answers)


def test_a_cold_store_asked_for_many_relationships_answers_while_another_process_writes(
        plant_copy: tuple[Path, str]) -> None:
    """A question for several relationships that finds its version written over notes them all for the next,
    which builds them together with its nodes: one retry, however many relationships (not one each)."""
    db, parent = plant_copy
    expected = SQLiteStore(db, read_only=True).reach([("Lot", parent)], [r.name for r in REL_KINDS], "out", 64)
    with _writing(db) as writer:
        for _ in range(5):
            store = SQLiteStore(db, read_only=True)  # nothing built or asked yet
            assert store.reach([("Lot", parent)], [r.name for r in REL_KINDS], "out", 64) == expected
            store.warm()
            store.close()
        assert writer.poll() is None, "the writer stopped before the questions ended"


def test_a_cold_engine_answers_and_warms_while_another_process_writes(plant_copy: tuple[Path, str]) -> None:
    """A first question (a CLI command, a server warming up) reads a dozen relationships and tables; each
    stale view notes what it lacked and the next builds it with its nodes, so the question gets there
    (it gave up after three views, most first questions while another process loaded)."""
    from tracegraph.trace import TraceEngine, TraceStart
    db, parent = plant_copy
    start = TraceStart(lots=(parent,))
    expected = TraceEngine(SQLiteStore(db, read_only=True)).recall_scope(start).trace.ids
    with _writing(db) as writer:
        for _ in range(3):
            assert TraceEngine(SQLiteStore(db, read_only=True)).recall_scope(start).trace.ids == expected
            TraceEngine(SQLiteStore(db, read_only=True)).warm()
        assert writer.poll() is None, "the writer stopped before the questions ended"


def test_a_rebuild_after_a_write_does_not_hold_the_old_index_too(plant: Path, tmp_path: Path) -> None:
    """The version built after a write reads everything the last one was asked for; the store lets go of
    the last one first, so a rebuild needs about one index of memory, not two (unless a question still
    holds the old version)."""
    import gc
    import shutil
    import tracemalloc

    from tracegraph.trace import TraceEngine
    db = tmp_path / "plant.db"
    shutil.copy(plant, db)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        store = SQLiteStore(db)
        TraceEngine(store).warm()
        gc.collect()
        index = tracemalloc.get_traced_memory()[0] - before
        SQLiteStore(db).write(Batch(nodes={"Customer": [{"customer_id": "CUST-NEW"}]}))
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        TraceEngine(store).warm()
        extra = tracemalloc.get_traced_memory()[1] - held
    finally:
        tracemalloc.stop()
    assert store.columns().size > 0
    assert extra < 0.6 * index, f"a rebuild took {extra:,} bytes beyond the {index:,} of the index it replaced"


def test_what_was_asked_is_built_again_after_a_rebuild_cut_short(plant_copy: tuple[Path, str]) -> None:
    """A rebuild a question's time limit stops half-way leaves no index; the next one still builds every
    table the last whole version was asked for (it forgot them, to be asked for again one stale view each)."""
    from tracegraph.errors import LimitExceeded
    from tracegraph.trace import TraceEngine
    db, _ = plant_copy
    store = SQLiteStore(db)
    TraceEngine(store).warm()
    SQLiteStore(db).write(Batch(nodes={"Customer": [{"customer_id": "CUST-NEW"}]}))
    with pytest.raises(LimitExceeded), store.time_limit(0.001):
        while True:  # until the limit stops a rebuild
            store.warm()
    assert store._adjacency is None  # noqa: SLF001 -- the rebuild was cut short
    assert "Serial" in store._index()._tables  # noqa: SLF001 -- built with the nodes, not asked again
