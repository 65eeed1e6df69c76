"""EPCIS events whose fields have the wrong JSON type (a string where the standard wants an array, a
number where it wants an EPC, an array where it wants an object) are rejected, naming the field, and roll
their document back: never read character by character into records, never an internal error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .test_epcis_semantics import CASE, UNIT, _doc, _event

OBSERVE = _event("ObjectEvent", "2026-01-02T08:00:00Z", "urn:uuid:observe", action="OBSERVE", epcList=[UNIT])
PACK = _event("AggregationEvent", "2026-01-01T08:00:00Z", "urn:uuid:pack", action="ADD", parentID=CASE,
              childEPCs=[UNIT])
ITEM = {"epcClass": "urn:epc:class:lgtin:4012345.022222.IN1", "quantity": 2}


@pytest.mark.parametrize(("event", "field", "value", "reason"), [
    (OBSERVE, "epcList", UNIT, "epcList must be an array of EPCs (non-empty text)"),
    (OBSERVE, "epcList", [UNIT, 12], "epcList must be an array of EPCs (non-empty text)"),
    (OBSERVE, "epcList", [UNIT, ""], "epcList must be an array of EPCs (non-empty text)"),
    (PACK, "childEPCs", {"epc": UNIT}, "childEPCs must be an array of EPCs (non-empty text)"),
    (PACK, "parentID", 5, "parentID 5 is not text"),
    (OBSERVE, "eventID", 42, "eventID 42 is not text"),
    (OBSERVE, "bizStep", 3, "bizStep 3 is not text"),
    (OBSERVE, "bizTransactionList", {"type": "po", "bizTransaction": "urn:po:1"},
     "bizTransactionList must be an array of objects"),
    (OBSERVE, "bizTransactionList", ["urn:po:1"], "bizTransactionList must be an array of objects"),
    (OBSERVE, "bizTransactionList", [{"type": "po", "bizTransaction": 1}],
     "bizTransactionList entry field 'bizTransaction' 1 is not text"),
    (OBSERVE, "sourceList", ["urn:epc:id:pgln:4012345.00000"], "sourceList must be an array of objects"),
    (OBSERVE, "quantityList", [{**ITEM, "epcClass": 7}], "quantityList entry field 'epcClass' 7 is not text"),
    (OBSERVE, "bizLocation", "urn:epc:id:sgln:4012345.00000.0", "bizLocation must be an object"),
    (OBSERVE, "errorDeclaration", "wrong", "errorDeclaration must be an object"),
])
def test_a_field_of_the_wrong_json_type_rejects_the_event(graph, tmp_path: Path, event: dict[str, Any],
                                                           field: str, value: object, reason: str) -> None:
    path = _doc(tmp_path, "shape.json", PACK, {**event, "eventID": "urn:uuid:bad", field: value})
    report = graph.load_epcis([path])
    assert [(r.file, r.index, r.reason) for r in report.rejected] == [(str(path), 2, reason)]
    assert report.rolled_back == [str(path)]
    assert graph.counts()["Event"] == 0 and graph.counts()["Asset"] == 0  # the document, whole


def test_proceed_loads_the_other_events_of_a_document_with_a_misshapen_one(graph, tmp_path: Path) -> None:
    path = _doc(tmp_path, "shape.json", PACK, {**OBSERVE, "epcList": UNIT})
    report = graph.load_epcis([path], proceed=True)
    assert [(r.index, r.reason) for r in report.rejected] == [
        (2, "epcList must be an array of EPCs (non-empty text)")]
    assert report.captured == 1
    assert graph.counts()["Event"] == 1 and graph.counts()["Asset"] == 0
