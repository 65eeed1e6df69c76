"""EPCIS capture on the public example documents: validity, rollback, re-capture, evidence, identity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracegraph import LoadError

from .conftest import DATA, INVALID_COPIED, VALID_COPIED, gs1_examples

TRACEBACK = DATA / "opentraceability" / "traceback_tests.jsonld"
PACKED_LOT = "urn:gdst:example.org:product:lot:class:processor.2u.v1-0122-2022"


@pytest.mark.parametrize("path", VALID_COPIED, ids=lambda p: p.name)
def test_every_valid_copied_document_loads(graph, path: Path) -> None:
    report = graph.load_epcis([path])
    assert report.rejected == [] and report.rolled_back == []
    assert report.captured > 0
    assert graph.counts()["Event"] > 0


def test_every_gs1_example_loads(graph) -> None:
    for path in gs1_examples():
        report = graph.load_epcis([path])
        assert report.rejected == [], path


@pytest.mark.parametrize("path", INVALID_COPIED, ids=lambda p: p.name)
def test_invalid_document_is_rolled_back_with_reasons(graph, path: Path) -> None:
    before = graph.counts()
    report = graph.load_epcis([path])
    assert report.rolled_back == [str(path)]
    assert graph.counts() == before  # nothing written
    reasons = {(r.index, r.reason) for r in report.rejected}
    assert (1, "bizStep 'transforming' is not a CBV business step (use a URI for your own)") in reasons
    assert (5, "action 'CREATE' is not ADD, OBSERVE or DELETE") in reasons
    assert {r.index for r in report.rejected} == {1, 2, 3, 4, 5}


def test_a_byte_that_is_not_utf8_is_placed_by_line_and_byte_of_the_file(graph, tmp_path: Path) -> None:
    """Behind a byte-order mark too: the position counts the file's bytes, as an editor or hexdump does."""
    data = b"\xef\xbb\xbf" + TRACEBACK.read_bytes().removeprefix(b"\xef\xbb\xbf").replace(
        b'"type": "EPCISDocument"', '"type": "EPCISDocument", "note": "Caf\u00e9"'.encode("latin-1"), 1)
    path = tmp_path / "latin1.jsonld"
    path.write_bytes(data)
    bad = data.index(b"\xe9")
    line = data[:bad].count(b"\n") + 1
    with pytest.raises(LoadError, match=rf"latin1\.jsonld: is not UTF-8 text \(invalid continuation byte at "
                                        rf"line {line}, byte {bad}\)"):
        graph.load_epcis([path])
    assert graph.counts()["Event"] == 0


def test_proceed_loads_the_valid_events(graph, tmp_path: Path) -> None:
    doc = json.loads(TRACEBACK.read_text("utf-8"))
    doc["epcisBody"]["eventList"][0]["action"] = "CREATE"
    path = tmp_path / "one-bad.jsonld"
    path.write_text(json.dumps(doc), "utf-8")
    assert graph.load_epcis([path]).rolled_back == [str(path)]
    report = graph.load_epcis([path], proceed=True)
    assert [(r.index, r.reason) for r in report.rejected] == [(1, "action 'CREATE' is not ADD, OBSERVE or DELETE")]
    assert report.captured == 20


def test_recapture_changes_nothing(graph) -> None:
    graph.load_epcis([TRACEBACK])
    counts = graph.counts()
    edges = graph.store.edges("CONSUMED_INTO", [("Lot", k) for k in graph.store.keys("Lot")], "out")
    report = graph.load_epcis([TRACEBACK])
    assert report.captured == 0 and report.recaptured == 21
    assert graph.counts() == counts
    assert [e.props for e in graph.store.edges("CONSUMED_INTO", [("Lot", k) for k in graph.store.keys("Lot")],
                                               "out")] == [e.props for e in edges]


def test_backward_trace_returns_upstream_lots_and_their_events(graph) -> None:
    graph.load_epcis([TRACEBACK])
    trace = graph.backward(lot=PACKED_LOT)
    prefix = "urn:gdst:example.org:product:lot:class:"
    assert trace.ids["lots"] == sorted(prefix + s for s in (
        "feedmill.1u.ff11252021", "fisherman01.tunau.v1-0122-2022", "fishfarm.1u.farmed-tuna-01192022",
        "hatchery.1u.tf12012021", "processor.10u.commingle-01232022", "processor.2u.v1-0122-2022"))
    chain = trace.evidence("Lot", prefix + "hatchery.1u.tf12012021")
    assert [(link.src[1].removeprefix(prefix), link.dst[1].removeprefix(prefix), ids) for link, ids in chain] == [
        ("processor.10u.commingle-01232022", "processor.2u.v1-0122-2022",
         ["urn:uuid:646b66d3-dc3d-445a-93a5-5cf67357a134U"]),
        ("fishfarm.1u.farmed-tuna-01192022", "processor.10u.commingle-01232022",
         ["urn:uuid:3b156702-d58e-4ab1-a4d7-3e29b4ba7e6aU"]),
        ("hatchery.1u.tf12012021", "fishfarm.1u.farmed-tuna-01192022", ["urn:uuid:a3377b60-6663-4a39-9456-a32b166ffc4dU"]),
    ]
    # oracle, from the raw document: each cited event consumes the link's input into its output
    raw = json.loads(TRACEBACK.read_text("utf-8"))["epcisBody"]["eventList"]
    for lot in trace.ids["lots"]:
        if lot == PACKED_LOT:
            continue
        for link, ids in trace.evidence("Lot", lot):
            assert link.rel == "CONSUMED_INTO" and ids
            for event in (e for e in raw if e["eventID"] in ids):
                assert event["type"] == "TransformationEvent"
                assert link.src[1] in [q["epcClass"] for q in event["inputQuantityList"]]
                assert link.dst[1] in [q["epcClass"] for q in event["outputQuantityList"]]


def test_every_link_from_lot_to_customer_has_its_events(graph) -> None:
    graph.load_epcis([DATA / "openepcis" / "GS1_US_Pharma_Example_2_2_1_1.xml"])
    [lot] = graph.store.keys("Lot")
    trace = graph.forward(lot=lot)
    assert trace.ids["customers"] == ["urn:epc:id:sgln:039999.999999.0"]
    chain = trace.evidence("Customer", "urn:epc:id:sgln:039999.999999.0")
    assert [link.rel for link, _ in chain] == ["HAS_SERIAL", "PACKED_IN", "PACKED_IN", "SHIPPED_IN", "SHIPPED_TO"]
    held = graph.store.get("Event", {i for _, ids in chain for i in ids})
    for link, ids in chain:
        assert ids and set(ids) <= set(held), link
    kinds = [json.loads(held[ids[0]]["captures"])[0]["type"] for _, ids in chain]
    assert kinds == ["ObjectEvent", "AggregationEvent", "AggregationEvent", "ObjectEvent", "ObjectEvent"]


def test_containment_is_time_bounded(graph) -> None:
    graph.load_epcis([TRACEBACK])
    [inner] = graph.store.edges("PACKED_IN", [("Lot", PACKED_LOT)], "out")
    assert inner.dst == ("Container", "urn:epc:id:sscc:08600031303.0004")
    assert (inner.props["packed_at"], inner.props["unpacked_at"]) == ("2022-01-28T11:11:25.752Z", "2022-02-04T11:12:25.791Z")
    forward = graph.forward(lot=PACKED_LOT)
    assert "urn:epc:id:sscc:08600031303.0005" in forward.ids["containers"]  # the pallet, through the case


def test_bom_query_document_loads(graph) -> None:
    path = DATA / "opentraceability" / "epcisquerydoc-example01.jsonld"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert graph.load_epcis([path]).captured == 31


def test_same_serial_by_urn_digital_link_and_element_string(graph) -> None:
    graph.load_epcis([DATA / "openepcis" / "GS1_US_Pharma_Example_2_2_1_1.xml"])
    serial = graph.store.keys("Serial").__next__()
    gtin, number = serial[4:18], serial[22:]
    forms = [f"(01){gtin}(21){number}", f"https://id.gs1.org/01/{gtin}/21/{number}", f"]d201{gtin}21{number}"]
    urns = [e.src[1] for e in graph.store.edges("IDENTIFIES", [("Serial", serial)], "in") if e.src[1].startswith("urn")]
    for text in forms + urns:
        assert [r["serial_id"] for r in graph.identify(text).records["Serial"]] == [serial], text
    assert graph.start_of(urns[0]).serials == (serial,)


def test_error_declaration_retracts_without_deleting(graph) -> None:
    [path] = [p for p in gs1_examples() if p.name == "ErrorDeclarationAndCorrectiveEvent.xml"]
    graph.load_epcis([path])
    edges = graph.store.edges("CONSUMED_INTO", [("Serial", "(01)04012345111118(21)987")], "out")
    by_step = {e.props["step_id"]: e.props["retracted_at"] for e in edges}
    assert by_step == {"urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8": "2020-01-14T23:00:00.000Z",
                       "urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8": None}
    forward = graph.forward(serial="(01)04012345111118(21)987")
    assert forward.ids["process_steps"] == ["urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8"]


@pytest.mark.parametrize("missing", ["no-such.json", "."])
def test_a_missing_document_among_several_loads_none_of_them(graph, tmp_path: Path, missing: str) -> None:
    """Each document is its own batch, so a mistyped name found half-way would leave the others half loaded."""
    before = graph.counts()
    with pytest.raises(LoadError, match=f"file {tmp_path / missing}: no such file"):
        graph.load_epcis([VALID_COPIED[0], tmp_path / missing])
    assert graph.counts() == before and list(graph.audit.entries()) == []
