"""The web trace explorer (``/``) and data-quality dashboard (``/quality``) served beside the API.

The pages are static files that hold no data: the browser asks the GraphQL API for everything
with the visitor's API key, so these routes need no key themselves. The graph-drawing library
(Cytoscape.js with the dagre layered layout) is vendored in ``static/vendor`` with its licences
(refresh with ``scripts/vendor-web.sh``) and never fetched from the internet.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
PAGES: frozenset[str] = frozenset({"/", "/quality"})
STATIC_PREFIX = "/static/"


def is_public(path: str) -> bool:
    """Pages and assets anyone may load; the data behind them still needs a key."""
    return path in PAGES or path.startswith(STATIC_PREFIX)


async def _page(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html")


def routes() -> list[BaseRoute]:
    return [*(Route(path, _page) for path in sorted(PAGES)),
            Mount(STATIC_PREFIX.rstrip("/"), StaticFiles(directory=STATIC), name="static")]
