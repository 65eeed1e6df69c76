"""Expanding a lot with a large neighbourhood in headless Chromium against a real ``tracegraph serve``:
one expansion draws at most ``EXPAND_CAP`` serials and one group counts and lists the rest.

Oracle: the serials CSV the store was loaded from (``serials.lot_id``), read back from the file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from canonical import write_csv

import tracegraph
from tracegraph.api.keys import ApiKeys
from tracegraph.web.view import DEFAULT_LIMIT, EXPAND_CAP

from .big_lot import BIG, SMALL, big_lot_tables
from .conftest import Site, post, screenshot, serve, signed_in
from .paging import PAGE, every_row
from .test_browser import _graph_nodes, _point


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, dict[str, list[str]]]]:
    """A server over the big-lot plant, and each lot's serials as its CSV lists them."""
    root = tmp_path_factory.mktemp("big-lot")
    tables = write_csv(root / "tables", big_lot_tables().rows)
    with (tables / "serials.csv").open(newline="", encoding="utf-8") as fh:
        by_lot: dict[str, list[str]] = {}
        for row in csv.DictReader(fh):
            by_lot.setdefault(row["lot_id"], []).append(row["serial_id"])
    db = root / "big.db"
    with tracegraph.connect(str(db)) as graph:
        assert graph.load_tables(tables).rejected == []
        key, _ = ApiKeys(graph.store).create("recall_coordinator", "browser test")
    with serve(db, root / "serve.log") as url:
        yield Site(url, db, key, key), {lot: sorted(serials) for lot, serials in by_lot.items()}


@pytest.fixture
def big_page(browser: Any, big: tuple[Site, dict[str, list[str]]]) -> Iterator[Any]:
    with signed_in(browser, big[0]) as p:
        yield p


def _open_lot(page: Any, lot: str, count: int) -> None:
    page.goto(f"{page.url.split('#')[0]}#/record/Lot/{lot}")
    page.wait_for_selector("#counts-forward")
    label = page.evaluate("() => window.tg.graphs.forward.getElementById('group:serials').data('label')")
    assert label == f"{count:,} serials"
    assert not any(n.startswith("Serial:") for n in _graph_nodes(page, "forward"))


def _redrawn(page: Any) -> None:
    """Wait for the graph the expansion draws (the one before it had no serial)."""
    page.wait_for_function("() => window.tg.graphs.forward.nodes('[kind = \"Serial\"]').length > 0")


def _drawn_serials(page: Any) -> list[str]:
    return sorted(n.removeprefix("Serial:") for n in _graph_nodes(page, "forward") if n.startswith("Serial:"))


def test_expanding_a_big_lot_draws_the_cap_and_counts_the_rest(
        big_page: Any, big: tuple[Site, dict[str, list[str]]]) -> None:
    serials = big[1][BIG]
    assert len(serials) > 10 * EXPAND_CAP
    _open_lot(big_page, BIG, len(serials))
    big_page.mouse.click(*_point(big_page, "forward", "group:serials"))
    _redrawn(big_page)
    assert _drawn_serials(big_page) == serials[:EXPAND_CAP]
    rest = len(serials) - EXPAND_CAP
    group = big_page.evaluate("() => window.tg.graphs.forward.getElementById('group:serials').data('viewNode')")
    assert group["count"] == rest and group["drawn"] == EXPAND_CAP and group["more"] is True
    assert group["key"] == f"{rest:,} more serials"
    row = big_page.eval_on_selector_all("#groups-forward tr[data-layer=serials] td", "cs => cs.map(c => c.textContent)")
    assert row == [f"{rest:,} more serials", "List"]
    assert big_page.text_content("#announce") == (
        f"Drew {EXPAND_CAP} of {len(serials):,} serials; the {rest:,} more serials are listed beside the graph.")
    assert big_page.text_content("#counts-forward tr[data-group=serials] td.num") == f"{len(serials):,}"
    screenshot(big_page, "14-big-lot-capped-expansion")


def test_the_rest_of_a_capped_expansion_pages_through_every_serial_once_by_keyboard(
        big_page: Any, big: tuple[Site, dict[str, list[str]]]) -> None:
    serials = big[1][BIG]
    _open_lot(big_page, BIG, len(serials))
    big_page.focus("#groups-forward tr[data-layer=serials] button")
    big_page.keyboard.press("Enter")
    _redrawn(big_page)
    rest = len(serials) - EXPAND_CAP
    # the focus is on the button that lists the rest, not lost with the old graph
    assert big_page.evaluate("() => document.activeElement.getAttribute('aria-label')") == (
        f"List the {rest:,} more serials")
    big_page.keyboard.press("Enter")
    big_page.wait_for_selector("#more-serials a")
    assert big_page.text_content(".group-table h2") == (
        f"The {rest:,} more serials, not drawn ({len(serials):,} in all)")
    screenshot(big_page, "15-big-lot-rest-listed")
    listed = [cells[0] for cells in every_row(big_page, ".group-table", len(serials), skip=EXPAND_CAP)]
    assert listed == serials[EXPAND_CAP:]  # every serial not drawn, once, in key order
    assert sorted(set(listed) | set(_drawn_serials(big_page))) == serials
    big_page.click(".group-table button:text('‹ Previous')")
    last = (rest - 1) % PAGE + 1  # serials on the last page
    before = listed[-last - PAGE:-last]
    big_page.wait_for_function("f => document.querySelector('#more-serials a').textContent === f", arg=before[0])
    assert big_page.eval_on_selector_all("#more-serials a", "as => as.map(a => a.textContent)") == before


def test_a_small_expansion_draws_every_serial(big_page: Any, big: tuple[Site, dict[str, list[str]]]) -> None:
    serials = big[1][SMALL]
    assert DEFAULT_LIMIT < len(serials) <= EXPAND_CAP
    _open_lot(big_page, SMALL, len(serials))
    big_page.mouse.click(*_point(big_page, "forward", "group:serials"))
    _redrawn(big_page)
    assert _drawn_serials(big_page) == serials
    assert "group:serials" not in _graph_nodes(big_page, "forward")
    assert not big_page.is_visible("#groups-forward tr[data-layer=serials]")
    assert big_page.text_content("#announce") == f"Drew {len(serials)} of {len(serials)} serials."


def test_expanding_never_draws_fewer_than_the_layer_showed_unexpanded(tmp_path: Path) -> None:
    """``traceGraph(limit:)`` draws a layer of up to ``limit`` nodes whole. Expanding that layer must not
    then draw fewer of them (the cap keeps a page from drawing thousands, not a caller's own limit)."""
    serials = 3 * EXPAND_CAP
    db = tmp_path / "mid.db"
    with tracegraph.connect(str(db)) as graph:
        assert graph.load_tables(write_csv(tmp_path / "tables", big_lot_tables(serials, 10).rows)).rejected == []
        key, _ = ApiKeys(graph.store).create("analyst", "api client")
    query = ('query($e: [String!]) { traceGraph(start: {lots: ["%s"]}, direction: FORWARD, limit: %d, expand: $e) }'
             % (BIG, serials))
    with serve(db, tmp_path / "serve.log") as url:
        site = Site(url, db, key, key)
        for expand in (None, ["serials"]):
            view = post(site, query, {"e": expand})["data"]["traceGraph"]
            drawn = [n["key"] for n in view["nodes"] if n["kind"] == "Serial"]
            assert len(drawn) == serials, (expand, len(drawn))
            assert not any(n["kind"] == "Group" and n["layer"] == "serials" for n in view["nodes"])
