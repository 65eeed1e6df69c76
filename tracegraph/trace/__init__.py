"""The trace engine: forward, backward, recall scope, explanations and supplier exposure."""

from .engine import RecallScope, SupplierExposure, TraceEngine, TraceResult, link_order, live, live_edges
from .model import GROUPS, Held, Limits, Link, TraceStart, Whereabouts, in_lot_unit

__all__ = ["GROUPS", "Held", "Limits", "Link", "RecallScope", "SupplierExposure", "TraceEngine", "TraceResult",
           "TraceStart", "Whereabouts", "in_lot_unit", "link_order", "live", "live_edges"]
