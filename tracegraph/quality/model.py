"""What a data-quality assessment returns: findings that name their records, and KPIs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..loaders.tables import SourceRow
from ..store import NodeRef

COVERAGE_TARGET = 0.98
"""The founding brief's goal: above 98% of shipped units traceable to supplier lots."""

# The checks, in the order the report and the dashboard present them.
CHECKS: dict[str, str] = {
    "required_missing": "A required field of the data dictionary is empty (in the graph, or in a record a load "
                        "rejected).",
    "invalid_value": "A value breaks its field's constraint in the data dictionary (in the graph, or in a record "
                     "a load rejected).",
    "unsourced_shipped_serial": "A shipped serial whose backward trace reaches no purchased lot or supplier.",
    "orphan_consumed_lot": "A consumed lot that was never received from a supplier nor produced.",
    "empty_container_shipped": "A container shipped while nothing was inside it.",
    "over_consumed_lot": "A lot consumed in more quantity than it had (mass balance).",
    "failed_lot_consumed": "A supplier's lot consumed although an inspection of it failed.",
}
_RANK = {check: f"{i:03d}" for i, check in enumerate(CHECKS)}  # a check's place in CHECKS, as a sortable string


@dataclass(frozen=True)
class Finding:
    """One defect and the records a person must look at (or the source row to fix) to fix the source data."""

    check: str
    subject: NodeRef
    detail: str
    records: tuple[NodeRef, ...] = ()
    source: SourceRow | None = None  # set when the defect is a record a load rejected, so not in the graph

    def order_key(self) -> tuple[str, ...]:
        """Where the finding sits in a report: by check in :data:`CHECKS` order, the graph's findings before a
        load's rejected records (by file and row), then by subject and detail. All strings, sorting as the
        finding does, so that an API cursor can hold the key and continue after it."""
        rejected = ("1", self.source.file, f"{self.source.row:012d}") if self.source else ("0", "", "")
        return (_RANK[self.check], *rejected, *self.subject, self.detail)

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "subject": {"kind": self.subject[0], "id": self.subject[1]},
                "detail": self.detail, "records": [{"kind": k, "id": i} for k, i in self.records],
                "source": self.source.as_dict() if self.source else None}


@dataclass(frozen=True)
class FieldCompleteness:
    """How well one field of one kind (or relationship) is filled."""

    kind: str
    field: str
    required: bool
    records: int
    filled: int
    invalid: int
    rejected: int = 0  # records the latest load of their file rejected for this field

    @property
    def fill_rate(self) -> float:
        return self.filled / self.records if self.records else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "field": self.field, "required": self.required, "records": self.records,
                "filled": self.filled, "fill_rate": round(self.fill_rate, 6), "invalid": self.invalid,
                "rejected": self.rejected}


@dataclass(frozen=True)
class TraceCoverage:
    shipped_serials: int
    covered: int
    target: float = COVERAGE_TARGET

    @property
    def share(self) -> float:
        return self.covered / self.shipped_serials if self.shipped_serials else 1.0

    @property
    def meets_target(self) -> bool:
        return self.share > self.target

    def as_dict(self) -> dict[str, Any]:
        return {"shipped_serials": self.shipped_serials, "covered": self.covered, "share": round(self.share, 6),
                "target": self.target, "meets_target": self.meets_target}


@dataclass(frozen=True)
class SupplierCompliance:
    supplier_id: str
    consumed_lots: int
    failed_lots: int

    @property
    def share_failed(self) -> float:
        return self.failed_lots / self.consumed_lots if self.consumed_lots else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"supplier_id": self.supplier_id, "consumed_lots": self.consumed_lots,
                "failed_lots": self.failed_lots, "share_failed": round(self.share_failed, 6)}


@dataclass
class QualityReport:
    completeness: list[FieldCompleteness]
    coverage: TraceCoverage
    suppliers: list[SupplierCompliance]
    findings: list[Finding] = field(default_factory=list)

    def by_check(self) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {check: [] for check in CHECKS}
        for f in self.findings:
            out[f.check].append(f)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": {check: len(found) for check, found in self.by_check().items()},
            "trace_coverage": self.coverage.as_dict(),
            "supplier_compliance": [s.as_dict() for s in self.suppliers],
            "completeness": [c.as_dict() for c in self.completeness],
            "findings": [f.as_dict() for f in self.findings],
        }
