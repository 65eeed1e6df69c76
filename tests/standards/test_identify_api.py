"""The GraphQL field identify(text) over a real uvicorn server on a store loaded from EPCIS."""

from __future__ import annotations

from pathlib import Path

import httpx
from api.conftest import serve

from tracegraph import Graph
from tracegraph.api.app import create_app
from tracegraph.api.keys import ApiKeys
from tracegraph.store import SQLiteStore

from .conftest import DATA

QUERY = """query($text: String!) { identify(text: $text) {
  format ambiguous parts { name value } checks records { __typename id }
  alternatives { parts { name value } } } }"""


def test_identify_over_graphql(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "api.db")
    graph = Graph(store)
    graph.load_epcis([DATA / "openepcis" / "GS1_US_Pharma_Example_2_2_1_1.xml"])
    serial = next(iter(store.keys("Serial")))
    [urn] = [e.src[1] for e in store.edges("IDENTIFIES", [("Serial", serial)], "in") if e.src[1].startswith("urn:")]
    key, _ = ApiKeys(store).create("reader", name="standards test")
    with serve(create_app(graph)) as url:
        def ask(text: str) -> dict:
            body = httpx.post(f"{url}/graphql", json={"query": QUERY, "variables": {"text": text}},
                              headers={"Authorization": f"Bearer {key}"}, timeout=60).json()
            assert "errors" not in body, body
            return body["data"]["identify"]
        found = ask(urn)
        assert found["format"] == "epc-urn" and not found["ambiguous"]
        assert {"__typename": "Serial", "id": serial} in found["records"]
        assert ask(serial)["records"] == found["records"]  # the HRI key form: the same record
        dropped = ask("0109501101020917171905081012345621XYZ")
        assert dropped["ambiguous"] and dropped["alternatives"][0]["parts"][-1] == {"name": "serial", "value": "XYZ"}
        for kind, field in (("Identifier", "identifier"), ("Event", "event"), ("BizTransaction", "bizTransaction"),
                            ("Container", "container")):
            record_key = next(iter(store.keys(kind)))
            body = httpx.post(f"{url}/graphql", json={"query": f'query($id: ID!) {{ {field}(id: $id) {{ id }} }}',
                                                     "variables": {"id": record_key}},
                              headers={"Authorization": f"Bearer {key}"}, timeout=60).json()
            assert body["data"][field]["id"] == record_key, body
        bad = httpx.post(f"{url}/graphql", json={"query": QUERY, "variables": {"text": "(01)09501101020918"}},
                         headers={"Authorization": f"Bearer {key}"}, timeout=60).json()
        assert bad["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    graph.close()
