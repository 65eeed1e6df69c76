"""The recall record and its frozen scope versions, as stored documents.

A recall is one document (collection ``recalls``); each scope computation is a separate,
never-rewritten document (collection ``recall_scopes``, key ``<recall>/v<n>``) holding what the
engine reached, where each lot and serial was, counts per customer and the explaining chains.
The units that must each get a disposition before closing are the affected serials, and the
affected lots that are not serialised in scope and were not consumed into something else
(their outputs carry the recall on).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..errors import IntegrityError
from ..store import Store
from ..trace import GROUPS, RecallScope
from ..trace.triggers import RecallTrigger
from .audit import digest

RECALLS, SCOPES, HOLDS = "recalls", "recall_scopes", "holds"
CLASSIFICATIONS: tuple[str, ...] = ("I", "II", "III")
OUTCOMES: tuple[str, ...] = ("returned", "destroyed", "corrected", "not_found")
Outcome = Literal["returned", "destroyed", "corrected", "not_found"]
ITEM_GROUPS: tuple[str, ...] = ("lots", "serials", "containers", "shipments", "customers")


def ref(kind: str, key: str) -> str:
    """An item as one string, "Kind:key", the form used in documents, CSV and the API."""
    return f"{kind}:{key}"


def holds_on(store: Store, items: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The active (unreleased) recall holds on each of ``items`` ("Kind:key") that has any."""
    active = {key: [h for h in doc["holds"] if not h.get("released_at")]
              for key, doc in store.documents(HOLDS, list(items)).items()}
    return {key: holds for key, holds in active.items() if holds}


def scope_key(recall_id: str, version: int) -> str:
    return f"{recall_id}/v{version:04d}"


@dataclass
class ScopeVersion:
    """One frozen scope computation. ``items`` are ids per group; ``where`` maps "Kind:key" of each
    affected lot and serial to its whereabouts; ``chains`` explain customers, shipments and lots."""

    recall_id: str
    version: int
    computed_at: str
    computed_by: str
    why: str
    start: dict[str, list[str]]
    items: dict[str, list[str]]
    where: dict[str, dict[str, Any]]
    by_customer: dict[str, dict[str, float]]
    units: list[str]
    chains: dict[str, list[dict[str, Any]]]
    hash: str = ""

    @classmethod
    def freeze(cls, recall_id: str, version: int, at: str, by: str, why: str, scope: RecallScope,
               units: list[str], chains: dict[str, list[dict[str, Any]]]) -> ScopeVersion:
        start = scope.trace.start
        snapshot = cls(recall_id, version, at, by, why,
                       {"lots": list(start.lots), "serials": list(start.serials)},
                       {g: list(scope.trace.ids[g]) for g in GROUPS},
                       {ref(*item): {k: v for k, v in w.as_dict().items() if k not in ("kind", "id")}
                        for item, w in sorted(scope.whereabouts.items())},
                       scope.by_customer, units, chains)
        snapshot.hash = digest(snapshot.content())
        return snapshot

    def content(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "hash"}

    def check(self, entries: Iterable[dict[str, Any]] | None) -> None:
        """Raise IntegrityError unless this version still hashes to its stored hash and, given ``entries``
        (the recall's audit entries), that hash is the one its ``recall.scope`` audit entry recorded."""
        name = f"scope version {self.version} of recall {self.recall_id}"
        if digest(self.content()) != self.hash:
            raise IntegrityError(f"{name} was changed after it was frozen: its content no longer hashes to "
                                 f"{self.hash[:12]}...")
        if entries is None:
            return
        recorded = [e["after"].get("hash") for e in entries if e.get("target") == f"recall:{self.recall_id}"
                    and e.get("action") == "recall.scope" and (e.get("after") or {}).get("version") == self.version]
        if recorded != [self.hash]:
            audited = ", ".join(f"{str(h)[:12]}..." for h in recorded) or "none"
            raise IntegrityError(f"{name} does not match its recall.scope audit entry (stored hash "
                                 f"{self.hash[:12]}..., audited {audited})")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScopeVersion:
        return cls(**data)

    def counts(self) -> dict[str, int]:
        return {g: len(self.items[g]) for g in GROUPS} | {"units": len(self.units)}

    def summary(self) -> dict[str, Any]:
        return {"version": self.version, "computed_at": self.computed_at, "computed_by": self.computed_by,
                "why": self.why, "hash": self.hash, "counts": self.counts()}

    def items_of_customer(self) -> dict[str, set[str]]:
        """Per customer: every affected lot, serial and shipment that reached it."""
        out: dict[str, set[str]] = {c: set() for c in self.items["customers"]}
        for item, w in self.where.items():
            for customer in w["customers"]:
                out.setdefault(customer, set()).add(item)
                out[customer].update(ref("Shipment", s) for s in w["shipments"])
        return out

    def units_of(self, customer: str | None = None, status: str | None = None) -> list[str]:
        return [u for u in self.units
                if (customer is None or customer in self.where[u]["customers"])
                and (status is None or self.where[u]["status"] == status)]


def diff(old: ScopeVersion | None, new: ScopeVersion) -> dict[str, Any]:
    """What changed between two scope versions: per group, and per customer."""
    def items(v: ScopeVersion | None, group: str) -> set[str]:
        return set() if v is None else set(v.items[group])
    groups = {g: {"added": sorted(items(new, g) - items(old, g)), "removed": sorted(items(old, g) - items(new, g))}
              for g in ITEM_GROUPS}
    before, after = ({} if old is None else old.items_of_customer()), new.items_of_customer()
    customers = {}
    for c in sorted(set(before) | set(after)):
        added, removed = sorted(after.get(c, set()) - before.get(c, set())), sorted(
            before.get(c, set()) - after.get(c, set()))
        if added or removed:
            customers[c] = {"added": added, "removed": removed}
    return {"from_version": None if old is None else old.version, "to_version": new.version,
            "groups": {g: d for g, d in groups.items() if d["added"] or d["removed"]}, "by_customer": customers}


@dataclass
class Recall:
    recall_id: str
    reason: str
    classification: str
    owner: str
    trigger: dict[str, Any]
    opened_at: str
    opened_by: str
    status: Literal["open", "closed"] = "open"
    versions: list[dict[str, Any]] = field(default_factory=list)  # ScopeVersion.summary() of each
    held: list[str] = field(default_factory=list)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)  # assignee, notification, acknowledgement
    dispositions: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit -> outcome or reason
    signatures: list[dict[str, Any]] = field(default_factory=list)
    closed_at: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recall:
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def trigger_value(self) -> RecallTrigger:
        return RecallTrigger.from_dict(self.trigger)

    @property
    def latest(self) -> int | None:
        return self.versions[-1]["version"] if self.versions else None

    def record_hash(self, signatures: int | None = None) -> str:
        """The hash a signature binds: the whole record with the hashes of the signatures made before it.

        ``signatures`` is how many earlier signatures count (default: all so far, i.e. what the next
        signature binds). So a closing signature also covers the reviews and approvals before it, and a
        signature cannot be removed or swapped without breaking the ones after it. With no earlier
        signature the record is hashed alone, as before signatures were chained.
        """
        content = {k: v for k, v in self.as_dict().items() if k != "signatures"}
        earlier = self.signatures[:signatures]
        if earlier:
            content["earlier_signatures"] = [s.get("signature_hash") for s in earlier]
        return digest(content)

    def outstanding(self, scope: ScopeVersion) -> list[str]:
        """Units of ``scope`` with neither a disposition nor a documented reason."""
        return [u for u in scope.units if u not in self.dispositions]
