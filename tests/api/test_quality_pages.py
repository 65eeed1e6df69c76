"""Quality findings page through to every finding of a check (and of the report), with the total.

``QualityCheck.items`` and ``quality { findings }`` stop at ``first``; ``itemsConnection`` and
``findingsConnection`` beside them page through all, with ``totalCount`` and ``after`` cursors that hold
the last finding's key in the report's order. The plant here has more shipped units without a supplier
behind them than a page can hold (keys out of the order they were made in) and rejected rows whose
numbers sort differently as text; the pages are checked against ``Graph.quality().by_check()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tracegraph import Graph
from tracegraph.api.app import create_app
from tracegraph.api.context import ApiSettings
from tracegraph.api.keys import ApiKeys
from tracegraph.quality import Finding
from tracegraph.store import Batch, Edge, SQLiteStore

from canonical import Tables, write_csv
from .conftest import PAGE, codes, every_page, serve

CAP = ApiSettings().max_page_size
UNSOURCED, BAD_SUPPLIERS = CAP + 250, 30
FINDING = "check subject { kind id } detail records { kind id } source { file row field reason }"


def unsourced_plant(unsourced: int) -> Tables:
    """Units of a lot nobody supplied, all shipped; suppliers without their required name (rejected)."""
    t = Tables()
    t.lot("F", product="P1", quantity=unsourced)
    units = [f"SN-{i * 104_729 % 100_003}" for i in range(unsourced)]
    for serial in units:
        t.serial(serial, product="P1", lot="F")
    for k in range(0, unsourced, 50):
        t.ship(f"SHP-{k}", "C1", 10, *units[k:k + 50])
    for i in range(BAD_SUPPLIERS):
        t.rows["suppliers"].append({"supplier_id": f"BAD-{i}", "name": "", "country": "DE"})
    return t


@contextmanager
def _served(root: Path, unsourced: int) -> Iterator[tuple[str, str, Graph]]:
    """The plant loaded into a SQLite file and served; its URL, an analyst's key and the graph."""
    with Graph(SQLiteStore(root / "g.db")) as graph:
        assert len(graph.load_tables(write_csv(root / "tables", unsourced_plant(unsourced).rows)).rejected) == BAD_SUPPLIERS
        key = ApiKeys(graph.store).create("analyst", name="quality engineer")[0]
        with serve(create_app(graph)) as url:
            yield url, key, graph


@pytest.fixture(scope="module")
def findings_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Graph]]:
    with _served(tmp_path_factory.mktemp("quality-pages"), UNSOURCED) as server:
        yield server


def _post(server: tuple[str, str, Graph], query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    url, key, _ = server
    return httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}},
                      headers={"Authorization": f"Bearer {key}"}, timeout=60).json()


def _as_gql(f: Finding) -> dict[str, Any]:
    """A finding as the API must give it."""
    return {"check": f.check, "subject": {"kind": f.subject[0], "id": f.subject[1]}, "detail": f.detail,
            "records": [{"kind": k, "id": i} for k, i in f.records],
            "source": f.source and {"file": f.source.file, "row": f.source.row, "field": f.source.field,
                                    "reason": f.source.reason}}


def _connection(body: dict[str, Any], check: str | None) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    quality = body["data"]["quality"]
    if check is None:
        return quality["findingsConnection"]
    return next(c for c in quality["checks"] if c["check"] == check)["itemsConnection"]


def _query(check: str | None, first: int) -> str:
    page = f"(first: {first}, after: $after) {{ {PAGE} nodes {{ {FINDING} }} }}"
    if check is None:
        return f"query($after: String) {{ quality {{ findingsConnection{page} }} }}"
    return f"query($after: String) {{ quality {{ checks {{ check itemsConnection{page} }} }} }}"


def _every_page(server: tuple[str, str, Graph], check: str | None, first: int) -> tuple[list[dict], set[int], int]:
    """Every finding of the connection, page after page; the totals the pages told; how many pages."""
    return every_page(lambda after: _connection(_post(server, _query(check, first), {"after": after}), check), first)


@pytest.mark.parametrize(("check", "first"), [("unsourced_shipped_serial", CAP), ("unsourced_shipped_serial", 333),
                                              ("unsourced_shipped_serial", 97), ("required_missing", 1),
                                              ("required_missing", 7), (None, 400)])
def test_pages_give_every_finding_once_in_the_reports_order(findings_server: tuple[str, str, Graph],
                                                            check: str | None, first: int) -> None:
    report = findings_server[2].quality()
    expected = [_as_gql(f) for f in (report.by_check()[check] if check else report.findings)]
    assert len(expected) == {"unsourced_shipped_serial": UNSOURCED, "required_missing": BAD_SUPPLIERS,
                             None: UNSOURCED + BAD_SUPPLIERS}[check]
    found, totals, pages = _every_page(findings_server, check, first)
    assert found == expected, "every finding once, no gap, in the report's order"
    assert totals == {len(expected)}
    assert pages == -(-len(expected) // first)


def test_a_cursor_holds_a_finding_not_a_position(tmp_path: Path) -> None:
    """A finding that appears before the cursor between two requests neither repeats nor hides one."""
    check = "unsourced_shipped_serial"
    with _served(tmp_path, 250) as server:
        first_page = _connection(_post(server, _query(check, 100)), check)
        t = Tables()  # a unit whose finding sorts before every other: what was 100th is now 101st
        t.serial("A-LATE", product="P1", lot="F")
        t.ship("SHP-LATE", "C1", 11, "A-LATE")
        for name in ("products", "customers"):
            del t.rows[name]
        assert server[2].load_tables(write_csv(tmp_path / "later", t.rows)).rejected == []
        report = [_as_gql(f) for f in server[2].quality().by_check()[check]]
        assert report[0]["subject"]["id"] == "A-LATE" and report[1:101] == first_page["nodes"]
        second = _connection(_post(server, _query(check, 100), {"after": first_page["pageInfo"]["endCursor"]}),
                             check)
    assert second["nodes"] == report[101:201]
    assert second["totalCount"] == 251


def test_the_cut_lists_still_work_and_bad_arguments_are_refused(findings_server: tuple[str, str, Graph]) -> None:
    body = _post(findings_server, f'query {{ quality {{ checks {{ check findings items(first: 5) {{ {FINDING} }} '
                                  f'itemsConnection(first: 5) {{ nodes {{ {FINDING} }} }} }} '
                                  f'findings(check: "required_missing", first: 3) {{ {FINDING} }} '
                                  f'findingsConnection(check: "required_missing", first: 3) {{ totalCount '
                                  f'nodes {{ {FINDING} }} }} }} }}')
    assert "errors" not in body, body["errors"]
    quality = body["data"]["quality"]
    for c in quality["checks"]:
        assert c["items"] == c["itemsConnection"]["nodes"] and len(c["items"]) == min(5, c["findings"])
    assert quality["findings"] == quality["findingsConnection"]["nodes"] and len(quality["findings"]) == 3
    assert quality["findingsConnection"]["totalCount"] == BAD_SUPPLIERS
    unknown = _post(findings_server, 'query { quality { findingsConnection(check: "nope") { totalCount } } }')
    assert codes(unknown["errors"]) == {"BAD_INPUT"}
    bad = _post(findings_server, 'query { quality { findingsConnection(after: "nonsense") { totalCount } } }')
    assert codes(bad["errors"]) == {"BAD_INPUT"}
    over = _post(findings_server, f'query {{ quality {{ checks {{ itemsConnection(first: {CAP + 1}) '
                                  f'{{ totalCount }} }} }} }}')
    assert codes(over["errors"]) == {"LIMIT_EXCEEDED"}


def test_findings_with_equal_keys_each_get_a_page_place(tmp_path: Path) -> None:
    """Two parallel consumptions (one lot into another at two steps, as another loader may write them) with
    the same bad quantity give two findings with equal check, subject and detail: a page of one must not
    make them one, or the total disagrees with the report and the second is never listed."""
    t = Tables()
    for lot in ("IN", "OUT"):
        t.lot(lot, product="P1", quantity=10)
    with Graph(SQLiteStore(tmp_path / "g.db")) as graph:
        assert graph.load_tables(write_csv(tmp_path / "tables", t.rows)).rejected == []
        graph.store.write(Batch(edges={"CONSUMED_INTO": [
            Edge("CONSUMED_INTO", ("Lot", "IN"), ("Lot", "OUT"), {"step_id": step, "quantity": -5})
            for step in ("S1", "S2")]}))
        report = [_as_gql(f) for f in graph.quality().by_check()["invalid_value"]]
        key = ApiKeys(graph.store).create("analyst", name="quality engineer")[0]
        with serve(create_app(graph)) as url:
            server = (url, key, graph)
            for check in ("invalid_value", None):
                found, totals, _ = _every_page(server, check, 1)
                expected = report if check else [_as_gql(f) for f in graph.quality().findings]
                assert found == expected and totals == {len(expected)}
    equal = [f for f in report if f["detail"].endswith("quantity -5 is below the minimum 0")]
    assert len(equal) == 2 and equal[0] == equal[1], "the plant must give two equal findings"
