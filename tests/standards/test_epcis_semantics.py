"""EPCIS semantics on small hand-made documents: replay order, OBSERVE, transformations across
documents, errorDeclaration arriving later, associations, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import tracegraph

from canonical import Tables, canonical_time, write_csv

from .conftest import DATA

GTIN_URN = "urn:epc:id:sgtin:4012345.011111"
CASE = "urn:epc:id:sscc:4012345.0000000001"
CASE_KEY = "040123450000000016"
UNIT = f"{GTIN_URN}.U1"
UNIT_KEY = "(01)04012345111118(21)U1"


def _event(kind: str, time: str, eid: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "eventID": eid, "eventTime": time, "eventTimeZoneOffset": "+00:00", **fields}


def _doc(tmp_path: Path, name: str, *events: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
                                "type": "EPCISDocument", "schemaVersion": "2.0",
                                "creationDate": "2026-01-01T00:00:00Z",
                                "epcisBody": {"eventList": list(events)}}), "utf-8")
    return path


PACK = _event("AggregationEvent", "2026-01-01T08:00:00Z", "urn:uuid:pack", action="ADD", parentID=CASE,
              childEPCs=[UNIT], bizStep="packing")
SEEN = _event("AggregationEvent", "2026-01-02T08:00:00Z", "urn:uuid:seen", action="OBSERVE", parentID=CASE,
              childEPCs=[UNIT])
UNPACK = _event("AggregationEvent", "2026-01-03T08:00:00Z", "urn:uuid:unpack", action="DELETE", parentID=CASE,
                childEPCs=[], bizStep="unpacking")


def _packing(graph: tracegraph.Graph) -> list[tuple[str | None, str | None, list[str]]]:
    """Membership intervals of the unit; superseded ones (closed at their own start) left out."""
    return [(e.props["packed_at"], e.props["unpacked_at"], json.loads(e.props["evidence"]))
            for e in graph.store.edges("PACKED_IN", [("Serial", UNIT_KEY)], "out")
            if e.props["packed_at"] != e.props["unpacked_at"]]


def test_aggregation_replay_is_independent_of_capture_order(tmp_path: Path) -> None:
    answers = []
    for order in ((PACK, SEEN, UNPACK), (UNPACK, SEEN, PACK)):
        with tracegraph.connect(str(tmp_path / f"{order[0]['eventID'][9:]}.db")) as g:
            for number, event in enumerate(order):
                assert g.load_epcis([_doc(tmp_path, f"{number}.json", event)]).rejected == []
            # what the engine holds, and the edges behind it, whatever the capture order
            answers.append((_packing(g), [(h.start, h.end) for h in g.forward(serial=UNIT_KEY).held]))
    assert answers[0] == answers[1] == (
        [("2026-01-01T08:00:00.000Z", "2026-01-03T08:00:00.000Z", ["urn:uuid:pack", "urn:uuid:seen", "urn:uuid:unpack"])],
        [("2026-01-01T08:00:00.000Z", "2026-01-03T08:00:00.000Z")])


def test_observe_alone_opens_membership_at_its_time(graph: tracegraph.Graph, tmp_path: Path) -> None:
    graph.load_epcis([_doc(tmp_path, "seen.json", SEEN)])
    assert _packing(graph) == [("2026-01-02T08:00:00.000Z", None, ["urn:uuid:seen"])]
    assert graph.forward(serial=UNIT_KEY).ids["containers"] == [CASE_KEY]


def test_transformation_split_across_documents(graph: tracegraph.Graph, tmp_path: Path) -> None:
    lot_in, lot_out = "urn:epc:class:lgtin:4012345.022222.IN1", "urn:epc:class:lgtin:4012345.033333.OUT1"
    first = _event("TransformationEvent", "2026-01-01T08:00:00Z", "urn:uuid:t-in", transformationID="urn:T1",
                   inputQuantityList=[{"epcClass": lot_in, "quantity": 5, "uom": "KGM"}])
    second = _event("TransformationEvent", "2026-01-01T09:00:00Z", "urn:uuid:t-out", transformationID="urn:T1",
                    outputQuantityList=[{"epcClass": lot_out, "quantity": 100}])
    graph.load_epcis([_doc(tmp_path, "a.json", first)])
    graph.load_epcis([_doc(tmp_path, "b.json", second)])
    trace = graph.backward(lot="(01)04012345333336(10)OUT1")
    assert trace.ids["lots"] == ["(01)04012345222227(10)IN1", "(01)04012345333336(10)OUT1"]
    [(link, evidence)] = trace.evidence("Lot", "(01)04012345222227(10)IN1")
    assert link.props["step_id"] == "urn:T1" and link.props["quantity"] == 5 and link.props["uom"] == "KGM"
    assert evidence == ["urn:uuid:t-in", "urn:uuid:t-out"]


def test_error_declared_later_retracts_a_shipment(graph: tracegraph.Graph, tmp_path: Path) -> None:
    ship = _event("ObjectEvent", "2026-01-05T08:00:00Z", "urn:uuid:ship", action="OBSERVE", epcList=[UNIT],
                  bizStep="shipping", destinationList=[{"type": "owning_party", "destination": "urn:party:H1"}])
    graph.load_epcis([_doc(tmp_path, "ship.json", ship)])
    assert graph.forward(serial=UNIT_KEY).ids["customers"] == ["urn:party:H1"]
    declared = {**ship, "errorDeclaration": {"declarationTime": "2026-01-06T08:00:00Z",
                                             "reason": "urn:epcglobal:cbv:er:incorrect_data"}}
    report = graph.load_epcis([_doc(tmp_path, "ship-error.json", declared)])
    assert report.captured == 1
    assert graph.forward(serial=UNIT_KEY).ids["customers"] == []
    [edge] = graph.store.edges("SHIPPED_IN", [("Serial", UNIT_KEY)], "out")
    assert edge.props["retracted_at"] == "2026-01-06T08:00:00.000Z"  # kept, never deleted
    event = graph.store.get("Event", ["urn:uuid:ship"])["urn:uuid:ship"]
    assert (event["error_declared_at"], event["error_reason"]) == ("2026-01-06T08:00:00.000Z", "incorrect_data")
    assert graph.load_epcis([_doc(tmp_path, "ship-error.json", declared)]).recaptured == 1


def test_erroneous_pack_never_counted_not_even_before_its_declaration(graph: tracegraph.Graph,
                                                                     tmp_path: Path) -> None:
    """The unit was never in the case: the case shipping before the declaration did not carry it."""
    ship = _event("ObjectEvent", "2026-01-01T10:00:00Z", "urn:uuid:ship-case", action="OBSERVE", epcList=[CASE],
                  bizStep="shipping", destinationList=[{"type": "owning_party", "destination": "urn:party:H1"}])
    graph.load_epcis([_doc(tmp_path, "pack.json", PACK, ship)])
    assert graph.forward(serial=UNIT_KEY).ids["customers"] == ["urn:party:H1"]
    wrong = {**PACK, "errorDeclaration": {"declarationTime": "2026-01-01T20:00:00Z"}}
    graph.load_epcis([_doc(tmp_path, "pack-error.json", wrong)])
    [edge] = graph.store.edges("PACKED_IN", [("Serial", UNIT_KEY)], "out")  # kept, never deleted
    assert (edge.props["packed_at"], edge.props["retracted_at"]) == ("2026-01-01T08:00:00.000Z",
                                                                     "2026-01-01T20:00:00.000Z")
    forward = graph.forward(serial=UNIT_KEY)
    assert forward.held == [] and forward.ids["containers"] == forward.ids["customers"] == []
    scope = graph.recall_scope(serials=[UNIT_KEY])
    assert scope.whereabouts[("Serial", UNIT_KEY)].status == "in_stock"
    assert graph.forward(container=CASE_KEY).ids["serials"] == []


def test_a_pack_declared_erroneous_after_its_unpack_stays_retracted(graph: tracegraph.Graph,
                                                                   tmp_path: Path) -> None:
    """The declaration comes in a later document than the pack and unpack: the pack never happened,
    so the unit is not in the case it shipped in later (it had left it anyway)."""
    ship = _event("ObjectEvent", "2026-01-05T10:00:00Z", "urn:uuid:ship-case", action="OBSERVE", epcList=[CASE],
                  bizStep="shipping", destinationList=[{"type": "owning_party", "destination": "urn:party:H1"}])
    graph.load_epcis([_doc(tmp_path, "pack.json", PACK, UNPACK, ship)])
    assert graph.forward(serial=UNIT_KEY).ids["customers"] == []
    wrong = {**PACK, "errorDeclaration": {"declarationTime": "2026-01-04T20:00:00Z"}}
    graph.load_epcis([_doc(tmp_path, "pack-error.json", wrong)])
    [edge] = graph.store.edges("PACKED_IN", [("Serial", UNIT_KEY)], "out")
    assert edge.props == {"packed_at": "2026-01-01T08:00:00.000Z", "unpacked_at": None,
                          "evidence": '["urn:uuid:pack"]', "retracted_at": "2026-01-04T20:00:00.000Z"}
    forward = graph.forward(serial=UNIT_KEY)
    assert forward.held == [] and forward.ids["customers"] == []
    assert graph.recall_scope(serials=[UNIT_KEY]).whereabouts[("Serial", UNIT_KEY)].status == "in_stock"


def test_a_later_observe_opens_what_an_erroneous_add_did_not(graph: tracegraph.Graph, tmp_path: Path) -> None:
    wrong = {**PACK, "errorDeclaration": {"declarationTime": "2026-01-01T20:00:00Z"}}
    graph.load_epcis([_doc(tmp_path, "pack.json", wrong, SEEN, UNPACK)])
    assert [(h.start, h.end) for h in graph.forward(serial=UNIT_KEY).held] == [
        ("2026-01-02T08:00:00.000Z", "2026-01-03T08:00:00.000Z")]


def test_association_is_time_bounded(graph: tracegraph.Graph, tmp_path: Path) -> None:
    sensor, asset = "urn:epc:id:giai:4000001.12345", "urn:epc:id:grai:4012345.55555.987"
    attach = _event("AssociationEvent", "2026-01-01T08:00:00Z", "urn:uuid:a1", action="ADD", parentID=asset,
                    childEPCs=[sensor])
    detach = _event("AssociationEvent", "2026-01-04T08:00:00Z", "urn:uuid:a2", action="DELETE", parentID=asset)
    graph.load_epcis([_doc(tmp_path, "assoc.json", attach, detach)])
    [edge] = graph.store.edges("ATTACHED_TO", [("Asset", sensor)], "out")
    assert edge.dst == ("Asset", asset)
    assert (edge.props["attached_at"], edge.props["detached_at"]) == ("2026-01-01T08:00:00.000Z",
                                                                      "2026-01-04T08:00:00.000Z")
    assert [link.src[1] for link in graph.attachments("Asset", asset, at="2026-01-02T00:00:00Z")] == [sensor]
    assert graph.attachments("Asset", asset, at="2026-01-05T00:00:00Z") == []
    assert [link.dst[1] for link in graph.attachments("Asset", sensor)] == [asset]


def test_a_bad_check_digit_in_an_epc_rejects_the_event(graph: tracegraph.Graph, tmp_path: Path) -> None:
    bad = _event("ObjectEvent", "2026-01-01T08:00:00Z", "urn:uuid:bad", action="OBSERVE",
                 epcList=["https://id.gs1.org/01/04012345111119/21/U1"])
    report = graph.load_epcis([_doc(tmp_path, "bad.json", PACK, bad)])
    assert [(r.index, r.event_id) for r in report.rejected] == [(2, "urn:uuid:bad")]
    assert "check digit" in report.rejected[0].reason and graph.counts()["Event"] == 0  # rolled back whole


def test_identify_finds_an_erp_serial_by_its_gs1_forms(graph: tracegraph.Graph, tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "products.csv").write_text("product_id,name\n04012345111118,Pump\n", "utf-8")
    (tables / "serials.csv").write_text("serial_id,product_id\nSN-77,04012345111118\n", "utf-8")
    assert graph.load_tables(tables).rejected == []
    for text in ("(01)04012345111118(21)SN-77", "urn:epc:id:sgtin:4012345.011111.SN-77", "SN-77",
                 "https://id.gs1.org/01/04012345111118/21/SN-77"):
        found = graph.identify(text)
        assert [r["serial_id"] for r in found.records["Serial"]] == ["SN-77"], text
        assert [r["product_id"] for r in found.records.get("Product", [])] == (
            [] if text == "SN-77" else ["04012345111118"])


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracegraph.cli", "--db", str(db), *args], capture_output=True,
                          text=True, cwd=db.parent, timeout=120, check=False)


def test_command_line(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    invalid = DATA / "openepcis" / "invalid" / "Combination_of_multiple_invalid_fields.json"
    run = _cli(db, "load", "epcis", str(invalid))
    assert run.returncode == 1 and "rolled back" in run.stderr
    rejects = (tmp_path / "tracegraph-epcis-rejects.csv").read_text("utf-8")
    assert "action 'CREATE' is not ADD, OBSERVE or DELETE" in rejects
    run = _cli(db, "load", "epcis", str(DATA / "opentraceability" / "traceback_tests.jsonld"))
    assert run.returncode == 0 and "events captured 21" in run.stdout
    run = _cli(db, "load", "gudid", str(DATA / "openfda" / "test.xml"))
    assert run.returncode == 0 and "products 2" in run.stdout
    run = _cli(db, "identify", "--json", "urn:epc:id:sscc:08600031303.0004")
    assert run.returncode == 0
    found = json.loads(run.stdout)
    assert found["format"] == "plain" and found["records"]["Container"][0]["container_id"] == \
        "urn:epc:id:sscc:08600031303.0004"
    run = _cli(db, "trace", "id", "--backward", "--json", "urn:epc:id:sscc:08600031303.0005")
    assert run.returncode == 0 and "urn:gdst:example.org:product:lot:class:hatchery.1u.tf12012021" in \
        json.loads(run.stdout)["lots"]
    run = _cli(db, "trace", "id", "0109501101020917171905081012345621XYZ")
    assert run.returncode == 2 and "ambiguous" in run.stderr
    run = _cli(db, "identify", "]d20109501101020918")
    assert run.returncode == 2 and "check digit" in run.stderr


def test_an_aggregation_replay_leaves_the_packings_tables_gave_its_container(graph: tracegraph.Graph,
                                                                              tmp_path: Path) -> None:
    """The WMS tables packed S-WMS into the case; EPCIS then packs the unit into it. Replaying the case's
    events rebuilds the intervals its events made, not the ones another source recorded."""
    t = Tables()
    t.lot("F", product="DEV", quantity=1)
    t.serial("S-WMS", product="DEV", lot="F")
    t.pack("S-WMS", CASE_KEY, 1)
    assert graph.load_tables(write_csv(tmp_path / "tables", t.rows)).rejected == []
    assert graph.load_epcis([_doc(tmp_path, "pack.json", PACK)]).rejected == []
    (wms,) = graph.store.edges("PACKED_IN", [("Serial", "S-WMS")], "out")
    assert (wms.props["packed_at"], wms.props["unpacked_at"]) == (canonical_time(1), None)
    assert graph.forward(container=CASE_KEY).ids["serials"] == sorted(["S-WMS", UNIT_KEY])
