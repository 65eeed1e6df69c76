"""Identifier resolution: GS1 element strings, HRI, Digital Link, EPC URNs, HIBC and ERP keys."""

from .model import Identification, Parsed, record_keys
from .resolve import identifier_forms, identify, parse, require_match, trace_start

__all__ = ["Identification", "Parsed", "identifier_forms", "identify", "parse", "record_keys", "require_match",
           "trace_start"]
