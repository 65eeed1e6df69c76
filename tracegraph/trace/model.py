"""Values the trace engine takes and returns.

What a trace makes by the hundred thousand (containment, links, whereabouts) are named tuples:
immutable like frozen dataclasses, and three times cheaper to build.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from ..errors import BadInput

from ..store import NodeRef
from ..store.columns import moment_number

# Result groups, named after the canonical tables, in the order people read them.
GROUPS: tuple[str, ...] = ("lots", "serials", "containers", "shipments", "customers", "suppliers",
                           "process_steps", "materials", "products", "inspections")
GROUP_OF_KIND: dict[str, str] = {"Lot": "lots", "Serial": "serials", "Container": "containers",
                                 "Shipment": "shipments", "Customer": "customers", "Supplier": "suppliers",
                                 "ProcessStep": "process_steps", "Material": "materials",
                                 "Product": "products", "Inspection": "inspections"}
KIND_OF_GROUP: dict[str, str] = {g: k for k, g in GROUP_OF_KIND.items()}


@dataclass(frozen=True)
class TraceStart:
    """Where a trace starts: any mix of lot, serial, container, supplier and material ids."""

    lots: tuple[str, ...] = ()
    serials: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()
    suppliers: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()

    @classmethod
    def of(cls, lot: str | list[str] | None = None, serial: str | list[str] | None = None,
           container: str | list[str] | None = None, supplier: str | list[str] | None = None,
           material: str | list[str] | None = None) -> TraceStart:
        def tup(name: str, v: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
            ids = () if v is None else (v,) if isinstance(v, str) else tuple(v) if isinstance(v, Iterable) else (v,)
            wrong = next((i for i in ids if not isinstance(i, str)), None)
            if wrong is not None:  # e.g. a numeric id column read by pandas: 123 is not "00123"
                raise BadInput(f"{name}: ids are text, not {type(wrong).__name__} ({wrong!r})")
            return ids
        return cls(tup("lot", lot), tup("serial", serial), tup("container", container), tup("supplier", supplier),
                   tup("material", material))

    def refs(self) -> list[NodeRef]:
        return ([("Lot", k) for k in self.lots] + [("Serial", k) for k in self.serials]
                + [("Container", k) for k in self.containers] + [("Supplier", k) for k in self.suppliers]
                + [("Material", k) for k in self.materials])

    def __bool__(self) -> bool:
        return bool(self.refs())


@dataclass(frozen=True)
class Limits:
    """Bounds on one trace; exceeding one raises LimitExceeded rather than cutting silently."""

    max_depth: int = 64
    max_results: int = 5_000_000


def within(start: str, end: str | None, moment: str) -> bool:
    """Whether ``moment`` falls in [start, end); end None means still open (packed, attached). Times compare
    as :func:`~tracegraph.store.columns.moment_number` does, the one rule the columnar trace uses too."""
    at = moment_number(moment)
    return moment_number(start) <= at < moment_number(end)


def in_lot_unit(use_uom: str | None, lot_uom: str | None) -> bool:
    """Whether a use of a lot (a consumption, a loose shipment line) is in the lot's unit, so that its quantity
    counts against the lot's: one without a unit is; a lot that states no unit takes only such uses. The one
    rule for what is left of a lot (recall whereabouts) and for its mass balance (quality checks)."""
    return not use_uom or use_uom == lot_uom


class Held(NamedTuple):
    """An item inside a container during [start, end); end None means still inside."""

    item: NodeRef
    container: str
    start: str
    end: str | None
    via: NodeRef  # the direct child of ``container`` that put the item there (the item or a container)
    packed_at: str
    unpacked_at: str | None
    level: int = 1  # 1: the item itself was packed in the container; 2: inside a child container; ...

    def holds_at(self, moment: str) -> bool:
        return within(self.start, self.end, moment)


class Link(NamedTuple):
    """One record in an explaining chain: an edge of the graph with its properties."""

    rel: str
    src: NodeRef
    dst: NodeRef
    props: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"rel": self.rel, "from": {"kind": self.src[0], "id": self.src[1]},
                "to": {"kind": self.dst[0], "id": self.dst[1]}, "props": self.props}


class Whereabouts(NamedTuple):
    """Where one affected lot or serial is now (rules in :mod:`tracegraph.trace.engine`)."""

    item: NodeRef
    status: Literal["shipped", "consumed", "in_stock"]
    customers: tuple[str, ...] = ()
    shipments: tuple[str, ...] = ()
    consumed_into: tuple[NodeRef, ...] = ()
    remaining: float | None = None  # a lot's quantity not consumed or shipped; None when unknown or a serial
    containers: tuple[str, ...] = ()  # the containers it is in now (more than one: a lot split between them)

    @property
    def container(self) -> str | None:
        """The container it is in now (the first, for a lot split between several)."""
        return self.containers[0] if self.containers else None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.item[0], "id": self.item[1], "status": self.status,
                "customers": list(self.customers), "shipments": list(self.shipments),
                "consumed_into": [{"kind": k, "id": i} for k, i in self.consumed_into],
                "container": self.container, "containers": list(self.containers), "remaining": self.remaining}
