"""The ``quality`` root field: data-quality findings and KPIs from :mod:`tracegraph.quality`."""

from __future__ import annotations

import strawberry

from ..errors import BadInput
from ..quality import CHECKS, QualityReport
from ..store import NodeRef
from .context import Context
from .permissions import requires


@strawberry.type(description="A record a finding points at.")
class RecordRef:
    kind: str
    id: strawberry.ID


def _ref(ref: NodeRef) -> RecordRef:
    return RecordRef(kind=ref[0], id=ref[1])


@strawberry.type(description="One defect, with the records a person must look at to fix the source data.")
class QualityFinding:
    check: str
    subject: RecordRef
    detail: str
    records: list[RecordRef]


@strawberry.type(description="How many findings one check has, and what it looks for.")
class QualityCheck:
    check: str
    description: str
    findings: int


@strawberry.type(description="How well one field of one kind (or relationship) is filled.")
class FieldCompleteness:
    kind: str
    field: str
    required: bool
    records: int
    filled: int
    fill_rate: float
    invalid: int


@strawberry.type(description="Share of shipped serials whose backward trace reaches supplier lots.")
class TraceCoverage:
    shipped_serials: int
    covered: int
    share: float
    target: float
    meets_target: bool


@strawberry.type(description="One supplier's consumed lots and those with a failed inspection.")
class SupplierCompliance:
    supplier_id: strawberry.ID
    consumed_lots: int
    failed_lots: int
    share_failed: float


@strawberry.type(description="Data quality and KPIs over the whole graph.")
class Quality:
    report: strawberry.Private[QualityReport]

    @strawberry.field(description="Every check with its number of findings.")
    def checks(self) -> list[QualityCheck]:
        return [QualityCheck(check=c, description=CHECKS[c], findings=len(found))
                for c, found in self.report.by_check().items()]

    @strawberry.field
    def trace_coverage(self) -> TraceCoverage:
        c = self.report.coverage
        return TraceCoverage(shipped_serials=c.shipped_serials, covered=c.covered, share=c.share, target=c.target,
                             meets_target=c.meets_target)

    @strawberry.field(description="Per supplier, by supplier id.")
    def supplier_compliance(self) -> list[SupplierCompliance]:
        return [SupplierCompliance(supplier_id=s.supplier_id, consumed_lots=s.consumed_lots,
                                   failed_lots=s.failed_lots, share_failed=s.share_failed)
                for s in self.report.suppliers]

    @strawberry.field(description="Per kind (and relationship) and field of the data dictionary.")
    def completeness(self) -> list[FieldCompleteness]:
        return [FieldCompleteness(kind=c.kind, field=c.field, required=c.required, records=c.records,
                                  filled=c.filled, fill_rate=c.fill_rate, invalid=c.invalid)
                for c in self.report.completeness]

    @strawberry.field(description="Findings, of one check if given; the first `first`.")
    def findings(self, info: strawberry.Info, check: str | None = None, first: int = 100) -> list[QualityFinding]:
        if check is not None and check not in CHECKS:
            raise BadInput(f"unknown check {check!r}; checks: {', '.join(CHECKS)}")
        found = self.report.by_check()[check] if check else self.report.findings
        return [QualityFinding(check=f.check, subject=_ref(f.subject), detail=f.detail,
                               records=[_ref(r) for r in f.records]) for f in found[:info.context.page_size(first)]]


@strawberry.type
class QualityQuery:
    @strawberry.field(permission_classes=[requires("read")],
                      description="Completeness, broken chains, trace coverage and supplier compliance.")
    async def quality(self, info: strawberry.Info) -> Quality:
        ctx: Context = info.context
        return Quality(report=await ctx.run(ctx.graph.quality))
