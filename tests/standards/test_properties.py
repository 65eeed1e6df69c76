"""Property tests: what we generate, the parsers read back unchanged (biip for GS1, ours for HIBC/EPC)."""

from __future__ import annotations

from datetime import date

from biip.checksums import gs1_standard_check_digit
from hypothesis import given, settings
from hypothesis import strategies as st

from tracegraph.identifiers import parse
from tracegraph.identifiers.epc import epc_urns
from tracegraph.identifiers.gs1 import digital_link, element_string, hri
from tracegraph.identifiers.hibc import encode_hibc, parse_hibc

# GS1 AI 82 character set, minus characters whose meaning differs in a path/HRI (kept simple on purpose)
_CSET82 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._"
gtins = st.text("0123456789", min_size=13, max_size=13).map(lambda p: p + str(gs1_standard_check_digit(p)))
texts = st.text(_CSET82, min_size=1, max_size=20)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2049, 12, 28)).map(date.isoformat)
# No per-example deadline (Hypothesis's default is 200 ms, a wall-clock limit a busy 2-core machine can break
# and Hypothesis then fails the test as Flaky): these check round trips, not speed.
untimed = settings(deadline=None)


@st.composite
def udi_parts(draw: st.DrawFn) -> dict[str, str]:
    parts = {"gtin": draw(gtins)}
    for name, strategy in (("lot", texts), ("serial", texts), ("expiry", dates), ("production_date", dates)):
        if draw(st.booleans()):
            parts[name] = draw(strategy)
    return parts


@untimed
@given(udi_parts(), st.sampled_from(["]d2", "]C1", "]Q3", ""]))
def test_element_string_round_trip(parts: dict[str, str], symbology: str) -> None:
    reading = parse(element_string(parts, symbology))
    assert reading.parts == parts
    # a field followed by another is ended by GS; only the last one can hide a swallowed field
    for other in reading.ambiguities:
        assert other.parts != parts
        last = parts.get("serial", parts.get("lot"))
        assert last is not None and other.parts.get("lot", "") + other.parts.get("serial", "") != last


@untimed
@given(udi_parts())
def test_hri_round_trip(parts: dict[str, str]) -> None:
    assert parse(hri(parts)).parts == parts


@untimed
@given(udi_parts(), st.sampled_from(["https://id.gs1.org", "https://example.com/dl"]))
def test_digital_link_round_trip(parts: dict[str, str], domain: str) -> None:
    assert parse(digital_link(parts, domain)).parts == parts


@untimed
@given(gtins, texts, st.sampled_from(["serial", "lot"]))
def test_epc_urn_round_trip(gtin: str, value: str, name: str) -> None:
    [urn] = epc_urns({"gtin": gtin, name: value})
    assert parse(urn).parts == {"gtin": gtin, name: value}


_HIBC_TEXT = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-."


@untimed
@given(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=1),
       st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
       st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=18),
       st.text("0123456789", min_size=1, max_size=1),
       st.none() | st.text(_HIBC_TEXT, min_size=1, max_size=18),
       st.none() | st.text(_HIBC_TEXT, min_size=1, max_size=18),
       st.none() | dates, st.booleans())
def test_hibc_round_trip(first: str, lic: str, product: str, unit: str, lot: str | None, serial: str | None,
                         expiry: str | None, concatenated: bool) -> None:
    di = first + lic + product + unit
    symbols = encode_hibc(di, lot, serial, expiry, concatenated)
    parts: dict[str, str] = {}
    for symbol in symbols:
        parts.update(parse_hibc(symbol).parts)
    assert parts["hibc_di"] == di
    if len(symbols) == 2:
        assert parts["hibc_link_character"] == symbols[0][-1]
    assert parts.get("lot") == lot
    assert parts.get("serial") == (serial if lot is not None or serial is not None else None) or (
        lot is None and serial is None)
    if lot is not None or serial is not None:
        assert parts.get("expiry") == expiry
