"""GS1 element strings, bracketed HRI and Digital Link URIs, read with ``biip``.

biip verifies check digits and date formats; this module maps its element strings to our parts,
turns check-digit failures into :class:`BadInput`, and detects the one thing biip cannot: a
scanner that dropped the FNC1 after a variable-length field, so the field swallowed the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from biip import ParseConfig, ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message

from ..errors import BadInput
from .model import Parsed

GS = "\x1d"
SYMBOLOGY_PREFIXES = ("]d2", "]C1", "]Q3", "]e0", "]J1")
# Separators scanners put where FNC1 was: ASCII GS, and the "<GS>" / "{GS}" keyboard-wedge spellings.
_SEPARATOR_SPELLINGS = ("<GS>", "{GS}", "\\x1d", "\\u001d")
_CONFIG = ParseConfig(separator_chars=(GS,))

# AI -> our part name; dates are given as ISO dates.
_PART_OF_AI = {"01": "gtin", "02": "gtin", "10": "lot", "21": "serial", "17": "expiry", "11": "production_date",
               "00": "sscc", "414": "gln", "254": "gln_extension", "30": "quantity", "37": "quantity"}
_AI_OF_PART = {"gtin": "01", "lot": "10", "serial": "21", "expiry": "17", "production_date": "11", "sscc": "00"}
# AIs a swallowed field of a UDI label plausibly starts with (dropped-FNC1 detection).
_UDI_AIS = ("01", "10", "11", "17", "21", "30", "00", "240", "241", "7003")
_ORDER = ("sscc", "gtin", "production_date", "expiry", "lot", "serial")


def _once(values: dict[str, str], ai: str, value: str, what: str) -> None:
    """Record ``ai``'s value; refuse a second, different one, as which the label means is unknowable."""
    if values.setdefault(ai, value) != value:
        raise BadInput(f"{what}: AI ({ai}) appears twice with different values, {values[ai]!r} and {value!r}")


def _parts(element_strings: list[GS1ElementString], what: str) -> tuple[dict[str, str], list[str]]:
    parts: dict[str, str] = {}
    checks: list[str] = []
    values: dict[str, str] = {}
    for es in element_strings:
        for error in (es.gtin_error, es.sscc_error, es.gln_error):
            if error:
                raise BadInput(f"{what}: {error}")
        _once(values, es.ai.ai, es.value, what)
        name = _PART_OF_AI.get(es.ai.ai)
        if name is None:
            continue
        if es.date is not None:
            parts[name] = es.date.isoformat()
        else:
            parts[name] = es.value
        if es.gtin is not None:
            checks.append(f"GTIN check digit {es.gtin.check_digit} verified")
        if es.sscc is not None:
            checks.append(f"SSCC check digit {es.sscc.check_digit} verified")
        if es.gln is not None:
            checks.append(f"GLN check digit {es.gln.check_digit} verified")
    if "gtin" in parts:
        parts["gtin"] = parts["gtin"].zfill(14)
    return parts, checks


def parse_element_string(text: str) -> Parsed:
    """A scanned GS1 element string, with or without a symbology prefix and FNC1/GS separators."""
    symbology = next((p for p in SYMBOLOGY_PREFIXES if text.startswith(p)), None)
    body = text[len(symbology):] if symbology else text
    for spelling in _SEPARATOR_SPELLINGS:
        body = body.replace(spelling, GS)
    body = body.strip(GS)
    try:
        message = GS1Message.parse(body, config=_CONFIG)
    except ParseError as exc:
        raise BadInput(f"not a valid GS1 element string: {exc}") from None
    parts, checks = _parts(message.element_strings, "GS1 element string")
    return Parsed("gs1-element-string", parts, tuple(checks), _dropped_fnc1(body, message), symbology)


def _dropped_fnc1(body: str, message: GS1Message) -> tuple[Parsed, ...]:
    """Other readings where a variable-length field not ended by a separator swallowed the next field."""
    readings: list[Parsed] = []
    position = 0
    for index, es in enumerate(message.element_strings):
        encoded = es.ai.ai + es.value
        start = body.index(encoded, position)
        position = start + len(encoded)
        terminated = position < len(body) and body[position] == GS
        if not es.ai.separator_required or terminated:
            continue
        before = "".join(e.ai.ai + e.value + (GS if e.ai.separator_required else "")
                         for e in message.element_strings[:index])
        for cut in range(1, len(es.value)):
            tail = es.value[cut:]
            if not tail.startswith(_UDI_AIS):
                continue
            try:
                head = GS1Message.parse(before + es.ai.ai + es.value[:cut] + GS + tail + body[position:], config=_CONFIG)
                parts, checks = _parts(head.element_strings, "GS1 element string")
            except (ParseError, BadInput):
                continue
            if not all(parts.values()):
                continue
            readings.append(Parsed("gs1-element-string", parts, tuple(checks)))
    return tuple(readings)


def _read(text: str, parser: Callable[..., Any], form: str, what: str) -> Parsed:
    try:
        element_strings = parser(text.strip(), config=_CONFIG).element_strings
    except (ParseError, ValueError) as exc:  # ValueError: a URI urllib cannot split, e.g. a bad IPv6 host
        raise BadInput(f"not a valid {what}: {exc}") from None
    parts, checks = _parts(element_strings, what)
    return Parsed(form, parts, tuple(checks))


def parse_hri(text: str) -> Parsed:
    """The bracketed human-readable form, e.g. ``(01)09501101020917(17)190508(10)AB12``."""
    return _read(text, GS1Message.parse_hri, "gs1-hri", "GS1 human-readable string")


def parse_digital_link(text: str) -> Parsed:
    """A GS1 Digital Link URI on any domain, e.g. ``https://id.gs1.org/01/.../10/...?17=...``."""
    reading = _read(text, GS1DigitalLinkURI.parse, "digital-link", "GS1 Digital Link URI")
    values: dict[str, str] = {}
    for key, value in parse_qsl(urlsplit(text.strip()).query):  # biip keeps only the last of a repeated key
        if key.isdigit():
            _once(values, key, value, "GS1 Digital Link URI")
    return reading


def _fields(parts: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    for name in _ORDER:
        if name in parts:
            value = parts[name]
            if name in ("expiry", "production_date"):
                value = value[2:4] + value[5:7] + value[8:10]  # ISO date -> YYMMDD
            out.append((_AI_OF_PART[name], value))
    return out


def element_string(parts: dict[str, str], symbology: str = "]d2") -> str:
    """Encode parts as a scannable element string: fixed-length fields first, GS after variable ones."""
    fields = _fields(parts)
    text = ""
    for number, (ai, value) in enumerate(fields):
        text += ai + value
        if ai in ("10", "21") and number < len(fields) - 1:
            text += GS
    return symbology + text


def hri(parts: dict[str, str]) -> str:
    """Encode parts in the bracketed human-readable form (the canonical key form of lots and serials)."""
    return "".join(f"({ai}){value}" for ai, value in _fields(parts))


def digital_link(parts: dict[str, str], domain: str = "https://id.gs1.org") -> str:
    """Encode parts as a GS1 Digital Link URI: primary key, key qualifiers in order, dates as query."""
    if "sscc" in parts:
        return f"{domain}/00/{parts['sscc']}"
    path = f"{domain}/01/{parts['gtin']}"
    for name, ai in (("lot", "10"), ("serial", "21")):
        if name in parts:
            path += f"/{ai}/{quote(parts[name], safe='')}"
    query = [f"{ai}={value}" for ai, value in _fields(parts) if ai in ("11", "17")]
    return path + ("?" + "&".join(query) if query else "")
