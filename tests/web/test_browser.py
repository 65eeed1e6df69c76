"""The trace explorer and quality dashboard in headless Chromium against a real ``tracegraph serve``.

Every figure the page shows is compared with the engine's own answer on the same database.
"""

from __future__ import annotations

from typing import Any

import tracegraph
from tracegraph.quality import CHECKS
from tracegraph.web.view import DEFAULT_LIMIT, EXPAND_CAP

from .conftest import Site, screenshot

SERIAL = "SN000000001"


def _counts_table(page: Any, direction: str) -> dict[str, str]:
    rows = page.eval_on_selector_all(f"#counts-{direction} tr[data-group]",
                                     "rows => rows.map(r => [r.dataset.group, r.cells[1].textContent])")
    return dict(rows)


def _engine_counts(ids: dict[str, list[str]]) -> dict[str, str]:
    return {group: f"{len(keys):,}" for group, keys in ids.items() if keys}


def _graph_nodes(page: Any, name: str) -> set[str]:
    return set(page.evaluate("g => window.tg.graphs[g].nodes().map(n => n.id())", name))


def _point(page: Any, name: str, element_id: str) -> tuple[float, float]:
    """Where a node (its centre) or an edge (its midpoint) is drawn on the page."""
    page.locator(f"#graph-{name}").scroll_into_view_if_needed()
    # A full-page screenshot resizes the viewport behind Cytoscape's back: let it re-measure its
    # container, and wait out the 250 ms after a page scroll during which it ignores taps.
    page.evaluate("g => { window.tg.graphs[g].resize(); }", name)
    page.wait_for_function("g => !window.tg.graphs[g].renderer().scrollingPage", arg=name)
    p = page.evaluate("""([g, id]) => { const cy = window.tg.graphs[g]; const e = cy.getElementById(id);
        const at = e.isNode() ? e.renderedPosition() : e.renderedMidpoint();
        const box = cy.container().getBoundingClientRect(); return [box.left + at.x, box.top + at.y]; }""",
                      [name, element_id])
    return p[0], p[1]


def test_search_a_serial_see_its_backward_trace_and_click_through_to_a_supplier(
        page: Any, graph: tracegraph.Graph) -> None:
    page.fill("#q", SERIAL)
    page.press("#q", "Enter")
    page.wait_for_selector("#counts-backward")
    assert page.text_content("#record-title") == f"Serial {SERIAL}"
    trace = graph.backward(serial=SERIAL)
    assert _counts_table(page, "backward") == _engine_counts(trace.ids)
    expected = ({f"Supplier:{k}" for k in trace.ids["suppliers"]} | {f"Lot:{k}" for k in trace.ids["lots"]}
                | {f"Serial:{k}" for k in trace.ids["serials"]})
    assert _graph_nodes(page, "backward") == expected
    screenshot(page, "1-serial-backward-trace")

    # hovering an edge shows the record behind it: a consumption with its step and quantity
    edge = page.evaluate("() => window.tg.graphs.backward.edges('[rel = \"CONSUMED_INTO\"]')[0].data()")
    page.mouse.move(*_point(page, "backward", edge["id"]))
    page.wait_for_selector("#tip:not([hidden])")
    tip = page.text_content("#tip")
    assert "CONSUMED_INTO" in tip and f"step_id: {edge['props']['step_id']}" in tip
    assert f"{edge['from']} → {edge['to']}" in tip

    supplier = sorted(trace.ids["suppliers"])[0]
    page.mouse.click(*_point(page, "backward", f"Supplier:{supplier}"))
    page.wait_for_selector(f"#record-title:text-is('Supplier {supplier}')")
    page.wait_for_selector("#counts-forward")
    assert _counts_table(page, "forward") == _engine_counts(graph.forward(supplier=supplier).ids)
    screenshot(page, "2-supplier-forward-trace")


def test_tables_page_through_a_trace_group(page: Any, graph: tracegraph.Graph) -> None:
    lot = "RL-0000001"
    serials = graph.forward(lot=lot).ids["serials"]
    assert len(serials) > 50
    page.goto(f"{page.url.split('#')[0]}#/record/Lot/{lot}")
    page.wait_for_selector("#counts-forward")
    page.click("#counts-forward tr[data-group=serials] a")
    page.wait_for_selector("#table-serials tr")
    assert page.eval_on_selector_all("#table-serials td", "c => c.map(x => x.textContent)") == serials[:25]
    page.click("text=Next ›")
    page.wait_for_selector(f"#table-serials a:text-is('{serials[25]}')")
    assert page.eval_on_selector_all("#table-serials td", "c => c.map(x => x.textContent)") == serials[25:50]
    assert f"26–50 of {len(serials):,}" in page.text_content(".group-table .pager")


def test_a_large_layer_collapses_into_a_counted_group_that_expands_on_click(
        page: Any, graph: tracegraph.Graph) -> None:
    lot = "RL-0000001"
    containers = graph.forward(lot=lot).ids["containers"]  # one expansion draws them all (tests/web/test_expand.py
    assert DEFAULT_LIMIT < len(containers) <= EXPAND_CAP  # has one that draws only the first EXPAND_CAP)
    page.goto(f"{page.url.split('#')[0]}#/record/Lot/{lot}")
    page.wait_for_selector("#counts-forward")
    nodes = _graph_nodes(page, "forward")
    assert "group:containers" in nodes and not any(n.startswith("Container:") for n in nodes)
    label = page.evaluate("() => window.tg.graphs.forward.getElementById('group:containers').data('label')")
    assert label == f"{len(containers):,} containers"
    screenshot(page, "3-lot-forward-collapsed")
    page.mouse.click(*_point(page, "forward", "group:containers"))
    page.wait_for_function("() => window.tg.graphs.forward.getElementById('group:containers').empty()")
    nodes = _graph_nodes(page, "forward")
    assert {n for n in nodes if n.startswith("Container:")} == {f"Container:{c}" for c in containers}


def test_recall_scope_counts_customers_and_the_explaining_chain(page: Any, graph: tracegraph.Graph) -> None:
    lots = ["RL-0000001", "RL-0000002"]
    scope = graph.recall_scope(lots=lots)
    page.goto(f"{page.url.split('#')[0]}#/recall?lots={','.join(lots)}")
    page.wait_for_selector("#counts-forward")
    cards = dict(page.eval_on_selector_all("#recall-counts [data-count]",
                                           "cs => cs.map(c => [c.dataset.count, c.querySelector('.kpi').textContent])"))
    kinds = ("lots", "serials", "containers", "shipments", "customers")
    assert cards == {k: f"{len(scope.trace.ids[k]):,}" for k in kinds}
    rows = page.eval_on_selector_all("#recall-customers tr[data-customer]",
                                     "rs => rs.map(r => [...r.cells].slice(0, 4).map(c => c.textContent))")
    assert rows == [[c, f"{int(n['serials']):,}", f"{int(n['lots']):,}", f"{int(n['shipments']):,}"]
                    for c, n in scope.by_customer.items()]
    customer = next(iter(scope.by_customer))
    page.click(f"#recall-customers tr[data-customer='{customer}'] button")
    page.wait_for_selector("#chain ol li")
    chain = scope.trace.explain("Customer", customer)
    assert page.eval_on_selector_all("#chain li", "ls => ls.map(l => l.textContent)") == [
        f"{l.src[0]} {l.src[1]} —{l.rel}→ {l.dst[0]} {l.dst[1]}" for l in chain]
    highlighted = set(page.evaluate("() => window.tg.graphs.forward.nodes('.chain').map(n => n.id())"))
    assert f"Customer:{customer}" in highlighted and f"Lot:{chain[0].src[1]}" in highlighted
    edges = page.evaluate("() => window.tg.graphs.forward.edges('.chain').map(e => e.data('rel'))")
    assert edges and set(edges) <= {link.rel for link in chain} and "SHIPPED_TO" in edges
    screenshot(page, "4-recall-scope")


def test_quality_dashboard_shows_the_planted_defects(page: Any, graph: tracegraph.Graph) -> None:
    report = graph.quality()
    page.goto(page.url.split("#")[0].rstrip("/") + "/quality")
    page.wait_for_selector("#kpis")
    rows = dict(page.eval_on_selector_all("#checks tr[data-check]",
                                          "rs => rs.map(r => [r.dataset.check, r.cells[1].textContent])"))
    assert rows == {check: str(len(found)) for check, found in report.by_check().items()}
    assert set(rows) == set(CHECKS)
    cov = report.coverage
    assert page.text_content("#kpi-coverage .kpi") == f"{100 * cov.share:.2f}%"
    orphans = page.eval_on_selector_all("#check-orphan_consumed_lot tr td:first-child",
                                        "c => c.map(x => x.textContent)")
    assert orphans == [f.detail for f in report.by_check()["orphan_consumed_lot"]]
    assert page.is_visible("#check-empty_container_shipped a[href='/#/record/Container/PAL-X000001']")
    # records the load rejected are not in the graph: the dashboard names the source row to fix instead
    for check, planted in (("required_missing", 2), ("invalid_value", 4)):
        shown = page.eval_on_selector_all(f"#check-{check} tr:has(td)",
                                          "rs => rs.map(r => [r.cells[0].textContent, r.cells[1].textContent])")
        rejected = [f for f in report.by_check()[check] if f.source]
        assert len(rejected) == planted and shown == [
            [f.detail, f"{f.source.file} row {f.source.row}, field {f.source.field} (not loaded)"] for f in rejected]
    completeness = dict(page.eval_on_selector_all(
        "#completeness tr:has(td)", "rs => rs.map(r => [r.cells[0].textContent + ' ' + r.cells[1].textContent, "
                                    "r.cells[7].textContent])"))
    assert {k: v for k, v in completeness.items() if v != "0"} == {
        f"{c.kind} {c.field}": str(c.rejected) for c in report.completeness if c.rejected}
    screenshot(page, "5-quality-dashboard")


def test_login_refuses_a_bad_key_and_roles_still_apply(browser: Any, site: Site) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/")
    page.fill("#apikey", "tgk_000000000000_not-a-key")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#login .error")
    assert "not accepted" in page.text_content("#login .error")
    page.fill("#apikey", site.reader_key)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#who:not(:empty)")
    page.goto(f"{site.url}/#/record/Serial/{SERIAL}")
    page.wait_for_selector("#trace .error")
    assert "FORBIDDEN" in page.text_content("#trace .error")
    assert page.text_content("#record-title") == f"Serial {SERIAL}"
    context.close()


def test_a_scanned_udi_opens_the_unit_and_an_unknown_id_says_so(page: Any, graph: tracegraph.Graph) -> None:
    product = graph.store.get("Serial", [SERIAL])[SERIAL]["product_id"]
    page.fill("#q", f"(01){product}(21){SERIAL}")
    page.press("#q", "Enter")
    page.wait_for_selector(f"#record-title:text-is('Serial {SERIAL}')")
    page.fill("#q", "NO-SUCH-ID-42")
    page.press("#q", "Enter")
    page.wait_for_selector("main h1:text-is('Search: NO-SUCH-ID-42')")
    assert "No lot, serial, container, supplier, customer or other record" in page.text_content("main")


def test_paging_a_recall_scope_runs_and_audits_it_once(page: Any, graph: tracegraph.Graph) -> None:
    lots, pages, size = ["RL-0000001", "RL-0000002"], 5, 25
    scope = graph.recall_scope(lots=lots)  # the graph is read-only: this one is not audited
    affected = sorted(scope.whereabouts.items(), key=lambda rw: f"{rw[0][0]}:{rw[0][1]}")
    assert len(affected) > pages * size

    def computed() -> int:
        return sum(1 for e in graph.audit.entries("trace") if e["action"] == "scope.compute")

    def rows() -> list[list[str]]:
        return page.eval_on_selector_all("#affected-items tr:has(td)",
                                         "rs => rs.map(r => [...r.cells].slice(0, 3).map(c => c.textContent))")

    def expected(n: int) -> list[list[str]]:
        return [[f"{kind} {key}", w.status, ", ".join(w.customers)] for (kind, key), w in affected[n * size:(n + 1) * size]]

    before = computed()
    page.goto(f"{page.url.split('#')[0]}#/recall?lots={','.join(lots)}")
    page.wait_for_selector("#affected-items td")
    assert page.text_content("#affected h2") == f"Affected lots and serials ({len(affected):,})"
    assert rows() == expected(0)
    for n in range(1, pages):
        first = rows()[0][0]
        page.click("#affected button:text('Next ›')")
        page.wait_for_function("f => document.querySelector('#affected-items tr:nth-child(2) td').textContent !== f", arg=first)
        assert rows() == expected(n), n
    page.click("#affected button:text('‹ Previous')")
    page.wait_for_function("f => document.querySelector('#affected-items tr:nth-child(2) td').textContent === f",
                           arg=expected(pages - 2)[0][0])
    assert rows() == expected(pages - 2)
    item = affected[(pages - 2) * size][0]
    page.click("#affected-items tr:nth-child(2) button")
    page.wait_for_selector("#chain ol li")
    assert page.eval_on_selector_all("#chain li", "ls => ls.map(l => l.textContent)") == [
        f"{link.src[0]} {link.src[1]} —{link.rel}→ {link.dst[0]} {link.dst[1]}" for link in scope.trace.explain(*item)]
    assert computed() == before + 1  # the page's one scope; paging and explaining did not run it again
