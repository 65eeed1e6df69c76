"""EPC pure-identity URNs (TDS 2.x): sgtin, lgtin, sscc, sgln and the sgtin pattern (idpat).

Small enough to write here: a URN carries the company prefix and the rest of the key in two
fields; the GS1 key is the fields reassembled with the check digit appended.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from biip.checksums import gs1_standard_check_digit
from biip.gs1_prefixes import GS1CompanyPrefix

from ..errors import BadInput
from .model import Parsed

_URN = re.compile(r"^urn:epc:(id|class|idpat):([a-z]+):([0-9]+)\.([0-9]*)(?:\.(.*))?$")
_READ = {("id", "sgtin"), ("id", "sscc"), ("id", "sgln"), ("class", "lgtin"), ("idpat", "sgtin")}
# TDS URN form of a serial, lot or GLN extension (GS1 AI character set 82): these as they are, and
# the seven characters a URN must %-escape.
_ESCAPES = {'"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E", "?": "%3F"}
_URN_TEXT = re.compile(r"^(?:[A-Za-z0-9!'()*+,\-.:;=_]|%(?:22|25|26|2[Ff]|3[CcEeFf]))+$")


def _company(company: str, text: str) -> None:
    if not 6 <= len(company) <= 12:
        raise BadInput(f"an EPC URN's GS1 company prefix has 6-12 digits, got {len(company)}: {text!r}")


def _gtin(company: str, item: str) -> str:
    if len(company) + len(item) != 13 or not item:
        raise BadInput(f"an EPC GTIN needs company prefix and indicator+item reference of 13 digits, "
                       f"got {company}.{item}")
    payload = item[0] + company + item[1:]
    return payload + str(gs1_standard_check_digit(payload))


def _text(value: str, what: str) -> str:
    """A serial, lot or GLN extension from its URN form: 1-20 characters, escapes undone."""
    if not _URN_TEXT.match(value):
        raise BadInput(f"an EPC URN {what} holds only letters, digits, !'()*+,-.:;=_ and the escapes "
                       f"{' '.join(_ESCAPES.values())}: {value!r}")
    plain = unquote(value)
    if len(plain) > 20:
        raise BadInput(f"an EPC URN {what} has at most 20 characters, got {len(plain)}: {value!r}")
    return plain


def _escape(value: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in value)


def parse_epc_urn(text: str) -> Parsed:
    """``urn:epc:id:sgtin:0614141.112345.400`` and its lgtin, sscc, sgln and idpat relatives."""
    match = _URN.match(text.strip())
    if not match or match.group(1, 2) not in _READ:
        raise BadInput(f"not an EPC URN this system reads (id:sgtin, class:lgtin, id:sscc, id:sgln, idpat:sgtin): "
                       f"{text!r}")
    kind, scheme, company, reference, rest = match.groups()
    _company(company, text)
    parts: dict[str, str] = {}
    if scheme in ("sgtin", "lgtin"):
        what = "serial" if scheme == "sgtin" else "lot"
        parts["gtin"] = _gtin(company, reference)
        if rest and not (kind == "idpat" and rest == "*"):
            parts[what] = _text(rest, what)
        elif kind != "idpat":
            raise BadInput(f"{text!r} lacks its {what}")
        return Parsed("epc-urn", parts, ("GTIN check digit computed from the URN",))
    if scheme == "sscc":
        if len(company) + len(reference) != 17 or rest is not None:
            raise BadInput(f"an SSCC URN needs company prefix and extension+serial reference of 17 digits: {text!r}")
        payload = reference[0] + company + reference[1:]
        return Parsed("epc-urn", {"sscc": payload + str(gs1_standard_check_digit(payload))},
                      ("SSCC check digit computed from the URN",))
    if len(company) + len(reference) != 12 or rest is None:
        raise BadInput(f"an SGLN URN needs company prefix and location reference of 12 digits and an extension: "
                       f"{text!r}")
    payload = company + reference
    parts = {"gln": payload + str(gs1_standard_check_digit(payload))}
    if rest != "0":
        parts["gln_extension"] = _text(rest, "GLN extension")
    return Parsed("epc-urn", parts, ("GLN check digit computed from the URN",))


def _prefix_length(digits: str) -> int:
    """Length of the GS1 company prefix ``digits`` starts with, from GS1's table (7 where unknown)."""
    prefix = GS1CompanyPrefix.extract(digits)
    return len(prefix.value) if prefix is not None else 7


def epc_urns(parts: dict[str, str]) -> list[str]:
    """The EPC URNs that name the same things as ``parts`` (sgtin for a serial, lgtin for a lot, sscc)."""
    out: list[str] = []
    if "gtin" in parts:
        gtin = parts["gtin"]
        length = _prefix_length(gtin[1:13])
        company, item = gtin[1:1 + length], gtin[0] + gtin[1 + length:13]
        if "serial" in parts:
            out.append(f"urn:epc:id:sgtin:{company}.{item}.{_escape(parts['serial'])}")
        if "lot" in parts:
            out.append(f"urn:epc:class:lgtin:{company}.{item}.{_escape(parts['lot'])}")
    if "sscc" in parts:
        sscc = parts["sscc"]
        length = _prefix_length(sscc[1:17])
        out.append(f"urn:epc:id:sscc:{sscc[1:1 + length]}.{sscc[0]}{sscc[1 + length:17]}")
    return out
