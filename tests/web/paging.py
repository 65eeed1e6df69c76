"""Reading a paged list of the web page (``pageList`` in app.js) to its end, by keyboard."""

from __future__ import annotations

from typing import Any

PAGE = 25  # rows a page of such a list shows (app.js's PAGE)


def every_row(page: Any, area: str, total: int, drawn_with_page: bool = False, skip: int = 0) -> list[list[str]]:
    """The cells of every row of the paged list in ``area`` (a CSS selector), page after page: Enter on
    "Next ›" until it is disabled. Each page must state its range of ``total`` (the list starting after
    its first ``skip``) and announce it (all but a first page ``drawn_with_page``, which nothing asked for),
    and the focus must stay on "Next ›" (on the list's heading once the last page is shown)."""
    rows: list[list[str]] = []
    title = page.text_content(f"{area} h2")
    page.focus(f"{area} .pager button[data-page=next]")
    while True:
        cells = page.eval_on_selector_all(f"{area} tr:has(td)",
                                          "rs => rs.map(r => [...r.cells].map(c => c.textContent))")
        assert cells, f"an empty page in {area}"
        span = f"{skip + len(rows) + 1:,}–{skip + len(rows) + len(cells):,} of {total:,}"
        assert page.text_content(f"{area} .pager span") == span
        if rows or not drawn_with_page:
            assert page.text_content("#announce") == f"{title}: {span}"
        rows += cells
        if page.is_disabled(f"{area} .pager button[data-page=next]"):
            break
        assert page.evaluate("() => document.activeElement.dataset.page") == "next"
        page.keyboard.press("Enter")
        page.wait_for_function("([a, s]) => document.querySelector(a + ' .pager span').textContent !== s",
                               arg=[area, span])
    if len(rows) > len(cells):  # Next was pressed: its list is at its end, and the heading has the focus
        assert page.evaluate("() => document.activeElement.tagName") == "H2"
    return rows
