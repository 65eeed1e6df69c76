"""The data dictionary and everything generated from it."""

from .dictionary import (EDGE_TABLES, GENEALOGY_RELS, ITEM_TYPES, KINDS, KINDS_BY_TABLE, LOAD_ORDER,
                         NODE_KINDS, REL_KINDS, RELS, EdgeTable, Field, FieldType, NodeKind, RelKind)
from .validate import Defect, Problem, normalize_datetime, validate

__all__ = ["Defect", "EDGE_TABLES", "GENEALOGY_RELS", "ITEM_TYPES", "KINDS", "KINDS_BY_TABLE", "LOAD_ORDER",
           "NODE_KINDS", "REL_KINDS", "RELS", "EdgeTable", "Field", "FieldType", "NodeKind", "RelKind",
           "Problem", "normalize_datetime", "validate"]
