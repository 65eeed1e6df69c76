"""errorDeclaration within a transformation: the events sharing a transformationID are one transformation,
but input i -> output o holds only while a live event names i as an input and a live event names o as an
output, whatever the split of the events into documents, their order, or when the declaration came."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import tracegraph

from .test_epcis_semantics import _doc, _event

A, A_KEY = "urn:epc:class:lgtin:4012345.022222.A1", "(01)04012345222227(10)A1"
B, B_KEY = "urn:epc:class:lgtin:4012345.033333.B1", "(01)04012345333336(10)B1"
C, C_KEY = "urn:epc:class:lgtin:4012345.044444.C1", "(01)04012345444445(10)C1"
D, D_KEY = "urn:epc:class:lgtin:4012345.055555.D1", "(01)04012345555554(10)D1"


def _step(time: str, eid: str, inputs: tuple[tuple[str, float], ...] = (), outputs: tuple[str, ...] = ()
          ) -> dict[str, Any]:
    return _event("TransformationEvent", time, eid, transformationID="urn:T1",
                  inputQuantityList=[{"epcClass": c, "quantity": q, "uom": "KGM"} for c, q in inputs],
                  outputQuantityList=[{"epcClass": c, "quantity": 100} for c in outputs])


def _wrong(event: dict[str, Any], when: str) -> dict[str, Any]:
    return {**event, "errorDeclaration": {"declarationTime": when}}


TAKE_A = _step("2026-01-01T08:00:00Z", "urn:uuid:t-in", inputs=((A, 5),))
MAKE_B = _step("2026-01-01T09:00:00Z", "urn:uuid:t-out", outputs=(B,))
TAKE_A_AGAIN = _step("2026-01-01T08:30:00Z", "urn:uuid:t-in2", inputs=((A, 3),))
C_TO_D = _step("2026-01-01T08:45:00Z", "urn:uuid:t-both", inputs=((C, 7),), outputs=(D,))
WRONG_TAKE_A = _wrong(TAKE_A, "2026-01-02T08:00:00Z")
WRONG_MAKE_B = _wrong(MAKE_B, "2026-01-03T08:00:00Z")
WRONG_TAKE_A_AGAIN = _wrong(TAKE_A_AGAIN, "2026-01-04T08:00:00Z")


def _load(tmp: Path, documents: list[list[dict[str, Any]]]) -> tracegraph.Graph:
    g = tracegraph.connect(str(tmp / "t.db"))
    for number, events in enumerate(documents):
        assert g.load_epcis([_doc(tmp, f"{number}.json", *events)]).rejected == []
    return g


def _consumptions(g: tracegraph.Graph, *lots: str) -> list[tuple[Any, ...]]:
    """Every stored CONSUMED_INTO edge out of the lots, retracted ones included (kept for the audit)."""
    return sorted((e.src[1], e.dst[1], e.props["quantity"], e.props["consumed_at"],
                   json.loads(e.props["evidence"]), e.props["retracted_at"])
                  for e in g.store.edges("CONSUMED_INTO", [("Lot", k) for k in lots], "out"))


def _split(wrong: dict[str, Any], consumed_at: str) -> list[Any]:
    """The declaration in the same document as the events, in a later one, and before the other event."""
    other = MAKE_B if wrong["eventID"] == TAKE_A["eventID"] else TAKE_A
    return [(documents, consumed_at, wrong["errorDeclaration"]["declarationTime"].replace("Z", ".000Z"))
            for documents in ([[wrong, other]], [[TAKE_A, MAKE_B], [wrong]], [[TAKE_A], [MAKE_B], [wrong]],
                              [[wrong], [other]])]


@pytest.mark.parametrize(("documents", "consumed_at", "retracted_at"),  # the step starts with its live event
                         _split(WRONG_TAKE_A, "2026-01-01T09:00:00.000Z") +
                         _split(WRONG_MAKE_B, "2026-01-01T08:00:00.000Z"))
def test_the_only_event_naming_an_end_erroneous_consumes_nothing(
        tmp_path: Path, documents: list[list[dict[str, Any]]], consumed_at: str, retracted_at: str) -> None:
    """Whether the erroneous event named the input or the output, A went into nothing; the edge is kept."""
    with _load(tmp_path, documents) as g:
        assert g.backward(lot=B_KEY).ids["lots"] == [B_KEY]
        whereabouts = g.recall_scope(lots=[A_KEY]).whereabouts[("Lot", A_KEY)]
        assert (whereabouts.status, whereabouts.consumed_into) == ("in_stock", ())
        assert _consumptions(g, A_KEY) == [(A_KEY, B_KEY, 5.0, consumed_at, ["urn:uuid:t-in", "urn:uuid:t-out"],
                                            retracted_at)]


def test_an_input_another_live_event_names_stays_consumed(tmp_path: Path) -> None:
    """Its quantity is the live event's (not the later, erroneous one's); once both are erroneous, the edge
    is retracted at the last declaration."""
    with _load(tmp_path, [[TAKE_A, TAKE_A_AGAIN, MAKE_B], [WRONG_TAKE_A_AGAIN]]) as g:
        assert g.backward(lot=B_KEY).ids["lots"] == [A_KEY, B_KEY]
        assert g.recall_scope(lots=[A_KEY]).whereabouts[("Lot", A_KEY)].status == "consumed"
        evidence = ["urn:uuid:t-in", "urn:uuid:t-in2", "urn:uuid:t-out"]
        assert _consumptions(g, A_KEY) == [(A_KEY, B_KEY, 5.0, "2026-01-01T08:00:00.000Z", evidence, None)]
        g.load_epcis([_doc(tmp_path, "later.json", WRONG_TAKE_A)])
        assert g.backward(lot=B_KEY).ids["lots"] == [B_KEY]
        assert _consumptions(g, A_KEY) == [(A_KEY, B_KEY, 3.0, "2026-01-01T09:00:00.000Z", evidence,
                                            "2026-01-04T08:00:00.000Z")]


EVENTS = (TAKE_A, MAKE_B, TAKE_A_AGAIN, C_TO_D, WRONG_TAKE_A, WRONG_TAKE_A_AGAIN)


def _answers(documents: list[list[dict[str, Any]]]) -> tuple[Any, ...]:
    with tempfile.TemporaryDirectory() as tmp, _load(Path(tmp), documents) as g:
        return (_consumptions(g, A_KEY, C_KEY), g.backward(lot=B_KEY).ids["lots"], g.backward(lot=D_KEY).ids["lots"],
                g.recall_scope(lots=[A_KEY]).whereabouts[("Lot", A_KEY)].status)


@cache
def _one_document() -> tuple[Any, ...]:
    return _answers([list(EVENTS)])


def test_one_document_gives_the_consumptions_the_declarations_leave() -> None:
    """The reference, checked by hand: both events naming A are erroneous, so A went into nothing; C went into
    B (named by another event) and D; the step started with its first live event."""
    consumed = ["urn:uuid:t-in", "urn:uuid:t-in2"]
    assert _one_document() == (
        [(A_KEY, B_KEY, 3.0, "2026-01-01T08:45:00.000Z", [*consumed, "urn:uuid:t-out"], "2026-01-04T08:00:00.000Z"),
         (A_KEY, D_KEY, 3.0, "2026-01-01T08:45:00.000Z", ["urn:uuid:t-both", *consumed], "2026-01-04T08:00:00.000Z"),
         (C_KEY, B_KEY, 7.0, "2026-01-01T08:45:00.000Z", ["urn:uuid:t-both", "urn:uuid:t-out"], None),
         (C_KEY, D_KEY, 7.0, "2026-01-01T08:45:00.000Z", ["urn:uuid:t-both"], None)],
        [B_KEY, C_KEY], [C_KEY, D_KEY], "in_stock")


@settings(max_examples=30, deadline=None)
@given(st.permutations(EVENTS), st.sets(st.integers(1, len(EVENTS) - 1), max_size=3))
@example([TAKE_A, MAKE_B, TAKE_A_AGAIN, C_TO_D, WRONG_TAKE_A, WRONG_TAKE_A_AGAIN], {4, 5})  # declared later
@example([WRONG_TAKE_A, MAKE_B, WRONG_TAKE_A_AGAIN, TAKE_A, C_TO_D, TAKE_A_AGAIN], {1, 2, 3})  # declared first
def test_any_split_and_order_of_the_documents_gives_the_same_consumptions(
        order: list[dict[str, Any]], cuts: set[int]) -> None:
    bounds = [0, *sorted(cuts), len(order)]
    documents = [order[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert _answers(documents) == _one_document()
