"""Links into the explorer, in headless Chromium against a real ``tracegraph serve``: a lot id with a
space and a comma survives the record page's recall link, and a malformed address is a clear message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from canonical import Tables, write_csv

import tracegraph
from tracegraph.api.keys import ApiKeys

from .conftest import Site, serve, signed_in
from .test_browser import _counts_table, _engine_counts

LOT = "RL B,2"  # splitting on spaces or commas would name RL, B and 2 instead


def test_the_recall_link_of_a_lot_keeps_an_id_with_a_space_and_a_comma(browser: Any, tmp_path: Path) -> None:
    t = Tables()
    t.lot(LOT, material="M1", supplier="S1", quantity=5)
    t.lot("F1", product="P1", quantity=1)
    t.make("ST1", [LOT], "F1")
    t.serial("N1", product="P1", lot="F1")
    t.pack("N1", "K1", 2)
    t.ship("SH1", "C1", 3, "K1")
    db = tmp_path / "links.db"
    with tracegraph.connect(str(db)) as graph:
        assert graph.load_tables(write_csv(tmp_path / "tables", t.rows)).rejected == []
        key, _ = ApiKeys(graph.store).create("recall_coordinator", "browser test")
        expected = graph.forward(lot=LOT).ids
    assert expected["customers"] == ["C1"]
    with serve(db, tmp_path / "serve.log") as url, signed_in(browser, Site(url, db, key, key)) as page:
        page.goto(f"{url}/#/record/Lot/{'RL%20B%2C2'}")
        page.wait_for_selector("#record-title")
        page.click("a:text-is('Recall scope from this lot')")
        page.wait_for_selector(f"h1:text-is('Recall scope from {LOT}')")  # the record page's table is gone
        page.wait_for_selector("#counts-forward tr[data-group]")  # and the scope's own is filled
        assert page.text_content("h1") == f"Recall scope from {LOT}"
        assert page.input_value("#recall-lots") == LOT
        assert _counts_table(page, "forward") == _engine_counts(expected)


def test_a_malformed_link_is_a_bad_link_message(page: Any) -> None:
    """A truncated %-escape cannot be decoded: the page says so where it shows errors, with no page error."""
    page.goto(f"{page.url.split('#')[0]}#/record/Lot/%E0%A4%A")
    page.wait_for_selector("p.error", timeout=10_000)
    assert str(page.text_content("p.error")).startswith("Bad link: ")
    page.goto(f"{page.url.split('#')[0]}#/record/Lot/RL-0000001")  # the explorer still works
    page.wait_for_selector("#record-title:text-is('Lot RL-0000001')")
