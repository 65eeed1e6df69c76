"""``python -m bench``: the benchmark driver (see the package docstring)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tracegraph
import tracegraph.generate
from tracegraph.generate import generate

from . import http
from tracegraph.trace.model import GROUPS

from .baselines import Baseline, CsrBfs, Genealogy, Networkx, NodeRef, SqliteCte, rows

HERE = Path(__file__).resolve().parent
QUESTIONS = ("forward", "backward", "recall_scope", "supplier_exposure", "forward_finished_lot")
# forward_finished_lot has the same answer size at every plant size (a lot of 300 serials): it shows
# whether a trace costs in proportion to its answer rather than to the graph.


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--serials", type=int, default=100_000, help="size of the synthetic plant (100000, 1000000, ...)")
    p.add_argument("--seed", type=int, default=7, help="seed of the generator and of the chosen questions")
    p.add_argument("--runs", type=int, default=5, help="timed runs per question, after one warm-up")
    p.add_argument("--workdir", type=Path, default=HERE / "work", help="where tables and databases go")
    p.add_argument("--results", type=Path, default=HERE / "results", help="where <size>.json and .md go")
    p.add_argument("--baselines", default="csr_bfs,sqlite_cte,networkx", help="comma-separated subset")
    p.add_argument("--no-http", action="store_true", help="skip forwardTrace and recallScope over HTTP")
    return p.parse_args(argv)


def median_ms(call: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median wall time of ``runs`` calls after one warm-up, and the last answer."""
    answer = call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, answer


def prepare_tables(workdir: Path, serials: int, seed: int) -> dict[str, Any]:
    """Generate the tables once per size, seed and version of the (deterministic) generator."""
    tables = workdir / "tables"
    stamp = tables / ".generated"
    made_by = {"serials": serials, "seed": seed,
               "generator": hashlib.sha256(Path(tracegraph.generate.__file__).read_bytes()).hexdigest()}
    if stamp.exists() and json.loads(stamp.read_text()) == made_by:
        return {"seconds": None, "reused": True}
    started = time.perf_counter()
    counts = generate(tables, serials, seed)
    stamp.write_text(json.dumps(made_by))
    return {"seconds": time.perf_counter() - started, "reused": False, "rows": counts}


def load(workdir: Path) -> dict[str, Any]:
    """Load into a fresh store in a child process (its peak RSS is the load's alone)."""
    db = workdir / "tracegraph.db"
    for f in workdir.glob("tracegraph.db*"):
        f.unlink()
    out = subprocess.run([sys.executable, "-m", "bench.load", str(workdir / "tables"), str(db)],
                         cwd=HERE.parent, check=True, capture_output=True, text=True).stdout
    figures = json.loads(out)
    figures["disk_mb"] = sum(f.stat().st_size for f in workdir.glob("tracegraph.db*")) / 2**20
    return figures


def choose_questions(tables: Path, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    used = {r["input_id"] for r in rows(tables / "consumptions.csv") if r["input_type"] == "lot"}
    raw_lots = sorted(r["lot_id"] for r in rows(tables / "lots.csv") if r["supplier_id"] and r["lot_id"] in used)
    serials = sorted(r["serial_id"] for r in rows(tables / "serials.csv"))
    suppliers = sorted(r["supplier_id"] for r in rows(tables / "suppliers.csv"))
    supplier = rng.choice(suppliers)
    full_lots = sorted(r["lot_id"] for r in rows(tables / "lots.csv") if r["lot_id"].startswith("FL-"))[:-1]
    return {"forward": [rng.choice(raw_lots)], "backward": [rng.choice(serials)],
            "forward_finished_lot": [rng.choice(full_lots)],
            "recall_scope": rng.sample(raw_lots, min(100, len(raw_lots))), "supplier_exposure": supplier,
            "supplier_lots": sorted(r["lot_id"] for r in rows(tables / "lots.csv") if r["supplier_id"] == supplier)}


def genealogy_of(ids: dict[str, list[str]]) -> set[NodeRef]:
    return {("Lot", k) for k in ids["lots"]} | {("Serial", k) for k in ids["serials"]}


def time_tracegraph(db: Path, q: dict[str, Any], runs: int) -> tuple[dict[str, dict[str, float]],
                                                                   dict[str, set[NodeRef]]]:
    """Each question through the public API with the full rows of its answer: every record of every group
    as columns, and for a recall scope where each affected item is now (``affected_columns``) and the
    counts per customer. Apart: the reading of those records alone, and the same answer as Python objects
    (``as_dict()`` and ``records(group)`` for every group: a list of dicts per group)."""
    graph = tracegraph.connect(f"sqlite:///{db}", read_only=True)

    def group_columns(trace: Any) -> dict[str, Any]:
        return {group: trace.columns(group) for group in GROUPS}

    def answer(result: Any) -> Any:
        trace = getattr(result, "trace", result)
        where = (result.affected_columns(), result.by_customer) if hasattr(result, "affected_columns") else None
        return group_columns(trace), where

    def objects(result: Any) -> Any:
        trace = getattr(result, "trace", result)
        return result.as_dict(), {group: trace.records(group) for group in GROUPS}

    questions: dict[str, Callable[[], Any]] = {
        "forward": lambda: graph.forward(lot=q["forward"]),
        "backward": lambda: graph.backward(serial=q["backward"]),
        "recall_scope": lambda: graph.recall_scope(lots=q["recall_scope"]),
        "supplier_exposure": lambda: graph.supplier_exposure(q["supplier_exposure"]),
        "forward_finished_lot": lambda: graph.forward(lot=q["forward_finished_lot"]),
    }
    figures: dict[str, dict[str, float]] = {"tracegraph_ms": {}, "records_ms": {}, "objects_ms": {}}
    answers = {}
    try:
        started = time.perf_counter()
        graph.backward(serial=q["backward"])  # the first query after opening builds the in-memory index
        figures["first_query_after_open_ms"] = {"": (time.perf_counter() - started) * 1000}
        for name, ask in questions.items():
            figures["tracegraph_ms"][name], _ = median_ms(lambda: answer(ask()), runs)  # noqa: B023
            result = ask()
            trace = getattr(result, "trace", result)
            answers[name] = genealogy_of(trace.ids)
            figures["records_ms"][name], _ = median_ms(lambda: group_columns(trace), runs)  # noqa: B023
            figures["objects_ms"][name], _ = median_ms(lambda: objects(ask()), runs)  # noqa: B023
    finally:
        graph.close()
    return figures, answers


def baseline_seeds(q: dict[str, Any]) -> dict[str, tuple[list[NodeRef], str]]:
    return {"forward": ([("Lot", q["forward"][0])], "forward"),
            "backward": ([("Serial", q["backward"][0])], "backward"),
            "recall_scope": ([("Lot", k) for k in q["recall_scope"]], "forward"),
            "supplier_exposure": ([("Lot", k) for k in q["supplier_lots"]], "forward"),
            "forward_finished_lot": ([("Lot", q["forward_finished_lot"][0])], "forward")}


def build_baselines(names: list[str], workdir: Path) -> tuple[list[Baseline], dict[str, float]]:
    started = time.perf_counter()
    genealogy = Genealogy.read(workdir / "tables")
    read_s = time.perf_counter() - started
    makers: dict[str, Callable[[], Baseline]] = {
        "csr_bfs": lambda: CsrBfs(genealogy),
        "sqlite_cte": lambda: SqliteCte(workdir / "tables", workdir / "baseline.sqlite"),
        "networkx": lambda: Networkx(genealogy),
    }
    built, build_s = [], {}
    for name in names:
        started = time.perf_counter()
        built.append(makers[name]())
        build_s[name] = time.perf_counter() - started + (read_s if name != "sqlite_cte" else 0.0)
    return built, build_s


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM, {platform.system()} {platform.release()}, " \
           f"Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = args.workdir / str(args.serials)
    workdir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"serials": args.serials, "seed": args.seed, "runs": args.runs, "machine": machine(),
                              "load_average_at_start": os.getloadavg()}
    result["generate"] = prepare_tables(workdir, args.serials, args.seed)
    result["load"] = load(workdir)
    q = choose_questions(workdir / "tables", args.seed)
    result["questions"] = {k: q[k] for k in QUESTIONS}
    figures, tg_answers = time_tracegraph(workdir / "tracegraph.db", q, args.runs)
    result["first_query_after_open_ms"] = figures.pop("first_query_after_open_ms")[""]
    result.update(figures)
    tg_ms = result["tracegraph_ms"]
    result["answer_size"] = {name: len(a) for name, a in tg_answers.items()}
    forward = tg_answers["forward"]
    expected = {"lots": {k for kind, k in forward if kind == "Lot"}, "serials": {k for kind, k in forward if kind == "Serial"}}
    result["http_ms"], result["http_note"] = (
        (None, "skipped (--no-http)") if args.no_http
        else http.http_ms(workdir / "tracegraph.db", q["forward"][0], q["recall_scope"], args.runs, expected,
                          sorted(tg_answers["recall_scope"])))
    baselines, result["baseline_build_s"] = build_baselines(args.baselines.split(","), workdir)
    result["baseline_ms"], result["same_sets"], result["ratio"] = {}, {}, {}
    for b in baselines:
        times, same, ratio = {}, {}, {}
        for name, (seeds, direction) in baseline_seeds(q).items():
            times[name], answer = median_ms(lambda: b.reach(seeds, direction), args.runs)  # noqa: B023
            same[name] = answer == tg_answers[name]
            ratio[name] = tg_ms[name] / times[name]
        result["baseline_ms"][b.name], result["same_sets"][b.name], result["ratio"][b.name] = times, same, ratio
    result["load_average_at_end"] = os.getloadavg()  # other work on the machine skews every figure
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{args.serials}.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    table = markdown(result)
    (args.results / f"{args.serials}.md").write_text(table)
    print(table)
    mismatched = [f"{b}:{q}" for b, s in result["same_sets"].items() for q, ok in s.items() if not ok]
    if mismatched:
        print(f"DIFFERENT ANSWERS: {', '.join(mismatched)}", file=sys.stderr)
        return 1
    return 0


def markdown(r: dict[str, Any]) -> str:
    load, size = r["load"], r["answer_size"]
    lines = [f"### {r['serials']:,} serials (seed {r['seed']}, median of {r['runs']} runs after a warm-up)", "",
             (f"Load: {load['seconds']:.1f} s, peak RSS {load['peak_rss_mb']:.0f} MB, "
              f"{load['disk_mb']:.0f} MB on disk. Machine: {r['machine']}; 1-minute load average "
              f"{r['load_average_at_start'][0]:.1f} at the start, {r['load_average_at_end'][0]:.1f} at the end."), "",
             ("| question | answer (lots+serials) | TraceGraph ms | of which records ms | as objects ms | "
              + " | ".join(f"{b} ms | ratio" for b in r["baseline_ms"]) + " |"),
             "|---|---:|---:|---:|---:|" + "---:|---:|" * len(r["baseline_ms"])]
    for q in QUESTIONS:
        cells = [q.replace("_", " "), f"{size[q]:,}", f"{r['tracegraph_ms'][q]:.1f}", f"{r['records_ms'][q]:.1f}",
                 f"{r['objects_ms'][q]:.1f}"]
        for b, times in r["baseline_ms"].items():
            mark = "" if r["same_sets"][b][q] else " (DIFFERENT)"
            cells += [f"{times[q]:.1f}{mark}", f"{r['ratio'][b][q]:.2f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    http_ms = r["http_ms"] or {}
    lines.insert(3, f"First query after opening the store (builds its index): "
                    f"{r['first_query_after_open_ms'] / 1000:.1f} s.")
    forward, recall = (
        (f"{http_ms['forward']:.1f} ms (counts and the first page of every group)",
         f"{http_ms['recall_scope']:.1f} ms (counts, counts per customer and the first {http.AFFECTED_PAGE} affected "
         "items with where each is now)") if http_ms else (r["http_note"], r["http_note"]))
    lines += ["", f"forwardTrace over HTTP: {forward}", f"recallScope over HTTP: {recall}",
              "Baseline build s: " + ", ".join(f"{b} {s:.1f}" for b, s in r["baseline_build_s"].items()), ""]
    return "\n".join(lines)
