"""The GraphQL service over the trace engine (strawberry on starlette)."""
