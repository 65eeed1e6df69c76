"""Identifier parsing: every format, check digits, the dropped-FNC1 ambiguity and HIBC forms."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from biip.checksums import gs1_standard_check_digit

import tracegraph
from tracegraph.errors import BadInput
from tracegraph.identifiers import parse
from tracegraph.identifiers.epc import epc_urns
from tracegraph.identifiers.hibc import check_character, parse_hibc

UNIT = {"gtin": "09501101020917", "expiry": "2019-05-08", "lot": "ABCD1234", "serial": "10"}


@pytest.mark.parametrize("text", [
    "]d201095011010209171719050810ABCD1234\x1d2110",
    "]C101095011010209171719050810ABCD1234<GS>2110",
    "]Q301095011010209171719050810ABCD1234\x1d2110",
    "(01)09501101020917(17)190508(10)ABCD1234(21)10",
    "https://id.gs1.org/01/09501101020917/10/ABCD1234/21/10?17=190508",
    "https://example.com/shop/01/09501101020917/10/ABCD1234/21/10?17=190508",
])
def test_gs1_forms_read_the_same_parts(text: str) -> None:
    reading = parse(text)
    assert reading.parts == UNIT
    assert "GTIN check digit 7 verified" in reading.checks
    assert reading.ambiguities == ()


@pytest.mark.parametrize("text, reason", [
    ("]d20109501101020918", "check digit"),
    ("(01)09501101020918(21)1", "check digit"),
    ("https://id.gs1.org/01/09501101020918/21/1", "check digit"),
    ("00106141411234567890", "check digit"),
    ("(01)09501101020917(17)191308", "17"),
    ("urn:epc:id:sgtin:0614141.11234.400", "13 digits"),
    ("+A123BJC5D6E71H", "check character"),
])
def test_bad_identifiers_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(BadInput, match=reason):
        parse(text)


@pytest.mark.parametrize("text", [
    "(01)09501101020917(10)A(10)B",
    "]d2010950110102091710A\x1d10B",
    "https://id.gs1.org/01/09501101020917/10/A?17=190508&17=190509",
    "https://id.gs1.org/01/09501101020917/10/A?10=B",
])
def test_a_repeated_gs1_ai_with_another_value_is_refused(text: str) -> None:
    with pytest.raises(BadInput, match="appears twice"):
        parse(text)


def test_a_repeated_gs1_ai_with_the_same_value_is_read_once() -> None:
    assert parse("(01)09501101020917(10)A(10)A").parts == {"gtin": "09501101020917", "lot": "A"}


def test_dropped_fnc1_is_reported_not_guessed() -> None:
    # The lot 123456 is not ended by FNC1, so "21XYZ" may be a serial or the end of the lot.
    reading = parse("0109501101020917171905081012345621XYZ")
    assert reading.parts["lot"] == "12345621XYZ"
    assert [a.parts for a in reading.ambiguities] == [
        {"gtin": "09501101020917", "expiry": "2019-05-08", "lot": "123456", "serial": "XYZ"}]
    # with the separator in place there is nothing to report
    assert parse("01095011010209171719050810123456\x1d21XYZ").ambiguities == ()


def test_identify_without_a_store_reads_the_parts() -> None:
    found = tracegraph.identify("(01)09501101020917(17)190508(10)ABCD1234(21)10")
    assert found.reading.parts == UNIT and found.records == {} and not found.ambiguous


def test_epc_urns() -> None:
    assert parse("urn:epc:id:sgtin:0614141.112345.400").parts == {"gtin": "10614141123459", "serial": "400"}
    assert parse("urn:epc:class:lgtin:4012345.012345.998877").parts == {"gtin": "04012345123456", "lot": "998877"}
    assert parse("urn:epc:id:sscc:0614141.1234567890").parts == {"sscc": "106141412345678908"}
    assert parse("urn:epc:id:sgln:0614141.12345.400").parts == {"gln": "0614141123452", "gln_extension": "400"}
    # the same SSCC as an element string, whose check digit biip verifies independently
    assert parse("00106141412345678908").parts == {"sscc": "106141412345678908"}


@pytest.mark.parametrize("text, reason", [
    ("urn:epc:id:sgtin:1.123456789012.400", "6-12 digits"),
    ("urn:epc:id:sgtin:0614141123456.1.400", "6-12 digits"),
    ("urn:epc:id:sscc:1.1234567890123456", "6-12 digits"),
    ("urn:epc:id:sscc:0614141.123456789", "17 digits"),
    ("urn:epc:id:sgln:06141.4112345.0", "6-12 digits"),
    ("urn:epc:id:sgln:0614141.1234.0", "12 digits"),
    ("urn:epc:id:sgtin:0614141.112345." + "1" * 30, "at most 20"),
    ("urn:epc:id:sgtin:0614141.112345." + "1" * 21, "at most 20"),
    ("urn:epc:class:lgtin:4012345.012345." + "L" * 21, "at most 20"),
    ("urn:epc:id:sgln:0614141.12345." + "E" * 21, "at most 20"),
    ("urn:epc:id:sgtin:0614141.112345.A/B", "escapes"),
    ("urn:epc:id:sgtin:0614141.112345.A%ZZ", "escapes"),
    ("urn:epc:id:sgtin:0614141.112345.A%21", "escapes"),  # "!" is written as itself
    ("urn:epc:id:sgtin:0614141.112345.A B", "escapes"),
    ("urn:epc:id:sgln:0614141.12345.A?", "escapes"),
    ("urn:epc:id:lgtin:4012345.012345.998877", "reads"),  # an LGTIN is a class, never an id
    ("urn:epc:class:sgtin:0614141.112345.400", "reads"),
    ("urn:epc:idpat:lgtin:4012345.012345.*", "reads"),
])
def test_invalid_epc_urns_are_refused(text: str, reason: str) -> None:
    with pytest.raises(BadInput, match=reason):
        parse(text)


def test_epc_urn_escapes_and_limits() -> None:
    assert parse("urn:epc:id:sgtin:0614141.112345.A%2FB%25%22x!'()*+,-.:;=_").parts["serial"] == 'A/B%"x!\'()*+,-.:;=_'
    gtin = "1061414123456" + str(gs1_standard_check_digit("1061414123456"))
    assert parse("urn:epc:id:sgtin:061414.1123456." + "9" * 20).parts == {"gtin": gtin, "serial": "9" * 20}
    sscc = "10614141234562345" + str(gs1_standard_check_digit("10614141234562345"))
    assert parse("urn:epc:id:sscc:061414123456.12345").parts == {"sscc": sscc}
    assert parse("urn:epc:idpat:sgtin:0614141.112345.*").parts == {"gtin": "10614141123459"}
    for serial in ('A/B%"<>?&', "x!(y)*+,-.:;=_'"):  # what we write, we read back
        [urn] = epc_urns({"gtin": "10614141123459", "serial": serial})
        assert parse(urn).parts["serial"] == serial


def test_hibc_check_character_matches_the_standard_example() -> None:
    assert check_character("+A123BJC5D6E71") == "G"  # HIBC LIC standard's primary example
    assert parse("+A123BJC5D6E71G").parts["hibc_di"] == "A123BJC5D6E71"


def _sign(data: str) -> str:
    return data + check_character(data)


@pytest.mark.parametrize("data, expected", [
    ("+A99912341/$LOT42", {"lot": "LOT42"}),
    ("+A99912341/$+SER9", {"serial": "SER9"}),
    ("+A99912341/$$0526LOT42", {"expiry": "2026-05-31", "lot": "LOT42"}),
    ("+A99912341/$$3260131LOT42", {"expiry": "2026-01-31", "lot": "LOT42"}),
    ("+A99912341/$$526031LOT42", {"expiry": "2026-01-31", "lot": "LOT42"}),
    ("+A99912341/$$+3260131SER9", {"expiry": "2026-01-31", "serial": "SER9"}),
    ("+A99912341/$$810326013199", {"quantity": "10", "expiry": "2026-01-31", "lot": "99"}),
    ("+A99912341/$LOT42/SSER9/16D20250102/14D20270102",
     {"lot": "LOT42", "serial": "SER9", "production_date": "2025-01-02", "expiry": "2027-01-02"}),
    ("+26031LOT42L", {"production_date": "2026-01-31", "lot": "LOT42"}),
])
def test_hibc_secondary_forms(data: str, expected: dict[str, str]) -> None:
    parts = parse_hibc(_sign(data)).parts
    for name, value in expected.items():
        assert parts[name] == value
    if "/" in data:
        assert parts["hibc_di"] == "A99912341" and parts["hibc_unit_of_measure"] == "1"


def test_hibc_secondary_alone_keeps_its_link_character() -> None:
    primary = _sign("+A99912341")
    secondary = parse_hibc(_sign("+$LOT42" + primary[-1])).parts
    assert secondary == {"hibc_link_character": primary[-1], "lot": "LOT42"}


def test_hibc_bad_forms() -> None:
    with pytest.raises(BadInput, match="labeler code"):
        parse_hibc(_sign("+1A99123"))
    with pytest.raises(BadInput, match="supplementary"):
        parse_hibc(_sign("+A99912341/$LOT/X1"))
    with pytest.raises(BadInput, match="date"):
        parse_hibc(_sign("+A99912341/$$3261331LOT"))


@pytest.mark.parametrize("data", [
    "+A123PROD1/$$424123199LOTU", "+A123PROD1/$$424123124LOTU", "+A123PROD1/$$62436699LOT"])
def test_hibc_hour_must_be_0_to_23(data: str) -> None:
    with pytest.raises(BadInput, match="hour"):
        parse(_sign(data))


def test_hibc_hours() -> None:
    assert parse(_sign("+A123PROD1/$$424123123LOT")).parts["expiry"] == "2024-12-31T23"
    assert parse(_sign("+A123PROD1/$$62436600LOT")).parts["expiry"] == "2024-12-31T00"


@pytest.mark.parametrize("uri", ["https://[x/01/09501101020917", "https://id.gs].org/01/09501101020917"])
def test_a_malformed_digital_link_is_bad_input_not_a_crash(tmp_path: Path, uri: str) -> None:
    with pytest.raises(BadInput, match="not a valid GS1 Digital Link URI"):
        tracegraph.identify(uri)
    script = Path(sys.executable).parent / "tracegraph"  # the installed command, in its own process
    done = subprocess.run([str(script), "--db", str(tmp_path / "absent.db"), "identify", uri],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "error (BAD_INPUT)" in done.stderr and "GS1 Digital Link URI" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
