"""What parsing an identifier yields, whatever its format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Parts a UDI or logistic identifier can carry, in the order people read them.
PART_NAMES: tuple[str, ...] = ("gtin", "hibc_di", "lot", "serial", "expiry", "production_date", "sscc",
                               "gln", "gln_extension", "quantity")


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

    @property
    def ambiguous(self) -> bool:
        return bool(self.alternatives)

    @property
    def matched(self) -> bool:
        """Whether any reading of the text matches a record."""
        return any(i.records for i in [self, *self.alternatives])

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, **self.reading.as_dict(), "ambiguous": self.ambiguous,
                "records": self.records, "alternatives": [a.as_dict() for a in self.alternatives]}


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
