"""The recall workflow: open, scope, hold, assign, notify, dispose, sign, close.

Every action is one store transaction that writes the recall's documents together with its
audit entry (who, when, what, why, before/after). The scope comes from the trace engine alone
(:meth:`TraceEngine.recall_scope` of the resolved trigger); this module only freezes, compares
and acts on it. The CLI, the GraphQL API and notebooks all call this class.
"""

from __future__ import annotations

import copy
import functools
import random
import secrets
import threading
import time
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import BadInput, DocumentChanged, NotFound
from ..store import DocRef
from ..trace import RecallScope
from ..trace.model import KIND_OF_GROUP
from ..trace.triggers import RecallTrigger, resolve_trigger
from .audit import AuditLog, now
from .model import (CLASSIFICATIONS, HOLDS, OUTCOMES, RECALLS, SCOPES, Recall, ScopeVersion, diff, holds_on,
                    ref, scope_key)
from .signatures import Signatures

if TYPE_CHECKING:
    from ..graph import Graph

_STATUSES = ("shipped", "consumed", "in_stock")
_WRITING = threading.RLock()
_ATTEMPTS = 50
F = TypeVar("F", bound=Callable[..., Any])


def _serialized(method: F) -> F:
    """Make one action (a read-modify-write of recall documents) atomic, so concurrent actions on one
    recall cannot overwrite each other's changes.

    In this process one action runs at a time (API requests run in threads). Across processes (the
    CLI beside a server) the documents the action read go to its write as ``expected``; the store
    refuses the write if another process changed them meanwhile (DocumentChanged), and the action
    runs again on what is stored now. Only the final write has effects, so running again is safe.
    """
    @functools.wraps(method)
    def run(self: RecallService, *args: Any, **kwargs: Any) -> Any:
        if self._reads() is not None:  # called from within an action: part of it
            return method(self, *args, **kwargs)
        attempt = 0
        while True:
            attempt += 1
            with _WRITING:
                self._local.reads = {}
                try:
                    return method(self, *args, **kwargs)
                except DocumentChanged:
                    if attempt == _ATTEMPTS:
                        raise
                finally:
                    self._local.reads = None
            time.sleep(random.uniform(0, 0.002 * attempt))  # let the other writer finish
    return run  # type: ignore[return-value]


class RecallService:
    def __init__(self, graph: Graph, actor: str) -> None:
        if not actor.strip():  # the audit trail and signatures must name someone
            raise BadInput("recall actions need a user name")
        self.graph, self.store, self.actor = graph, graph.store, actor
        self.audit = AuditLog(self.store)
        self.signatures = Signatures(self.audit)
        self._local = threading.local()  # the documents the running action read, per thread

    # -- reading -------------------------------------------------------------------------------
    def get(self, recall_id: str) -> Recall:
        doc = self._documents(RECALLS, [recall_id]).get(recall_id)
        if doc is None:
            raise NotFound(f"no recall {recall_id!r}")
        return Recall.from_dict(doc)

    def recalls(self) -> list[Recall]:
        return [Recall.from_dict(d) for d in self.store.documents(RECALLS).values()]

    def version(self, recall_id: str, version: int | None = None, audited: bool = False) -> ScopeVersion:
        """One frozen scope version (the latest by default), checked against its own hash; ``audited`` also
        against its ``recall.scope`` audit entry, which reads the whole trail (``recall verify`` and the
        evidence do; the workflow's own reads do not, so their cost does not grow with the trail)."""
        recall = self.get(recall_id)
        number = recall.latest if version is None else version
        key = scope_key(recall_id, number or 0)
        doc = None if number is None else self.store.documents(SCOPES, [key]).get(key)
        if doc is None:
            raise NotFound(f"recall {recall_id} has no scope version {number}" if number else
                           f"recall {recall_id} has not been scoped yet")
        snapshot = ScopeVersion.from_dict(doc)
        snapshot.check(self.audit.entries(f"recall:{recall_id}") if audited else None)
        return snapshot

    def diff(self, recall_id: str, old: int, new: int) -> dict[str, Any]:
        return diff(self.version(recall_id, old), self.version(recall_id, new))

    def summary(self, recall_id: str) -> dict[str, Any]:
        recall = self.get(recall_id)
        out: dict[str, Any] = {
            "recall_id": recall.recall_id, "status": recall.status, "classification": recall.classification,
            "reason": recall.reason, "owner": recall.owner, "trigger": recall.trigger_value.describe(),
            "opened_at": recall.opened_at, "opened_by": recall.opened_by, "versions": len(recall.versions),
            "on_hold": sum(any(h["recall_id"] == recall_id for h in holds)
                           for holds in holds_on(self.store, recall.held).values()),
            "signatures": [f"{s['meaning']} by {s['signer']} at {s['signed_at']}"
                                                     for s in recall.signatures]}
        if recall.latest is not None:
            scope = self.version(recall_id)
            out["scope"] = scope.counts()
            out["scope_hash"] = scope.hash
            out["customers_notified"] = sum(1 for c in scope.items["customers"]
                                            if recall.customers.get(c, {}).get("notified_at"))
            out["customers_acknowledged"] = sum(1 for c in scope.items["customers"]
                                                if recall.customers.get(c, {}).get("acknowledged_at"))
            out["units_disposed"] = len(scope.units) - len(recall.outstanding(scope))
        return out

    # -- acting --------------------------------------------------------------------------------
    @_serialized
    def open(self, trigger: RecallTrigger, reason: str, classification: str, owner: str | None = None,
             why: str = "", source: dict[str, Any] | None = None) -> Recall:
        """Open a recall; the trigger must implicate at least one lot or serial. ``source`` (e.g. the recall
        notice it was read from, with the file's SHA-256) is recorded in the audit entry."""
        if classification not in CLASSIFICATIONS:
            raise BadInput(f"classification must be one of {', '.join(CLASSIFICATIONS)}, not {classification!r}")
        if not reason.strip():
            raise BadInput("a recall needs a reason")
        trigger.check_options()
        resolve_trigger(self.store, trigger)
        recall_id = self._new_id()
        recall = Recall(recall_id, reason.strip(), classification, owner or self.actor, trigger.as_dict(), now(),
                        self.actor)
        self._save(recall, "recall.open", why or reason, None,
                   {**{k: v for k, v in recall.as_dict().items() if k in ("reason", "classification", "owner", "trigger")},
                    **({"source": source} if source else {})})
        return recall

    @_serialized
    def scope(self, recall_id: str, why: str = "") -> tuple[ScopeVersion, dict[str, Any]]:
        """Compute the scope now and freeze it as the next version; returns it and its diff."""
        recall = self._open_recall(recall_id)
        previous = self.version(recall_id) if recall.latest is not None else None
        scope = self.graph.engine.recall_scope(resolve_trigger(self.store, recall.trigger_value))
        number = (recall.latest or 0) + 1
        snapshot = ScopeVersion.freeze(recall_id, number, now(), self.actor, why or f"scope version {number}",
                                       scope, self._units(scope), self._chains(scope))
        change = diff(previous, snapshot)
        recall.versions.append(snapshot.summary())
        self._save(recall, "recall.scope", snapshot.why, None if previous is None else previous.summary(),
                   {**snapshot.summary(), "diff": {g: {k: len(v) for k, v in d.items()}
                                                   for g, d in change["groups"].items()}},
                   {(SCOPES, scope_key(recall_id, number)): snapshot.as_dict()})
        return snapshot, change

    @_serialized
    def hold(self, recall_id: str, items: Collection[str] | None = None, why: str = "") -> list[str]:
        """Put affected stock on hold: by default every lot and serial in stock, every lot whose records cannot
        tell how much of it is left (``remaining`` unknown), which may be partly on site whatever the furthest it
        went (a needless hold costs a look, a missed one lets stock be used), and the containers each is in."""
        recall = self._open_recall(recall_id)
        scope = self.version(recall_id)
        if items is None:  # a lot split between containers is held in every one of them
            stock = [item for item, w in scope.where.items() if w["status"] == "in_stock"]
            unsure = [item for item, w in scope.where.items()
                      if w["status"] != "in_stock" and item.startswith("Lot:") and w["remaining"] is None]
            items = stock + unsure + sorted({ref("Container", c) for item in stock + unsure
                                             for c in scope.where[item]["containers"]})
        else:
            self._check_in_scope(scope, items, ("lots", "serials", "containers"))
        placed, documents = [], {}
        existing = self._documents(HOLDS, items)
        for item in items:
            doc = existing.get(item) or {"item": item, "holds": []}
            if any(h["recall_id"] == recall_id and not h.get("released_at") for h in doc["holds"]):
                continue
            doc["holds"].append({"recall_id": recall_id, "placed_at": now(), "placed_by": self.actor,
                                 "why": why or recall.reason})
            documents[(HOLDS, item)] = doc
            placed.append(item)
        if not placed:  # all held already: nothing changes, so nothing is written or audited
            return placed
        before = len(recall.held)
        recall.held += placed
        self._save(recall, "recall.hold", why or f"hold affected stock of {recall_id}", {"held": before},
                   {"held": len(recall.held), "placed": placed}, documents)
        return placed

    @_serialized
    def release(self, recall_id: str, items: Collection[str] | None = None, why: str = "") -> list[str]:
        """Release this recall's holds (all, or on ``items``); also after closing, as stock is dealt with.

        The hold records keep who placed and who released them; the recall record is unchanged.
        """
        recall = self.get(recall_id)
        targets = list(recall.held if items is None else items)
        documents, released = {}, []
        for item, doc in self._documents(HOLDS, targets).items():
            for h in doc["holds"]:
                if h["recall_id"] == recall_id and not h.get("released_at"):
                    h.update(released_at=now(), released_by=self.actor, release_why=why)
                    documents[(HOLDS, item)] = doc
                    released.append(item)
        if not released:
            raise BadInput(f"no active holds of {recall_id} on those records")
        self.audit.record(self.actor, "recall.release", f"recall:{recall_id}", why or "holds released",
                          before={"active": len(released)}, after={"released": released}, documents=documents,
                          expected=self._reads())
        return released

    def assign(self, recall_id: str, customers: Iterable[str], person: str, why: str = "") -> None:
        """Make ``person`` responsible for notifying these customers."""
        if not person:
            raise BadInput("assign customers to a named person")
        self._update_customers(recall_id, customers, "recall.assign", why or f"assign to {person}",
                               {"assignee": person, "assigned_at": now(), "assigned_by": self.actor})

    def notify(self, recall_id: str, customers: Iterable[str], method: str = "", *, acknowledged: bool = False,
               note: str = "", why: str = "") -> None:
        """Record that customers were notified (how), or that they acknowledged the notice. A new notice (a
        follow-up letter) awaits its own acknowledgement: the earlier one stays in the audit trail only."""
        if acknowledged:
            recall = self.get(recall_id)
            unnotified = sorted(c for c in customers if not recall.customers.get(c, {}).get("notified_at"))
            if unnotified:
                raise BadInput(f"not notified yet, so cannot acknowledge: {', '.join(unnotified[:5])}")
            fields = {"acknowledged_at": now(), "acknowledged_by": self.actor, "acknowledgement": note}
        else:
            if not method:
                raise BadInput("say how the customer was notified (e.g. letter, email, phone)")
            fields = {"notified_at": now(), "notified_by": self.actor, "method": method, "notice": note,
                      "acknowledged_at": None, "acknowledged_by": None, "acknowledgement": ""}
        self._update_customers(recall_id, customers, "recall.acknowledge" if acknowledged else "recall.notify",
                               why or ("acknowledgement received" if acknowledged else f"notified by {method}"), fields)

    @_serialized
    def dispose(self, recall_id: str, outcome: str | None = None, reason: str = "", *,
                items: Collection[str] | None = None, customer: str | None = None, status: str | None = None,
                remaining: bool = False, why: str = "") -> list[str]:
        """Record what happened to units: an outcome, or a documented reason why there is none.

        Units are chosen by ``items``, by ``customer`` and/or where they are (``status``), or
        ``remaining`` (those without a disposition yet); returns the units recorded.
        """
        if outcome is not None and outcome not in OUTCOMES:
            raise BadInput(f"a disposition is one of {', '.join(OUTCOMES)}, not {outcome!r}")
        if outcome is None and not reason.strip():
            raise BadInput("give a disposition outcome or a documented reason")
        if status is not None and status not in _STATUSES:
            raise BadInput(f"status is one of {', '.join(_STATUSES)}, not {status!r}")
        recall = self._open_recall(recall_id)
        scope = self.version(recall_id)
        if items is not None:
            unknown = sorted(set(items) - set(scope.units))
            if unknown:
                raise BadInput(f"not affected units of {recall_id} (version {scope.version}): {', '.join(unknown[:5])}")
            chosen = [u for u in scope.units if u in set(items)]
        elif customer is None and status is None and not remaining:
            raise BadInput("choose units: items, a customer, a status or the remaining ones")
        else:
            chosen = scope.units_of(customer, status)
        if remaining:
            chosen = [u for u in chosen if u not in recall.dispositions]
        if not chosen:
            raise BadInput("no affected units match that choice")
        before = {u: recall.dispositions[u] for u in chosen if u in recall.dispositions}
        entry = {"outcome": outcome, "reason": reason.strip(), "by": self.actor, "at": now()}
        recall.dispositions.update(dict.fromkeys(chosen, entry))
        self._save(recall, "recall.dispose", why or reason or f"units {outcome}",
                   {"dispositions": len(before), "replaced": before} if before else None,
                   {"outcome": outcome, "reason": entry["reason"], "units": chosen})
        return chosen

    @_serialized
    def sign(self, recall_id: str, meaning: str, secret: str, why: str = "") -> dict[str, Any]:
        """Sign the recall record as it stands (reviewed or approved), re-authenticating the signer."""
        if meaning == "closed":
            raise BadInput("a recall is signed as closed by closing it")
        recall = self.get(recall_id)
        return self._sign_and_save(recall, meaning, secret, "recall.sign", why or f"signed as {meaning}")

    @_serialized
    def close(self, recall_id: str, secret: str, why: str = "") -> Recall:
        """Close the recall with the closer's signature; every unit needs a disposition or a reason."""
        recall = self._open_recall(recall_id)
        scope = self.version(recall_id)
        outstanding = recall.outstanding(scope)
        if outstanding:
            raise BadInput(f"{len(outstanding)} affected unit(s) of scope version {scope.version} have no "
                           f"disposition or documented reason, e.g. {', '.join(outstanding[:5])}")
        recall.status, recall.closed_at = "closed", now()
        self._sign_and_save(recall, "closed", secret, "recall.close", why or "all units dispositioned")
        return recall

    @_serialized
    def set_signing_secret(self, secret: str, current: str | None = None) -> None:
        self.signatures.set_secret(self.actor, secret, current=current)

    # -- helpers -------------------------------------------------------------------------------
    def _new_id(self) -> str:
        day = now()[:10].replace("-", "")
        while True:
            recall_id = f"RC-{day}-{secrets.token_hex(2).upper()}"
            if recall_id not in self._documents(RECALLS, [recall_id]):
                return recall_id

    def _open_recall(self, recall_id: str) -> Recall:
        recall = self.get(recall_id)
        if recall.status == "closed":
            raise BadInput(f"recall {recall_id} is closed")
        return recall

    def _save(self, recall: Recall, action: str, why: str, before: Any, after: Any,
              documents: dict[tuple[str, str], dict[str, Any]] | None = None) -> None:
        self.audit.record(self.actor, action, f"recall:{recall.recall_id}", why, before=before, after=after,
                          documents={(RECALLS, recall.recall_id): recall.as_dict(), **(documents or {})},
                          expected=self._reads())

    def _documents(self, collection: str, keys: Collection[str]) -> dict[str, dict[str, Any]]:
        """Documents by key; within an action each is also noted as read (absent: None), so that the
        action's write is refused if another process changes it first (see :func:`_serialized`)."""
        found = self.store.documents(collection, keys)
        reads = self._reads()
        if reads is not None:
            for key in keys:  # a copy: the action changes the documents it read
                reads.setdefault((collection, key), copy.deepcopy(found.get(key)))
        return found

    def _reads(self) -> dict[DocRef, dict[str, Any] | None] | None:
        """The documents the running action read, or None outside an action."""
        return getattr(self._local, "reads", None)

    def _sign_and_save(self, recall: Recall, meaning: str, secret: str, action: str, why: str) -> dict[str, Any]:
        signature = self.signatures.sign(self.actor, secret, meaning, f"recall:{recall.recall_id}",
                                         recall.record_hash())
        recall.signatures.append(signature)
        self._save(recall, action, why, None, signature)
        return signature

    @_serialized
    def _update_customers(self, recall_id: str, customers: Iterable[str], action: str, why: str,
                          fields: dict[str, Any]) -> None:
        recall = self._open_recall(recall_id)
        chosen = sorted(set(customers))
        if not chosen:
            raise BadInput("name at least one customer")
        self._check_in_scope(self.version(recall_id), [ref("Customer", c) for c in chosen], ("customers",))
        before = {c: recall.customers.get(c) for c in chosen if c in recall.customers}
        for c in chosen:
            recall.customers[c] = {**recall.customers.get(c, {}), **fields}
        self._save(recall, action, why, before or None, {"customers": chosen, **fields})

    @staticmethod
    def _check_in_scope(scope: ScopeVersion, items: Iterable[str], groups: tuple[str, ...]) -> None:
        known = {ref(KIND_OF_GROUP[g], key) for g in groups for key in scope.items[g]}
        unknown = sorted(set(items) - known)
        if unknown:
            raise BadInput(f"not in scope version {scope.version} of {scope.recall_id}: {', '.join(unknown[:5])}")

    def _units(self, scope: RecallScope) -> list[str]:
        lots = [("Lot", k) for k in scope.trace.ids["lots"]]
        serials = set(scope.trace.ids["serials"])
        serialised = {e.src for e in self.store.edges("HAS_SERIAL", lots, "out") if e.dst[1] in serials}
        return [ref(*item) for item, w in sorted(scope.whereabouts.items())
                if item[0] == "Serial" or (w.status != "consumed" and item not in serialised)]

    @staticmethod
    def _chains(scope: RecallScope) -> dict[str, list[dict[str, Any]]]:
        """The chain of records that puts each affected customer, shipment and lot in scope (a serial is in
        scope through its lot, a container through what it held)."""
        targets = [(kind, key) for kind, group in (("Customer", "customers"), ("Shipment", "shipments"), ("Lot", "lots"))
                   for key in scope.trace.ids[group]]
        return {ref(*target): [link.as_dict() for link in chain]
                for target, chain in scope.trace.explain_many(targets).items()}
