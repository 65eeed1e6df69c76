"""Every Cypher statement the Neo4j backend can send passes Neo4j's own linter against the dictionary."""

from __future__ import annotations

from dataclasses import replace

from cypher_lint import lint

from tracegraph.cypher import CYPHER_VERSION, template_names
from tracegraph.schema import KINDS
from tracegraph.store import neo4j_statements as cy


def test_every_statement_the_backend_sends_lints_clean() -> None:
    results = lint(cy.catalogue())
    failures = [
        f"{r['statement'].name} line {d['line']} col {d['column']}: {d['message']}\n{r['statement'].text}"
        for r in results for d in r["diagnostics"]]
    assert len(results) > 150
    assert not failures, f"{len(failures)} linter diagnostic(s):\n\n" + "\n\n".join(failures)


def test_every_statement_is_pinned_and_every_file_is_in_the_catalogue() -> None:
    statements = list(cy.catalogue())
    assert all(s.text.startswith(CYPHER_VERSION + "\n") for s in statements)
    assert CYPHER_VERSION in ("CYPHER 5", "CYPHER 25")
    assert {s.name for s in statements} == set(template_names())  # no file escapes the linter


def test_the_linter_reports_typos_in_names_parameters_and_syntax() -> None:
    """The check above can fail: the same statements, each broken one way, are each reported."""
    get = cy.node_get(KINDS["Lot"])
    hop = cy.reach_hop(["CONSUMED_INTO"], "out")
    broken = [
        replace(get, text=get.text.replace(":Lot", ":Lott")),  # label
        replace(get, text=get.text.replace("n.lot_id", "n.lot_idd")),  # property key
        replace(get, params=frozenset({"kyes"})),  # parameter the code would not pass
        replace(hop, text=hop.text.replace(":CONSUMED_INTO", ":CONSUMED_IN")),  # relationship type
        replace(hop, text=hop.text.replace("RETURN DISTINCT", "RETRUN DISTINCT")),  # syntax
        replace(get, text=get.text.replace("RETURN n {.*}", "RETURN m {.*}")),  # undefined variable
        replace(get, text=get.text.replace("RETURN n {.*} AS props", "RETURN sizee(n) AS props")),  # function
    ]
    results = lint(broken)
    assert [bool(r["diagnostics"]) for r in results] == [True] * len(broken), results
