"""The ``quality`` root field: data-quality findings and KPIs from :mod:`tracegraph.quality`."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry

from ..errors import BadInput
from ..quality import CHECKS, QualityReport, model
from ..store import NodeRef
from .connections import Connection, paginate_by
from .context import DEFAULT_PAGE_SIZE, Context
from .permissions import requires


@strawberry.type(description="A record a finding points at.")
class RecordRef:
    kind: str
    id: strawberry.ID


def _ref(ref: NodeRef) -> RecordRef:
    return RecordRef(kind=ref[0], id=ref[1])


def _mirror(source: type, description: str, **properties: type) -> Any:
    """A GraphQL type with the fields of a :mod:`tracegraph.quality` dataclass, plus (or retyping) ``properties``."""
    annotations = {f.name: f.type for f in dataclasses.fields(source)} | properties
    return strawberry.type(type(source.__name__, (), {"__annotations__": annotations}), description=description)


def _to(gql_type: Any, value: object) -> Any:
    return gql_type(**{name: getattr(value, name) for name in gql_type.__annotations__})


FieldCompleteness = _mirror(model.FieldCompleteness, "How well one field of one kind (or relationship) is filled.",
                            fill_rate=float)
TraceCoverage = _mirror(model.TraceCoverage, "Share of shipped serials whose backward trace reaches supplier lots.",
                        share=float, meets_target=bool)
SupplierCompliance = _mirror(model.SupplierCompliance, "One supplier's consumed lots and those with a failed "
                             "inspection.", supplier_id=strawberry.ID, share_failed=float)
SourceRow = _mirror(model.SourceRow, "A record of a source file that a load rejected: file, row, field and why.")


@strawberry.type(description="One defect, with the records a person must look at (or, for a record a load "
                             "rejected, the source row) to fix the source data.")
class QualityFinding:
    check: str
    subject: RecordRef
    detail: str
    records: list[RecordRef]
    source: SourceRow | None  # type: ignore[valid-type]


def _finding(f: model.Finding) -> QualityFinding:
    return QualityFinding(check=f.check, subject=_ref(f.subject), detail=f.detail,
                          records=[_ref(r) for r in f.records], source=f.source and _to(SourceRow, f.source))


def _first(info: strawberry.Info, found: list[model.Finding], first: int) -> list[QualityFinding]:
    """The first ``first`` of ``found`` (at most the page cap): the cut lists beside each connection."""
    return [_finding(f) for f in found[:info.context.page_size(first)]]


async def _page(info: strawberry.Info, found: list[model.Finding], first: int,
                after: str | None) -> Connection[QualityFinding]:
    """A page of ``found`` (in the report's order); a cursor holds its finding's key, not a position."""
    async def load(page: list[model.Finding]) -> list[QualityFinding]:
        return [_finding(f) for f in page]
    return await paginate_by(info.context, found, model.Finding.order_key, first, after, load)


@strawberry.type(description="How many findings one check has, what it looks for, and its findings.")
class QualityCheck:
    check: str
    description: str
    findings: int
    found: strawberry.Private[list[model.Finding]]

    @strawberry.field(description="This check's findings, the first `first` (so that a check with many "
                                  "findings cannot crowd the others out of one list); `itemsConnection` pages "
                                  "through all, with the total.")
    def items(self, info: strawberry.Info, first: int = DEFAULT_PAGE_SIZE) -> list[QualityFinding]:
        return _first(info, self.found, first)

    @strawberry.field(description="All this check's findings, a page at a time in the report's order.")
    async def items_connection(self, info: strawberry.Info, first: int = DEFAULT_PAGE_SIZE,
                               after: str | None = None) -> Connection[QualityFinding]:
        return await _page(info, self.found, first, after)


@strawberry.type(description="Data quality and KPIs over the whole graph.")
class Quality:
    report: strawberry.Private[QualityReport]

    @strawberry.field(description="Every check with its number of findings.")
    def checks(self) -> list[QualityCheck]:
        return [QualityCheck(check=c, description=CHECKS[c], findings=len(found), found=found)
                for c, found in self.report.by_check().items()]

    @strawberry.field
    def trace_coverage(self) -> TraceCoverage:  # type: ignore[valid-type]
        return _to(TraceCoverage, self.report.coverage)

    @strawberry.field(description="Per supplier, by supplier id.")
    def supplier_compliance(self) -> list[SupplierCompliance]:  # type: ignore[valid-type]
        return [_to(SupplierCompliance, s) for s in self.report.suppliers]

    @strawberry.field(description="Per kind (and relationship) and field of the data dictionary.")
    def completeness(self) -> list[FieldCompleteness]:  # type: ignore[valid-type]
        return [_to(FieldCompleteness, c) for c in self.report.completeness]

    def _found(self, check: str | None) -> list[model.Finding]:
        if check is not None and check not in CHECKS:
            raise BadInput(f"unknown check {check!r}; checks: {', '.join(CHECKS)}")
        return self.report.by_check()[check] if check else self.report.findings

    @strawberry.field(description="Findings, of one check if given; the first `first` (`findingsConnection` "
                                  "pages through all, with the total).")
    def findings(self, info: strawberry.Info, check: str | None = None,
                 first: int = DEFAULT_PAGE_SIZE) -> list[QualityFinding]:
        return _first(info, self._found(check), first)

    @strawberry.field(description="Findings, of one check if given; all of them, a page at a time in the "
                                  "report's order (by check, then as each check lists them).")
    async def findings_connection(self, info: strawberry.Info, check: str | None = None,
                                  first: int = DEFAULT_PAGE_SIZE, after: str | None = None) -> Connection[QualityFinding]:
        return await _page(info, self._found(check), first, after)


@strawberry.type
class QualityQuery:
    @strawberry.field(permission_classes=[requires("trace")],
                      description="Completeness, broken chains, trace coverage and supplier compliance.")
    async def quality(self, info: strawberry.Info) -> Quality:
        ctx: Context = info.context
        return Quality(report=await ctx.run(ctx.graph.quality))
