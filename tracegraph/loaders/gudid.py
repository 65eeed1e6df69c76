"""Loads FDA GUDID device records (the GUDID XML release format, zipped or not) as Products.

Each device's primary DI becomes a Product with issuing agency, brand, model, company and the
production identifiers its label carries; package DIs become Products joined by CONTAINS_DI (package
contains quantity of the contained DI); secondary, unit-of-use and previous DIs become Identifiers
of the primary. Every DI is checked against its issuing agency's form (GS1: 14 digits with a valid
check digit; HIBCC: labeler, product and unit of measure, with or without its check character,
which is dropped); an invalid one is reported with the device's record key and the reason, and not
loaded, as is a second record of a primary DI in one file. The whole file is one batch.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from biip.checksums import gs1_standard_check_digit

from ..errors import LoadError
from ..extras import extra_module
from ..identifiers.hibc import encode_hibc, is_hibc_di, without_check_character
from ..schema import RELS, validate
from ..store import Batch, Edge, Store, Writer, plain_writer
from .source import HashingReader

_NS = "{http://www.fda.gov/cdrh/gudid}"
_LABEL_PIS = (("lotBatch", "lot"), ("serialNumber", "serial"), ("expirationDate", "expiry"),
              ("manufacturingDate", "manufacturing_date"), ("donationIdNumber", "donation_id"))
_PACKAGE_TAGS = {"quantity": "pkgQuantity", "package_type": "pkgType"}  # CONTAINS_DI field -> GUDID tag
_ZIP_ENTRY = b"PK\x03\x04"  # how a zip archive's first member begins
_SCHEME = {"GS1": "gs1", "HIBCC": "hibc", "ICCBBA": "iccbba", "IFA": "ifa"}


@dataclass(frozen=True)
class InvalidDI:
    record_key: str  # publicDeviceRecordKey
    device_id: str
    id_type: str  # Primary, Package, Secondary, ...
    reason: str


@dataclass
class GudidReport:
    devices: int = 0
    products: int = 0
    packages: int = 0
    identifiers: int = 0
    invalid: list[InvalidDI] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def di_problem(di: str, agency: str) -> str | None:
    """Why ``di`` (an HIBCC one without its check character) is not a valid DI of ``agency``, or None."""
    for tag, value in (("deviceId", di), ("deviceIdIssuingAgency", agency)):
        if not value:
            return f"{tag} is empty"
    if agency == "GS1":
        if not di.isdigit():
            return f"a GS1 DI is 14 digits; {di!r} has other characters"
        if len(di) != 14:
            return f"a GS1 DI is 14 digits; {di!r} has {len(di)}"
        expected = gs1_standard_check_digit(di[:13])
        return None if int(di[13]) == expected else f"bad GS1 check digit: {di[13]}, expected {expected}"
    if agency == "HIBCC":
        if di.isdigit() and len(di) == 14 and int(di[13]) == gs1_standard_check_digit(di[:13]):
            return "labelled HIBCC but is a GS1 GTIN-14 (issuing agency does not match the DI's form)"
        if not is_hibc_di(di):
            return (f"an HIBCC DI is a labeler code (4, first alphabetic), product code (1-18) and a unit "
                    f"of measure digit; {di!r} is not")
        return None
    if agency in ("ICCBBA", "IFA"):
        return None if di.isalnum() and 6 <= len(di) <= 23 else f"{di!r} is not a {agency} DI (6-23 letters/digits)"
    return f"unknown issuing agency {agency!r}"


def _di(identifier: dict[str, str]) -> str:
    """The identifier's DI; an HIBCC one without the check character GUDID keeps for some DIs."""
    di = identifier.get("deviceId", "")
    return without_check_character(di) if identifier.get("deviceIdIssuingAgency") == "HIBCC" else di


@contextmanager
def _open(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """The XML stream and its name: the file, or the first XML file in a zip (``file.zip/name.xml``)."""
    try:  # a damaged or truncated archive fails as it is opened or read, in the caller's parse
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".xml")]
                if not names:
                    raise LoadError("is a zip archive without an XML file", file=str(path))
                with archive.open(names[0]) as fh:
                    yield f"{path.name}/{names[0]}", fh
        else:
            with path.open("rb") as fh:
                if fh.read(4) == _ZIP_ENTRY:  # a zip whose end (its directory) is gone: a download cut short
                    raise LoadError("is a damaged or truncated zip archive (its central directory is missing)",
                                    file=str(path))
                fh.seek(0)
                yield path.name, fh
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise LoadError(f"cannot be read ({exc})", file=str(path)) from None


def _devices(path: Path, hashes: dict[str, str]) -> Iterator[Any]:
    """Device elements, one at a time; when done, ``hashes`` maps the XML's name to its SHA-256."""
    etree = extra_module("lxml.etree", "standards", "reading GUDID XML")
    with _open(path) as (name, fh):
        stream = HashingReader(fh)
        try:
            for _, element in etree.iterparse(stream, events=("end",), tag=f"{_NS}device"):
                yield element
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
        except etree.XMLSyntaxError as exc:
            raise LoadError(f"is not well-formed GUDID XML ({exc})", file=str(path)) from None
        while stream.read(1 << 16):  # whatever follows the root element, so the hash covers the whole file
            pass
        hashes[name] = stream.sha256.hexdigest()


def _fields(element: Any) -> dict[str, str]:
    """Text of the element's direct children by local name (one pass; findtext per field is slow)."""
    cut = len(_NS)
    return {child.tag[cut:]: (child.text or "").strip() for child in element if isinstance(child.tag, str)}


def load_gudid(store: Store, path: str | Path, write: Writer | None = None) -> GudidReport:
    """Load one GUDID XML file (or a zip holding one) as a single batch; see the module docstring.

    ``write`` writes the batch with its source (the XML's SHA-256, counts); by default alone.
    """
    path = Path(path)
    if not path.is_file():
        raise LoadError("is not a file" if path.exists() else "does not exist", file=str(path))
    report = GudidReport()
    batch = Batch()
    products: dict[str, dict[str, Any]] = {}
    first_record: dict[str, str] = {}  # primary DI -> the record key that loaded it
    contains: list[tuple[str, str, dict[str, object], str]] = []  # package, contained DI, properties, record
    hashes: dict[str, str] = {}
    for device in _devices(path, hashes):
        report.devices += 1
        fields = _fields(device)
        key = fields.get("publicDeviceRecordKey") or device.get("deviceid", "?")
        brand, model = fields.get("brandName", ""), fields.get("versionModelNumber", "")
        pis = ",".join(pi for tag, pi in _LABEL_PIS if fields.get(tag) == "true")
        identifiers = [(_di(f), f.get("deviceIdType", ""), f.get("deviceIdIssuingAgency", ""), f)
                       for f in map(_fields, device.iter(_NS + "identifier"))]
        valid = []
        for di, id_type, agency, element in identifiers:
            problem = di_problem(di, agency)
            if problem:
                report.invalid.append(InvalidDI(key, di, id_type, problem))
            else:
                valid.append((di, id_type, agency, element))
        primary = next(((di, agency) for di, t, agency, _ in valid if t == "Primary"), None)
        if primary is None:
            if not any(t == "Primary" for _, t, _, _ in identifiers):
                report.invalid.append(InvalidDI(key, "", "Primary", "the device record has no primary DI"))
            continue
        if primary[0] in first_record:  # two versions of one device: like a duplicate id in a table
            report.invalid.append(InvalidDI(key, primary[0], "Primary", f"record {first_record[primary[0]]} earlier "
                                            "in the file has this primary DI; only the first is loaded"))
            continue
        first_record[primary[0]] = key
        base = {"brand": brand or None, "model": model or None, "company": fields.get("companyName") or None,
                "label_pis": pis or None}
        name = " ".join(p for p in (brand, model) if p) or primary[0]
        products[primary[0]] = {"product_id": primary[0], "name": name, "issuing_agency": primary[1], **base,
                                "attributes": {"gudid_record_key": key}}
        for di, id_type, agency, element in valid:
            if id_type == "Package":
                props, problems = validate(RELS["CONTAINS_DI"].fields, {
                    "quantity": element.get("pkgQuantity"), "package_type": element.get("pkgType")})
                if problems:
                    report.invalid.extend(InvalidDI(key, di, id_type, f"{_PACKAGE_TAGS[p.field]}: {p.reason}")
                                          for p in problems)
                    continue
                package_type = props["package_type"]
                products.setdefault(di, {"product_id": di, "name": f"{name} ({package_type or 'package'})",
                                         "issuing_agency": agency, **base, "attributes": {"gudid_record_key": key}})
                contains.append((di, element.get("containsDINumber", ""), props, key))
                report.packages += 1
            elif id_type != "Primary":
                form = encode_hibc(di)[0] if agency == "HIBCC" else di
                batch.add_node("Identifier", {"identifier": form, "scheme": _SCHEME[agency]})
                batch.add_edge(Edge("IDENTIFIES", ("Identifier", form), ("Product", primary[0])))
                report.identifiers += 1
        if primary[1] == "HIBCC":
            [form] = encode_hibc(primary[0])
            batch.add_node("Identifier", {"identifier": form, "scheme": "hibc"})
            batch.add_edge(Edge("IDENTIFIES", ("Identifier", form), ("Product", primary[0])))
            report.identifiers += 1
    if report.devices == 0:
        raise LoadError("holds no GUDID device record", file=str(path))
    held = set(store.get("Product", {inner for _, inner, _, _ in contains} - set(products)))
    for package, inner, props, key in contains:
        if inner in products or inner in held:
            batch.add_edge(Edge("CONTAINS_DI", ("Product", package), ("Product", inner), props))
        else:
            report.warnings.append(f"record {key}: package DI {package} contains DI {inner!r}, "
                                   f"which is neither in this file nor held")
    for record in products.values():
        batch.add_node("Product", record)
    report.products = len(products)
    (write or plain_writer(store))(batch, {
        "source": str(path.resolve()), "files": hashes, "devices": report.devices, "products": report.products,
        "packages": report.packages, "identifiers": report.identifiers, "invalid": len(report.invalid)})
    return report
