"""Data quality and KPIs: can the traceability data be trusted, and which records must be fixed?

:func:`assess` runs every check over the whole store, set-at-a-time, and returns one
:class:`QualityReport`: completeness per kind and field against the data dictionary (of the stored
records, and of the records the latest table loads rejected), broken chains, trace coverage and
supplier compliance, each finding naming the records (or the source row) behind it.
"""

from __future__ import annotations

from ..store import Store
from ..trace import TraceEngine
from .chains import chain_checks
from .completeness import completeness
from .consumption import consumption_checks
from .model import CHECKS, COVERAGE_TARGET, FieldCompleteness, Finding, QualityReport, SupplierCompliance, TraceCoverage
from .rejects import rejected_findings, with_rejected


def assess(store: Store, engine: TraceEngine | None = None) -> QualityReport:
    """Every quality check over ``store``; traces use ``engine`` (or a default one)."""
    engine = engine or TraceEngine(store)
    rows, findings = completeness(store)
    rejected = rejected_findings(store)
    coverage, chain_findings = chain_checks(store, engine)
    suppliers, consumption_findings = consumption_checks(store)
    everything = sorted(findings + rejected + chain_findings + consumption_findings, key=Finding.order_key)
    return QualityReport(with_rejected(rows, rejected), coverage, suppliers, everything)


__all__ = ["CHECKS", "COVERAGE_TARGET", "FieldCompleteness", "Finding", "QualityReport", "SupplierCompliance",
           "TraceCoverage", "assess"]
