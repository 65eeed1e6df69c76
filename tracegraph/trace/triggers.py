"""What a recall trigger means in lots and serials: the start of its recall scope.

A quality event rarely names lots directly: it names a supplier and a delivery window, a machine
and the hours it ran out of tune, a BOM or process revision, or a characteristic that failed
inspection. Resolving such a trigger to the lots and serials it implicates is trace semantics, so
it lives here beside the engine and uses only the store's primitives; the scope itself is then
:meth:`TraceEngine.recall_scope` of the resolved start.

Time windows are half-open, ``[since, until)``, normalised like stored times (UTC) and compared as text;
a missing bound is open. A process step is in an equipment window when it overlaps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ..errors import BadInput, NotFound
from ..schema import ITEM_TYPES, normalize_datetime
from ..store import NodeRef, Store
from ..store.columns import moment_number
from .engine import live
from .model import TraceStart, within

TriggerKind = Literal["lots", "serials", "supplier", "material", "equipment", "bom_revision",
                      "process_revision", "inspection"]
TRIGGER_KINDS: tuple[str, ...] = ("lots", "serials", "supplier", "material", "equipment", "bom_revision",
                                  "process_revision", "inspection")
WINDOWED: tuple[str, ...] = ("supplier", "equipment", "inspection")  # the kinds a since/until window bounds
NARROWED: tuple[str, ...] = ("bom_revision", "process_revision")  # the kinds an item narrows


@dataclass(frozen=True)
class RecallTrigger:
    """The quality event a recall starts from.

    ``ids`` are the lots, serials, or the one supplier, material, equipment id, revision or
    inspection characteristic the kind names; ``item`` narrows a revision trigger to the lots of
    one material or product; ``since``/``until`` bound the window (supplier lots by their
    created_at, equipment by step times, inspections by inspected_at).
    """

    kind: TriggerKind
    ids: tuple[str, ...]
    since: str | None = None
    until: str | None = None
    item: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in TRIGGER_KINDS:
            raise BadInput(f"unknown trigger kind {self.kind!r}; known: {', '.join(TRIGGER_KINDS)}")
        if not self.ids or not all(isinstance(i, str) and i for i in self.ids):
            raise BadInput(f"a {self.kind} trigger needs at least one id")
        object.__setattr__(self, "ids", tuple(sorted(set(self.ids))))
        if self.kind not in ("lots", "serials") and len(self.ids) != 1:
            raise BadInput(f"a {self.kind} trigger names exactly one id, not {len(self.ids)}")
        for bound in ("since", "until"):
            value = getattr(self, bound)
            if value is not None:
                try:
                    object.__setattr__(self, bound, normalize_datetime(value))
                except ValueError:
                    raise BadInput(f"trigger {bound}: {value!r} is not an ISO 8601 date-time") from None
        if self.since and self.until and moment_number(self.since) >= moment_number(self.until):
            raise BadInput(f"the trigger window is empty: since {self.since} is not before until {self.until}")

    def check_options(self) -> None:
        """Refuse a window or item this kind does not use: a recall states its trigger, and must not claim
        a bound its scope ignores. Checked when a recall is opened; a stored trigger is read as it is."""
        if (self.since or self.until) and self.kind not in WINDOWED:
            raise BadInput(f"a {self.kind} trigger takes no window (since/until bound only {', '.join(WINDOWED)})")
        if self.item is not None and self.kind not in NARROWED:
            raise BadInput(f"a {self.kind} trigger takes no item (it narrows only {', '.join(NARROWED)})")

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecallTrigger:
        return cls(data["kind"], tuple(data["ids"]), data.get("since"), data.get("until"), data.get("item"))

    def describe(self) -> str:
        window = ""
        if self.since or self.until:
            window = f" from {self.since or 'the beginning'} until {self.until or 'now'}"
        item = f" (lots of {self.item})" if self.item else ""
        return f"{self.kind.replace('_', ' ')} {', '.join(self.ids)}{item}{window}"


def _in_window(moment: str | None, since: str | None, until: str | None) -> bool:
    """Whether ``moment`` lies in [since, until); without bounds everything does, even no moment."""
    if since is None and until is None:
        return True
    return moment is not None and within(since or "", until, moment)


def resolve_trigger(store: Store, trigger: RecallTrigger) -> TraceStart:
    """The lots and serials a trigger implicates; NotFound when it names nothing or matches nothing."""
    kind, ids = trigger.kind, trigger.ids
    if kind == "lots":
        _require(store, "Lot", ids)
        return TraceStart(lots=ids)
    if kind == "serials":
        _require(store, "Serial", ids)
        return TraceStart(serials=ids)
    if kind == "material":
        _require(store, "Material", ids)
        return _nonempty(trigger, TraceStart(materials=ids) if store.find("Lot", "item_id", ids) else TraceStart())
    if kind == "supplier":
        _require(store, "Supplier", ids)
        lots = store.get("Lot", store.find("Lot", "supplier_id", ids))
        return _nonempty(trigger, TraceStart(lots=tuple(sorted(
            k for k, r in lots.items() if _in_window(r.get("created_at"), trigger.since, trigger.until)))))
    if kind == "inspection":
        inspections = store.get("Inspection", store.find("Inspection", "characteristic", ids)).values()
        failed = [r for r in inspections
                  if r["result"] == "fail" and _in_window(r.get("inspected_at"), trigger.since, trigger.until)]
        return _nonempty(trigger, _start_of((ITEM_TYPES[r["subject_type"]], r["subject_id"]) for r in failed))
    field = {"equipment": "equipment_id", "bom_revision": "bom_revision", "process_revision": "process_revision"}[kind]
    steps = store.get("ProcessStep", store.find("ProcessStep", field, ids))
    if kind == "equipment":
        steps = {k: r for k, r in steps.items() if _overlaps(r, trigger.since, trigger.until)}
    outputs = [e.dst for e in live(store.find_edges("CONSUMED_INTO", "step_id", sorted(steps)))]
    if trigger.item is not None:
        lots = store.get("Lot", [key for k, key in outputs if k == "Lot"])
        outputs = [ref for ref in outputs if ref[0] == "Lot" and lots[ref[1]]["item_id"] == trigger.item]
    return _nonempty(trigger, _start_of(outputs))


def _overlaps(step: dict[str, Any], since: str | None, until: str | None) -> bool:
    """A step overlaps [since, until) when it started before until and had not ended by since."""
    started = step.get("started_at")
    if started is None or (since is None and until is None):
        return since is None and until is None
    ended = step.get("ended_at") or started
    return (moment_number(started) < moment_number(until)
            and (since is None or moment_number(ended) > moment_number(since)))


def _start_of(items: Iterable[NodeRef]) -> TraceStart:
    refs = set(items)
    return TraceStart(lots=tuple(sorted(k for kind, k in refs if kind == "Lot")),
                      serials=tuple(sorted(k for kind, k in refs if kind == "Serial")))


def _require(store: Store, kind: str, keys: tuple[str, ...]) -> None:
    missing = sorted(set(keys) - set(store.get(kind, keys)))
    if missing:
        raise NotFound(f"no {kind} with id {', '.join(map(repr, missing))}")


def _nonempty(trigger: RecallTrigger, start: TraceStart) -> TraceStart:
    if not start:
        raise NotFound(f"the trigger ({trigger.describe()}) matches no lots or serials")
    return start
