"""The recall workflow through the Python API on a generated plant."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from canonical import Tables
from canonical import write_csv as write_tables

import tracegraph
from tracegraph.errors import AccessDenied, BadInput, Unauthenticated
from tracegraph.recall.export import write_csv, write_html
from tracegraph.recall.signatures import intact
from tracegraph.trace import TraceStart
from tracegraph.trace.triggers import RecallTrigger

SECRET = "correct horse battery"


def _last_finished_lot(graph: Any) -> str:
    """The newest finished lot: some of its units are shipped and some still in the warehouse."""
    return max(k for k in graph.store.keys("Lot") if k.startswith("FL-"))


def test_recall_from_open_to_close(graph: Any, tmp_path: Path) -> None:
    svc = graph.recalls("alice")
    lot = _last_finished_lot(graph)
    recall = svc.open(RecallTrigger("lots", (lot,)), "seal failure on final assembly", "II", owner="quinn")
    assert (recall.status, recall.owner, recall.opened_by) == ("open", "quinn", "alice")
    scope, change = svc.scope(recall.recall_id, "first scope")
    engine = graph.engine.recall_scope(TraceStart(lots=(lot,)))
    assert scope.items == engine.trace.ids and scope.by_customer == engine.by_customer
    assert change["from_version"] is None and set(change["groups"]["serials"]["added"]) == set(scope.items["serials"])
    statuses = Counter(w["status"] for w in scope.where.values())
    assert statuses["in_stock"] and statuses["shipped"], statuses
    assert set(scope.units) == {f"Serial:{s}" for s in scope.items["serials"]}

    # holds: on the records and in every later trace
    placed = svc.hold(recall.recall_id, why="quarantine warehouse stock")
    in_stock = {i for i, w in scope.where.items() if w["status"] == "in_stock"}
    assert in_stock <= set(placed) and any(p.startswith("Container:") for p in placed)
    assert {f"Container:{c}" for i in in_stock for c in scope.where[i]["containers"]} <= set(placed)
    trail = len(list(svc.audit.entries(f"recall:{recall.recall_id}")))
    assert svc.hold(recall.recall_id) == []  # holding twice places nothing new, and records nothing
    assert len(list(svc.audit.entries(f"recall:{recall.recall_id}"))) == trail
    serial = next(i for i in sorted(in_stock) if i.startswith("Serial:")).split(":", 1)[1]
    assert graph.record("Serial", serial)["holds"][0]["recall_id"] == recall.recall_id
    later = graph.forward(lot=lot)
    assert set(later.holds) == set(placed) and later.as_dict()["on_hold"] == sorted(placed)
    held_record = next(r for r in later.records("serials") if r["serial_id"] == serial)
    assert held_record["holds"][0]["placed_by"] == "alice"
    assert "holds" not in graph.record("Lot", next(iter(graph.store.keys("Lot"))))  # others are not held
    assert f"Serial:{serial}" in graph.backward(serial=serial).holds

    # customers: assign, notify, acknowledge
    customers = scope.items["customers"]
    svc.assign(recall.recall_id, customers, "bob")
    with pytest.raises(BadInput, match="not notified yet"):
        svc.notify(recall.recall_id, customers[:1], acknowledged=True)
    svc.notify(recall.recall_id, customers, "letter")
    svc.notify(recall.recall_id, customers[:1], acknowledged=True, note="phone call from the ward")
    assert svc.get(recall.recall_id).customers[customers[0]]["acknowledged_at"] is not None
    # a follow-up notice awaits its own acknowledgement; the first one stays in the audit trail
    svc.notify(recall.recall_id, customers[:1], "email", note="updated scope")
    contact = svc.get(recall.recall_id).customers[customers[0]]
    assert (contact["method"], contact["acknowledged_at"]) == ("email", None)
    assert [e["action"] for e in svc.audit.entries(f"recall:{recall.recall_id}")][-3:] == [
        "recall.notify", "recall.acknowledge", "recall.notify"]
    svc.notify(recall.recall_id, customers[:1], acknowledged=True, note="email reply")
    with pytest.raises(BadInput, match="not in scope"):
        svc.assign(recall.recall_id, ["CUST-NOPE"], "bob")

    # dispositions; closing is refused until every unit has one
    with pytest.raises(BadInput, match="have no disposition"):
        svc.close(recall.recall_id, SECRET)
    at_customer = scope.units_of(customers[0])
    returned = svc.dispose(recall.recall_id, "returned", items=at_customer[: len(at_customer) // 2])
    assert returned == at_customer[: len(at_customer) // 2] and len(returned) > 1
    destroyed = svc.dispose(recall.recall_id, "destroyed", status="in_stock")
    with pytest.raises(BadInput, match="outcome or a documented reason"):
        svc.dispose(recall.recall_id, remaining=True)
    with pytest.raises(BadInput, match="one of"):
        svc.dispose(recall.recall_id, "lost", remaining=True)
    rest = svc.dispose(recall.recall_id, reason="implanted; patients followed up by the clinic", remaining=True)
    assert sorted(returned + destroyed + rest) == sorted(scope.units)

    # the closing signature needs the signer to re-authenticate
    with pytest.raises(Unauthenticated, match="no signing secret"):
        svc.close(recall.recall_id, SECRET)
    svc.set_signing_secret(SECRET)
    with pytest.raises(AccessDenied, match="current one"):
        svc.set_signing_secret("another secret")
    with pytest.raises(Unauthenticated, match="wrong"):
        svc.close(recall.recall_id, "not my secret")
    svc.sign(recall.recall_id, "reviewed", SECRET)
    closed = svc.close(recall.recall_id, SECRET, "all units accounted for")
    assert closed.status == "closed" and [s["meaning"] for s in closed.signatures] == ["reviewed", "closed"]
    signature = closed.signatures[-1]
    assert signature["signer"] == "alice" and signature["record_hash"] == closed.record_hash(1)  # after the review
    assert intact(closed, svc.audit.entries(f"recall:{recall.recall_id}")) == [True, True]
    closed.signatures[-1] = {**signature, "signer": "mallory"}
    assert intact(closed, svc.audit.entries(f"recall:{recall.recall_id}")) == [False, False]
    closed.signatures[-1] = signature
    with pytest.raises(BadInput, match="is closed"):
        svc.dispose(recall.recall_id, "returned", remaining=True)
    with pytest.raises(BadInput, match="is closed"):
        svc.close(recall.recall_id, SECRET)
    # a closed recall changes no more, but can still be signed: a post-closure review or approval
    svc.sign(recall.recall_id, "approved", SECRET, "effectiveness checks complete")
    reviewed = svc.get(recall.recall_id)
    assert reviewed.status == "closed" and [s["meaning"] for s in reviewed.signatures] == ["reviewed", "closed", "approved"]
    assert intact(reviewed, svc.audit.entries(f"recall:{recall.recall_id}")) == [True, True, True]

    # exports: CSV rows per kind equal the engine's scope; one HTML evidence document
    write_csv(svc, recall.recall_id, tmp_path / "scope.csv")
    with (tmp_path / "scope.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    per_kind = Counter(r["kind"] for r in rows)
    for group, kind in (("lots", "Lot"), ("serials", "Serial"), ("containers", "Container"),
                        ("shipments", "Shipment"), ("customers", "Customer")):
        assert per_kind[kind] == len(engine.trace.ids[group])
    assert all(r["disposition"] or r["disposition_reason"] for r in rows if r["unit"])
    assert {r["id"] for r in rows if r["on_hold"]} == {p.split(":", 1)[1] for p in placed}
    write_html(svc, recall.recall_id, tmp_path / "evidence.html")
    html = (tmp_path / "evidence.html").read_text(encoding="utf-8")
    for text in (recall.recall_id, "Trigger", f"lots {lot}", "Scope versions", f"Customer {customers[0]}",
                 "Explaining chains", f"-[SHIPPED_TO]-&gt; Customer {customers[0]}", "recall.close",
                 "Electronic signatures", signature["signature_hash"],
                 "implanted; patients followed up", "verifies"):
        assert text in html, text


def test_default_hold_takes_lots_whose_stock_the_records_cannot_tell(tmp_path: Path) -> None:
    """A lot may still be partly on site when the records cannot say how much is left (used in another unit,
    or received without a quantity): the default hold takes it, where a used-up lot and a shipped one stay out.
    Missing a hold lets suspect stock into production; a needless one costs a look in the warehouse."""
    t = Tables()
    for lot in ("A", "B"):
        t.lot(lot, material="RESIN", quantity=10, uom="KG")
    t.lot("N", material="RESIN", quantity=None)
    t.lot("OUT", material="PART", quantity=1)
    t.consume("ST1", "A", "OUT", quantity=10, uom="KG")  # all of A
    t.consume("ST1", "B", "OUT", quantity=2, uom="G")  # another unit: what is left of B is unknown
    t.consume("ST1", "N", "OUT", quantity=3, uom="KG")  # N came without a quantity
    t.ship("SH1", "CUST-1", 5, "OUT", quantity=1)
    with tracegraph.connect(str(tmp_path / "unsure.db"), user="alice") as graph:
        assert graph.load_tables(write_tables(tmp_path / "tables", t.rows)).rejected == []
        svc = graph.recalls("alice")
        recall = svc.open(RecallTrigger("lots", ("A", "B", "N")), "resin contamination", "II")
        scope, _ = svc.scope(recall.recall_id)
        assert {i: (w["status"], w["remaining"]) for i, w in scope.where.items()} == {
            "Lot:A": ("consumed", 0.0), "Lot:B": ("consumed", None), "Lot:N": ("consumed", None),
            "Lot:OUT": ("shipped", 0.0)}
        assert sorted(svc.hold(recall.recall_id)) == ["Lot:B", "Lot:N"]


def test_default_hold_takes_the_case_a_lot_of_unknown_stock_is_packed_in(tmp_path: Path) -> None:
    """A lot whose remaining quantity is unknown is held because it may be partly on site; if it is packed in a
    case now, the case is where that stock is, so the case is held as an in-stock lot's case is (one picked by
    scanning the case would otherwise show no hold)."""
    t = Tables()
    t.lot("B", material="RESIN", quantity=10, uom="KG")
    t.lot("OUT", material="PART", quantity=1)
    t.consume("ST1", "B", "OUT", quantity=2, uom="G")  # another unit: what is left of B is unknown
    t.pack("B", "K5", 1)  # ... and it is in case K5 now
    t.ship("SH1", "CUST-1", 5, "OUT", quantity=1)
    with tracegraph.connect(str(tmp_path / "unsure-case.db"), user="alice") as graph:
        assert graph.load_tables(write_tables(tmp_path / "tables", t.rows)).rejected == []
        svc = graph.recalls("alice")
        recall = svc.open(RecallTrigger("lots", ("B",)), "resin contamination", "II")
        scope, _ = svc.scope(recall.recall_id)
        assert (scope.where["Lot:B"]["status"], scope.where["Lot:B"]["remaining"]) == ("consumed", None)
        assert scope.where["Lot:B"]["containers"] == ["K5"]
        assert sorted(svc.hold(recall.recall_id)) == ["Container:K5", "Lot:B"]
        assert set(graph.forward(lot="B").holds) == {"Container:K5", "Lot:B"}


def test_default_hold_covers_every_container_of_a_split_lot(tmp_path: Path) -> None:
    t = Tables()
    t.lot("R1", material="RESIN", quantity=10)
    t.lot("OUT", material="PART", quantity=4)
    t.consume("ST1", "R1", "OUT", quantity=10)
    t.pack("OUT", "K1", 2)  # OUT is split between a case and a pallet, both still on site
    t.pack("OUT", "P2", 2)
    t.pack("R1", "K0", 0, unpacked=1)  # unpacked: no longer in K0
    with tracegraph.connect(str(tmp_path / "split.db"), user="alice") as graph:
        assert graph.load_tables(write_tables(tmp_path / "tables", t.rows)).rejected == []
        svc = graph.recalls("alice")
        recall = svc.open(RecallTrigger("lots", ("R1",)), "resin contamination", "II")
        scope, _ = svc.scope(recall.recall_id)
        assert scope.where["Lot:OUT"]["status"] == "in_stock" and scope.where["Lot:OUT"]["containers"] == ["K1", "P2"]
        assert sorted(svc.hold(recall.recall_id)) == ["Container:K1", "Container:P2", "Lot:OUT"]
        assert set(graph.forward(lot="R1").holds) == {"Container:K1", "Container:P2", "Lot:OUT"}
        write_csv(svc, recall.recall_id, tmp_path / "scope.csv")
        with (tmp_path / "scope.csv").open(newline="", encoding="utf-8") as fh:
            row = next(r for r in csv.DictReader(fh) if r["id"] == "OUT")
        assert (row["containers"], row["on_hold"]) == ("K1 P2", "yes")
        write_html(svc, recall.recall_id, tmp_path / "evidence.html")
        assert "<td>Lot:OUT</td><td>in_stock</td><td></td><td>K1 P2</td><td>yes</td>" in (
            tmp_path / "evidence.html").read_text(encoding="utf-8")


def test_new_data_makes_a_new_scope_version_with_a_diff(graph: Any, tmp_path: Path) -> None:
    svc = graph.recalls("alice")
    lot = _last_finished_lot(graph)
    recall = svc.open(RecallTrigger("lots", (lot,)), "seal failure", "I")
    v1, _ = svc.scope(recall.recall_id)
    item, where = next((i, w) for i, w in v1.where.items() if w["status"] == "in_stock" and w["container"])
    case = where["container"]
    customer = next(iter(graph.store.keys("Customer")))
    new = tmp_path / "late"
    new.mkdir()
    (new / "shipments.csv").write_text(
        f"shipment_id,customer_id,shipped_at\nSHP-LATE,{customer},2030-01-01T00:00:00Z\n")
    (new / "shipment_items.csv").write_text(f"shipment_id,item_type,item_id,quantity\nSHP-LATE,container,{case},1\n")
    assert graph.load_tables(new).rejected == []
    v2, change = svc.scope(recall.recall_id, "late shipment found")
    assert v2.version == 2 and v1.hash != v2.hash
    assert change["groups"]["shipments"] == {"added": ["SHP-LATE"], "removed": []}
    moved = sorted(i for i, w in v1.where.items() if w["container"] == case)
    assert item in moved
    assert change["by_customer"][customer]["added"] == sorted([*moved, "Shipment:SHP-LATE"])
    assert v2.where[item]["status"] == "shipped" and v2.where[item]["customers"] == [customer]
    assert svc.diff(recall.recall_id, 1, 2) == change
    assert svc.version(recall.recall_id, 1).hash == v1.hash  # earlier versions stay frozen
    assert [v["version"] for v in svc.get(recall.recall_id).versions] == [1, 2]
    html = (write_html(svc, recall.recall_id, tmp_path / "e.html"), (tmp_path / "e.html").read_text())[1]
    assert "changes from version 1" in html and "SHP-LATE" in html


@pytest.mark.parametrize("kind,ids,extra", [
    ("inspection", ("diameter_mm",), {}),
    ("bom_revision", ("B2",), {}),
])
def test_open_and_scope_from_other_triggers(graph: Any, kind: str, ids: tuple[str, ...], extra: dict[str, Any]) -> None:
    from tracegraph.trace.triggers import resolve_trigger
    svc = graph.recalls("alice")
    trigger = RecallTrigger(kind, ids, **extra)  # type: ignore[arg-type]
    recall = svc.open(trigger, "quality event", "III")
    scope, _ = svc.scope(recall.recall_id)
    assert scope.items == graph.engine.recall_scope(resolve_trigger(graph.store, trigger)).trace.ids


def test_bad_requests(graph: Any) -> None:
    svc = graph.recalls("alice")
    lot = _last_finished_lot(graph)
    with pytest.raises(BadInput, match="classification"):
        svc.open(RecallTrigger("lots", (lot,)), "x", "IV")
    with pytest.raises(BadInput, match="reason"):
        svc.open(RecallTrigger("lots", (lot,)), "  ", "I")
    recall = svc.open(RecallTrigger("lots", (lot,)), "x", "I")
    with pytest.raises(Exception, match="not been scoped"):
        svc.hold(recall.recall_id)
    with pytest.raises(Exception, match="no recall"):
        svc.get("RC-NOPE")


def test_holds_are_released_without_changing_the_signed_record(graph: Any) -> None:
    svc = graph.recalls("alice")
    lot = _last_finished_lot(graph)
    recall = svc.open(RecallTrigger("lots", (lot,)), "seal failure", "II")
    svc.scope(recall.recall_id)
    placed = svc.hold(recall.recall_id)
    first = placed[0]
    assert svc.release(recall.recall_id, [first], "cleared by QA") == [first]
    kind, key = first.split(":", 1)
    assert "holds" not in graph.record(kind, key) and first not in graph.forward(lot=lot).holds
    assert svc.summary(recall.recall_id)["on_hold"] == len(placed) - 1
    with pytest.raises(BadInput, match="no active holds"):
        svc.release(recall.recall_id, [first])
    assert svc.hold(recall.recall_id, [first]) == [first]  # held again
    svc.dispose(recall.recall_id, "destroyed", remaining=True)
    svc.set_signing_secret(SECRET)
    closed = svc.close(recall.recall_id, SECRET)
    assert sorted(svc.release(recall.recall_id, why="stock destroyed")) == sorted(placed)
    assert graph.forward(lot=lot).holds == {} and svc.get(recall.recall_id).record_hash() == closed.record_hash()
    history = graph.store.documents("holds", [first])[first]["holds"]
    assert [(h["placed_by"], h.get("release_why")) for h in history] == [("alice", "cleared by QA"),
                                                                          ("alice", "stock destroyed")]


def test_concurrent_actions_on_one_recall_keep_every_change(graph: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor
    svc = graph.recalls("alice")
    recall = svc.open(RecallTrigger("lots", (_last_finished_lot(graph),)), "seal failure", "II")
    units = svc.scope(recall.recall_id)[0].units[:16]

    def dispose(unit: str) -> list[str]:
        return graph.recalls(f"user-{unit}").dispose(recall.recall_id, "returned", items=[unit])
    with ThreadPoolExecutor(8) as pool:
        assert sorted(u for done in pool.map(dispose, units) for u in done) == sorted(units)
    assert set(svc.get(recall.recall_id).dispositions) == set(units)
    assert graph.audit.verify().ok


def test_concurrent_releases_release_each_hold_once(graph: Any) -> None:
    """Two coordinators releasing the same holds at once: one releases them, the other is told there
    are none left, and the audit trail has one release (without serialising, both would)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier
    svc = graph.recalls("alice")
    recall = svc.open(RecallTrigger("lots", (_last_finished_lot(graph),)), "seal failure", "II")
    svc.scope(recall.recall_id)
    placed = svc.hold(recall.recall_id)
    assert len(placed) > 1
    people = [f"user-{n}" for n in range(4)]
    for round_ in range(5):
        barrier = Barrier(len(people))

        def release(person: str) -> list[str] | str:
            barrier.wait()
            try:
                return graph.recalls(person).release(recall.recall_id, why=f"round {round_}")
            except BadInput as exc:
                return str(exc)
        with ThreadPoolExecutor(len(people)) as pool:
            outcomes = list(pool.map(release, people))
        done = [o for o in outcomes if isinstance(o, list)]
        assert len(done) == 1 and sorted(done[0]) == sorted(placed), outcomes
        assert all("no active holds" in o for o in outcomes if isinstance(o, str))
        releases = [e for e in graph.audit.entries(f"recall:{recall.recall_id}") if e["action"] == "recall.release"]
        assert len(releases) == round_ + 1
        history = graph.store.documents("holds", placed)
        assert all(sum(1 for h in doc["holds"] if h.get("release_why") == f"round {round_}") == 1
                   for doc in history.values())
        assert svc.hold(recall.recall_id, placed) == placed  # held again for the next round
    assert graph.audit.verify().ok
