"""What EPCIS commissioning with ILMD, business transactions and shipping/receiving produce, exactly:
the Lot and Serial records (lot, expiry, production date) and every REFERS_TO, SHIPPED_IN and SHIPPED_TO
edge with its evidence. Small EPCIS 2.0 JSON-LD documents written here, plus the public examples."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import tracegraph

from .conftest import DATA, GS1_EXAMPLES
from .test_epcis_semantics import GTIN_URN, UNIT, UNIT_KEY, _cli, _doc, _event

GTIN = "04012345111118"
U2, U2_KEY = f"{GTIN_URN}.U2", f"(01){GTIN}(21)U2"
LOT_KEY = f"(01){GTIN}(10)L7"
RAW_CLASS, RAW_KEY = "urn:epc:class:lgtin:4012345.022222.IN1", "(01)04012345222227(10)IN1"
BT = "urn:epcglobal:cbv:bt:4012345000009:"
PO, DESADV, PRODORDER = BT + "PO-1", BT + "DA-1", BT + "PRD-1"
MAKER, HOSPITAL = "urn:epc:id:pgln:4012345.00000", "urn:epc:id:pgln:4098765.00000"


def _bt(kind: str, document: str) -> dict[str, str]:
    return {"type": f"urn:epcglobal:cbv:btt:{kind}", "bizTransaction": document}


def _party(kind: str, party: str) -> list[dict[str, str]]:
    return [{"type": "urn:epcglobal:cbv:sdt:owning_party", kind: party}]


COMMISSION = _event("ObjectEvent", "2026-01-02T08:00:00Z", "urn:uuid:commission", action="ADD",
                    bizStep="commissioning", epcList=[UNIT, U2],
                    ilmd={"cbvmda:lotNumber": "L7", "cbvmda:itemExpirationDate": "2028-06-30",
                          "cbvmda:productionDate": "2026-01-01T06:00:00+01:00"})
MAKE = _event("TransformationEvent", "2026-01-01T09:00:00Z", "urn:uuid:make", transformationID="urn:T1",
              bizStep="commissioning", inputQuantityList=[{"epcClass": RAW_CLASS, "quantity": 2, "uom": "KGM"}],
              outputEPCList=[UNIT, U2], bizTransactionList=[_bt("prodorder", PRODORDER)])
SHIP = _event("ObjectEvent", "2026-01-05T08:00:00Z", "urn:uuid:ship", action="OBSERVE", bizStep="shipping",
              epcList=[UNIT, U2], bizTransactionList=[_bt("po", PO), _bt("desadv", DESADV)],
              sourceList=_party("source", MAKER), destinationList=_party("destination", HOSPITAL))
RECEIVE = _event("ObjectEvent", "2026-01-07T10:00:00Z", "urn:uuid:receive", action="OBSERVE", bizStep="receiving",
                 epcList=[UNIT, U2], bizTransactionList=[_bt("desadv", DESADV)],
                 destinationList=_party("destination", HOSPITAL))


def _edges(graph: tracegraph.Graph, rel: str) -> list[tuple[str, str, str, str, list[str]]]:
    """Every stored edge of ``rel`` as (source kind, key, target kind, key, evidence), sorted."""
    sources = [(kind, key) for kind in tracegraph.schema.RELS[rel].source for key in graph.store.keys(kind)]
    return sorted((e.src[0], e.src[1], e.dst[0], e.dst[1], json.loads(e.props.get("evidence") or "[]"))
                  for e in graph.store.edges(rel, sources, "out"))


def _record(graph: tracegraph.Graph, kind: str, key: str) -> dict:
    return {k: v for k, v in graph.store.get(kind, [key])[key].items() if v is not None}


# -- commissioning with ILMD --------------------------------------------------------------------------

def test_commissioning_with_ilmd_makes_the_lot_with_expiry_and_production_date(graph, tmp_path: Path) -> None:
    assert graph.load_epcis([_doc(tmp_path, "commission.json", COMMISSION)]).rejected == []
    assert _record(graph, "Lot", LOT_KEY) == {"lot_id": LOT_KEY, "item_id": GTIN,
                                              "expires_at": "2028-06-30T00:00:00.000Z",
                                              "created_at": "2026-01-01T05:00:00.000Z"}  # production date, UTC
    for key in (UNIT_KEY, U2_KEY):
        assert _record(graph, "Serial", key) == {"serial_id": key, "product_id": GTIN, "lot_id": LOT_KEY,
                                                 "created_at": "2026-01-01T05:00:00.000Z"}
    assert _edges(graph, "HAS_SERIAL") == [("Lot", LOT_KEY, "Serial", k, ["urn:uuid:commission"])
                                           for k in (UNIT_KEY, U2_KEY)]
    assert graph.forward(lot=LOT_KEY).ids["serials"] == [UNIT_KEY, U2_KEY]


def test_class_level_commissioning_gives_the_lot_quantity_expiry_and_production_date(graph, tmp_path: Path) -> None:
    event = _event("ObjectEvent", "2026-02-01T12:00:00Z", "urn:uuid:raw", action="ADD", bizStep="commissioning",
                   quantityList=[{"epcClass": RAW_CLASS, "quantity": 25.5, "uom": "KGM"}],
                   ilmd={"cbvmda:itemExpirationDate": "2027-01-31", "cbvmda:productionDate": "2026-01-30"})
    assert graph.load_epcis([_doc(tmp_path, "raw.json", event)]).rejected == []
    assert _record(graph, "Lot", RAW_KEY) == {"lot_id": RAW_KEY, "item_id": "04012345222227", "quantity": 25.5,
                                              "uom": "KGM", "expires_at": "2027-01-31T00:00:00.000Z",
                                              "created_at": "2026-01-30T00:00:00.000Z"}


def test_without_a_production_date_the_lot_is_created_at_the_event_time(graph, tmp_path: Path) -> None:
    ilmd = {"cbvmda:lotNumber": "L7", "cbvmda:itemExpirationDate": "2028-06-30"}
    assert graph.load_epcis([_doc(tmp_path, "c.json", {**COMMISSION, "ilmd": ilmd})]).rejected == []
    assert _record(graph, "Lot", LOT_KEY)["created_at"] == "2026-01-02T08:00:00.000Z"
    assert _record(graph, "Lot", LOT_KEY)["expires_at"] == "2028-06-30T00:00:00.000Z"


def test_observe_with_ilmd_commissions_nothing(graph, tmp_path: Path) -> None:
    assert graph.load_epcis([_doc(tmp_path, "o.json", {**COMMISSION, "action": "OBSERVE"})]).rejected == []
    assert list(graph.store.keys("Lot")) == []
    assert "lot_id" not in _record(graph, "Serial", UNIT_KEY)


@pytest.mark.parametrize(("event", "key", "value"), [
    (COMMISSION, "cbvmda:itemExpirationDate", "31/06/2028"),
    (COMMISSION, "cbvmda:itemExpirationDate", "2028-06-31"),
    (COMMISSION, "cbvmda:bestBeforeDate", "soon"),
    (COMMISSION, "cbvmda:productionDate", "2026-13-01"),
    (COMMISSION, "cbvmda:manufacturingDate", 20260101),
    (MAKE, "cbvmda:itemExpirationDate", "30.06.2028"),
])
def test_a_malformed_ilmd_date_rejects_the_event(graph, tmp_path: Path, event: dict, key: str,
                                                 value: object) -> None:
    bad = {**event, "ilmd": {"cbvmda:lotNumber": "L7", key: value}}
    path = _doc(tmp_path, "bad-ilmd.json", SHIP, bad)
    report = graph.load_epcis([path])
    assert [(r.file, r.index, r.event_id, r.reason) for r in report.rejected] == [
        (str(path), 2, event["eventID"], f"ilmd field {key!r}: {value!r} is not an ISO 8601 date")]
    assert report.rolled_back == [str(path)] and graph.counts()["Event"] == 0  # the document, whole


@pytest.mark.parametrize("value", [7001, "", "  ", None, ["L7"]])
def test_an_ilmd_lot_number_that_is_not_text_rejects_the_event(graph, tmp_path: Path, value: object) -> None:
    """Read as a lot or silently dropped, either would misplace the units: the event is refused."""
    path = _doc(tmp_path, "bad-lot.json", SHIP, {**COMMISSION, "ilmd": {"cbvmda:lotNumber": value}})
    report = graph.load_epcis([path])
    assert [(r.index, r.reason) for r in report.rejected] == [
        (2, f"ilmd field 'cbvmda:lotNumber': {value!r} is not a lot number (non-empty text)")]
    assert report.rolled_back == [str(path)] and graph.counts()["Event"] == 0


def test_a_malformed_ilmd_date_on_the_command_line(tmp_path: Path) -> None:
    bad = {**COMMISSION, "ilmd": {"cbvmda:lotNumber": "L7", "cbvmda:itemExpirationDate": "31/06/2028"}}
    path = str(_doc(tmp_path, "c.json", bad))
    run = _cli(tmp_path / "c.db", "load", "epcis", path)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    reason = "ilmd field 'cbvmda:itemExpirationDate': '31/06/2028' is not an ISO 8601 date"
    assert f"{path} event 1 (urn:uuid:commission): {reason}" in " ".join(run.stderr.split())
    with (tmp_path / "tracegraph-epcis-rejects.csv").open(encoding="utf-8") as fh:
        assert list(csv.reader(fh)) == [["file", "event", "event_id", "reason"],
                                        [path, "1", "urn:uuid:commission", reason]]


def test_pharma_example_commissions_its_units_into_lot_a123() -> None:
    """The OpenEPCIS US pharma example (EPCIS 1.2 XML, Apache-2.0, copied with its licence)."""
    path = DATA / "openepcis" / "GS1_US_Pharma_Example_2_2_1_1.xml"
    with tracegraph.connect(":memory:") as graph:
        assert graph.load_epcis([path]).rejected == []
        lot = "(01)00300010123455(10)A123"
        assert _record(graph, "Lot", lot) == {"lot_id": lot, "item_id": "00300010123455",
                                              "expires_at": "2025-03-27T00:00:00.000Z",
                                              "created_at": "2023-03-27T06:45:16.000Z"}  # no productionDate
        units = [f"(01)00300010123455(21){n}" for n in range(11, 23)]
        assert [e[3] for e in _edges(graph, "HAS_SERIAL")] == units
        assert {_record(graph, "Serial", u)["lot_id"] for u in units} == {lot}
        # the three cases carry the same ILMD but are packed into, so they are containers, not units of A123
        assert sorted(graph.store.keys("Serial")) == units


def test_traceability_example_lots_carry_ilmd_expiry_and_production_date() -> None:
    """OpenTraceability's chain (MIT, copied with its licence): an ObjectEvent ADD and a commissioning
    TransformationEvent whose ILMD gives expiry and production date (seven-digit fractions of a second)."""
    with tracegraph.connect(":memory:") as graph:
        assert graph.load_epcis([DATA / "opentraceability" / "traceback_tests.jsonld"]).rejected == []
        lot = "urn:gdst:example.org:product:lot:class:"
        assert {k: _record(graph, "Lot", lot + k) for k in ("feedmill.1u.ff11252021", "processor.2u.v1-0122-2022")} == {
            "feedmill.1u.ff11252021": {"lot_id": lot + "feedmill.1u.ff11252021",
                                       "item_id": "urn:gdst:example.org:product:class:feedmill.1u",
                                       "quantity": 10000.0, "uom": "KGM", "created_at": "2022-02-03T03:00:00.000Z",
                                       "expires_at": "2022-02-03T03:00:00.000Z"},
            "processor.2u.v1-0122-2022": {"lot_id": lot + "processor.2u.v1-0122-2022",
                                          "item_id": "urn:gdst:example.org:product:class:processor.2u",
                                          "quantity": 5000.0, "uom": "KGM", "created_at": "2022-01-22T03:00:00.000Z",
                                          "expires_at": "2023-01-22T03:00:00.000Z"}}


def test_gs1_transformation_example_commissions_its_output_serials() -> None:
    """GS1's own example (read in place, never copied): a commissioning TransformationEvent whose ILMD has
    no lotNumber and no production date, so its outputs are serials without a lot, made at the event time."""
    path = GS1_EXAMPLES / "JSON" / "Example_9.6.4-TransformationEvent.jsonld"
    if not path.is_file():
        pytest.skip(f"GS1 EPCIS example not found at {path} (it may not be copied into the repo)")
    with tracegraph.connect(":memory:") as graph:
        assert graph.load_epcis([path]).rejected == []
        outputs = [f"(01)04012345778892(21){n}" for n in range(25, 29)]
        assert [_record(graph, "Serial", s) for s in outputs] == [
            {"serial_id": s, "product_id": "04012345778892", "created_at": "2013-10-31T14:58:56.591Z"}
            for s in outputs]


# -- business transactions, shipping and receiving -------------------------------------------------

def test_production_order_purchase_order_and_despatch_advice(graph, tmp_path: Path) -> None:
    report = graph.load_epcis([_doc(tmp_path, "plant.json", COMMISSION, MAKE, SHIP)])
    assert report.rejected == []
    docs = graph.store.get("BizTransaction", list(graph.store.keys("BizTransaction")))
    assert {k: r["type"] for k, r in docs.items()} == {PO: "po", DESADV: "desadv", PRODORDER: "prodorder"}
    units = (UNIT_KEY, U2_KEY)
    assert _edges(graph, "REFERS_TO") == sorted(
        [("ProcessStep", "urn:T1", "BizTransaction", PRODORDER, ["urn:uuid:make"])]
        + [("Serial", u, "BizTransaction", d, ["urn:uuid:ship"]) for u in units for d in (PO, DESADV)]
        + [("Shipment", DESADV, "BizTransaction", d, ["urn:uuid:ship"]) for d in (PO, DESADV)])
    assert _record(graph, "ProcessStep", "urn:T1")["work_order"] == PRODORDER
    # the despatch advice names the shipment; source and destination parties give sender and customer
    assert _record(graph, "Shipment", DESADV) == {
        "shipment_id": DESADV, "customer_id": HOSPITAL, "shipped_at": "2026-01-05T08:00:00.000Z",
        "attributes": {"shipping_event": "urn:uuid:ship", "source": MAKER}}
    assert _edges(graph, "SHIPPED_TO") == [("Shipment", DESADV, "Customer", HOSPITAL, ["urn:uuid:ship"])]
    assert _edges(graph, "SHIPPED_IN") == [("Serial", u, "Shipment", DESADV, ["urn:uuid:ship"]) for u in units]
    assert _edges(graph, "CONSUMED_INTO") == [("Lot", RAW_KEY, "Serial", u, ["urn:uuid:make"]) for u in units]
    trace = graph.forward(lot=RAW_KEY)
    assert (trace.ids["customers"], trace.ids["shipments"]) == ([HOSPITAL], [DESADV])


def test_receiving_later_marks_the_shipment_its_despatch_advice_names(graph, tmp_path: Path) -> None:
    assert graph.load_epcis([_doc(tmp_path, "ship.json", COMMISSION, SHIP)]).rejected == []
    assert graph.load_epcis([_doc(tmp_path, "receive.json", RECEIVE)]).rejected == []
    assert list(graph.store.keys("Shipment")) == [DESADV]  # no second shipment for the receipt
    assert _record(graph, "Shipment", DESADV) == {
        "shipment_id": DESADV, "customer_id": HOSPITAL, "shipped_at": "2026-01-05T08:00:00.000Z",
        "attributes": {"shipping_event": "urn:uuid:ship", "source": MAKER, "received_at": "2026-01-07T10:00:00.000Z",
                       "receiving_event": "urn:uuid:receive"}}
    both = ["urn:uuid:receive", "urn:uuid:ship"]
    assert _edges(graph, "SHIPPED_TO") == [("Shipment", DESADV, "Customer", HOSPITAL, both)]
    assert _edges(graph, "SHIPPED_IN") == [("Serial", u, "Shipment", DESADV, both) for u in (UNIT_KEY, U2_KEY)]
    assert _edges(graph, "REFERS_TO") == sorted(
        [("Serial", u, "BizTransaction", PO, ["urn:uuid:ship"]) for u in (UNIT_KEY, U2_KEY)]
        + [("Serial", u, "BizTransaction", DESADV, both) for u in (UNIT_KEY, U2_KEY)]
        + [("Shipment", DESADV, "BizTransaction", PO, ["urn:uuid:ship"]),
           ("Shipment", DESADV, "BizTransaction", DESADV, both)])


def test_receiving_names_the_customer_a_shipping_event_left_out(graph, tmp_path: Path) -> None:
    anonymous = {k: v for k, v in SHIP.items() if k != "destinationList"}
    for name, events in (("ship.json", [anonymous]), ("receive.json", [RECEIVE])):
        assert graph.load_epcis([_doc(tmp_path, name, *events)]).rejected == []
        if name == "ship.json":
            assert _edges(graph, "SHIPPED_TO") == [("Shipment", DESADV, "Customer", "unknown-receiver",
                                                    ["urn:uuid:ship"])]
    assert _record(graph, "Shipment", DESADV)["customer_id"] == HOSPITAL
    assert _edges(graph, "SHIPPED_TO") == [("Shipment", DESADV, "Customer", HOSPITAL,
                                            ["urn:uuid:receive", "urn:uuid:ship"])]


def test_shipping_and_receiving_in_one_document_give_one_shipment(graph, tmp_path: Path) -> None:
    anonymous = {k: v for k, v in SHIP.items() if k != "destinationList"}
    assert graph.load_epcis([_doc(tmp_path, "both.json", RECEIVE, anonymous)]).rejected == []
    assert list(graph.store.keys("Shipment")) == [DESADV]
    assert _record(graph, "Shipment", DESADV)["customer_id"] == HOSPITAL
    assert _edges(graph, "SHIPPED_TO") == [("Shipment", DESADV, "Customer", HOSPITAL,
                                            ["urn:uuid:receive", "urn:uuid:ship"])]


def test_a_receipt_of_an_unknown_shipment_is_a_shipment_to_the_receiver(graph, tmp_path: Path) -> None:
    other = {**RECEIVE, "bizTransactionList": [_bt("desadv", BT + "DA-9")]}
    assert graph.load_epcis([_doc(tmp_path, "receive.json", other)]).rejected == []
    receipt = "receipt:urn:uuid:receive"
    assert _record(graph, "Shipment", receipt) == {
        "shipment_id": receipt, "customer_id": HOSPITAL, "shipped_at": "2026-01-07T10:00:00.000Z",
        "attributes": {"received_at": "2026-01-07T10:00:00.000Z", "receiving_event": "urn:uuid:receive"}}
    assert _edges(graph, "SHIPPED_TO") == [("Shipment", receipt, "Customer", HOSPITAL, ["urn:uuid:receive"])]
    assert _edges(graph, "REFERS_TO") == sorted(
        [("Serial", u, "BizTransaction", BT + "DA-9", ["urn:uuid:receive"]) for u in (UNIT_KEY, U2_KEY)]
        + [("Shipment", receipt, "BizTransaction", BT + "DA-9", ["urn:uuid:receive"])])


def test_a_receipt_naming_neither_shipment_nor_receiver_is_evidence_only(graph, tmp_path: Path) -> None:
    bare = {k: v for k, v in RECEIVE.items() if k not in ("bizTransactionList", "destinationList")}
    assert graph.load_epcis([_doc(tmp_path, "receive.json", bare)]).rejected == []
    assert list(graph.store.keys("Shipment")) == [] and _edges(graph, "SHIPPED_IN") == []
    assert list(graph.store.keys("Event")) == ["urn:uuid:receive"]


@pytest.mark.parametrize("documents", [1, 2], ids=["one document", "two documents"])
def test_a_later_shipping_event_without_destination_keeps_the_receiver(graph, tmp_path: Path,
                                                                       documents: int) -> None:
    again = {k: v for k, v in SHIP.items() if k != "destinationList"} | {
        "eventID": "urn:uuid:ship-2", "eventTime": "2026-01-05T09:00:00Z"}
    batches = [[SHIP, again]] if documents == 1 else [[SHIP], [again]]
    for number, events in enumerate(batches):
        assert graph.load_epcis([_doc(tmp_path, f"{number}.json", *events)]).rejected == []
    assert _record(graph, "Shipment", DESADV)["customer_id"] == HOSPITAL
    assert _edges(graph, "SHIPPED_TO") == [("Shipment", DESADV, "Customer", HOSPITAL,
                                            ["urn:uuid:ship", "urn:uuid:ship-2"])]
    assert list(graph.store.keys("Customer")) == [HOSPITAL]


def test_rejects_of_documents_read_before_a_failed_write_reach_the_caller(graph, tmp_path: Path) -> None:
    """Each document commits alone, so a load can fail (disk full, interrupted) after earlier documents were
    read: their rejected events are already in the caller's list, which `load epcis` writes to its rejects
    file whatever the outcome. The store is real; only the third document's write is refused, as a full disk
    would (the first document is rolled back and never written, so that is the second write)."""
    bad = {**COMMISSION, "ilmd": {"cbvmda:lotNumber": "L7", "cbvmda:itemExpirationDate": "31/06/2028"}}
    first = _doc(tmp_path, "a.json", bad)  # rolled back: one rejected event
    writes: list[str] = []

    def write(batch: tracegraph.store.Batch, source: dict) -> None:
        if writes:
            raise tracegraph.StoreError("database or disk is full")
        graph.store.write(batch)
        writes.append(source["source"])

    from tracegraph.loaders.epcis import load_epcis
    rejected: list = []
    with pytest.raises(tracegraph.StoreError, match="disk is full"):
        load_epcis(graph.store, [first, _doc(tmp_path, "b.json", MAKE), _doc(tmp_path, "c.json", SHIP)],
                   write=write, rejected=rejected)
    assert [(r.file, r.event_id) for r in rejected] == [(str(first), "urn:uuid:commission")]
    assert writes == [str((tmp_path / "b.json").resolve())] and graph.counts()["Event"] == 1
