"""Every finding of every check is on the quality dashboard, a page at a time by keyboard, in headless
Chromium against a real ``tracegraph serve``.

The plant is the one tests/api/test_quality_pages.py pages over GraphQL: 1,250 shipped units that no
supplier lot is behind (more findings of one check than the API's largest list) and 30 suppliers the
load rejected (more than one page of the dashboard). Oracle: ``Graph.quality().by_check()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api.test_quality_pages import BAD_SUPPLIERS, UNSOURCED, unsourced_plant
from canonical import write_csv

import tracegraph
from tracegraph.api.keys import ApiKeys
from tracegraph.quality import Finding

from .conftest import Site, screenshot, serve, signed_in
from .paging import every_row


def _cells(f: Finding) -> list[str]:
    """A finding's row as the dashboard must show it: what is wrong, and the records (or source row) behind it."""
    behind = (f"{f.source.file} row {f.source.row}, field {f.source.field} (not loaded)" if f.source
              else ", ".join(f"{kind} {key}" for kind, key in f.records))
    return [f.detail, behind]


@pytest.fixture(scope="module")
def many_findings(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, list[Finding]]]]:
    """The dashboard of the plant, signed in, and the report's findings by check."""
    root = tmp_path_factory.mktemp("quality-paged")
    db = root / "quality.db"
    with tracegraph.connect(str(db)) as graph:
        assert len(graph.load_tables(write_csv(root / "tables", unsourced_plant(UNSOURCED).rows)).rejected) == BAD_SUPPLIERS
        key, _ = ApiKeys(graph.store).create("analyst", "browser test")
        found = graph.quality().by_check()
    with serve(db, root / "serve.log") as url, signed_in(browser, Site(url, db, key, key)) as page:
        page.goto(f"{url}/quality")
        page.wait_for_selector("#kpis")
        yield page, found


@pytest.mark.parametrize(("check", "count"), [("unsourced_shipped_serial", UNSOURCED), ("required_missing", BAD_SUPPLIERS)])
def test_each_checks_findings_page_to_every_finding_once_in_the_reports_order(
        many_findings: tuple[Any, dict[str, list[Finding]]], check: str, count: int) -> None:
    page, found = many_findings
    assert len(found[check]) == count > 25
    area = f"#check-{check}"
    assert page.text_content(f"{area} h2") == f"{check} ({count:,})"
    rows = every_row(page, area, count, drawn_with_page=True)
    assert rows == [_cells(f) for f in found[check]]
    if check == "unsourced_shipped_serial":
        screenshot(page, "18-quality-findings-last-page")
