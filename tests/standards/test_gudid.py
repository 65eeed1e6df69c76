"""The whole openFDA GUDID extract loads; each invalid DI is reported with its record key and reason."""

from __future__ import annotations

import re
import zipfile

from tracegraph.identifiers.hibc import encode_hibc, without_check_character
from tracegraph.loaders.gudid import di_problem

from .conftest import DATA

EXTRACT = DATA / "openfda" / "file.zip"


def _mod43(data: str) -> str:
    """Independent oracle: the HIBC modulo-43 check character of ``+`` and ``data``."""
    charset = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
    return charset[sum(map(charset.index, "+" + data)) % 43]


def _gs1_check(digits: str) -> int:
    """Independent oracle: GS1 mod-10, weights 3,1 from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def test_whole_extract_loads_and_reports_invalid_dis(graph) -> None:
    report = graph.load_gudid(EXTRACT)
    assert report.devices == 50_000
    # oracle: scan the raw XML for GS1 DIs independently of the loader
    with zipfile.ZipFile(EXTRACT) as archive:
        text = archive.read(archive.namelist()[0]).decode("utf-8")
    pairs = re.findall(r"<deviceId>([^<]*)</deviceId>\s*<deviceIdType>[^<]*</deviceIdType>\s*"
                       r"<deviceIdIssuingAgency>GS1</deviceIdIssuingAgency>", text)
    bad_gs1 = {di for di in pairs if len(di) != 14 or not di.isdigit() or _gs1_check(di[:13]) != int(di[13])}
    reported_gs1 = {i.device_id for i in report.invalid if "GS1 DI" in i.reason or "GS1 check" in i.reason}
    assert reported_gs1 == bad_gs1 and len(bad_gs1) == 12
    assert all(i.record_key and i.reason for i in report.invalid)
    assert any("labelled HIBCC but is a GS1 GTIN-14" in i.reason for i in report.invalid)
    # GUDID keeps some HIBCC DIs with their check character, some without: each is one scannable symbol
    hibcc = re.findall(r"<deviceId>([^<]*)</deviceId>\s*<deviceIdType>[^<]*</deviceIdType>\s*"
                       r"<deviceIdIssuingAgency>HIBCC</deviceIdIssuingAgency>", text)
    with_check = [di for di in hibcc if _mod43(di[:-1]) == di[-1]]
    symbols = {"+" + di for di in with_check} | {"+" + di + _mod43(di) for di in hibcc if di not in with_check}
    assert (len(hibcc), len(with_check)) == (1057, 806)
    rejected_hibcc = [i.device_id for i in report.invalid if i.device_id in hibcc]
    assert rejected_hibcc == ["00841523106431"]  # a GS1 GTIN-14 labelled HIBCC: the only invalid one
    assert set(graph.store.find("Identifier", "scheme", ["hibc"])) == symbols - {"+00841523106431" + _mod43(
        "00841523106431")}
    # a DI exactly as the extract gives it (check character included), scanned, finds its device
    for di in ("H373VBJR061002A39", "H373VBJR062502A3F"):
        [edge] = graph.store.edges("IDENTIFIES", [("Identifier", "+" + di)], "out")
        assert [r["product_id"] for r in graph.identify("+" + di).records["Product"]] == [edge.dst[1]]
    [symbol] = encode_hibc("M204518062AB0")  # a DI the extract gives without its check character
    assert symbol in symbols and graph.identify(symbol).records["Product"]
    counts = graph.counts()
    assert counts["Product"] == report.products and counts["CONTAINS_DI"] == report.packages
    again = graph.load_gudid(EXTRACT)
    assert graph.counts() == counts and len(again.invalid) == len(report.invalid)


def test_package_hierarchy_and_label_pis(graph) -> None:
    graph.load_gudid(DATA / "openfda" / "test.xml")
    product = graph.store.get("Product", ["00844588018923"])["00844588018923"]
    assert (product["issuing_agency"], product["brand"], product["model"], product["label_pis"]) == (
        "GS1", "CS2 Acet. Cup Sys. - VitalitE", "1107-0-3258", "lot,expiry")


def test_di_rules() -> None:
    assert di_problem("00844588018923", "GS1") is None
    assert "14 digits" in (di_problem("0844588018923", "GS1") or "")
    assert di_problem("H373VBJR062502A3", "HIBCC") is None
    assert without_check_character("H373VBJR062502A3F") == "H373VBJR062502A3"
    assert without_check_character("H373VBJR061002A39") == "H373VBJR061002A3"
    assert without_check_character("H373RLT2812163") == "H373RLT2812163"  # its last digit is not a check character


def test_a_scan_of_a_secondary_di_finds_its_device(graph, tmp_path) -> None:
    """GUDID lists some DIs as secondary identifiers of a device (1,056 HIBCC and 542 GS1 ones in the
    extract): a label's barcode as a reader sends it (GS1 element string, HRI or Digital Link with lot
    and expiry; an HIBC label with lot and expiry concatenated, Code 39 start/stop characters or a
    symbology prefix) finds the device, as typing the bare DI does."""
    secondary = "".join(f"<identifier><deviceId>{di}</deviceId><deviceIdType>Secondary</deviceIdType>"
                        f"<deviceIdIssuingAgency>{agency}</deviceIdIssuingAgency></identifier>"
                        for di, agency in (("M4400192Z1", "HIBCC"), ("00630414601786", "GS1")))
    text = (DATA / "openfda" / "test.xml").read_text("utf-8").replace("<identifiers>", "<identifiers>" + secondary, 1)
    path = tmp_path / "secondary.xml"
    path.write_text(text, "utf-8")
    assert graph.load_gudid(path).invalid == []
    [primary] = encode_hibc("M4400192Z1")
    [label] = encode_hibc("M4400192Z1", lot="LOT42", expiry="2025-12-31")
    scans = [primary, label, f"*{label}*", f"]C0{label}", "00630414601786", "(01)00630414601786",
             "]d201006304146017861727123110LOT42", "(01)00630414601786(17)271231(10)LOT42",
             "https://id.gs1.org/01/00630414601786/10/LOT42"]
    for scan in scans:
        found = graph.identify(scan)
        assert [r["product_id"] for r in found.records.get("Product", [])] == ["00844588018923"], scan
    assert graph.identify(label).reading.parts["lot"] == "LOT42"
