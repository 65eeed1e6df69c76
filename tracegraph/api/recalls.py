"""Recall work over GraphQL: queries for every role, mutations for recall coordinators (and admins).

A thin layer over :class:`tracegraph.recall.RecallService`: the caller (the API key's name, else
its id) is the actor every audit entry names; signatures and closing need the caller's signing
secret in the mutation (re-authentication), which the service checks against its stored hash.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from ..errors import BadInput, NotFound
from ..recall.audit import AuditLog
from ..recall.export import csv_text, evidence_html
from ..recall.model import (CLASSIFICATIONS, ITEM_GROUPS, OUTCOMES, Recall as RecallRecord,
                            ScopeVersion as Snapshot, holds_on, ref)
from ..recall.service import RecallService
from ..recall.signatures import MEANINGS, intact
from ..trace.triggers import TRIGGER_KINDS, RecallTrigger
from .connections import Connection, paginate
from .context import DEFAULT_PAGE_SIZE, Context
from .permissions import requires


def actor(ctx: Context) -> str:
    """Who the audit trail names for this request: the API key's name, else its id."""
    return ctx.principal.name or f"apikey:{ctx.principal.key_id}"


def _service(ctx: Context) -> RecallService:
    return ctx.graph.recalls(actor(ctx))


def _customers(svc: RecallService, recall_id: str, customers: list[str] | None) -> list[str]:
    """The customers named, or every affected one when the argument is left out; an empty list stays empty
    (and the service refuses it) rather than meaning everyone."""
    return list(svc.version(recall_id).items["customers"]) if customers is None else customers


def _enum(name: str, values: tuple[str, ...], description: str) -> Any:
    """A GraphQL enum over one of the workflow's tuples of allowed values (kept in one place)."""
    return strawberry.enum(Enum(name, {v.upper(): v for v in values}), description=description)  # type: ignore[misc]


TriggerKind = _enum("TriggerKind", TRIGGER_KINDS, "What a recall starts from.")
RecallClass = _enum("RecallClass", CLASSIFICATIONS, "Health hazard class of a recall (I most serious).")
Outcome = _enum("Outcome", OUTCOMES, "What happened to an affected unit.")
SignatureMeaning = _enum("SignatureMeaning", tuple(m for m in MEANINGS if m != "closed"),
                         "What a signature means (closing signs as closed).")


@strawberry.input(description="The quality event: ids are lots or serials, or the one supplier, material, "
                              "equipment id, revision or failed characteristic; since/until bound a window.")
class RecallTriggerSpec:
    kind: TriggerKind
    ids: list[str]
    since: str | None = None
    until: str | None = None
    item: str | None = strawberry.field(default=None, description="Only lots of this material or product.")

    def value(self) -> RecallTrigger:
        return RecallTrigger(self.kind.value, tuple(self.ids), self.since, self.until, self.item)  # type: ignore[arg-type]


@strawberry.type(description="The trigger a recall was opened from.")
class TriggerInfo:
    kind: TriggerKind
    ids: list[str]
    since: str | None
    until: str | None
    item: str | None
    description: str


@strawberry.type(description="One recorded action or computation: who, when, what, why, before and after.")
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    target: str
    why: str
    before: JSON | None
    after: JSON | None
    prev: str
    hash: str

    @classmethod
    def of(cls, e: dict[str, Any]) -> AuditEntry:
        return cls(**{k: e[k] for k in ("seq", "at", "actor", "action", "target", "why", "before", "after", "prev",
                                       "hash")})


@strawberry.type(description="The result of checking the audit trail's hash chain.")
class AuditVerification:
    ok: bool
    entries: int
    first_bad: int | None
    problem: str


@strawberry.type(description="An electronic signature: signer, meaning, time and the signed record's hash.")
class Signature:
    signer: str
    meaning: str
    signed_at: str
    record: str
    record_hash: str
    signature_hash: str
    intact: bool = strawberry.field(description="Whether it still hashes to its signature_hash, names this recall, "
                                                "was recorded in the audit trail as made, and binds this record (with "
                                                "the signatures before it) or is covered by a later intact signature.")

    @classmethod
    def of(cls, s: dict[str, Any], ok: bool) -> Signature:
        return cls(signer=s["signer"], meaning=s["meaning"], signed_at=s["signed_at"], record=s["record"],
                   record_hash=s["record_hash"], signature_hash=s["signature_hash"], intact=ok)


def _signatures(ctx: Context, recall: RecallRecord) -> list[Signature]:
    """The recall's signatures, each checked against the record and the audit trail (call in a store thread)."""
    checks = intact(recall, AuditLog(ctx.graph.store).entries(f"recall:{recall.recall_id}"))
    return [Signature.of(s, ok) for s, ok in zip(recall.signatures, checks)]


@strawberry.type(description="A recall hold on one record.")
class RecallHold:
    recall_id: str
    placed_at: str
    placed_by: str
    why: str


# a trace's whereabouts (api/traces.py) and a recall's affected items both report it
REMAINING = ("How much of a lot is left on site, in its uom: its quantity less what was consumed and shipped loose "
             "(a lot with some left is in stock); null for a serial, or when the records cannot tell.")


@strawberry.type(description="One affected lot or serial of a scope version and what was done about it.")
class AffectedItem:
    ref: str = strawberry.field(description="Kind:id, e.g. Serial:SN000000001.")
    kind: str
    id: strawberry.ID
    status: str = strawberry.field(description="shipped, consumed or in_stock when the scope was computed.")
    customer_ids: list[str]
    shipment_ids: list[str]
    container_id: str | None = strawberry.field(description="The container it was in (the first of `containerIds`).")
    container_ids: list[str] = strawberry.field(description="Every container it was in: more than one for a split lot.")
    remaining: float | None = strawberry.field(description=f"{REMAINING} As it was when the scope was computed.")
    unit: bool = strawberry.field(description="Whether it needs a disposition before the recall closes.")
    disposition: str | None
    disposition_reason: str | None


@strawberry.type(description="An affected customer: counts, who is responsible, notification and acknowledgement.")
class RecallCustomer:
    customer_id: strawberry.ID
    lots: int
    serials: int
    shipments: int
    assignee: str | None
    notified_at: str | None
    method: str | None
    acknowledged_at: str | None


@strawberry.type(description="One frozen scope computation of a recall.")
class ScopeVersion:
    version: int
    computed_at: str
    computed_by: str
    why: str
    hash: str = strawberry.field(description="SHA-256 of the frozen version.")
    snapshot: strawberry.Private[Snapshot]
    recall: strawberry.Private[RecallRecord]

    @classmethod
    def of(cls, snapshot: Snapshot, recall: RecallRecord) -> ScopeVersion:
        return cls(version=snapshot.version, computed_at=snapshot.computed_at, computed_by=snapshot.computed_by,
                   why=snapshot.why, hash=snapshot.hash, snapshot=snapshot, recall=recall)

    @strawberry.field(description="Count per group (lots, serials, containers, ...) and of units.")
    def counts(self) -> JSON:
        return self.snapshot.counts()

    @strawberry.field(description="Ids of one group: lots, serials, containers, shipments or customers.")
    def ids(self, group: str) -> list[str]:
        if group not in ITEM_GROUPS:
            raise BadInput(f"group must be one of {', '.join(ITEM_GROUPS)}, not {group!r}")
        return list(self.snapshot.items[group])

    @strawberry.field(description="Affected lots and serials, in Kind:id order.")
    async def affected(self, info: strawberry.Info, first: int = DEFAULT_PAGE_SIZE,
                       after: str | None = None) -> Connection[AffectedItem]:
        snap, done = self.snapshot, self.recall.dispositions
        units = set(snap.units)

        async def load(keys: list[str]) -> list[AffectedItem]:
            return [AffectedItem(ref=k, kind=k.split(":", 1)[0], id=k.split(":", 1)[1], status=snap.where[k]["status"],
                                 customer_ids=snap.where[k]["customers"], shipment_ids=snap.where[k]["shipments"],
                                 container_id=snap.where[k]["container"],
                                 container_ids=snap.where[k]["containers"], remaining=snap.where[k].get("remaining"),
                                 unit=k in units,
                                 disposition=done.get(k, {}).get("outcome"),
                                 disposition_reason=done.get(k, {}).get("reason")) for k in keys]
        return await paginate(info.context, sorted(snap.where), first, after, load)

    @strawberry.field(description="Affected customers with counts and notification status.")
    def customers(self) -> list[RecallCustomer]:
        out = []
        for c, n in self.snapshot.by_customer.items():
            contact = self.recall.customers.get(c, {})
            out.append(RecallCustomer(customer_id=c, lots=int(n["lots"]), serials=int(n["serials"]),
                                      shipments=int(n["shipments"]), assignee=contact.get("assignee"),
                                      notified_at=contact.get("notified_at"), method=contact.get("method"),
                                      acknowledged_at=contact.get("acknowledged_at")))
        return out

    @strawberry.field(description="The chain of records explaining why a customer or lot (Kind:id) is in scope.")
    def chain(self, ref: str) -> JSON:
        if ref not in self.snapshot.chains:
            raise NotFound(f"no chain for {ref!r} in scope version {self.snapshot.version} of "
                           f"{self.snapshot.recall_id}: chains explain its customers, shipments and lots (Kind:id)")
        return self.snapshot.chains[ref]


@strawberry.type(description="A recall: trigger, scope versions, actions and signatures.")
class Recall:
    id: strawberry.ID
    status: str = strawberry.field(description="open or closed.")
    classification: RecallClass
    reason: str
    owner: str
    opened_at: str
    opened_by: str
    closed_at: str | None
    r: strawberry.Private[RecallRecord]

    @classmethod
    def of(cls, r: RecallRecord) -> Recall:
        return cls(id=strawberry.ID(r.recall_id), status=r.status, classification=RecallClass(r.classification),
                   reason=r.reason, owner=r.owner, opened_at=r.opened_at, opened_by=r.opened_by,
                   closed_at=r.closed_at, r=r)

    @strawberry.field
    def trigger(self) -> TriggerInfo:
        t = self.r.trigger_value
        return TriggerInfo(kind=TriggerKind(t.kind), ids=list(t.ids), since=t.since, until=t.until, item=t.item,
                           description=t.describe())

    @strawberry.field(description="SHA-256 of the record with the hashes of its signatures so far: what the next "
                                  "signature binds.")
    def record_hash(self) -> str:
        return self.r.record_hash()

    @strawberry.field(description="Records (Kind:id) this recall put on hold.")
    def held(self) -> list[str]:
        return list(self.r.held)

    @strawberry.field(description="How many affected units have a disposition or documented reason.")
    def units_disposed(self) -> int:
        return len(self.r.dispositions)

    @strawberry.field
    async def signatures(self, info: strawberry.Info) -> list[Signature]:
        ctx: Context = info.context
        return await ctx.run(_signatures, ctx, self.r)

    @strawberry.field(description="Every scope version, oldest first.")
    async def versions(self, info: strawberry.Info) -> list[ScopeVersion]:
        ctx: Context = info.context
        svc = _service(ctx)
        return [ScopeVersion.of(await ctx.run(svc.version, self.r.recall_id, v["version"]), self.r)
                for v in self.r.versions]

    @strawberry.field(description="One scope version; the latest without `version`.")
    async def scope(self, info: strawberry.Info, version: int | None = None) -> ScopeVersion:
        ctx: Context = info.context
        return ScopeVersion.of(await ctx.run(_service(ctx).version, self.r.recall_id, version), self.r)

    @strawberry.field(description="What changed between two scope versions, per group and per customer.")
    async def diff(self, info: strawberry.Info, old: int, new: int) -> JSON:
        ctx: Context = info.context
        return await ctx.run(_service(ctx).diff, self.r.recall_id, old, new)

    @strawberry.field(description="The audit entries of this recall, oldest first.")
    async def actions(self, info: strawberry.Info) -> list[AuditEntry]:
        ctx: Context = info.context
        entries = await ctx.run(lambda: list(AuditLog(ctx.graph.store).entries(f"recall:{self.r.recall_id}")))
        return [AuditEntry.of(e) for e in entries]

    @strawberry.field(description="The scope and its status as CSV text (one row per affected record).")
    async def csv(self, info: strawberry.Info) -> str:
        ctx: Context = info.context
        return await ctx.run(csv_text, _service(ctx), self.r.recall_id)

    @strawberry.field(description="The evidence document: one self-contained HTML page.")
    async def evidence_html(self, info: strawberry.Info) -> str:
        ctx: Context = info.context
        return await ctx.run(evidence_html, _service(ctx), self.r.recall_id)


@strawberry.type(description="A new scope version and what changed since the previous one.")
class ScopeResult:
    scope: ScopeVersion
    diff: JSON


@strawberry.type
class RecallQuery:
    @strawberry.field(permission_classes=[requires("read")], description="One recall by id.")
    async def recall(self, info: strawberry.Info, id: strawberry.ID) -> Recall:
        ctx: Context = info.context
        return Recall.of(await ctx.run(_service(ctx).get, id))

    @strawberry.field(permission_classes=[requires("read")], description="Every recall, by id.")
    async def recalls(self, info: strawberry.Info) -> list[Recall]:
        ctx: Context = info.context
        return [Recall.of(r) for r in await ctx.run(_service(ctx).recalls)]

    @strawberry.field(permission_classes=[requires("read")],
                      description="Check the audit trail's hash chain; names the first entry that fails.")
    async def audit_verify(self, info: strawberry.Info) -> AuditVerification:
        ctx: Context = info.context
        v = await ctx.run(AuditLog(ctx.graph.store).verify)
        return AuditVerification(ok=v.ok, entries=v.entries, first_bad=v.first_bad, problem=v.problem)


@strawberry.type
class RecallMutation:
    @strawberry.mutation(permission_classes=[requires("recall")], description="Open a recall from a trigger.")
    async def open_recall(self, info: strawberry.Info, trigger: RecallTriggerSpec, reason: str,
                          classification: RecallClass, owner: str | None = None, why: str = "") -> Recall:
        ctx: Context = info.context
        ctx.settings.check_start_ids(len(trigger.ids), "a recall")
        svc = _service(ctx)
        return Recall.of(await ctx.run(svc.open, trigger.value(), reason, classification.value, owner, why))

    @strawberry.mutation(permission_classes=[requires("recall")],
                         description="Compute the scope now and freeze it as the next version.")
    async def scope_recall(self, info: strawberry.Info, id: strawberry.ID, why: str = "") -> ScopeResult:
        ctx: Context = info.context
        svc = _service(ctx)
        snapshot, change = await ctx.run(svc.scope, id, why)
        return ScopeResult(scope=ScopeVersion.of(snapshot, await ctx.run(svc.get, id)), diff=change)

    @strawberry.mutation(permission_classes=[requires("recall")],
                         description="Hold affected stock (default: lots and serials in stock and their containers, "
                                     "and lots whose remaining quantity is unknown); returns the records newly held.")
    async def hold_recall_stock(self, info: strawberry.Info, id: strawberry.ID, items: list[str] | None = None,
                                why: str = "") -> list[str]:
        ctx: Context = info.context
        return await ctx.run(_service(ctx).hold, id, items, why)

    @strawberry.mutation(permission_classes=[requires("recall")],
                         description="Release this recall's holds (all, or on `items`); returns the records released.")
    async def release_recall_holds(self, info: strawberry.Info, id: strawberry.ID, items: list[str] | None = None,
                                   why: str = "") -> list[str]:
        ctx: Context = info.context
        return await ctx.run(_service(ctx).release, id, items, why)

    @strawberry.mutation(permission_classes=[requires("recall")],
                         description="Make a person responsible for customers (all affected ones without `customers`).")
    async def assign_recall_customers(self, info: strawberry.Info, id: strawberry.ID, person: str,
                                      customers: list[str] | None = None, why: str = "") -> Recall:
        ctx: Context = info.context
        svc = _service(ctx)
        await ctx.run(lambda: svc.assign(id, _customers(svc, id, customers), person, why))
        return Recall.of(await ctx.run(svc.get, id))

    @strawberry.mutation(permission_classes=[requires("recall")],
                         description="Record customers' notification (how), or their acknowledgement.")
    async def notify_recall_customers(self, info: strawberry.Info, id: strawberry.ID,
                                      customers: list[str] | None = None, method: str = "",
                                      acknowledged: bool = False, note: str = "", why: str = "") -> Recall:
        ctx: Context = info.context
        svc = _service(ctx)
        await ctx.run(lambda: svc.notify(id, _customers(svc, id, customers), method,
                                         acknowledged=acknowledged, note=note, why=why))
        return Recall.of(await ctx.run(svc.get, id))

    @strawberry.mutation(permission_classes=[requires("recall")],
                         description="Record units' disposition (or a documented reason); returns the units (Kind:id).")
    async def dispose_recall_units(self, info: strawberry.Info, id: strawberry.ID, outcome: Outcome | None = None,
                                   reason: str = "", items: list[str] | None = None, customer: str | None = None,
                                   status: str | None = None, remaining: bool = False, why: str = "") -> list[str]:
        ctx: Context = info.context
        return await ctx.run(lambda: _service(ctx).dispose(
            id, None if outcome is None else outcome.value, reason, items=items, customer=customer, status=status,
            remaining=remaining, why=why))

    @strawberry.mutation(permission_classes=[requires("recall")],
                         description="Sign the recall record as reviewed or approved; needs your signing secret.")
    async def sign_recall(self, info: strawberry.Info, id: strawberry.ID, meaning: SignatureMeaning, secret: str,
                          why: str = "") -> Signature:
        ctx: Context = info.context
        svc = _service(ctx)
        made = await ctx.run(svc.sign, id, meaning.value, secret, why)
        checked = await ctx.run(lambda: _signatures(ctx, svc.get(id)))
        return next(s for s in checked if s.signature_hash == made["signature_hash"])

    @strawberry.mutation(permission_classes=[requires("recall")],
                         description="Close the recall with your signature; every unit needs a disposition or reason.")
    async def close_recall(self, info: strawberry.Info, id: strawberry.ID, secret: str, why: str = "") -> Recall:
        ctx: Context = info.context
        return Recall.of(await ctx.run(_service(ctx).close, id, secret, why))

    @strawberry.mutation(permission_classes=[requires("recall")],
                         description="Set your signing secret (changing it needs the current one).")
    async def set_signing_secret(self, info: strawberry.Info, secret: str, current: str | None = None) -> bool:
        ctx: Context = info.context
        await ctx.run(_service(ctx).set_signing_secret, secret, current)
        return True


# -- holds on records and traces ------------------------------------------------------------------
HOLDABLE_KINDS = ("Lot", "Serial", "Container")


def holds_loader(ctx: Context) -> DataLoader[str, list[RecallHold]]:
    """One store call per batch of records for their recall holds, cached on the request's context."""
    loader = getattr(ctx, "_recall_holds", None)
    if loader is None:
        async def load(keys: list[str]) -> list[list[RecallHold]]:
            found = await ctx.run(holds_on, ctx.graph.store, keys)
            return [[RecallHold(recall_id=h["recall_id"], placed_at=h["placed_at"], placed_by=h["placed_by"],
                                why=h["why"]) for h in found.get(k, [])] for k in keys]
        loader = DataLoader(load_fn=load)
        ctx._recall_holds = loader  # type: ignore[attr-defined]
    return loader


def holds_field(kind: str) -> Any:
    """The ``recallHolds`` field of a record type: the recall holds on that record (empty when free)."""
    async def resolve(self: Any, info: strawberry.Info) -> list[RecallHold]:
        return await holds_loader(info.context).load(ref(kind, self.id))
    return strawberry.field(resolver=resolve, description="Recall holds on this record; empty when it is free.")
