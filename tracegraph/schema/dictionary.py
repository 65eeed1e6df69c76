"""The data dictionary: every node kind, property and relationship TraceGraph knows.

This module is the single source of truth. The embedded store's tables, the Neo4j
constraints, loader validation and ``docs/data-dictionary.md`` are all generated from it;
nothing else may define a field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class FieldType(str, Enum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATETIME = "datetime"  # ISO 8601; stored as UTC text "YYYY-MM-DDTHH:MM:SS.mmmZ"
    ENUM = "enum"
    JSON = "json"


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    description: str
    required: bool = False
    unit: str | None = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    references: str | None = None  # the node kind this field names, if any
    not_before: str | None = None  # a time field of the same record this one may not precede

    def constraint_text(self) -> str:
        parts = []
        if self.choices:
            parts.append("one of " + ", ".join(self.choices))
        if self.minimum is not None:
            parts.append(f">= {self.minimum:g}")
        if self.references:
            parts.append(f"a {self.references} key")
        if self.not_before:
            parts.append(f"not before `{self.not_before}`")
        return "; ".join(parts)


@dataclass(frozen=True)
class NodeKind:
    name: str  # graph label, e.g. "Lot"
    table: str  # canonical table name and result-group name, e.g. "lots"
    key: str  # the property that identifies a record
    description: str
    fields: tuple[Field, ...]
    implicit: bool = False  # created on first reference when no record lists it

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def sql_table(self) -> str:
        return "n_" + self.table

    @property
    def lookup_fields(self) -> tuple[Field, ...]:
        """Fields that traces look records up by (references, a lot's item, an inspection's subject):
        every backend indexes them."""
        return tuple(f for f in self.fields if f.references or f.name in ("item_id", "subject_id"))


@dataclass(frozen=True)
class RelKind:
    """A relationship kind. ``identity`` are the fields that, with its endpoints, make one edge."""

    name: str  # graph type, e.g. "CONSUMED_INTO"
    source: tuple[str, ...]  # node kind names
    target: tuple[str, ...]
    description: str
    fields: tuple[Field, ...] = ()
    identity: tuple[str, ...] = ()
    table: str | None = None  # canonical table the edges come from, when they have their own
    derived_from: tuple[str, str] | None = None  # (node kind, field) for edges implied by a key field

    @property
    def sql_table(self) -> str:
        return "r_" + self.name.lower()


@dataclass(frozen=True)
class EdgeTable:
    """A canonical table whose rows are edges with typed endpoints, e.g. consumptions."""

    table: str
    rel: str
    source_type: str  # column holding the source kind (lot|serial|container), or a fixed kind
    source_id: str
    target_type: str
    target_id: str
    type_names: dict[str, str] = field(default_factory=dict)  # column value -> node kind


S, I, D, T, E, J = (FieldType.STRING, FieldType.INTEGER, FieldType.DECIMAL, FieldType.DATETIME,
                    FieldType.ENUM, FieldType.JSON)

ITEM_TYPES = {"lot": "Lot", "serial": "Serial", "container": "Container"}
IDENTIFIER_SCHEMES = ("gs1", "digital-link", "epc", "hibc", "iccbba", "ifa", "erp")
EPCIS_EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransformationEvent", "TransactionEvent",
                     "AssociationEvent")

EVIDENCE = Field("evidence", J, "eventIDs of the EPCIS events the edge was derived from, as a JSON list.")
RETRACTED = Field("retracted_at", T, "When every event behind the edge was declared erroneous; "
                  "a retracted edge never happened: it counts nowhere, at no time (kept for the audit).")

NODE_KINDS: tuple[NodeKind, ...] = (
    NodeKind("Supplier", "suppliers", "supplier_id", "A company that supplies purchased lots.", (
        Field("supplier_id", S, "Supplier key in the ERP.", required=True),
        Field("name", S, "Legal or trading name.", required=True),
        Field("country", S, "ISO 3166-1 alpha-2 country code."),
    )),
    NodeKind("Material", "materials", "material_id",
             "A purchased or made part, identified by its part number; revision is the current one.", (
        Field("material_id", S, "Part number.", required=True),
        Field("revision", S, "Engineering revision of the part.", required=True),
        Field("description", S, "What the part is."),
    )),
    NodeKind("Product", "products", "product_id",
             "A device model; product_id is the UDI-DI (GTIN-14) where known.", (
        Field("product_id", S, "Device identifier (UDI-DI / GTIN) or ERP product key.", required=True),
        Field("name", S, "Brand and model name.", required=True),
        Field("issuing_agency", E, "Agency that issued the DI.", choices=("GS1", "HIBCC", "ICCBBA", "IFA")),
        Field("brand", S, "Brand name on the label."),
        Field("model", S, "Version or model number."),
        Field("company", S, "Labeler (company) name."),
        Field("label_pis", S, "Production identifiers the label carries, comma-separated, from: "
              "lot, serial, expiry, manufacturing_date, donation_id."),
    )),
    NodeKind("Lot", "lots", "lot_id",
             "A quantity of one item made or bought together: purchased, intermediate or finished.", (
        Field("lot_id", S, "Lot or batch number.", required=True),
        Field("item_id", S, "The material or product this lot is of.", required=True),
        Field("supplier_id", S, "Supplier of a purchased lot; empty for lots made in house.",
              references="Supplier"),
        Field("quantity", D, "Quantity received or produced.", unit="uom", minimum=0),
        Field("uom", S, "Unit of measure of quantity (e.g. EA, KG, M)."),
        Field("created_at", T, "When the lot was received or produced."),
        Field("expires_at", T, "Expiry date, where the item expires."),
    )),
    NodeKind("Serial", "serials", "serial_id", "One serialised unit (UDI-PI serial number).", (
        Field("serial_id", S, "Serial number, unique across products.", required=True),
        Field("product_id", S, "Device model of the unit.", required=True, references="Product"),
        Field("lot_id", S, "The lot the unit was built in.", references="Lot"),
        Field("created_at", T, "When the unit was built."),
    )),
    NodeKind("Container", "containers", "container_id",
             "A logistic unit (case, pallet); SSCC where known. Created on first reference.", (
        Field("container_id", S, "Container key or SSCC.", required=True),
        Field("container_type", E, "What kind of logistic unit.", choices=("case", "pallet", "other")),
        Field("sscc", S, "Serial Shipping Container Code (18 digits)."),
    ), implicit=True),
    NodeKind("ProcessStep", "process_steps", "step_id", "One executed operation of a work order.", (
        Field("step_id", S, "Key of the executed operation.", required=True),
        Field("work_order", S, "Work (production) order.", required=True),
        Field("operation", S, "Routing operation, e.g. 0010 MOLD.", required=True),
        Field("equipment_id", S, "Equipment the operation ran on."),
        Field("operator_id", S, "Operator who ran it."),
        Field("started_at", T, "Start of the operation."),
        Field("ended_at", T, "End of the operation.", not_before="started_at"),
        Field("bom_revision", S, "BOM revision the work order was built to."),
        Field("process_revision", S, "Process (routing) revision in force."),
        Field("parameters", J, "Process parameters as a JSON object, e.g. {\"temp_c\": 180}."),
    )),
    NodeKind("Inspection", "inspections", "inspection_id", "A measured or judged characteristic.", (
        Field("inspection_id", S, "Inspection record key.", required=True),
        Field("subject_type", E, "What was inspected.", required=True, choices=("lot", "serial")),
        Field("subject_id", S, "Key of the inspected lot or serial.", required=True),
        Field("step_id", S, "Operation the inspection belongs to.", references="ProcessStep"),
        Field("characteristic", S, "What was measured.", required=True),
        Field("value", D, "Measured value."),
        Field("lower_limit", D, "Lower specification limit."),
        Field("upper_limit", D, "Upper specification limit."),
        Field("result", E, "Verdict.", required=True, choices=("pass", "fail")),
        Field("inspected_at", T, "When it was inspected."),
    )),
    NodeKind("Shipment", "shipments", "shipment_id", "A despatch to one customer.", (
        Field("shipment_id", S, "Shipment or delivery note key.", required=True),
        Field("customer_id", S, "Receiving customer.", required=True, references="Customer"),
        Field("shipped_at", T, "When it left.", required=True),
    )),
    NodeKind("Customer", "customers", "customer_id", "A hospital, distributor or other receiver.", (
        Field("customer_id", S, "Customer key in the CRM/ERP.", required=True),
        Field("name", S, "Name.", required=True),
        Field("country", S, "ISO 3166-1 alpha-2 country code."),
    )),
    NodeKind("Identifier", "identifiers", "identifier",
             "One way of writing a thing's identity (EPC URN, GS1 Digital Link, GS1 element string, HIBC, "
             "GUDID DI); IDENTIFIES links it to the one record it means.", (
        Field("identifier", S, "The identifier in its canonical written form.", required=True),
        Field("scheme", E, "How it is written.", required=True, choices=IDENTIFIER_SCHEMES),
    )),
    NodeKind("Event", "events", "event_id",
             "A captured GS1 EPCIS event: the evidence behind edges derived from it.", (
        Field("event_id", S, "eventID, or a SHA-256 of the event's content where it has none.", required=True),
        Field("event_type", E, "EPCIS event type.", required=True, choices=EPCIS_EVENT_TYPES),
        Field("event_time", T, "When the event happened.", required=True),
        Field("action", E, "ADD, OBSERVE or DELETE.", choices=("ADD", "OBSERVE", "DELETE")),
        Field("biz_step", S, "CBV business step, short form (e.g. shipping)."),
        Field("disposition", S, "CBV disposition, short form (e.g. in_transit)."),
        Field("parent_id", S, "parentID of an aggregation or association event."),
        Field("transformation_id", S, "transformationID shared by the events of one transformation."),
        Field("source", S, "File the event was captured from (first capture)."),
        Field("captures", J, "The event as captured, as a JSON list (more than one entry when the same "
              "eventID arrived with different content)."),
        Field("error_declared_at", T, "Declaration time of an errorDeclaration: the event stops counting then."),
        Field("error_reason", S, "errorDeclaration reason (CBV error reason)."),
        Field("corrective_event_ids", J, "eventIDs of the corrective events, as a JSON list."),
    )),
    NodeKind("BizTransaction", "biz_transactions", "biz_transaction_id",
             "A business document an EPCIS event names: purchase order, despatch advice, production order.", (
        Field("biz_transaction_id", S, "The document's identifier (URI or number).", required=True),
        Field("type", S, "CBV business transaction type, short form (po, desadv, prodorder, ...)."),
    ), implicit=True),
    NodeKind("Asset", "assets", "asset_id",
             "Equipment, a sensor or a returnable asset (GIAI/GRAI) attached to items for a time.", (
        Field("asset_id", S, "Asset identifier (EPC URN or ERP key).", required=True),
    ), implicit=True),
)

REL_KINDS: tuple[RelKind, ...] = (
    RelKind("CONSUMED_INTO", ("Lot", "Serial"), ("Lot", "Serial"),
            "An input lot or serial consumed (wholly or partly) into an output in a process step.", (
                Field("step_id", S, "Operation in which it was consumed.", required=True,
                      references="ProcessStep"),
                Field("quantity", D, "Quantity consumed.", unit="uom", minimum=0),
                Field("uom", S, "Unit of measure of quantity."),
                Field("consumed_at", T, "When it was consumed."),
                EVIDENCE, RETRACTED,
            ), identity=("step_id",), table="consumptions"),
    RelKind("HAS_SERIAL", ("Lot",), ("Serial",), "A lot and the serialised units built in it.",
            (EVIDENCE,), derived_from=("Serial", "lot_id")),
    RelKind("PACKED_IN", ("Lot", "Serial", "Container"), ("Container",),
            "An item inside a container from packed_at until unpacked_at (empty: still packed).", (
                Field("packed_at", T, "When it was packed.", required=True),
                Field("unpacked_at", T, "When it was taken out; empty while still inside.", not_before="packed_at"),
                EVIDENCE, RETRACTED,
            ), identity=("packed_at",), table="packing"),
    RelKind("SHIPPED_IN", ("Lot", "Serial", "Container"), ("Shipment",),
            "An item that left in a shipment.", (
                Field("quantity", D, "Quantity shipped (lots); 1 for a serial or container.", minimum=0),
                Field("uom", S, "Unit of measure of quantity."),
                EVIDENCE, RETRACTED,
            ), table="shipment_items"),
    RelKind("SHIPPED_TO", ("Shipment",), ("Customer",), "The customer a shipment went to.",
            (EVIDENCE,), derived_from=("Shipment", "customer_id")),
    RelKind("SUPPLIED", ("Supplier",), ("Lot",), "A supplier and the lots bought from it.",
            derived_from=("Lot", "supplier_id")),
    RelKind("OF_ITEM", ("Lot",), ("Material", "Product"), "The material or product a lot is of.",
            derived_from=("Lot", "item_id")),
    RelKind("OF_PRODUCT", ("Serial",), ("Product",), "The device model of a unit.",
            derived_from=("Serial", "product_id")),
    RelKind("INSPECTS", ("Inspection",), ("Lot", "Serial"), "An inspection and its subject.",
            derived_from=("Inspection", "subject_id")),
    RelKind("RECORDED_AT", ("Inspection",), ("ProcessStep",), "An inspection and its operation.",
            derived_from=("Inspection", "step_id")),
    RelKind("IDENTIFIES", ("Identifier",), ("Product", "Lot", "Serial", "Container", "Asset"),
            "An identifier and the one record it means; a trace can start from any of them."),
    RelKind("CONTAINS_DI", ("Product",), ("Product",),
            "A package DI and the DI it contains, quantity of them (GUDID package hierarchy).", (
                Field("quantity", D, "How many of the contained DI one package holds.", minimum=0),
                Field("package_type", S, "Package type as labelled (e.g. case, box)."),
            )),
    RelKind("ATTACHED_TO", ("Asset", "Lot", "Serial", "Container"), ("Asset", "Lot", "Serial", "Container"),
            "Equipment or a sensor attached to an item from attached_at until detached_at (EPCIS association).", (
                Field("attached_at", T, "When it was attached.", required=True),
                Field("detached_at", T, "When it was removed; empty while still attached."),
                EVIDENCE, RETRACTED,
            ), identity=("attached_at",)),
    RelKind("REFERS_TO", ("Lot", "Serial", "Container", "Shipment", "ProcessStep"), ("BizTransaction",),
            "An item, shipment or transformation named in a business document (EPCIS bizTransactionList).",
            (EVIDENCE,)),
)

EDGE_TABLES: tuple[EdgeTable, ...] = (
    EdgeTable("consumptions", "CONSUMED_INTO", "input_type", "input_id", "output_type", "output_id",
              {"lot": "Lot", "serial": "Serial"}),
    EdgeTable("packing", "PACKED_IN", "child_type", "child_id", "", "container_id", ITEM_TYPES),
    EdgeTable("shipment_items", "SHIPPED_IN", "item_type", "item_id", "", "shipment_id", ITEM_TYPES),
)

# Lots and serials form the genealogy; these relationships carry it, downstream.
GENEALOGY_RELS: tuple[str, ...] = ("CONSUMED_INTO", "HAS_SERIAL")

KINDS: dict[str, NodeKind] = {k.name: k for k in NODE_KINDS}
KINDS_BY_TABLE: dict[str, NodeKind] = {k.table: k for k in NODE_KINDS}
RELS: dict[str, RelKind] = {r.name: r for r in REL_KINDS}
EDGE_TABLES_BY_NAME: dict[str, EdgeTable] = {t.table: t for t in EDGE_TABLES}

# The order a batch is written in: nodes that others reference come first.
LOAD_ORDER: tuple[str, ...] = ("Supplier", "Material", "Product", "Customer", "ProcessStep",
                               "Container", "Lot", "Serial", "Shipment", "Inspection", "Asset",
                               "BizTransaction", "Event", "Identifier")
