"""What parsing an identifier yields, whatever its format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

# Parts a UDI or logistic identifier can carry, in the order people read them.
PART_NAMES: tuple[str, ...] = ("gtin", "hibc_di", "lot", "serial", "expiry", "production_date", "sscc",
                               "gln", "gln_extension", "quantity")

# The kind of record each part names, so that a reading can tell which of its parts no record has.
PART_KINDS: dict[str, str] = {"gtin": "Product", "hibc_di": "Product", "lot": "Lot", "serial": "Serial",
                              "sscc": "Container"}


class NamedPart(NamedTuple):
    """A part of a reading that names a record: ``serial SN-9`` names a Serial."""

    part: str
    value: str
    kind: str

    @property
    def unheld(self) -> str:
        """How a part no record has is said, wherever it is: ``serial SN-9 (no serial has it)``."""
        return f"{self.part} {self.value} (no {self.kind.lower()} has it)"


@dataclass(frozen=True)
class Parsed:
    """One reading of an identifier: its format, its parts and what was checked."""

    format: str  # gs1-element-string, gs1-hri, digital-link, epc-urn, hibc, plain
    parts: dict[str, str]
    checks: tuple[str, ...] = ()  # what was verified, e.g. "GTIN check digit 7"
    ambiguities: tuple[Parsed, ...] = ()  # other readings the same text allows
    symbology: str | None = None  # scanner symbology identifier, e.g. "]d2"

    @property
    def parts_text(self) -> str:
        """The parts as people read them: ``gtin=09501101020917, lot=L1``."""
        return ", ".join(f"{k}={v}" for k, v in self.parts.items())

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "parts": dict(self.parts), "checks": list(self.checks),
                "symbology": self.symbology}


@dataclass
class Identification:
    """The answer to "what is this?": the readings of a text and the records each one matches."""

    text: str
    reading: Parsed
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # kind -> records
    alternatives: list[Identification] = field(default_factory=list)  # one per ambiguous reading
    looked_up: bool = False  # whether a store was asked (without one, no part can be said to match or not)

    @property
    def ambiguous(self) -> bool:
        return bool(self.alternatives)

    @property
    def matched(self) -> bool:
        """Whether any reading of the text matches a record."""
        return any(i.records for i in [self, *self.alternatives])

    def named_parts(self, matched: bool) -> list[NamedPart]:
        """The parts that name a record and do (``matched``) or do not have one of their kind among the records:
        a UDI whose product is held but whose serial is not names a unit the store does not hold. Empty either
        way when no store was asked."""
        return [NamedPart(name, value, PART_KINDS[name]) for name, value in self.reading.parts.items()
                if self.looked_up and name in PART_KINDS and (PART_KINDS[name] in self.records) == matched]

    def as_dict(self) -> dict[str, Any]:
        parts = {key: [p._asdict() for p in self.named_parts(matched)] if self.looked_up else None
                 for key, matched in (("matched", True), ("unmatched", False))}
        return {"text": self.text, **self.reading.as_dict(), "ambiguous": self.ambiguous,
                "records": self.records, **parts, "alternatives": [a.as_dict() for a in self.alternatives]}


def _item_key(parts: dict[str, str], name: str, ai: str, hibc_flag: str) -> str | None:
    if name not in parts:
        return None
    if "gtin" in parts:
        return f"(01){parts['gtin']}({ai}){parts[name]}"
    if "hibc_di" in parts:
        return f"+{parts['hibc_di']}/{hibc_flag}{parts[name]}"
    return None


def lot_key(parts: dict[str, str]) -> str | None:
    """The canonical Lot key of a reading: GS1 HRI ``(01)GTIN(10)LOT`` or HIBC ``+DI/$LOT``."""
    return _item_key(parts, "lot", "10", "$")


def serial_key(parts: dict[str, str]) -> str | None:
    """The canonical Serial key: GS1 HRI ``(01)GTIN(21)SERIAL`` or HIBC ``+DI/$+SERIAL``."""
    return _item_key(parts, "serial", "21", "$+")


def record_keys(parts: dict[str, str]) -> dict[str, str]:
    """Canonical keys, by node kind, of the records a reading names (one identity per thing)."""
    keys: dict[str, str] = {}
    product = parts.get("gtin") or parts.get("hibc_di")
    if product:
        keys["Product"] = product
    if (lot := lot_key(parts)) is not None:
        keys["Lot"] = lot
    if (serial := serial_key(parts)) is not None:
        keys["Serial"] = serial
    if "sscc" in parts:
        keys["Container"] = parts["sscc"]
    return keys
