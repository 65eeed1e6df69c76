"""From any text a person scans or types to the one record it means.

``parse`` recognises the format and reads its parts (raising BadInput with the reason when a check
digit or format is wrong); ``identify`` adds the matching records: by canonical key, by a stored
Identifier (IDENTIFIES edge; of the thing, or of the device a DI in it names) and by ERP fields (a
Serial whose serial_id is the bare serial number and whose product_id is the GTIN). A dropped-FNC1
reading yields every alternative with its records.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import BadInput, NotFound
from ..store import Store
from ..trace import TraceStart
from . import epc, gs1, hibc
from .model import Identification, Parsed, record_keys

_ELEMENT_STRING = re.compile(r"^(01\d{14}|00\d{18})")
_KINDS = ("Product", "Lot", "Serial", "Container")
_TRACED = ("Lot", "Serial", "Container")  # the kinds a trace starts from


def parse(text: str) -> Parsed:
    """Read ``text`` as whichever identifier format it is written in; plain text is an ERP key."""
    value = text.strip()
    if not value:
        raise BadInput("an identifier is empty")
    lowered = value.lower()
    if lowered.startswith("urn:epc:"):
        return epc.parse_epc_urn(value)
    if lowered.startswith(("http://", "https://")):
        return gs1.parse_digital_link(value)
    if value.startswith("(") and value[1:2].isdigit():
        return gs1.parse_hri(value)
    if value.lstrip("*").startswith("+") or value.startswith(("]C0+", "]A0+", "]d1+")):
        return hibc.parse_hibc(text.lstrip())  # a trailing space can be the check character
    if (value.startswith(gs1.SYMBOLOGY_PREFIXES) or gs1.GS in value or "<GS>" in value
            or _ELEMENT_STRING.match(value)):
        return gs1.parse_element_string(value)
    return Parsed("plain", {"key": value})


def identifier_forms(parts: dict[str, str]) -> list[tuple[str, str]]:
    """Every written form, with its scheme, that names the thing ``parts`` describe."""
    forms: list[tuple[str, str]] = []
    thing: dict[str, str] = {k: parts[k] for k in ("gtin", "lot", "serial", "sscc") if k in parts}
    if "sscc" in thing or ("gtin" in thing and ("lot" in thing) != ("serial" in thing)):
        forms.append((gs1.hri(thing), "gs1"))
        forms.append((gs1.digital_link(thing), "digital-link"))
        forms += [(urn, "epc") for urn in epc.epc_urns(thing)]
    return forms


def _device_identifier_forms(parts: dict[str, str]) -> list[str]:
    """How a device identifier the reading carries is stored as an Identifier of its product (a GUDID
    secondary DI): a GS1 DI bare, an HIBC DI as its primary symbol, whatever else the scan held."""
    return ([parts["gtin"]] if "gtin" in parts else []) + (
        hibc.encode_hibc(parts["hibc_di"]) if "hibc_di" in parts else [])


def _lookup(store: Store, reading: Parsed, text: str) -> dict[str, list[dict[str, Any]]]:
    parts = reading.parts
    wanted: dict[str, set[str]] = {kind: set() for kind in _KINDS}
    if reading.format == "plain":
        for kind in _KINDS:
            wanted[kind].add(parts["key"])
    for kind, key in record_keys(parts).items():
        wanted[kind].add(key)
    names = [text.strip()] + [form for form, _ in identifier_forms(parts)] + _device_identifier_forms(parts)
    identifiers = list(store.get("Identifier", names))
    for edge in store.edges("IDENTIFIES", [("Identifier", i) for i in identifiers], "out"):
        if edge.dst[0] in wanted:
            wanted[edge.dst[0]].add(edge.dst[1])
    product = parts.get("gtin") or parts.get("hibc_di")
    if product:  # ERP records keyed by the bare lot or serial number of this product
        if "serial" in parts:
            wanted["Serial"].update(k for k, r in store.get("Serial", [parts["serial"]]).items()
                                    if r["product_id"] == product)
        if "lot" in parts:
            wanted["Lot"].update(k for k, r in store.get("Lot", [parts["lot"]]).items() if r["item_id"] == product)
    found: dict[str, list[dict[str, Any]]] = {}
    for kind, keys in wanted.items():
        records = store.get(kind, keys)
        if records:
            found[kind] = [records[k] for k in sorted(records)]
    return found


def identify(text: str, store: Store | None = None) -> Identification:
    """Parse ``text`` and, given a store, find the records it (and each ambiguous reading) matches."""
    try:
        reading = parse(text)
    except BadInput as exc:  # not a valid standard identifier: still a stored key if one matches exactly
        plain = Parsed("plain", {"key": text.strip()}, (f"not a valid standard identifier ({exc})",))
        if store is None or not _lookup(store, plain, text):
            raise
        reading = plain

    def one(r: Parsed) -> Identification:
        if store is None:
            return Identification(text, r)
        return Identification(text, r, _lookup(store, r, text), looked_up=True)
    result = one(reading)
    if reading.ambiguities:
        result.alternatives = [one(alt) for alt in reading.ambiguities]
    return result


def require_match(identification: Identification) -> None:
    """NOT_FOUND, saying how the text was read, when no reading of it matches a record in the store (of the
    kinds an identifier names: a plain key that is a supplier's or customer's id is not looked up here)."""
    if not identification.matched:
        read = "; ".join(f"{i.reading.format}: {i.reading.parts_text}"
                         for i in [identification, *identification.alternatives])
        kinds = ", ".join(k.lower() for k in _KINDS[:-1]) + f" or {_KINDS[-1].lower()}"
        raise NotFound(f"no {kinds} in the store matches {identification.text!r} (read as {read})")


def trace_start(identification: Identification) -> TraceStart:
    """The trace start an identification names; an ambiguous or unmatched one is refused, never guessed."""
    if identification.ambiguous:
        readings = "; ".join(gs1.hri(a.reading.parts) for a in [identification, *identification.alternatives])
        raise BadInput(f"{identification.text!r} is ambiguous (a scanner may have dropped FNC1): {readings}")
    recs = identification.records
    start = TraceStart.of(lot=[r["lot_id"] for r in recs.get("Lot", [])] or None,
                          serial=[r["serial_id"] for r in recs.get("Serial", [])] or None,
                          container=[r["container_id"] for r in recs.get("Container", [])] or None)
    if not start:
        reading = identification.reading
        named = [k for k in _TRACED if reading.format == "plain" or k in record_keys(reading.parts)]
        if named:  # a lot, serial or container the store does not hold, as `trace forward --lot NOPE`
            raise NotFound(f"{identification.text!r} matches no {' or '.join(k.lower() for k in named)}")
        found = ", ".join(f"{kind} {next(iter(r.values()))}" for kind, rs in recs.items() for r in rs)
        raise BadInput(f"{identification.text!r} names no lot, serial or container to trace from"
                       + (f" (it matches {found})" if found else ""))
    return start
