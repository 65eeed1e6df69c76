"""TraceGraph: genealogy and recall scope for medical-device makers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import (AccessDenied, BadInput, LimitExceeded, LoadError, MissingExtra, NotFound, StoreError,
                     TraceGraphError, Unauthenticated)
from .extras import extra_module
from .graph import Graph, connect
from .trace import Limits, TraceStart

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .identifiers import Identification
    from .store import Store


def identify(text: str, store: Store | None = None) -> Identification:
    """Parse any identifier (GS1, Digital Link, EPC URN, HIBC, ERP key); with a store, find its records.

    Needs the ``tracegraph[standards]`` extra, imported only when called.
    """
    return extra_module("tracegraph.identifiers", "standards", "identifier parsing").identify(text, store)


__all__ = ["AccessDenied", "BadInput", "Graph", "LimitExceeded", "Limits", "LoadError", "MissingExtra", "NotFound",
           "StoreError", "TraceGraphError", "TraceStart", "Unauthenticated", "connect", "identify"]
