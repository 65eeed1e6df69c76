"""``identify(text)``: what a scanned or typed identifier means, over :meth:`tracegraph.Graph.identify`."""

from __future__ import annotations

from typing import Any

import strawberry

from .context import Context
from .permissions import requires
from .types import Record, to_record


@strawberry.type(description="One part of an identifier, e.g. gtin, lot, serial, expiry (ISO date), sscc.")
class IdentifierPart:
    name: str
    value: str


@strawberry.type(description="One reading of an identifier and the records it matches.")
class Identification:
    found: strawberry.Private[Any]  # a tracegraph.identifiers.Identification

    @strawberry.field(description="gs1-element-string, gs1-hri, digital-link, epc-urn, hibc or plain (an ERP key).")
    def format(self) -> str:
        return self.found.reading.format

    @strawberry.field(description="Scanner symbology identifier the text began with, e.g. ]d2.")
    def symbology(self) -> str | None:
        return self.found.reading.symbology

    @strawberry.field(description="The parsed parts.")
    def parts(self) -> list[IdentifierPart]:
        return [IdentifierPart(name=k, value=v) for k, v in self.found.reading.parts.items()]

    @strawberry.field(description="What was verified (check digits, check characters).")
    def checks(self) -> list[str]:
        return list(self.found.reading.checks)

    @strawberry.field(description="Matching Product, Lot, Serial and Container records.")
    def records(self) -> list[Record]:
        return [to_record(kind, r) for kind, rows in self.found.records.items() for r in rows]

    @strawberry.field(description="True when a dropped FNC1 allows other readings (listed in alternatives).")
    def ambiguous(self) -> bool:
        return self.found.ambiguous

    @strawberry.field(description="The other readings the text allows; never chosen silently.")
    def alternatives(self) -> list[Identification]:
        return [Identification(found=a) for a in self.found.alternatives]


@strawberry.type
class IdentifyQuery:
    @strawberry.field(permission_classes=[requires("read")],
                      description="Resolve a GS1 element string, HRI, Digital Link, EPC URN, HIBC string or ERP key.")
    async def identify(self, info: strawberry.Info, text: str) -> Identification:
        ctx: Context = info.context
        found: Any = await ctx.run(ctx.graph.identify, text)
        return Identification(found=found)
