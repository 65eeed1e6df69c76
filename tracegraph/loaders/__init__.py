"""Loaders: records from source systems into one genealogy graph, checked against the dictionary."""

from .tables import LoadReport, Rejected, load_tables

__all__ = ["LoadReport", "Rejected", "load_tables"]
