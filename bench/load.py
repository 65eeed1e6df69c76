"""Loads canonical tables into a fresh embedded store; run in its own process so peak RSS is the load's."""

from __future__ import annotations

import json
import resource
import sys
import time

import tracegraph


def main(tables: str, db: str) -> None:
    started = time.perf_counter()
    with tracegraph.connect(f"sqlite:///{db}") as graph:
        report = graph.load_tables(tables)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    json.dump({"seconds": seconds, "peak_rss_mb": peak_kib / 1024, "rejected": len(report.rejected),
               "loaded": dict(report.loaded)}, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:3])
