"""Reads EPCIS documents (2.0 JSON/JSON-LD and XML, 1.2 XML) into events shaped as EPCIS 2.0 JSON.

Offline: a JSON-LD ``@context`` is never fetched. The GS1 JSON schema and XSDs carry only GS1's IP
disclaimer (no open licence), so they are not committed; :func:`event_problems` is our own
structural validation of what the schema checks and the loader relies on: event types, the JSON types of
the fields it reads, required fields, times, actions, CBV vocabularies for bare words, namespaced extensions,
and EPCs this system can read.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BadInput, LoadError
from ..extras import extra_module
from ..schema import normalize_datetime
from ..schema.dictionary import EPCIS_EVENT_TYPES
from .source import not_utf8

Event = dict[str, Any]

BIZ_STEPS = frozenset((
    "accepting arriving assembling collecting commissioning consigning creating_class_instance cycle_counting "
    "decommissioning departing destroying disassembling dispensing encoding entering_exiting holding inspecting "
    "installing killing loading other packing picking receiving removing repackaging repairing replacing "
    "reserving retail_selling sampling sensor_reporting shipping staging_outbound stock_taking stocking storing "
    "transporting unloading unpacking void_shipping").split())
DISPOSITIONS = frozenset((
    "active available completeness_inferred completeness_verified conformant container_closed container_open "
    "damaged destroyed dispensed disposed encoded expired in_progress in_transit inactive mismatch_instance "
    "mismatch_class mismatch_quantity needs_replacement no_pedigree_match non_conformant non_sellable_other "
    "partially_dispensed recalled reserved retail_sold returned sellable_accessible sellable_not_accessible "
    "stolen unavailable unknown").split())
BIZ_TRANSACTION_TYPES = frozenset("bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt".split())
PARTY_TYPES = frozenset(("owning_party", "possessing_party", "location"))

_LISTS = {"epcList", "childEPCs", "inputEPCList", "outputEPCList"}
_QUANTITY_LISTS = {"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"}
_COMMON = {"type", "eventTime", "eventTimeZoneOffset", "recordTime", "eventID", "errorDeclaration", "bizStep",
           "disposition", "readPoint", "bizLocation", "bizTransactionList", "sourceList", "destinationList",
           "sensorElementList", "persistentDisposition", "certificationInfo", "@context"}
FIELDS: dict[str, set[str]] = {
    "ObjectEvent": _COMMON | {"action", "epcList", "quantityList", "ilmd"},
    "AggregationEvent": _COMMON | {"action", "parentID", "childEPCs", "childQuantityList"},
    "TransactionEvent": _COMMON | {"action", "parentID", "epcList", "quantityList"},
    "TransformationEvent": _COMMON | {"transformationID", "inputEPCList", "inputQuantityList", "outputEPCList",
                                      "outputQuantityList", "ilmd"},
    "AssociationEvent": _COMMON | {"action", "parentID", "childEPCs", "childQuantityList"},
}
# the JSON type of every field the loader reads (None counts as absent): text, an array of EPCs, an object
# or an array of objects, each with these text members
_TEXT_FIELDS = ("eventID", "parentID", "transformationID", "bizStep", "disposition")
_OBJECTS = {"readPoint": ("id",), "bizLocation": ("id",), "errorDeclaration": ("reason",)}
_OBJECT_LISTS = {"bizTransactionList": ("type", "bizTransaction"), "sourceList": ("type", "source"),
                 "destinationList": ("type", "destination"), **{q: ("epcClass", "uom") for q in _QUANTITY_LISTS}}
_OFFSET = re.compile(r"^[+-]([01]\d|2[0-3]):[0-5]\d$")
# the ILMD dates the loader reads, by bare name, each kind's first present one winning
ILMD_EXPIRY = ("itemExpirationDate", "bestBeforeDate")
ILMD_PRODUCTION = ("productionDate", "manufacturingDate")


@dataclass
class Document:
    path: str
    kind: str  # EPCISDocument or EPCISQueryDocument
    schema_version: str
    events: list[Event]
    names: dict[str, str] = field(default_factory=dict)  # master data: id -> name
    sha256: str = ""  # of the bytes parsed


def bare(key: str) -> str:
    """An ILMD field's name without its namespace (``cbvmda:lotNumber`` -> ``lotNumber``)."""
    return key.rsplit(":", 1)[-1].rsplit("#", 1)[-1]


def short(value: str | None) -> str | None:
    """A CBV URI in its bare-word form (``urn:epcglobal:cbv:bizstep:shipping`` -> ``shipping``)."""
    if value is None:
        return None
    for prefix in ("urn:epcglobal:cbv:bizstep:", "urn:epcglobal:cbv:disp:", "urn:epcglobal:cbv:btt:",
                   "urn:epcglobal:cbv:sdt:", "urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/BizStep-",
                   "https://ref.gs1.org/cbv/Disp-", "https://ref.gs1.org/cbv/BTT-", "https://ref.gs1.org/cbv/SDT-",
                   "https://ref.gs1.org/cbv/ER-", "cbv:BizStep-", "cbv:Disp-", "cbv:BTT-", "cbv:SDT-", "cbv:ER-"):
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def read_document(path: Path) -> Document:
    """Parse one file as JSON or XML (a UTF-8 byte-order mark is allowed); structural errors raise LoadError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot be read ({exc.strerror})", file=str(path)) from None
    document = _parse(path, raw)
    document.sha256 = hashlib.sha256(raw).hexdigest()
    return document


def _parse(path: Path, raw: bytes) -> Document:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError(f"is not UTF-8 text ({not_utf8(io.BytesIO(raw))})", file=str(path)) from None
    if text.lstrip().startswith("<"):
        return _read_xml(path, raw.removeprefix(b"\xef\xbb\xbf"))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"is neither XML nor valid JSON ({exc.msg} at line {exc.lineno})", file=str(path)) from None
    if not isinstance(data, dict) or data.get("type") not in ("EPCISDocument", "EPCISQueryDocument"):
        raise LoadError("is not an EPCISDocument or EPCISQueryDocument (field type)", file=str(path))
    body = data.get("epcisBody")
    if not isinstance(body, dict):
        raise LoadError("has no epcisBody object", file=str(path), field="epcisBody")
    if data["type"] == "EPCISQueryDocument":
        body = (body.get("queryResults") or {}).get("resultsBody") or {}
    events = body.get("eventList")
    if not isinstance(events, list):
        raise LoadError("has no eventList array", file=str(path), field="eventList")
    names: dict[str, str] = {}
    for vocabulary in ((data.get("epcisHeader") or {}).get("epcisMasterData") or {}).get("vocabularyList", []):
        for element in vocabulary.get("vocabularyElementList", []):
            _master_name(names, element.get("id"), [(a.get("id", ""), a.get("attribute")) for a in
                                                    element.get("attributes", [])])
    return Document(str(path), data["type"], str(data.get("schemaVersion", "")), events, names)


def _master_name(names: dict[str, str], ident: str | None, attributes: list[tuple[str, Any]]) -> None:
    for attr_id, value in attributes:
        if ident and isinstance(value, str) and attr_id.endswith(("#name", "#descriptionShort", "#regulatedProductName")):
            names.setdefault(ident, value)


# -- XML --------------------------------------------------------------------------------------
def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Any) -> list[Any]:
    """Child elements, with 1.2-style ``extension`` wrappers flattened away."""
    out = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if _local(child.tag) in ("extension", "baseExtension"):
            out += _children(child)
        else:
            out.append(child)
    return out


def _qname(element: Any) -> str:
    """``prefix:name`` of a namespaced extension element (``namespace#name`` under a default namespace),
    the bare name of an EPCIS one (EPCIS event fields are in no namespace)."""
    tag = element.tag
    if not tag.startswith("{"):
        return tag
    namespace, local = tag[1:].split("}", 1)
    return f"{element.prefix}:{local}" if element.prefix else f"{namespace}#{local}"


def _text(element: Any) -> str:
    return (element.text or "").strip()


def _quantity(element: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in _children(element):
        name = _local(child.tag)
        if name == "quantity":
            if _text(child):
                out["quantity"] = _text(child)
        else:
            out[name] = _text(child)
    return out


def _value(element: Any, etree: Any) -> str:
    """Text of a simple element; a structured one (sensor data, extensions) is kept as its XML."""
    if len(element):
        return str(etree.tostring(element, encoding="unicode", with_tail=False)).strip()
    return _text(element)


def _xml_event(element: Any) -> Event:
    from lxml import etree
    event: Event = {"type": _local(element.tag)}
    for child in _children(element):
        name = _qname(child)
        if name in _LISTS:
            event[name] = [_text(e) for e in _children(child)]
        elif name in _QUANTITY_LISTS:
            event[name] = [_quantity(q) for q in _children(child)]
        elif name in ("readPoint", "bizLocation"):
            event[name] = {_local(c.tag): _text(c) for c in _children(child)}
        elif name == "bizTransactionList":
            event[name] = [{"type": c.get("type"), "bizTransaction": _text(c)} for c in _children(child)]
        elif name in ("sourceList", "destinationList"):
            key = "source" if name == "sourceList" else "destination"
            event[name] = [{"type": c.get("type"), key: _text(c)} for c in _children(child)]
        elif name == "ilmd":
            event[name] = {_qname(c): _value(c, etree) for c in _children(child)}
        elif name == "errorDeclaration":
            declaration: dict[str, Any] = {}
            for c in _children(child):
                cname = _local(c.tag)
                declaration[cname] = ([_text(x) for x in _children(c)] if cname == "correctiveEventIDs" else _text(c))
            event[name] = declaration
        else:
            event[name] = _value(child, etree)
    return event


def _read_xml(path: Path, raw: bytes) -> Document:
    etree = extra_module("lxml.etree", "standards", "reading EPCIS XML")
    try:
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise LoadError(f"is not well-formed XML ({exc})", file=str(path)) from None
    kind = _local(root.tag)
    if kind not in ("EPCISDocument", "EPCISQueryDocument"):
        raise LoadError(f"root element is {kind}, not EPCISDocument or EPCISQueryDocument", file=str(path))
    event_lists = [e for e in root.iter() if _local(e.tag) == "EventList"]
    if not event_lists:
        raise LoadError("has no EventList element", file=str(path), field="EventList")
    events = [_xml_event(e) for e in _children(event_lists[0])]
    names: dict[str, str] = {}
    for element in root.iter():
        if _local(element.tag) == "VocabularyElement":
            _master_name(names, element.get("id"), [(a.get("id", ""), _text(a)) for a in _children(element)
                                                    if _local(a.tag) == "attribute"])
    return Document(str(path), kind, root.get("schemaVersion", ""), events, names)


# -- validation -------------------------------------------------------------------------------
def _time_problem(value: Any, name: str) -> str | None:
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value):
        return f"{name} {value!r} is not an ISO 8601 date-time"
    if not re.search(r"(Z|[+-]\d{2}:\d{2})$", value):
        return f"{name} {value!r} has no time zone"
    try:
        normalize_datetime(value)
    except ValueError:
        return f"{name} {value!r} is not a valid date-time"
    return None


def _date_problem(value: Any, name: str) -> str | None:
    """An ILMD date (xsd:date, or a date-time) that the loader cannot read as one."""
    if isinstance(value, str):
        try:
            normalize_datetime(value)
            return None
        except ValueError:
            pass
    return f"{name}: {value!r} is not an ISO 8601 date"


def _members_problems(entry: dict[str, Any], members: tuple[str, ...], where: str) -> list[str]:
    return [f"{where} field {m!r} {entry[m]!r} is not text" for m in members
            if entry.get(m) is not None and not isinstance(entry[m], str)]


def _shape_problems(event: Event) -> list[str]:
    """Fields of the wrong JSON type, which the checks after this and the loader would misread (a string
    where an array belongs is iterated letter by letter) or fail on."""
    problems = [f"{name} {event[name]!r} is not text" for name in _TEXT_FIELDS
                if event.get(name) is not None and not isinstance(event[name], str)]
    for name in sorted(_LISTS):
        value = event.get(name)
        if value is not None and not (isinstance(value, list) and all(isinstance(e, str) and e.strip() for e in value)):
            problems.append(f"{name} must be an array of EPCs (non-empty text)")
    for name, members in _OBJECTS.items():
        value = event.get(name)
        if value is not None and not isinstance(value, dict):
            problems.append(f"{name} must be an object")
        elif value is not None:
            problems += _members_problems(value, members, name)
    for name, members in _OBJECT_LISTS.items():
        value = event.get(name)
        if value is not None and not (isinstance(value, list) and all(isinstance(e, dict) for e in value)):
            problems.append(f"{name} must be an array of objects")
        elif value is not None:
            problems += [p for e in value for p in _members_problems(e, members, f"{name} entry")]
    declaration = event.get("errorDeclaration")
    corrective = declaration.get("correctiveEventIDs") if isinstance(declaration, dict) else None
    if corrective is not None and not (isinstance(corrective, list) and all(isinstance(e, str) for e in corrective)):
        problems.append("errorDeclaration.correctiveEventIDs must be an array of eventIDs (text)")
    return problems


def event_problems(event: Any, read_epc: Any) -> list[str]:
    """Every structural problem of one event; ``read_epc(uri)`` raises BadInput for an unreadable EPC."""
    if not isinstance(event, dict):
        return ["an event must be an object"]
    kind = event.get("type")
    if kind not in EPCIS_EVENT_TYPES:
        return [f"type {kind!r} is not one of {', '.join(EPCIS_EVENT_TYPES)}"]
    shape = _shape_problems(event)
    if shape:
        return shape
    problems = [p for p in (_time_problem(event.get("eventTime"), "eventTime"),) if p]
    offset = event.get("eventTimeZoneOffset")
    if not isinstance(offset, str) or not _OFFSET.match(offset):
        problems.append(f"eventTimeZoneOffset {offset!r} is not +hh:mm or -hh:mm")
    if kind != "TransformationEvent" and event.get("action") not in ("ADD", "OBSERVE", "DELETE"):
        problems.append(f"action {event.get('action')!r} is not ADD, OBSERVE or DELETE")
    for key in event:
        if key not in FIELDS[kind] and ":" not in key:
            problems.append(f"field {key!r} is not an EPCIS {kind} field and has no namespace prefix")
    if kind in ("AggregationEvent", "AssociationEvent") and event.get("action") in ("ADD", "DELETE") \
            and not event.get("parentID"):
        problems.append(f"an {kind} {event.get('action')} needs a parentID")
    if kind == "TransactionEvent" and not event.get("bizTransactionList"):
        problems.append("a TransactionEvent needs a bizTransactionList")
    step, disposition = short(event.get("bizStep")), short(event.get("disposition"))
    if step is not None and ":" not in step and step not in BIZ_STEPS:
        problems.append(f"bizStep {step!r} is not a CBV business step (use a URI for your own)")
    if disposition is not None and ":" not in disposition and disposition not in DISPOSITIONS:
        problems.append(f"disposition {disposition!r} is not a CBV disposition (use a URI for your own)")
    for entry in event.get("bizTransactionList") or []:
        btt = short(entry.get("type"))
        if not entry.get("bizTransaction"):
            problems.append("a bizTransaction has no identifier")
        if btt is not None and ":" not in btt and btt not in BIZ_TRANSACTION_TYPES:
            problems.append(f"bizTransaction type {btt!r} is not a CBV business transaction type")
    for list_name, key in (("sourceList", "source"), ("destinationList", "destination")):
        for entry in event.get(list_name) or []:
            t = short(entry.get("type"))
            if t is None or (":" not in t and t not in PARTY_TYPES) or not entry.get(key):
                problems.append(f"{list_name} entry type {t!r} is not owning_party, possessing_party or location"
                                if entry.get(key) else f"{list_name} entry has no {key}")
    ilmd = event.get("ilmd") or {}
    if not isinstance(ilmd, dict):
        problems.append("ilmd must be an object")
        ilmd = {}
    for key, value in ilmd.items():
        if ":" not in key:
            problems.append(f"ilmd field {key!r} has no namespace prefix")
        elif bare(key) in ILMD_EXPIRY + ILMD_PRODUCTION:
            problems += [p for p in (_date_problem(value, f"ilmd field {key!r}"),) if p]
        elif bare(key) == "lotNumber" and not (isinstance(value, str) and value.strip()):
            problems.append(f"ilmd field {key!r}: {value!r} is not a lot number (non-empty text)")
    epcs = [e for name in _LISTS for e in event.get(name) or []] + ([event["parentID"]] if event.get("parentID") else [])
    classes = [q for name in _QUANTITY_LISTS for q in event.get(name) or []]
    for q in classes:
        if not isinstance(q, dict) or not q.get("epcClass"):
            problems.append("a quantity element has no epcClass")
            continue
        epcs.append(q["epcClass"])
        if "quantity" in q and q["quantity"] is not None:
            try:
                if float(q["quantity"]) < 0:
                    problems.append(f"quantity {q['quantity']} of {q['epcClass']} is negative")
            except (TypeError, ValueError):
                problems.append(f"quantity {q['quantity']!r} of {q['epcClass']} is not a number")
    for epc in epcs:
        try:
            read_epc(epc)
        except BadInput as exc:
            problems.append(f"EPC {epc!r}: {exc}")
    declaration = event.get("errorDeclaration")
    if declaration is not None:
        problem = _time_problem((declaration or {}).get("declarationTime"), "errorDeclaration.declarationTime")
        if problem:
            problems.append(problem)
    return problems
