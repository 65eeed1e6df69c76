"""EPC pure-identity URNs (TDS 2.x): sgtin, lgtin, sscc, sgln and the sgtin class pattern.

Small enough to write here: a URN carries the company prefix and the rest of the key in two
fields; the GS1 key is the fields reassembled with the check digit appended.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from biip.checksums import gs1_standard_check_digit
from biip.gs1_prefixes import GS1CompanyPrefix

from ..errors import BadInput
from .model import Parsed

_URN = re.compile(r"^urn:epc:(?:id|class|idpat):(sgtin|lgtin|sscc|sgln):([0-9]+)\.([0-9]*)(?:\.(.*))?$")


def _gtin(company: str, item: str) -> str:
    if len(company) + len(item) != 13 or not item:
        raise BadInput(f"an EPC GTIN needs company prefix and indicator+item reference of 13 digits, "
                       f"got {company}.{item}")
    payload = item[0] + company + item[1:]
    return payload + str(gs1_standard_check_digit(payload))


def parse_epc_urn(text: str) -> Parsed:
    """``urn:epc:id:sgtin:0614141.112345.400`` and its lgtin, sscc, sgln and idpat relatives."""
    match = _URN.match(text.strip())
    if not match:
        raise BadInput(f"not an EPC URN this system reads (sgtin, lgtin, sscc, sgln): {text!r}")
    scheme, company, reference, rest = match.groups()
    pattern = ":idpat:" in text
    parts: dict[str, str] = {}
    if scheme in ("sgtin", "lgtin"):
        parts["gtin"] = _gtin(company, reference)
        if rest and rest != "*":
            parts["serial" if scheme == "sgtin" else "lot"] = unquote(rest)
        elif not pattern:
            raise BadInput(f"{text!r} lacks its {'serial' if scheme == 'sgtin' else 'lot'}")
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
        parts["gln_extension"] = unquote(rest)
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
            out.append(f"urn:epc:id:sgtin:{company}.{item}.{quote(parts['serial'], safe='')}")
        if "lot" in parts:
            out.append(f"urn:epc:class:lgtin:{company}.{item}.{quote(parts['lot'], safe='')}")
    if "sscc" in parts:
        sscc = parts["sscc"]
        length = _prefix_length(sscc[1:17])
        out.append(f"urn:epc:id:sscc:{sscc[1:1 + length]}.{sscc[0]}{sscc[1 + length:17]}")
    return out
