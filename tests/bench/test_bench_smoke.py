"""The benchmark harness end to end at a small size: every figure written, every baseline agreeing.

Speed is not asserted here (the benchmark reports it); this checks that ``python -m bench`` runs
from the repository root and that its answers are cross-checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = {"forward", "backward", "recall_scope", "supplier_exposure", "forward_finished_lot"}


def test_bench_runs_and_baselines_agree(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "--serials", "20000", "--runs", "1",
                           "--workdir", str(tmp_path / "work"), "--results", str(tmp_path / "results")],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "results" / "20000.json").read_text())
    assert result["load"]["rejected"] == 0 and result["load"]["seconds"] > 0
    assert result["load"]["peak_rss_mb"] > 0 and result["load"]["disk_mb"] > 0
    assert result["first_query_after_open_ms"] > 0
    assert set(result["tracegraph_ms"]) == set(result["records_ms"]) == set(result["objects_ms"]) == QUESTIONS
    assert all(isinstance(ms, float) for figure in ("records_ms", "objects_ms") for ms in result[figure].values())
    assert all(size > 1 for size in result["answer_size"].values())
    assert set(result["baseline_ms"]) == {"csr_bfs", "sqlite_cte", "networkx"}
    for baseline, same in result["same_sets"].items():
        assert same == dict.fromkeys(QUESTIONS, True), baseline
        assert set(result["ratio"][baseline]) == QUESTIONS
    assert result["http_ms"] is not None and set(result["http_ms"]) == {"forward", "recall_scope"}, result["http_note"]
    table = (tmp_path / "results" / "20000.md").read_text()
    assert "| recall scope |" in table and table in done.stdout


def test_bench_reports_a_baseline_that_disagrees(tmp_path: Path) -> None:
    """The set comparison can fail: a baseline that drops a serial is flagged and the run exits 1."""
    script = ("import sys, bench.baselines as b, bench.run as r\n"
              "reach = b.CsrBfs.reach\n"
              "b.CsrBfs.reach = lambda self, seeds, d: set(sorted(reach(self, seeds, d))[:-1])\n"
              "sys.exit(r.main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", script, "--serials", "2000", "--runs", "1", "--no-http",
                           "--baselines", "csr_bfs", "--workdir", str(tmp_path / "work"),
                           "--results", str(tmp_path / "results")],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 1
    assert "DIFFERENT ANSWERS: csr_bfs:forward" in done.stderr
    assert json.loads((tmp_path / "results" / "2000.json").read_text())["same_sets"]["csr_bfs"]["forward"] is False
