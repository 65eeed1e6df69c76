"""The one error shape of the API (see :mod:`tracegraph.api`): every error gets ``extensions.code``.

Domain errors (:mod:`tracegraph.errors`) keep their message and code; GraphQL's own errors (syntax,
validation, variables) become BAD_INPUT, or LIMIT_EXCEEDED where a query limit refused them;
anything else is a bug, logged here and masked as INTERNAL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from ..errors import TraceGraphError

log = logging.getLogger("tracegraph.api")

INTERNAL_MESSAGE = "Internal server error; it has been logged."

# GraphQL-level refusals by the query limits (strawberry's depth and alias limiters, graphql-core's
# token budget). They carry no code of their own, so they are recognised by their wording.
_LIMIT_MESSAGES = re.compile(
    r"exceeds maximum operation depth|aliases found\. Allowed|Document contains more than \d+ tokens")


def error_body(code: str, message: str) -> dict[str, Any]:
    """A GraphQL response that carries one error: the shape for errors outside a query, too."""
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}


def classify(error: GraphQLError) -> tuple[str, str]:
    """(code, message to show) for one error of a GraphQL result."""
    original = error.original_error
    if isinstance(original, TraceGraphError):
        return original.code, str(original)
    code = (error.extensions or {}).get("code")
    if original is None or isinstance(original, GraphQLError):
        if code:
            return str(code), error.message
        return ("LIMIT_EXCEEDED" if _LIMIT_MESSAGES.search(error.message) else "BAD_INPUT"), error.message
    log.error("internal error at %s", error.path, exc_info=original)
    return "INTERNAL", INTERNAL_MESSAGE


class ErrorCodes(SchemaExtension):
    """Give every error of a result its stable code; mask internal errors."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        shaped = []
        for error in result.errors:
            code, message = classify(error)
            shaped.append(GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                                       path=error.path, extensions={**(error.extensions or {}), "code": code}))
        result.errors = shaped
