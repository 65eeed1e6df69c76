"""One container, however its parentID is spelled: an SSCC written as an EPC URN in one EPCIS document and as
a GS1 Digital Link (on any domain) in another is one parent, so its aggregation events are replayed together:
a DELETE in one spelling closes what an ADD in the other opened, in any capture order or split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tracegraph

from .test_epcis_semantics import CASE, CASE_KEY, PACK, SEEN, UNPACK, _doc, _packing

LINK = f"https://id.gs1.org/00/{CASE_KEY}"
OWN_DOMAIN = f"https://trace.example.com/00/{CASE_KEY}?linkType=all"
SAME_CASE = {"urn": CASE, "link": LINK, "own-domain": OWN_DOMAIN}


def _as(event: dict[str, Any], spelling: str) -> dict[str, Any]:
    return {**event, "parentID": SAME_CASE[spelling]}


def _load(tmp_path: Path, *documents: list[dict[str, Any]]) -> Any:
    with tracegraph.connect(str(tmp_path / "spellings.db")) as g:
        for number, events in enumerate(documents):
            assert g.load_epcis([_doc(tmp_path, f"{number}.json", *events)]).rejected == []
        return _packing(g), g.counts()["Container"]


# packed at the ADD, unpacked at the DELETE, with all three events as evidence
CLOSED = [("2026-01-01T08:00:00.000Z", "2026-01-03T08:00:00.000Z",
           ["urn:uuid:pack", "urn:uuid:seen", "urn:uuid:unpack"])]


def test_the_reference_one_spelling_one_document(tmp_path: Path) -> None:
    assert _load(tmp_path, [PACK, SEEN, UNPACK]) == (CLOSED, 1)


@pytest.mark.parametrize("unpack_as", ["link", "own-domain"])
@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "unpack-first"])
def test_an_unpack_written_as_a_digital_link_closes_a_pack_written_as_an_epc_urn(
        tmp_path: Path, unpack_as: str, reverse: bool) -> None:
    documents = [[PACK, SEEN], [_as(UNPACK, unpack_as)]]
    assert _load(tmp_path, *(reversed(documents) if reverse else documents)) == (CLOSED, 1)


def test_three_spellings_in_one_document_are_one_parent(tmp_path: Path) -> None:
    assert _load(tmp_path, [_as(PACK, "own-domain"), _as(SEEN, "urn"), _as(UNPACK, "link")]) == (CLOSED, 1)
