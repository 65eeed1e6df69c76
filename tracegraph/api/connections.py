"""Relay-style connections with key-based cursors.

A cursor encodes the key of the last record seen, not a position: the next page is everything
after that key in key order, so a page stays right even when the trace is recomputed on a later
request (each request runs the trace again; nothing is cached between requests).
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types.nodes import SelectedField

from ..errors import BadInput
from .context import Context

T = TypeVar("T")

_PREFIX = "key:"


def tuple_key(parts: Iterable[str]) -> str:
    """One key for a tuple of strings that sorts as the tuple does, so a list in tuple order (a record's
    relationships: far end, then what tells parallel edges apart) pages by key like any other: each part's NULs
    become NUL SOH and each part ends in NUL NUL, which sorts before whatever a longer part goes on with."""
    return "".join(part.replace("\0", "\0\1") + "\0\0" for part in parts)


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode((_PREFIX + key).encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(_PREFIX):
        raise BadInput(f"not a cursor of this API: {cursor!r}")
    return text.removeprefix(_PREFIX)


@strawberry.type(description="Where a page sits in its connection.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="One record of a page, with the cursor to continue after it.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a sorted result: pass pageInfo.endCursor as `after` for the next.")
class Connection(Generic[T]):
    total_count: int = strawberry.field(description="How many records the whole result has.")
    page_info: PageInfo
    keys: strawberry.Private[list[str]]
    page: strawberry.Private[list[T]]  # the node of each key

    @strawberry.field
    def edges(self) -> list[Edge[T]]:
        """Built only when asked for: most clients read ``nodes``, and a cursor per node is work for nothing."""
        return [Edge(cursor=encode_cursor(k), node=n) for k, n in zip(self.keys, self.page)]

    @strawberry.field(description="The page's records, without cursors.")
    def nodes(self) -> list[T]:
        return self.page


async def paginate(ctx: Context, keys: Sequence[str], first: int, after: str | None,
                   load: Callable[[list[str]], Awaitable[list[Any]]]) -> Connection[Any]:
    """The page of sorted ``keys`` after the cursor; ``load`` turns the page's keys into nodes."""
    size = ctx.page_size(first)
    start = 0 if after is None else bisect_right(keys, decode_cursor(after))
    page = list(keys[start:start + size])
    nodes = await load(page)
    return Connection(
        total_count=len(keys),
        page_info=PageInfo(has_next_page=start + size < len(keys), has_previous_page=start > 0,
                           start_cursor=encode_cursor(page[0]) if page else None,
                           end_cursor=encode_cursor(page[-1]) if page else None),
        keys=page, page=nodes)


async def paginate_by(ctx: Context, items: Sequence[T], key: Callable[[T], Iterable[str]], first: int,
                      after: str | None, load: Callable[[list[T]], Awaitable[list[Any]]]) -> Connection[Any]:
    """:func:`paginate` over ``items`` already sorted by ``key``, a tuple of strings. Items with equal keys
    (two quality findings alike but for their edge's step) keep their order and each its own cursor: the key
    is followed by how many equal ones came before it."""
    by_key: dict[str, T] = {}
    last, seen = "", 0
    for item in items:
        base = tuple_key(key(item))
        seen = seen + 1 if base == last else 0
        last = base
        by_key[base + tuple_key((f"{seen:09d}",))] = item
    return await paginate(ctx, list(by_key), first, after, lambda keys: load([by_key[k] for k in keys]))


def _node_selections(info: strawberry.Info) -> Iterator[Any]:
    """What the query asks of the nodes of the connection ``info`` resolves, under ``nodes`` and
    ``edges { node }``; a fragment on the way is yielded itself, as it may ask anything."""
    for connection in info.selected_fields:
        for part in connection.selections:
            if not isinstance(part, SelectedField):
                yield part
            elif part.name == "nodes":
                yield from part.selections
            elif part.name == "edges":
                for edge in part.selections:
                    if not isinstance(edge, SelectedField):
                        yield edge
                    elif edge.name == "node":
                        yield from edge.selections


def nodes_ask_only(info: strawberry.Info, fields: frozenset[str]) -> bool:
    """Whether the query asks the connection's nodes for no field but ``fields`` (and no fragment)."""
    return all(isinstance(s, SelectedField) and s.name in fields for s in _node_selections(info))
