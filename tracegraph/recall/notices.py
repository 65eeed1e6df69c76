"""Recall notices (openFDA device recall records) read into the ids they name and the records those match.

A notice lists the affected lots as free text (openFDA ``code_info``: "Lot # 20118000.") and names catalog
or model numbers in ``product_description``; few carry a UDI. This module holds every rule that turns that
text into candidate ids (the numbered rules below, applied by :func:`extract`) and matches each id against the store
through :class:`Graph` (:func:`match`). Nothing is dropped silently: a token that looks like an id but is not
understood (a hyphenated pair that may be a range, a UDI whose check digit fails) is reported with why.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BadInput
from ..schema import KINDS
from ..trace.triggers import RecallTrigger

if TYPE_CHECKING:
    from ..graph import Graph
    from ..identifiers import Identification
    from .model import Recall
    from .service import RecallService

# The notice fields shown to the reader (openFDA's underscore keys; older files spell them with hyphens).
SHOWN = ("recalling_firm", "reason_for_recall", "classification", "recall_status", "res_event_number",
         "product_res_number", "event_date_initiated", "product_quantity", "distribution_pattern")
SCANNED = ("code_info", "product_description")  # the fields ids are read from
# Record kinds each kind of token may name; Material is looked up by key beside what identify resolves.
NAMES: dict[str, tuple[str, ...]] = {
    "udi": ("Product", "Lot", "Serial", "Container"),
    "device_identifier": ("Product",),
    "lot": ("Lot",),
    "serial": ("Serial",),
    "catalog": ("Product", "Material"),
    "unlabelled": ("Product", "Material", "Lot", "Serial", "Container"),
}

# -- the extraction rules, in the order they apply -------------------------------------------------------------
# 1. UDI strings anywhere in a scanned field: a GS1 Digital Link URI, bracketed GS1 HRI (a space may follow
#    each AI and each element but the last, as printed under a barcode and as the resolver reads it), an HIBC
#    string (starts with "+", HIBC characters only), a GS1 element string (AI 01 + 14 digits or AI 00 + 18
#    digits, then more). Each is one token of kind "udi", parsed and checked when matched.
_UDI = re.compile(r"https?://\S+/(?:01|00)/\S+"
                  r"|\(\d{2,4}\) ?[^\s()]+(?: ?\(\d{2,4}\) ?[^\s()]+)*"
                  r"|(?<![\w+])\+[A-Z$][A-Z0-9$/+%.\-]{3,}"
                  r"|\b(?:01\d{14}|00\d{18})[0-9A-Za-z]*")
# 2. Labelled lists: a label, optional qualifiers (#, No., Nos., Number(s), Code(s), ':'), then items separated
#    by ',', ';', '&', 'and', 'or', spaces or a dash. An item is letters, digits and inner . _ / - with at least
#    one digit; the first word without a digit ends the list. "A to B" / "A through B" is one (range) item, and
#    so is "A - B" or "A–B" (a spaced hyphen, an en or em dash) when it reads as a range (see _RANGE).
_LABELS: tuple[tuple[str, str], ...] = (
    ("lot", r"lots?|batch(?:es)?"),
    ("serial", r"serials?|s/n|sn"),
    ("device_identifier", r"udi-di|udi|gtin|primary\s+di|di"),
    ("catalog", r"catalog(?:ue)?|cat\.|ref|model|part|item"),
)
_LABEL = re.compile(r"\b(?:" + "|".join(f"(?P<{kind}>{words})" for kind, words in _LABELS) + r")(?![\w/])"
                    r"(?:\s*(?:#|:|(?:nos?|numbers?|codes?)\b\.?))*", re.IGNORECASE)
_ITEM = r"[A-Za-z0-9](?:[A-Za-z0-9._/\-]*[A-Za-z0-9])?"
_DASH = r"\s*[\u2013\u2014]\s*|\s+-\s*|-\s+"  # a hyphen within an item is part of it
_NEXT = re.compile(rf"(?:\s*[,;&]\s*(?:(?:and|or)\s+)?|{_DASH}|\s+(?:(?:and|or)\s+)?|\s*)(?P<item>{_ITEM})",
                   re.IGNORECASE)
_RANGE_WORD = re.compile(rf"(?:\s*(?P<word>to|through|thru)\s+|{_DASH})(?P<item>{_ITEM})", re.IGNORECASE)
# 3. In code_info only (it lists codes; a description is prose): every other word with a digit, "unlabelled".
_WORD = re.compile(_ITEM)
# A hyphenated pair of numbers of one length, the second larger (optionally one letter prefix): a range or
# one id written with a hyphen; never expanded.
_RANGE = re.compile(r"^(?P<prefix>[A-Za-z]*)(?P<a>\d+)\s*(?:-|\u2013|\u2014|to|through|thru)\s*(?P=prefix)?(?P<b>\d+)$",
                    re.IGNORECASE)
_MASK = "\0"  # replaces consumed text, and ends a list


@dataclass(frozen=True)
class Token:
    """One candidate id as written in a notice field, with the kind its context gives it."""

    field: str
    start: int
    text: str
    kind: str  # a key of NAMES
    note: str = ""  # why it may not mean what it seems (a possible range)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "start": self.start, "text": self.text, "kind": self.kind, "note": self.note}


@dataclass
class Notice:
    """One recall record: the fields shown, and the tokens read from its free text."""

    number: int  # 1-based position in the file
    shown: dict[str, str]
    tokens: list[Token]


@dataclass
class Match:
    """What one token names in the store. ``status``: matched, partly matched (a UDI some of whose parts name no
    record: its product is held, the lot or serial it names is not), no record, unclear or not understood."""

    token: Token
    records: dict[str, list[str]] = field(default_factory=dict)  # kind -> keys
    status: str = "no record"
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {**self.token.as_dict(), "status": self.status, "records": self.records, "reason": self.reason}


def _range_note(text: str) -> str:
    found = _RANGE.match(text)
    if not found or len(found["a"]) != len(found["b"]) or int(found["b"]) <= int(found["a"]):
        return ""
    first, last = found["prefix"] + found["a"], found["prefix"] + found["b"]
    if "-" in text:
        return f"may be the range {first} to {last} or one id written with a hyphen; not expanded"
    return f"the range {first} to {last}; not expanded"


def _digits(text: str) -> bool:
    return any(c.isdigit() for c in text)


def extract(name: str, text: str) -> list[Token]:
    """Every candidate id in one field's ``text``, in the order written (see the rules above)."""
    tokens: list[Token] = []
    chars = list(text)

    def take(start: int, end: int, kind: str, note: str = "") -> None:
        tokens.append(Token(name, start, text[start:end], kind, note))
        chars[start:end] = _MASK * (end - start)

    for udi in _UDI.finditer(text):
        end = udi.end() - (1 if udi.group().endswith((".", ",", ";")) and not udi.group().startswith("+") else 0)
        take(udi.start(), end, "udi")
    masked = "".join(chars)
    for label in _LABEL.finditer(masked):
        kind = next(k for k, v in label.groupdict().items() if v)
        position = label.end()
        while (item := _NEXT.match(masked, position)) and _digits(item["item"]):
            end = item.end()
            through = _RANGE_WORD.match(masked, end)
            if through and _digits(through["item"]) and (  # a dash that reads as no range separates two items
                    through["word"] or _range_note(text[item.start("item"):through.end()])):
                end = through.end()
            take(item.start("item"), end, kind, _range_note(text[item.start("item"):end]))
            position = end
        chars[label.start():label.end()] = _MASK * (label.end() - label.start())
    if name == "code_info":
        for word in _WORD.finditer("".join(chars)):
            if _digits(word.group()):
                take(word.start(), word.end(), "unlabelled", _range_note(word.group()))
    return sorted(tokens, key=lambda t: t.start)


def _value(record: dict[str, Any], key: str) -> str:
    value = record.get(key, record.get(key.replace("_", "-")))
    return "" if value is None else str(value)


def read(path: str | Path) -> tuple[list[Notice], str]:
    """The notices in a file (one record, a JSON list of them, or openFDA's ``{"results": [...]}``) and the
    file's SHA-256; BAD_INPUT names the file and record when it is not such a file."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise BadInput(f"cannot read the recall notice {path}: {e.strerror or e}") from None
    try:
        parsed = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadInput(f"{path}: not a JSON recall notice ({e})") from None
    records = parsed.get("results", [parsed]) if isinstance(parsed, dict) else parsed
    if not isinstance(records, list) or not records:
        raise BadInput(f"{path}: expected a recall record, a list of them or {{\"results\": [...]}}; found none")
    notices = []
    for number, record in enumerate(records, 1):
        if not isinstance(record, dict):
            raise BadInput(f"{path}: record {number} is not a JSON object")
        if not any(_value(record, key).strip() for key in SCANNED):
            raise BadInput(f"{path}: record {number} has neither code_info nor product_description")
        notices.append(Notice(number, {k: v for k in SHOWN if (v := _value(record, k).strip())},
                              [t for key in SCANNED for t in extract(key, _value(record, key))]))
    return notices, hashlib.sha256(data).hexdigest()


def _looked_up(token: Token) -> str:
    """The text the identifier resolver reads: a bare GTIN after a UDI-DI label is checked as AI (01)."""
    if token.kind == "device_identifier" and token.text.isdigit() and len(token.text) in (8, 12, 13, 14):
        return f"(01){token.text.zfill(14)}"
    return token.text


def _identify(graph: Graph, token: Token) -> tuple[Identification, str]:
    """``graph.identify`` of the token, and how it was read when not as written: an HIBC string that ends a
    sentence keeps its full stop (a '.' is also a valid check character), so one that fails is read again
    without it."""
    text = _looked_up(token)
    try:
        return graph.identify(text), ""
    except BadInput as first:
        if not (token.kind == "udi" and text.startswith("+") and text.endswith(".")):
            raise
        try:
            return graph.identify(text[:-1]), "read without its final '.', a full stop"
        except BadInput:
            raise first from None


def match(graph: Graph, token: Token) -> Match:
    """The records ``token`` names, of the kinds its label allows (identifiers resolved by ``graph.identify``:
    canonical keys, stored Identifiers, GS1 and HIBC readings; materials by key)."""
    wanted = NAMES[token.kind]
    try:
        found, how = _identify(graph, token)
    except BadInput as e:
        return Match(token, status="not understood", reason=str(e))
    records = {kind: [r[KINDS[kind].key] for r in rs] for kind, rs in found.records.items()}
    if "Material" in wanted:
        records["Material"] = sorted(graph.store.get("Material", [token.text]))
    result = Match(token, {k: v for k, v in records.items() if k in wanted and v})
    others = sorted(k for k, v in records.items() if k not in wanted and v)
    if found.ambiguous:
        result.status, result.reason = "unclear", "ambiguous: a scanner may have dropped FNC1; not used"
    elif result.records and (missing := found.named_parts(matched=False)):
        result.status = "partly matched"  # the unit or lot the notice names is not the product it matched
        result.reason = "not in the store: " + ", ".join(p.unheld for p in missing)
    elif result.records:
        result.status = "matched"
        result.reason = how or token.note and f"matched as written; it {token.note.split('; ')[0]}"
    elif token.note:
        result.status, result.reason = "unclear", token.note
    elif others:
        result.reason = f"no {' or '.join(k.lower() for k in wanted)} has it (a {' and a '.join(others)} does)"
    return result


@dataclass
class Reading:
    """A notice file read and matched: what a recall from it would start from."""

    path: str
    sha256: str
    notices: list[Notice]
    matches: list[list[Match]]  # per notice, per token

    @property
    def lots(self) -> list[str]:
        return self._keys("Lot")

    @property
    def serials(self) -> list[str]:
        return self._keys("Serial")

    def _keys(self, kind: str) -> list[str]:
        """The ``kind`` records the notice names; a partly matched UDI's count (its lot when its serial is not
        held: a wider recall, never a narrower one), and the token is also listed as unmatched."""
        return sorted({k for ms in self.matches for m in ms if m.status in ("matched", "partly matched")
                       for k in m.records.get(kind, [])})

    @property
    def unmatched(self) -> list[Match]:
        return [m for ms in self.matches for m in ms if m.status != "matched"]

    def one(self, key: str) -> str | None:
        """The notices' common value of a shown field (None when absent or when they differ)."""
        values = {n.shown.get(key) for n in self.notices}
        return values.pop() if len(values) == 1 else None

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.path, "sha256": self.sha256, "lots": self.lots, "serials": self.serials,
                "notices": [{"record": n.number, **n.shown, "tokens": [m.as_dict() for m in ms]}
                            for n, ms in zip(self.notices, self.matches)],
                "unmatched": [m.as_dict() for m in self.unmatched]}


def read_notice(graph: Graph, path: str | Path) -> Reading:
    """Read a notice file and match every token in it against ``graph``."""
    notices, sha256 = read(path)
    return Reading(str(path), sha256, notices, [[match(graph, t) for t in n.tokens] for n in notices])


def open_recall(service: RecallService, reading: Reading, classification: str | None = None,
                reason: str | None = None, owner: str | None = None, why: str = "") -> Recall:
    """Open a recall whose trigger is the lots (or serials) the notice matched, with the notice's reason and
    classification unless given; the audit entry records the file, its SHA-256 and what did not match.

    Refused (BAD_INPUT) when nothing matched, and when both lots and serials matched: a recall starts from one
    kind, and which the notice means is the reader's call (``recall open --lot ...`` or ``--serial ...``)."""
    lots, serials = reading.lots, reading.serials
    if not lots and not serials:
        unmatched = ", ".join(f"{m.token.text!r} ({m.status})" for m in reading.unmatched) or "no ids found"
        raise BadInput(f"{reading.path}: nothing in the notice matches a lot or serial in the store, so no recall "
                       f"was opened (read: {unmatched})")
    if lots and serials:
        raise BadInput(f"{reading.path}: the notice matches lots ({', '.join(lots)}) and serials "
                       f"({', '.join(serials)}); a recall starts from one kind: open it with recall open --lot "
                       "... or --serial ...")
    reason = reason or reading.one("reason_for_recall")
    if not reason:
        raise BadInput(f"{reading.path}: the notice states no single reason_for_recall; give --reason")
    stated = (reading.one("classification") or "").removeprefix("Class").strip()
    classification = classification or stated
    if not classification:
        raise BadInput(f"{reading.path}: the notice states no single classification; give --class I, II or III")
    trigger = RecallTrigger("lots", tuple(lots)) if lots else RecallTrigger("serials", tuple(serials))
    source = {"notice": reading.path, "sha256": reading.sha256, "records": len(reading.notices),
              "unmatched": [m.token.text for m in reading.unmatched]}
    return service.open(trigger, reason, classification, owner, why or f"opened from recall notice {reading.path}",
                        source)
