"""The GUDID loader on damaged input: a bad package quantity is an invalid DI, a damaged file a LoadError.

Nothing is written from a file that cannot be read; a package the dictionary refuses is reported
with its device's record key, like a malformed DI, and not loaded.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracegraph
from tracegraph import Graph, LoadError

TEST_XML = Path(__file__).parents[1] / "standards" / "data" / "openfda" / "test.xml"  # openFDA, CC0 (copied)


@pytest.fixture
def graph(tmp_path: Path) -> Iterator[Graph]:
    with tracegraph.connect(f"sqlite:///{tmp_path / 'gudid.db'}") as g:
        yield g


def _package_file(tmp_path, quantity: str):
    """test.xml with the package's quantity replaced and containing its own primary DI, so the link is made."""
    text = TEST_XML.read_text(encoding="utf-8")
    text = text.replace("<pkgQuantity>25</pkgQuantity>", f"<pkgQuantity>{quantity}</pkgQuantity>").replace(
        "<containsDINumber>00844868017288</containsDINumber>", "<containsDINumber>00844588018923</containsDINumber>")
    path = tmp_path / "package.xml"
    path.write_text(text, encoding="utf-8")
    return path


PACKAGE, PRIMARY = ("Product", "00844868017264"), ("Product", "00844588018923")


@pytest.mark.parametrize(("quantity", "reason"), [
    ("ten", "pkgQuantity: 'ten' is not a number"),
    ("-5", "pkgQuantity: -5 is below the minimum 0"),
    ("inf", "pkgQuantity: 'inf' is not a finite number"),
    ("nan", "pkgQuantity: 'nan' is not a finite number"),
])
def test_package_quantity_is_checked_by_the_dictionary(graph, tmp_path, quantity: str, reason: str) -> None:
    report = graph.load_gudid(_package_file(tmp_path, quantity))
    assert [(i.record_key, i.device_id, i.id_type, i.reason) for i in report.invalid] == [
        ("33e1d2ec-8555-43d0-8421-b208e7185d06", "00844868017264", "Package", reason)]
    assert report.packages == 0 and graph.store.edges("CONTAINS_DI", [PACKAGE], "out") == []
    assert list(graph.store.get("Product", [PACKAGE[1], PRIMARY[1]])) == [PRIMARY[1]]


def test_valid_package_quantity_is_linked(graph, tmp_path) -> None:
    report = graph.load_gudid(_package_file(tmp_path, "25"))
    assert report.invalid == [] and report.packages == 1
    [edge] = graph.store.edges("CONTAINS_DI", [PACKAGE], "out")
    assert (edge.dst, edge.props["quantity"], edge.props["package_type"]) == (PRIMARY, 25.0, "case")


def _zip_of_test_xml(method: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("a.xml", TEST_XML.read_bytes())
    return buffer.getvalue()


def _bad_crc() -> bytes:
    data = bytearray(_zip_of_test_xml(zipfile.ZIP_STORED))
    at = data.index(b"<brandName>") + len(b"<brandName>")
    data[at] ^= 0x01  # still well-formed XML: only the CRC tells
    return bytes(data)


def _truncated() -> bytes:
    data = _zip_of_test_xml(zipfile.ZIP_DEFLATED)
    return data[:200] + data[data.rindex(b"PK\x01\x02"):]  # the member cut short, its directory kept


def _corrupt_deflate() -> bytes:
    data = bytearray(_zip_of_test_xml(zipfile.ZIP_DEFLATED))
    data[100:140] = b"\xff" * 40
    return bytes(data)


@pytest.mark.parametrize(("make", "reason"), [
    (_bad_crc, r"Bad CRC-32"), (_truncated, r"cannot be read"), (_corrupt_deflate, r"decompressing data"),
], ids=["bad-crc", "truncated", "corrupt-deflate"])
def test_damaged_zip_is_a_load_error_naming_the_file(graph, tmp_path, make, reason: str) -> None:
    path = tmp_path / "gudid.zip"
    path.write_bytes(make())
    with pytest.raises(LoadError, match=reason) as caught:
        graph.load_gudid(path)
    assert caught.value.file == str(path)
    assert graph.counts()["Product"] == 0


@pytest.mark.parametrize("keep", [0.5, 0.99], ids=["half", "all-but-the-end"])
def test_zip_cut_short_is_named_a_damaged_zip_not_bad_xml(graph, tmp_path, keep: float) -> None:
    """An interrupted download loses the archive's end (its central directory): the file is still a zip
    to the person who fetched it, and the error must say so, not call its bytes malformed XML."""
    data = _zip_of_test_xml(zipfile.ZIP_DEFLATED)
    path = tmp_path / "gudid.zip"
    path.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(LoadError, match="is a damaged or truncated zip archive") as caught:
        graph.load_gudid(path)
    assert caught.value.file == str(path)
    assert graph.counts()["Product"] == 0


def test_path_that_is_not_a_file_is_a_load_error(graph, tmp_path) -> None:
    with pytest.raises(LoadError, match="is not a file") as caught:
        graph.load_gudid(tmp_path)
    assert caught.value.file == str(tmp_path)
    with pytest.raises(LoadError, match="does not exist"):
        graph.load_gudid(tmp_path / "missing.xml")


def test_a_second_record_of_one_device_is_reported_not_silently_merged(graph, tmp_path) -> None:
    """Two device records with one primary DI in a file (two versions of a device): the first is loaded and
    the other listed with its record key and why, as the tables loader treats a duplicate id; before, the
    last one silently replaced the first, whichever version it was."""
    text = TEST_XML.read_text(encoding="utf-8")
    start, end = text.index("<device "), text.index("</device>") + len("</device>")
    first = text[start:end]
    second = first.replace("33e1d2ec-8555-43d0-8421-b208e7185d06", "44f2e3fd-0000-43d0-8421-b208e7185d06").replace(
        "<publicVersionNumber>1</publicVersionNumber>", "<publicVersionNumber>2</publicVersionNumber>").replace(
        "CS2 Acet. Cup Sys. - VitalitE", "Another brand")
    path = tmp_path / "twice.xml"
    path.write_text(text[:end] + second + text[end:], encoding="utf-8")
    report = graph.load_gudid(path)
    assert report.devices == 2 and report.products == 2  # the device and its package DI
    assert [(i.record_key, i.device_id, i.id_type, i.reason) for i in report.invalid] == [
        ("44f2e3fd-0000-43d0-8421-b208e7185d06", "00844588018923", "Primary",
         "record 33e1d2ec-8555-43d0-8421-b208e7185d06 earlier in the file has this primary DI; only the first "
         "is loaded")]
    assert graph.record("Product", PRIMARY[1])["brand"] == "CS2 Acet. Cup Sys. - VitalitE"
    again = graph.load_gudid(path)
    assert [i.record_key for i in again.invalid] == ["44f2e3fd-0000-43d0-8421-b208e7185d06"]


@pytest.mark.parametrize(("tag", "reason"), [
    ("deviceId", "deviceId is empty"),
    ("deviceIdIssuingAgency", "deviceIdIssuingAgency is empty"),
])
def test_an_empty_identifier_field_is_named_in_the_reason(graph, tmp_path, tag: str, reason: str) -> None:
    """A record exported with the DI or its agency left out says which field is empty (it said "a GS1 DI is 14
    digits; '' has other characters" and "unknown issuing agency ''")."""
    text = TEST_XML.read_text(encoding="utf-8")
    value = {"deviceId": "00844588018923", "deviceIdIssuingAgency": "GS1"}[tag]
    path = tmp_path / "empty-field.xml"
    path.write_text(text.replace(f"<{tag}>{value}</{tag}>", f"<{tag}/>", 1), encoding="utf-8")
    report = graph.load_gudid(path)
    assert [(i.record_key, i.id_type, i.reason) for i in report.invalid] == [
        ("33e1d2ec-8555-43d0-8421-b208e7185d06", "Primary", reason)]
    assert graph.counts()["Product"] == 0
