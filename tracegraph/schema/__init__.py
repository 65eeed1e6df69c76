"""The data dictionary and everything generated from it."""

from .dictionary import (EDGE_TABLES, GENEALOGY_RELS, ITEM_TYPES, KINDS, KINDS_BY_TABLE, LOAD_ORDER,
                         NODE_KINDS, REL_KINDS, RELS, EdgeTable, Field, FieldType, NodeKind, RelKind)
from .validate import Problem, normalize_datetime, validate

__all__ = ["EDGE_TABLES", "GENEALOGY_RELS", "ITEM_TYPES", "KINDS", "KINDS_BY_TABLE", "LOAD_ORDER",
           "NODE_KINDS", "REL_KINDS", "RELS", "EdgeTable", "Field", "FieldType", "NodeKind", "RelKind",
           "Problem", "normalize_datetime", "validate"]
