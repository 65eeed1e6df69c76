"""What a supplier-quality engineer and a recall coordinator run into on the pages, in headless Chromium
against a real ``tracegraph serve`` over the demo plant: drill-downs that land, scans that say what was
not found, and errors that leave the page usable."""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from canonical import Tables, write_csv

import tracegraph
from tracegraph.api.keys import ApiKeys

from .conftest import Site, serve, signed_in

IN_VIEW = """id => { const e = document.getElementById(id); if (!e) return false;
    const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }"""


def test_a_check_in_the_checks_table_drills_down_to_its_findings_without_checking_again(
        page: Any, site: Site) -> None:
    assessed: list[str] = []
    page.on("request", lambda r: assessed.append(r.url) if "quality {" in (r.post_data or "") else None)
    page.goto(f"{site.url}/quality")
    page.wait_for_selector("#kpis")
    section = "check-failed_lot_consumed"
    assert not page.evaluate(IN_VIEW, section)  # far down the page: the link is the way there
    page.click(f"#checks a[href='#{section}']")
    page.wait_for_function(IN_VIEW, arg=section, timeout=10_000)
    assert len(assessed) == 1  # following the link did not run the whole assessment again

    page.goto(f"{site.url}/")  # a link to one check's findings, e.g. in a mail, lands on them too
    page.wait_for_selector("main h1")
    page.goto(f"{site.url}/quality#check-over_consumed_lot")
    page.wait_for_selector("#kpis")
    page.wait_for_function(IN_VIEW, arg="check-over_consumed_lot", timeout=10_000)


def test_a_scanned_udi_whose_serial_is_unknown_says_so_instead_of_opening_the_product(page: Any, site: Site) -> None:
    product = "08840000000028"  # a product of the demo plant; the serial is in no table
    page.fill("#q", f"(01){product}(21)NOT-BUILT-HERE")
    page.press("#q", "Enter")
    page.wait_for_selector(f"main h1:text-is('Search: (01){product}(21)NOT-BUILT-HERE')", timeout=10_000)
    assert page.text_content("#not-found") == "No serial has the id “NOT-BUILT-HERE”; the code also names:"
    assert page.is_visible(f"main a[href='/#/record/Product/{product}']")
    page.fill("#q", f"(01){product}")  # the product's own code still opens its page
    page.press("#q", "Enter")
    page.wait_for_selector(f"#record-title:text-is('Product {product}')")


def test_a_mistyped_recall_lot_is_an_error_below_the_form_which_stays_to_correct_it(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/#/recall?lot=RL-000001")  # one digit short
    page.wait_for_selector("main .error", timeout=10_000)
    assert "RL-000001" in page.text_content("main .error") and "NOT_FOUND" in page.text_content("main .error")
    assert page.input_value("#recall-lots") == "RL-000001"
    page.fill("#recall-lots", "RL-0000001")
    page.click("#recall-form button[type=submit]")
    page.wait_for_selector("#recall-counts")
    assert page.text_content("h1") == "Recall scope from RL-0000001"


def test_a_stopped_server_is_said_in_words_not_as_the_browsers_failed_to_fetch(
        browser: Any, plant: Site, tmp_path: Path) -> None:
    db = tmp_path / "plant.db"
    shutil.copy(plant.db, db)
    server = ExitStack()
    try:
        url = server.enter_context(serve(db, tmp_path / "serve.log"))
        with signed_in(browser, Site(url, db, plant.key, plant.reader_key)) as page:
            page.goto(f"{url}/#/record/Lot/RL-0000001")
            page.wait_for_selector("#counts-forward")
            server.close()  # the server stops while the page is open
            page.fill("#q", "SN000000002")
            page.press("#q", "Enter")
            page.wait_for_selector("main .error", timeout=10_000)
            assert page.text_content("main .error") == (
                "The TraceGraph server did not answer: it may be stopped or out of reach. Try again once it is back.")
    finally:
        server.close()


def test_a_screen_reader_can_tell_the_explain_buttons_apart_and_hears_the_chain(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/#/recall?lot=RL-0000001")
    page.wait_for_selector("#affected-items td")
    names = page.eval_on_selector_all("main button", "bs => bs.map(b => b.getAttribute('aria-label') || b.textContent)")
    explain = [n for n in names if n.startswith("Explain")]
    assert len(explain) > 50 and len(set(explain)) == len(explain)  # one per customer and affected item
    page.get_by_role("button", name="Explain why Customer CUST-00004 is in scope").click()
    page.wait_for_selector("#chain ol li")
    assert page.get_attribute("#chain", "aria-live") == "polite"  # the chain is read out when it appears
    assert page.text_content("#chain h2") == "Why Customer CUST-00004 is in scope"


def test_each_page_has_its_own_title_for_tabs_history_and_screen_readers(page: Any, site: Site) -> None:
    for hash_, title in (("#/record/Lot/RL-0000001", "Lot RL-0000001"), ("#/recall", "Recall scope"),
                         ("#/search/NO-SUCH-ID-42", "Search: NO-SUCH-ID-42")):
        page.goto(f"{site.url}/{hash_}")
        page.wait_for_function("t => document.title === t", arg=f"{title} · TraceGraph", timeout=10_000)
    page.goto(f"{site.url}/quality")
    page.wait_for_selector("#kpis")
    assert page.title() == "Data quality · TraceGraph"


def test_an_error_is_announced_as_an_alert(page: Any, site: Site) -> None:
    """An unknown id or a refused key is read out, not left for a screen-reader user to find."""
    page.goto(f"{site.url}/#/record/Lot/NO-SUCH-LOT")
    alert = page.get_by_role("alert")
    alert.wait_for(timeout=10_000)
    assert alert.text_content() == "no Lot with id 'NO-SUCH-LOT' (NOT_FOUND)"
    page.click("#logout")
    page.fill("#apikey", "tgk_000000000000_not-a-key")
    page.click("#login button[type=submit]")
    alert.wait_for(timeout=10_000)
    assert alert.text_content() == "That API key was not accepted (unknown, revoked or expired)."


def _supplied_lot_made_into(lot: str, quantity: float) -> Tables:
    """The smallest sourced plant: supplier S1's lot R1 made into finished lot ``lot`` of product P1."""
    t = Tables()
    t.lot("R1", material="M1", supplier="S1", quantity=5)
    t.lot(lot, product="P1", quantity=quantity)
    t.make("ST1", ["R1"], lot)
    return t


def test_a_check_with_few_findings_still_lists_them_behind_one_with_more_than_a_page(
        browser: Any, tmp_path: Path) -> None:
    """A thousand rejected rows of one check must not push another check's findings off the dashboard."""
    t = _supplied_lot_made_into("F1", 1)
    t.inspect("I1", "R1", result="fail")
    bad = 1001
    for n in range(bad):
        t.lot(f"NEG{n:04}", material="M1", quantity=-1)  # rejected by the load: invalid_value
    db = tmp_path / "many.db"
    with tracegraph.connect(str(db)) as graph:
        assert len(graph.load_tables(write_csv(tmp_path / "tables", t.rows)).rejected) == bad
        key, _ = ApiKeys(graph.store).create("analyst", "browser test")
        found = graph.quality().by_check()
    assert len(found["invalid_value"]) == bad and len(found["failed_lot_consumed"]) == 1
    with serve(db, tmp_path / "serve.log") as url, signed_in(browser, Site(url, db, key, key)) as page:
        page.goto(f"{url}/quality")
        page.wait_for_selector("#kpis")
        failed = page.eval_on_selector_all("#check-failed_lot_consumed tr td:first-child", "c => c.map(x => x.textContent)")
        assert failed == [found["failed_lot_consumed"][0].detail]
        invalid = page.eval_on_selector_all("#check-invalid_value tr:has(td)", "rs => rs.map(r => r.cells[0].textContent)")
        assert invalid == [f.detail for f in found["invalid_value"][:len(invalid)]] and 0 < len(invalid) < bad
        # the rest page on (tests/web/test_quality_paged.py reads them all)
        assert page.text_content("#check-invalid_value .pager span") == f"1–{len(invalid)} of {bad:,}"


def test_each_kpi_drills_down_to_the_findings_behind_it(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/quality")
    page.wait_for_selector("#kpis")
    for card, section in (("kpi-coverage", "check-unsourced_shipped_serial"), ("kpi-findings", "checks"),
                          ("kpi-suppliers", "check-failed_lot_consumed")):
        page.evaluate("scrollTo(0, 0)")
        page.click(f"#{card} a")
        page.wait_for_function(IN_VIEW, arg=section, timeout=10_000)


def test_a_customer_with_more_shipments_or_lines_than_a_page_gives_their_real_totals(
        browser: Any, tmp_path: Path) -> None:
    """The shipments page on (tests/web/test_linked_pages.py reads them all); a shipment's lines beyond
    the API's largest list are on the shipment's own page, and the customer's says how many it shows."""
    many = 1001  # one more than a GraphQL page
    t = _supplied_lot_made_into("F1", many)
    for n in range(many):
        t.serial(f"N{n:04}", product="P1", lot="F1")
        t.ship(f"SH{n:04}", "C1", 3, f"N{n:04}")
    t.ship("SA-BIG", "C1", 4, *(f"N{n:04}" for n in range(many)))  # and one shipment of more lines than a page
    db = tmp_path / "shipments.db"
    with tracegraph.connect(str(db)) as graph:
        assert graph.load_tables(write_csv(tmp_path / "tables", t.rows)).rejected == []
        key, _ = ApiKeys(graph.store).create("analyst", "browser test")
    with serve(db, tmp_path / "serve.log") as url, signed_in(browser, Site(url, db, key, key)) as page:
        page.goto(f"{url}/#/record/Customer/C1")
        page.wait_for_selector("#customer-shipments tr[data-id]")
        assert page.text_content("#customer-shipments-list h2") == f"Shipments ({many + 1:,})"
        lines = page.text_content("#customer-shipments tr[data-id='SA-BIG'] td:last-child")
        shown = lines.count("Serial ")
        assert shown < many
        assert lines.endswith(f" (the first {shown:,} of {many:,} lines: the shipment's page lists them all)")
        page.click("#customer-shipments tr[data-id='SA-BIG'] td:first-child a")
        page.wait_for_selector("#record-title:text-is('Shipment SA-BIG')")
        page.click("#linked tr[data-rel='SHIPPED_IN in'] button")
        page.wait_for_selector("#linked-list tr[data-id]")
        assert page.text_content("#linked-list h2") == f"All {many:,} incoming SHIPPED_IN links"
        assert page.text_content("#linked-list .pager span") == f"1–25 of {many:,}"
