"""A real ``tracegraph serve`` on 127.0.0.1 over a generated demo plant, and headless Debian Chromium.

Chromium comes from apt (``scripts/test.sh`` installs it); Playwright drives it through
``executable_path`` and never downloads a browser. Screenshots go to ``<repo>/test-artifacts``.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from servers import serve

import tracegraph
from tracegraph.api.keys import ApiKeys
from tracegraph.generate import generate

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass(frozen=True)
class Site:
    url: str
    db: Path
    key: str
    reader_key: str


@pytest.fixture(scope="session")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The generated demo plant, loaded, with API keys; not served (each site serves its own copy)."""
    root = tmp_path_factory.mktemp("plant")
    generate(root / "tables", 1500, seed=11, defects=True)
    db = root / "plant.db"
    with tracegraph.connect(str(db)) as graph:
        assert len(graph.load_tables(root / "tables").rejected) == 6  # planted: the dashboard lists them
        keys = ApiKeys(graph.store)
        key, _ = keys.create("recall_coordinator", "browser test")
        reader_key, _ = keys.create("reader", "browser test reader")
    return Site("", db, key, reader_key)


def _site(plant: Site, root: Path) -> Iterator[Site]:
    db = root / "plant.db"
    shutil.copy(plant.db, db)
    with serve(db, root / "serve.log") as url:
        yield Site(url, db, plant.key, plant.reader_key)


@pytest.fixture(scope="session")
def site(plant: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site(plant, tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="session")
def held_site(plant: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A second server over its own copy of the plant, for tests that open recalls and place holds
    (holds change what other tests' pages show)."""
    yield from _site(plant, tmp_path_factory.mktemp("held"))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium with apt")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the test extra installs playwright")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def signed_in(browser, site: Site) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A browser page on ``site`` signed in with the coordinator key; no page error may occur."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site.url + "/")
    page.fill("#apikey", site.key)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#who:not(:empty)")
    try:
        yield page
    finally:
        context.close()
    assert errors == [], errors


@pytest.fixture
def page(browser, site: Site):  # type: ignore[no-untyped-def]
    with signed_in(browser, site) as p:
        yield p


def post(site: Site, query: str, variables: dict[str, Any] | None = None, key: str | None = None) -> dict[str, Any]:
    """One GraphQL request to ``site`` over HTTP, with the coordinator key unless ``key``."""
    payload = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {"content-type": "application/json", "authorization": f"Bearer {key or site.key}"}
    request = urllib.request.Request(f"{site.url}/graphql", data=payload, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def graph(site: Site) -> Iterator[tracegraph.Graph]:
    with tracegraph.connect(str(site.db), read_only=True) as g:
        yield g


