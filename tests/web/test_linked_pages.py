"""Every linked record of a record page and every shipment of a customer's page is reachable, a page at
a time by keyboard, in headless Chromium against a real ``tracegraph serve``.

A record page's "Linked records" shows 10 per relationship; a relationship cut short lists all of its
records below the table from its GraphQL connection (``serialsConnection``, ``outputsConnection``, ...).
A customer's shipments page through ``shipmentsConnection``. The plant is a small table load, the way
tests/api/test_neighbour_pages.py makes one: a lot with more serials than one page and outputs made in
two steps each (parallel relationships), and a customer with more shipments than the API's largest list.
Oracle: the rows of the CSV files the store was loaded from, read back from the files.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from canonical import Tables, write_csv

import tracegraph
from tracegraph.api.context import ApiSettings
from tracegraph.api.keys import ApiKeys

from .conftest import Site, screenshot, serve, signed_in
from .paging import every_row

LOT, SHIPPER, CUSTOMER = "L-MANY", "L-SHIP", "C-BIG"
SERIALS, OUTPUTS = 60, 14  # 60 units: 6 x the 10 shown, 3 pages; 14 outputs, 2 steps each: 28 links, 2 pages
SHIPMENTS = ApiSettings().max_page_size + 10  # more than one request could list


def _plant() -> Tables:
    t = Tables()
    t.lot(LOT, product="P1", quantity=SERIALS)
    for i in range(SERIALS):  # keys out of the order they were made in
        t.serial(f"U-{i * 37 % SERIALS:03d}", product="P1", lot=LOT)
    for i in range(OUTPUTS):  # each output made from LOT in two steps: two links to the same record
        t.lot(f"OUT-{i:02d}", product="P2")
        t.consume("STEP-A", LOT, f"OUT-{i:02d}", quantity=1)
        t.consume("STEP-B", LOT, f"OUT-{i:02d}", quantity=2)
    t.lot(SHIPPER, product="P1", quantity=SHIPMENTS)
    for i in range(SHIPMENTS):
        t.ship(f"SHP-{i:04d}", CUSTOMER, 10 + i / 100, t.serial(f"V-{i:04d}", product="P1", lot=SHIPPER))
    return t


def _rows(tables: Path, name: str) -> list[dict[str, str]]:
    with (tables / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Path]]:
    """A server over the crowded plant, and the folder of CSV files it was loaded from."""
    root = tmp_path_factory.mktemp("linked")
    tables = write_csv(root / "tables", _plant().rows)
    db = root / "linked.db"
    with tracegraph.connect(str(db)) as graph:
        assert graph.load_tables(tables).rejected == []
        key, _ = ApiKeys(graph.store).create("analyst", "browser test")
    with serve(db, root / "serve.log") as url:
        yield Site(url, db, key, key), tables


@pytest.fixture
def crowded_page(browser: Any, crowded: tuple[Site, Path]) -> Iterator[Any]:
    with signed_in(browser, crowded[0]) as p:
        yield p


def _open(page: Any, kind: str, key: str) -> None:
    page.goto(f"{page.url.split('#')[0]}#/record/{kind}/{key}")
    page.wait_for_selector(f"#record-title:text-is('{kind} {key}')")


def _list_all(page: Any, rel: str) -> None:
    """Press (by keyboard) the "List all" button of a relationship cut short; wait for its first page."""
    page.focus(f"#linked tr[data-rel='{rel}'] button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#linked-list tr[data-id]")


def test_a_lots_serials_beyond_the_ten_shown_page_to_every_serial_once(
        crowded_page: Any, crowded: tuple[Site, Path]) -> None:
    expected = sorted(r["serial_id"] for r in _rows(crowded[1], "serials") if r["lot_id"] == LOT)
    assert len(expected) == SERIALS > 2 * 25
    _open(crowded_page, "Lot", LOT)
    shown = crowded_page.eval_on_selector_all("#linked tr[data-rel='HAS_SERIAL out'] td:nth-child(2)",
                                              "cs => cs.map(c => c.textContent)")
    assert shown[-1] == f"… {SERIALS - 10} more List all" and len(shown) == 11
    assert crowded_page.get_attribute("#linked tr[data-rel='HAS_SERIAL out'] button", "aria-label") == (
        f"List all outgoing HAS_SERIAL links of Lot {LOT}")
    _list_all(crowded_page, "HAS_SERIAL out")
    assert crowded_page.text_content("#linked-list h2") == f"All {SERIALS} outgoing HAS_SERIAL links"
    listed = [cells[0] for cells in every_row(crowded_page, "#linked-list", SERIALS)]
    assert listed == expected  # every serial of the lot, once, in key order
    screenshot(crowded_page, "16-linked-serials-paged")


def test_parallel_links_beyond_one_page_list_each_link_once_with_its_details(
        crowded_page: Any, crowded: tuple[Site, Path]) -> None:
    made = sorted((r["output_id"], r["step_id"], r["quantity"], r["uom"]) for r in _rows(crowded[1], "consumptions")
                  if r["input_id"] == LOT)
    assert len(made) == 2 * OUTPUTS > 25 and len({link[0] for link in made}) == OUTPUTS
    _open(crowded_page, "Lot", LOT)
    _list_all(crowded_page, "CONSUMED_INTO out")
    rows = every_row(crowded_page, "#linked-list", len(made))
    links = [(record, re.match(r"step_id (\S+), quantity (\S+), uom (\S+), consumed_at ", details))
             for record, details in rows]
    assert all(m for _, m in links), rows
    assert sorted((record, *m.groups()) for record, m in links if m) == made


def test_a_customer_with_more_shipments_than_one_request_pages_to_every_shipment(
        crowded_page: Any, crowded: tuple[Site, Path]) -> None:
    shipments = {r["shipment_id"] for r in _rows(crowded[1], "shipments") if r["customer_id"] == CUSTOMER}
    lines = {r["shipment_id"]: f"Serial {r['item_id']}" for r in _rows(crowded[1], "shipment_items")
             if r["shipment_id"] in shipments}
    assert len(shipments) == len(lines) == SHIPMENTS > ApiSettings().max_page_size
    _open(crowded_page, "Customer", CUSTOMER)
    crowded_page.wait_for_selector("#customer-shipments tr[data-id]")
    assert crowded_page.text_content("#customer-shipments-list h2") == f"Shipments ({SHIPMENTS:,})"
    rows = every_row(crowded_page, "#customer-shipments-list", SHIPMENTS)
    assert len(rows) == SHIPMENTS and {s for s, _, _ in rows} == shipments  # each once
    assert {s: items for s, _, items in rows} == lines
    screenshot(crowded_page, "17-customer-shipments-last-page")


def test_a_products_serials_beyond_the_ten_shown_page_to_every_serial_once(
        crowded_page: Any, crowded: tuple[Site, Path]) -> None:
    """A product's units (OF_PRODUCT) list through ``Product.serialsConnection``, like a lot's."""
    expected = sorted(r["serial_id"] for r in _rows(crowded[1], "serials") if r["product_id"] == "P1")
    assert len(expected) == SERIALS + SHIPMENTS > ApiSettings().max_page_size
    _open(crowded_page, "Product", "P1")
    _list_all(crowded_page, "OF_PRODUCT in")
    assert crowded_page.text_content("#linked-list h2") == f"All {len(expected):,} incoming OF_PRODUCT links"
    listed = [cells[0] for cells in every_row(crowded_page, "#linked-list", len(expected))]
    assert listed == expected
