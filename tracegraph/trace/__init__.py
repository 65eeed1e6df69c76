"""The trace engine: forward, backward, recall scope, explanations and supplier exposure."""

from .engine import RecallScope, SupplierExposure, TraceEngine, TraceResult, link_order, live, live_edges
from .model import GROUPS, Held, Limits, Link, TraceStart, Whereabouts

__all__ = ["GROUPS", "Held", "Limits", "Link", "RecallScope", "SupplierExposure", "TraceEngine", "TraceResult",
           "TraceStart", "Whereabouts", "link_order", "live", "live_edges"]
