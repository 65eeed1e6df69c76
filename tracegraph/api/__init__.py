"""The GraphQL service over the trace engine (strawberry on starlette, served by uvicorn).

A thin layer over :class:`tracegraph.Graph`: every answer comes from the trace engine; the API only
authenticates, authorises, bounds and pages. Build the ASGI app with
``tracegraph.api.app.create_app(graph_url_or_graph, settings=ApiSettings(...))``; the CLI's
``tracegraph --db PATH serve`` runs it with uvicorn. Needs the ``tracegraph[api]`` extra.

Authentication: every request but ``GET /healthz`` and ``GET /readyz`` (and the GraphiQL page)
carries an API key as ``Authorization: Bearer <key>`` (or ``X-API-Key: <key>``). Keys are made
with ``tracegraph apikey create --role ROLE`` and kept as SHA-256 hashes in the database
(:mod:`tracegraph.api.keys`). A missing, unknown, revoked or expired key gets HTTP 401.

Roles (:mod:`tracegraph.api.roles`), each including the ones before it:

=====================  ==========================================================================
reader                 record look-ups (``lot``, ``serial``, ... with neighbours), ``me``
analyst                + ``forwardTrace``, ``backwardTrace``, ``supplierExposure``
recall_coordinator     + ``recallScope``
admin                  + ``apiKeys``, ``createApiKey``, ``revokeApiKey``
=====================  ==========================================================================

Errors: one shape, the GraphQL one, with a stable ``extensions.code``::

    {"data": ..., "errors": [{"message": "no Lot with id 'L-9'", "path": ["lot"],
                              "locations": [...], "extensions": {"code": "NOT_FOUND"}}]}

    NOT_FOUND        a start id or record that does not exist
    BAD_INPUT        a malformed argument, cursor, id, or a query that does not parse or validate
                     or names no operation to run (several and no operationName, or a name it lacks)
    LIMIT_EXCEEDED   a request body over its cap (HTTP 413, ``data`` null);
                     query depth, tokens, length or aliases over the limit; ``first`` over the page cap;
                     too many start ids; a trace too deep or large; the request's time limit
    UNAUTHENTICATED  no valid API key (HTTP 401, ``data`` null, no ``path``)
    FORBIDDEN        the key's role may not use this field
    STORE_ERROR      the store failed (a domain error, shown as is)
    INTERNAL         anything else: a bug, logged, its message masked

Domain errors (:mod:`tracegraph.errors`) keep their messages; only INTERNAL ones are masked.
"""
