"""How long the trace explorer stops answering when a person expands a lot's serials (figures, medians).

    python -m bench.web_expand [--serials 2000] [--runs 3]

Loads ``tests/web/big_lot.py``'s plant (one finished lot with ``--serials`` units) into a fresh store,
serves it on 127.0.0.1 and drives Debian's headless Chromium with Playwright as the browser tests do:
open the lot's page, wait for its forward trace, click the collapsed serials group, and time

- *answer*: from the click until the redrawn graph is there and the page answers ``page.evaluate``;
- *longest task*: the longest main-thread task after the click (the page is frozen that long);
- *long tasks*: the sum of the main-thread tasks over 50 ms after the click (Long Tasks API);
- *drawn*: the nodes in the redrawn graph.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import tracegraph
from tracegraph.api.keys import ApiKeys

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from canonical import write_csv  # noqa: E402  (the tests' table writer: the same plant the tests load)
from servers import serve  # noqa: E402  (the tests' 'tracegraph serve' on a port the OS picks)
from web.big_lot import BIG, big_lot_tables  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WATCH_LONG_TASKS = """() => { window.benchLongTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.benchLongTasks.push(e); })
    .observe({ type: "longtask" }); }"""
GROUP_AT = """() => { const cy = window.tg.graphs.forward; const at = cy.getElementById("group:serials").renderedPosition();
  const box = cy.container().getBoundingClientRect(); window.benchBefore = cy; return [box.left + at.x, box.top + at.y]; }"""
REDRAWN = "() => window.tg.graphs.forward && window.tg.graphs.forward !== window.benchBefore"
TASKS_SINCE = """t => window.benchLongTasks.filter((e) => e.startTime + e.duration >= t)
  .map((e) => e.duration)"""


def _expand_once(browser: Any, url: str, key: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(url + "/")
        page.fill("#apikey", key)
        page.click("#login button[type=submit]")
        page.wait_for_selector("#who:not(:empty)")
        page.goto(f"{url}/#/record/Lot/{BIG}")
        page.wait_for_selector("#counts-forward")
        page.wait_for_function("() => window.tg.graphs.forward")
        page.locator("#graph-forward").scroll_into_view_if_needed()
        page.evaluate("() => window.tg.graphs.forward.resize()")
        page.wait_for_function("() => !window.tg.graphs.forward.renderer().scrollingPage")
        page.evaluate(WATCH_LONG_TASKS)
        x, y = page.evaluate(GROUP_AT)
        clicked_at = page.evaluate("() => performance.now()")
        started = time.perf_counter()
        page.mouse.click(x, y)
        page.wait_for_function(REDRAWN, timeout=180_000, polling=50)
        page.evaluate("1")
        answer = time.perf_counter() - started
        page.wait_for_timeout(300)  # the observer reports a task after it ends
        tasks = page.evaluate(TASKS_SINCE, clicked_at)
        drawn = page.evaluate("() => window.tg.graphs.forward.nodes().length")
        return {"answer": answer * 1000, "longest": max(tasks, default=0.0), "long_tasks": sum(tasks), "drawn": drawn}
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serials", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "big.db"
        with tracegraph.connect(str(db)) as graph:
            report = graph.load_tables(write_csv(Path(tmp) / "tables", big_lot_tables(args.serials).rows))
            assert not report.rejected, report.rejected
            serials = len(graph.forward(lot=BIG).ids["serials"])
            key, _ = ApiKeys(graph.store).create("recall_coordinator", "bench web expand")
        with serve(db, Path(tmp) / "serve.log", timeout=120) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            runs = [_expand_once(browser, url, key) for _ in range(args.runs)]
            browser.close()
    print(f"lot {BIG} with {serials:,} serials; expanding its serials, {args.runs} runs (median, then each run):")
    for name, unit in (("answer", "ms"), ("longest", "ms"), ("long_tasks", "ms"), ("drawn", "nodes")):
        values = [r[name] for r in runs]
        print(f"  {name:<10} {statistics.median(values):>10,.0f} {unit}   "
              + ", ".join(f"{v:,.0f}" for v in values))


if __name__ == "__main__":
    main()
