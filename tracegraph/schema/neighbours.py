"""The neighbour lists a record offers, per node kind: which relationship, in which direction, under
which name. The GraphQL API builds a record's fields from them (:mod:`tracegraph.api.types`) and the
record page names the connection that lists a relationship it cut short (:mod:`tracegraph.web.view`);
both read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ..store import Direction


@dataclass(frozen=True)
class Neighbours:
    """A record's neighbours by ``rel`` in ``direction``: the records (``records``) or relationships
    (``relations``) next to it, or the one record (``one``); ``name`` is the GraphQL field listing them."""

    name: str
    rel: str
    direction: Direction
    shape: Literal["one", "records", "relations"]
    description: str


# what identifies a thing, what was attached to it, and the business documents that name it
_IDENTIFIED = Neighbours("identifiers", "IDENTIFIES", "in", "records", "Identifiers (UDI, EPC, ...) that mean it.")
_ATTACHED = (
    Neighbours("attachedTo", "ATTACHED_TO", "out", "relations", "What it was attached to, and when."),
    Neighbours("attachments", "ATTACHED_TO", "in", "relations", "Equipment or sensors attached to it, and when."),
)
_DOCUMENTED = Neighbours("bizTransactions", "REFERS_TO", "out", "records", "Business documents that name it.")

# lots and serials alike: the genealogy, packing and shipping around one item
_ITEM_NEIGHBOURS = (
    Neighbours("inputs", "CONSUMED_INTO", "in", "relations", "What was consumed to make it, in which step."),
    Neighbours("outputs", "CONSUMED_INTO", "out", "relations", "What it was consumed into."),
    Neighbours("packedIn", "PACKED_IN", "out", "relations", "Containers it was packed in, and when."),
    Neighbours("shipments", "SHIPPED_IN", "out", "relations", "Shipments it left in directly."),
    Neighbours("inspections", "INSPECTS", "in", "records", "Inspections of it."),
    _IDENTIFIED, *_ATTACHED, _DOCUMENTED,
)

# Every relationship a record may have more than one of at an end is here: the record page lists a
# relationship cut short through its connection (tracegraph/web/view.py), and tests/api/test_neighbour_pages.py
# checks that none is missing.
NEIGHBOURS: dict[str, tuple[Neighbours, ...]] = {
    "Lot": (
        Neighbours("item", "OF_ITEM", "out", "one", "The material or product this lot is of."),
        Neighbours("serials", "HAS_SERIAL", "out", "records", "Units built in this lot."),
        *_ITEM_NEIGHBOURS,
    ),
    "Serial": _ITEM_NEIGHBOURS,
    "Container": (
        Neighbours("contents", "PACKED_IN", "in", "relations", "What was packed in it, and when."),
        Neighbours("packedIn", "PACKED_IN", "out", "relations", "Outer containers it was packed in, and when."),
        Neighbours("shipments", "SHIPPED_IN", "out", "relations", "Shipments it left in."),
        _IDENTIFIED, *_ATTACHED, _DOCUMENTED,
    ),
    "Asset": (_IDENTIFIED, *_ATTACHED),
    "Supplier": (Neighbours("lots", "SUPPLIED", "out", "records", "Lots bought from this supplier."),),
    "Material": (Neighbours("lots", "OF_ITEM", "in", "records", "Lots of this material."),),
    "Product": (
        Neighbours("lots", "OF_ITEM", "in", "records", "Lots of this product."),
        Neighbours("serials", "OF_PRODUCT", "in", "records", "Units of this device model."),
        Neighbours("contains", "CONTAINS_DI", "out", "relations", "The DIs one package of it holds, and how many."),
        Neighbours("containedIn", "CONTAINS_DI", "in", "relations", "Packages that hold it, and how many."),
        _IDENTIFIED,
    ),
    "Customer": (Neighbours("shipments", "SHIPPED_TO", "in", "records", "Shipments to this customer."),),
    "Shipment": (Neighbours("items", "SHIPPED_IN", "in", "relations", "What left in it (directly)."), _DOCUMENTED),
    "ProcessStep": (Neighbours("inspections", "RECORDED_AT", "in", "records", "Inspections recorded at it."),
                    _DOCUMENTED),
    "Inspection": (Neighbours("subject", "INSPECTS", "out", "one", "The inspected lot or serial."),),
    "Identifier": (Neighbours("identifies", "IDENTIFIES", "out", "records",
                              "The record it means (more than one only where sources disagree)."),),
    "BizTransaction": (Neighbours("items", "REFERS_TO", "in", "records", "The items, shipments and steps it names."),),
}
