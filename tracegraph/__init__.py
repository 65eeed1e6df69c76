"""TraceGraph: genealogy and recall scope for medical-device makers."""

from .errors import (AccessDenied, BadInput, LimitExceeded, LoadError, NotFound, StoreError, TraceGraphError,
                     Unauthenticated)
from .graph import Graph, connect
from .identifiers import identify
from .trace import Limits, TraceStart

__version__ = "0.1.0"

__all__ = ["AccessDenied", "BadInput", "Graph", "LimitExceeded", "Limits", "LoadError", "NotFound", "StoreError",
           "TraceGraphError", "TraceStart", "Unauthenticated", "connect", "identify"]
