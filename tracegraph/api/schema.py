"""The GraphQL schema: root types merged from one class per area, plus the query limits.

To add an area (e.g. recall work), write its ``...Query``/``...Mutation`` class in its own module
and add it to :data:`QUERY_AREAS` / :data:`MUTATION_AREAS`. ``python -m tracegraph.api.schema``
prints the SDL that is kept in ``schema.graphql`` at the top of the repository.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import strawberry
from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import (AddValidationRules, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter,
                                   SchemaExtension, ValidationCache)
from strawberry.tools import merge_types

from ..errors import BadInput, LimitExceeded
from .access import AccessMutation, AccessQuery
from .context import ApiSettings
from .errors import ErrorCodes
from .explorer import ExplorerQuery
from .identify import IdentifyQuery
from .quality import QualityQuery
from .recalls import RecallMutation, RecallQuery
from .records import RecordQuery
from .traces import TraceQuery
from .types import RECORD_TYPES, RELATION_TYPES

if TYPE_CHECKING:
    from strawberry.types import ExecutionContext

QUERY_AREAS: tuple[type, ...] = (RecordQuery, TraceQuery, AccessQuery, RecallQuery, IdentifyQuery, QualityQuery,
                                 ExplorerQuery)
MUTATION_AREAS: tuple[type, ...] = (AccessMutation, RecallMutation)


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log nothing here: :class:`ErrorCodes` logs the INTERNAL errors (bugs). strawberry would log every error
        of a result, a client's NOT_FOUND too, with a traceback and the query text, signing secrets included."""


class MaxQueryLength(SchemaExtension):
    """Refuse a query text over the length limit before parsing it: comments and spaces are no tokens, so the
    token limit lets them through, and lexing megabytes of them holds the event loop (every client) for seconds."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def on_parse(self) -> Iterator[None]:
        length = len(self.execution_context.query or "")
        if length > self.max_length:
            # raised before ErrorCodes can shape it (no on_operation epilogue on this path): it carries its code
            raise GraphQLError(f"the query text may have at most {self.max_length:,} characters, not {length:,}",
                               extensions={"code": LimitExceeded.code})
        yield


class OperationChoice(SchemaExtension):
    """GetOperation of the GraphQL spec: with several operations in the document, operationName must name one.

    strawberry runs the first operation when none is named (a mutation too) and, for a name the document lacks,
    answers HTTP 400 without saying which names there are. Checked once the document is parsed, before
    strawberry picks an operation; raised before ErrorCodes can shape it, so it carries its code.
    """

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        if context.graphql_document is None:  # it did not parse: that error is the answer
            return
        names = [d.name.value if d.name else None for d in context.graphql_document.definitions
                 if isinstance(d, OperationDefinitionNode)]
        # what the client sent: strawberry's public operation_name falls back to the first operation's name
        wanted = context._provided_operation_name
        if (wanted is None and len(names) == 1) or (wanted is not None and wanted in names):
            return
        if wanted is None and None in names:  # beside others, which no name can pick: validation's Lone Anonymous
            return  # Operation rule says why, before anything runs
        listed = ", ".join(n or "an anonymous one" for n in names)
        if wanted is not None:
            has = ("it has one anonymous operation (send no operationName)" if names == [None]
                   else f"it has: {listed}" if names else "it has no operation")
            message = f"no operation named {wanted!r} in the document; {has}"
        elif names:
            message = (f"operationName is required: the document has {len(names)} operations ({listed}); "
                       "name the one to run")
        else:
            message = "the document has no operation to run"
        raise GraphQLError(message, extensions={"code": BadInput.code})


def build_schema(settings: ApiSettings | None = None) -> strawberry.Schema:
    s = settings or ApiSettings()
    # The limits' rules are made once, not per request, so the validation cache knows a query text again:
    # clients send the same few texts with new variables, and validating one costs milliseconds.
    limits = [*QueryDepthLimiter(max_depth=s.max_query_depth).validation_rules,
              *MaxAliasesLimiter(max_alias_count=s.max_aliases).validation_rules]
    return Schema(
        query=merge_types("Query", QUERY_AREAS),
        mutation=merge_types("Mutation", MUTATION_AREAS),
        types=[*RECORD_TYPES.values(), *RELATION_TYPES.values()],
        # factories, not instances: an extension instance must not be shared by concurrent requests
        extensions=[ErrorCodes,
                    lambda: MaxQueryLength(s.max_query_length),
                    OperationChoice,
                    lambda: MaxTokensLimiter(max_token_count=s.max_query_tokens),
                    lambda: AddValidationRules(limits),
                    ValidationCache],
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    sys.stdout.write(export_sdl())
