"""A document with many aggregation parents is replayed with a fixed number of store reads, not a few per
parent (a few thousand parents took 23-30 s, growing with the square of their number), and gives the same
intervals: each parent's pack, written as an EPC URN, closed by its unpack written as a Digital Link in a
later document."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from biip.checksums import gs1_standard_check_digit

import tracegraph

from .test_epcis_semantics import _doc, _event

READS = ("get", "find", "edges", "find_edges", "reach", "keys")


def _sscc(p: int) -> str:
    return f"urn:epc:id:sscc:4012345.{p + 1:010d}"


def _link(p: int) -> str:
    key = f"0401234500{p + 1:07d}"
    return f"https://id.gs1.org/00/{key}{gs1_standard_check_digit(key)}"


def _unit(p: int, c: int) -> str:
    return f"urn:epc:id:sgtin:4012345.011111.P{p}U{c}"


def _load(tmp_path: Path, parents: int) -> tuple[list[int], Any]:
    packs = [_event("AggregationEvent", "2026-01-01T08:00:00Z", f"urn:uuid:pack-{p}", action="ADD",
                    parentID=_sscc(p), childEPCs=[_unit(p, c) for c in range(2)], bizStep="packing")
             for p in range(parents)]
    unpacks = [_event("AggregationEvent", "2026-01-02T08:00:00Z", f"urn:uuid:unpack-{p}", action="DELETE",
                      parentID=_link(p), childEPCs=[], bizStep="unpacking") for p in range(parents)]
    reads: list[int] = []
    with tracegraph.connect(str(tmp_path / f"{parents}.db")) as g:
        store = g.store
        for number, events in enumerate((packs, unpacks)):
            counted: Counter[str] = Counter()
            for name in READS:  # the real store, its reads counted
                real = getattr(store, name)
                setattr(store, name, lambda *a, _real=real, _name=name, **k: counted.update([_name]) or _real(*a, **k))
            report = g.load_epcis([_doc(tmp_path, f"{parents}-{number}.json", *events)])
            for name in READS:
                delattr(store, name)
            assert report.rejected == [] and report.captured == parents
            reads.append(sum(counted.values()))
        packed = [(e.props["packed_at"], e.props["unpacked_at"], e.dst[1])
                  for e in store.edges("PACKED_IN", [("Serial", f"(01)04012345111118(21)P{p}U{c}")
                                                      for p in range(parents) for c in range(2)], "out")]
        return reads, (sorted(packed), g.counts()["Container"])


def test_store_reads_do_not_grow_with_the_parents_of_a_document(tmp_path: Path) -> None:
    parents = 300
    few, (few_packed, few_containers) = _load(tmp_path, 3)
    many, (packed, containers) = _load(tmp_path, parents)
    assert many == few, f"store reads per document: {few} with 3 parents, {many} with {parents}"
    assert containers == parents and few_containers == 3
    assert len(packed) == 2 * parents
    assert {(start, end) for start, end, _ in packed} == {("2026-01-01T08:00:00.000Z", "2026-01-02T08:00:00.000Z")}
    assert {container for _, _, container in packed} == {_link(p)[-18:] for p in range(parents)}
