"""Graph stores, chosen by URL as SQLAlchemy chooses dialects.

``sqlite:///trace.db`` (or a plain path) opens the embedded store, ``neo4j://host:7687`` (also
``neo4j+s``, ``bolt``, ``bolt+s``) a Neo4j server or cluster; backends register their URL schemes in
``_BACKENDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from ..errors import BadInput
from ..extras import extra_module
from .base import Batch, Counts, Direction, DocRef, Edge, EntryBuilder, LogEntry, NodeRef, Store, Writer, plain_writer
from .sqlite import SQLiteStore


def _open_sqlite(url: str, read_only: bool, create: bool) -> Store:
    # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy spells them
    path = url.split("://", 1)[1].removeprefix("/") if "://" in url else url
    return SQLiteStore(path or "tracegraph.db", read_only=read_only, create=create)


def _open_neo4j(url: str, read_only: bool, create: bool) -> Store:  # a server's database is the server's to make
    feature = f"{url.split('://', 1)[0]}:// URLs"
    return extra_module("tracegraph.store.neo4j", "neo4j", feature).Neo4jStore(url, read_only=read_only)


NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")
_BACKENDS: dict[str, Callable[[str, bool, bool], Store]] = {"sqlite": _open_sqlite, "": _open_sqlite,
                                                      **dict.fromkeys(NEO4J_SCHEMES, _open_neo4j)}


def redact(url: str) -> str:
    """The URL without its password, for messages and the audit trail."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def open_store(url: str, *, read_only: bool = False, create: bool = True) -> Store:
    """Open the store a URL names; a bare path is an embedded SQLite file, made if absent unless ``create``
    is False (then NoDatabase, as when opened ``read_only``)."""
    scheme = urlsplit(url).scheme if "://" in url else ""
    try:
        opener = _BACKENDS[scheme]
    except KeyError:
        raise BadInput(f"unknown store URL scheme {scheme!r} in {url!r}; "
                       f"known: {', '.join(s for s in _BACKENDS if s)}") from None
    return opener(url, read_only, create)


__all__ = ["Batch", "Counts", "Direction", "DocRef", "Edge", "EntryBuilder", "LogEntry", "NodeRef", "SQLiteStore",
           "Store", "Writer", "open_store", "plain_writer", "redact"]
