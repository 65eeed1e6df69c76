"""The request body cap (``ApiSettings.max_body_bytes``), as ASGI middleware in front of everything else.

strawberry reads a whole body into memory and parses its JSON before any limit of the query is checked, so
a 200 MB POST cost hundreds of MB and seconds of the event loop. Here a declared Content-Length over the cap
is refused before any of the body is read, and a body without one (chunked) is counted as it arrives and
refused as soon as it passes the cap: HTTP 413 in the API's error shape.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import LimitExceeded
from .errors import error_body


class _OverCap(Exception):
    """Raised out of ``receive`` when a body passes the cap; caught by :class:`BodyLimit` alone."""


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send, f"{int(declared):,}")
            return
        received = 0
        answering = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _OverCap
            return message

        async def sending(message: Message) -> None:
            nonlocal answering
            answering = True
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except _OverCap:
            if answering:  # too late for a 413 (an app that answers before reading its body); let the server end it
                raise
            await self._refuse(scope, receive, send, f"more than {self.max_bytes:,}")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        # Connection: close, so the server drops the rest of the body instead of reading it to reuse the connection
        message = f"the request body may have at most {self.max_bytes:,} bytes, not {size}"
        await JSONResponse(error_body(LimitExceeded.code, message), status_code=413,
                           headers={"Connection": "close"})(scope, receive, send)
