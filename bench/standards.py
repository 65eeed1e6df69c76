"""Benchmark of the standards loaders and identifier resolution (figures, medians; no assertions).

    python bench/standards.py [--runs 3]

Loads the whole openFDA GUDID extract (tests/standards/data/openfda/file.zip) into a fresh store,
the copied EPCIS documents, one document of 3,000 aggregation parents (each packing 4 units), and resolves
identifiers in several formats against the loaded store.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import tracegraph

DATA = Path(__file__).resolve().parents[1] / "tests" / "standards" / "data"


def _median(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:,.1f} ms over {len(samples)} runs"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    documents = sorted((DATA / "openepcis").glob("*.json")) + sorted((DATA / "openepcis").glob("*.xml")) + sorted(
        (DATA / "opentraceability").glob("*.jsonld"))
    gudid, epcis, recapture = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            with tracegraph.connect(str(Path(tmp) / f"g{run}.db")) as g:
                started = time.perf_counter()
                report = g.load_gudid(DATA / "openfda" / "file.zip")
                gudid.append(time.perf_counter() - started)
            with tracegraph.connect(str(Path(tmp) / f"e{run}.db")) as g:
                started = time.perf_counter()
                events = g.load_epcis(documents).captured
                epcis.append(time.perf_counter() - started)
                started = time.perf_counter()
                g.load_epcis(documents)
                recapture.append(time.perf_counter() - started)
        print(f"GUDID extract: {report.devices:,} devices, {report.products:,} products, "
              f"{len(report.invalid):,} invalid DIs; load {_median(gudid)}")
        print(f"EPCIS: {len(documents)} documents, {events} events; load {_median(epcis)}; "
              f"re-capture (no change) {_median(recapture)}")
        with tracegraph.connect(str(Path(tmp) / "e0.db")) as g:
            serial = next(iter(g.store.keys("Serial")))
            gtin, number = serial[4:18], serial[22:]
            texts = [serial, f"]d201{gtin}21{number}", f"https://id.gs1.org/01/{gtin}/21/{number}",
                     "urn:epc:id:sgtin:0614141.107346.2017", "0109501101020917171905081012345621XYZ"]
            for text in texts:
                samples = []
                for _ in range(200):
                    started = time.perf_counter()
                    g.identify(text)
                    samples.append(time.perf_counter() - started)
                print(f"identify {text[:45]!r}: median {statistics.median(samples) * 1e6:,.0f} us over 200")
        parents = []
        document = _parents_document(Path(tmp) / "parents.json", 3000)  # the same file for every run
        for run in range(runs):
            with tracegraph.connect(str(Path(tmp) / f"p{run}.db")) as g:
                started = time.perf_counter()
                g.load_epcis([document])
                parents.append(time.perf_counter() - started)
        print(f"EPCIS: one document of 3,000 aggregation parents: load {_median(parents)}")


def _parents_document(path: Path, parents: int) -> Path:
    """One EPCIS document whose every event packs 4 units into its own SSCC."""
    events = [{"type": "AggregationEvent", "eventID": f"urn:uuid:pack-{p}", "eventTime": "2026-01-01T08:00:00Z",
               "eventTimeZoneOffset": "+00:00", "action": "ADD", "parentID": f"urn:epc:id:sscc:4012345.{p + 1:010d}",
               "childEPCs": [f"urn:epc:id:sgtin:4012345.011111.P{p}U{c}" for c in range(4)]} for p in range(parents)]
    path.write_text(json.dumps({"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
                                "epcisBody": {"eventList": events}}), encoding="utf-8")
    return path


if __name__ == "__main__":
    main()
