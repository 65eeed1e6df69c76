"""Two processes act on one recall at once (the CLI beside a server, on one SQLite file): no change is lost."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import tracegraph
from tracegraph.trace.triggers import RecallTrigger

ACTIONS = 40
# Each process says it is ready, then waits for the go file, so both act at the same time.
WORKER = """
import sys, time
from pathlib import Path
import tracegraph
db, rid, role, go, items = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4]), sys.argv[5:]
svc = tracegraph.connect(db, user=role).recalls()
svc.get(rid)
go.with_name(role).touch()
while not go.exists():
    time.sleep(0.001)
for i, item in enumerate(items):
    if role == "disposer":
        svc.dispose(rid, "destroyed", items=[item])
    else:
        svc.assign(rid, [item], f"person{i}")
"""


def test_two_processes_lose_no_dispositions_or_assignments(graph: Any, db: Path, tmp_path: Path) -> None:
    svc = graph.recalls("alice")
    rid = svc.open(RecallTrigger("supplier", ("SUP-0001",)), "race", "II").recall_id
    scope, _ = svc.scope(rid)
    units, customers = scope.units[:ACTIONS], list(scope.items["customers"])
    assert len(units) == ACTIONS and len(customers) >= 2
    assignments = [customers[i % len(customers)] for i in range(ACTIONS)]
    go = tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(db), rid, role, str(go), *items],
                                stderr=subprocess.PIPE, text=True)
               for role, items in (("disposer", units), ("assigner", assignments))]
    while not all((tmp_path / role).exists() or worker.poll() is not None
                  for role, worker in zip(("disposer", "assigner"), workers)):
        time.sleep(0.01)
    go.touch()
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr

    with tracegraph.connect(str(db)) as g:
        record = g.recalls().get(rid)
        entries = list(g.audit.entries(f"recall:{rid}"))
        assert g.audit.verify().ok
    disposed = [u for e in entries if e["action"] == "recall.dispose" for u in e["after"]["units"]]
    assert sorted(disposed) == sorted(units) and sorted(record.dispositions) == sorted(units)
    assigned: dict[str, str] = {}
    for e in entries:
        if e["action"] == "recall.assign":
            assigned.update(dict.fromkeys(e["after"]["customers"], e["after"]["assignee"]))
    assert sum(e["action"] == "recall.assign" for e in entries) == ACTIONS
    assert {c: v["assignee"] for c, v in record.customers.items()} == assigned
    assert set(assigned) == set(customers[:ACTIONS]) and assigned[assignments[-1]] == f"person{ACTIONS - 1}"
