"""`recall from-notice`: recall notices (openFDA device recall records) read into ids, matched against a real
store, and opened as recalls; the CLI runs as a user runs it (a real process on real files)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from canonical import Tables, write_csv

import tracegraph
from tracegraph.identifiers.hibc import encode_hibc
from tracegraph.recall.notices import Token, extract

DATA = Path(__file__).parent / "data" / "openfda"
GTIN = "00888480590095"
HIBC_SERIAL = encode_hibc("A123PROD1", serial="S55")[0]  # +A123PROD1/$+S55 and its check character


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the bought lot the shared openFDA record names, and lots, serials and UDIs to match."""
    t = Tables()
    t.lot("20118000", material="00-2254-195-09", supplier="ZIMMER")
    t.lot("FG-1", product="P-KIT")
    t.consume("ST-1", "20118000", "FG-1")
    for serial in ("SN-9001", "SN-9002"):
        t.serial(serial, product="P-KIT", lot="FG-1")
    t.ship("SH-1", "C-1", 5, "SN-9001")
    for lot in ("L-100", "L-101", "L-102", "L-103", "1234", "1240", "7000-7010"):
        t.lot(lot, material="M-2")
    t.lot("FG-2", product="P-KIT")
    t.consume("ST-2", "L-100", "FG-2")
    t.consume("ST-3", "L-103", "FG-2")
    t.ship("SH-2", "C-2", 6, "FG-2")
    t.product(GTIN)
    t.lot(f"(01){GTIN}(10)A77", product=GTIN)
    t.lot(f"(01){GTIN}(10)A7721S1", product=GTIN)  # also a reading of 01...10A7721S1 with the FNC1 dropped
    t.product("A123PROD1")
    t.serial("+A123PROD1/$+S55", product="A123PROD1")
    root = tmp_path_factory.mktemp("notices")
    with tracegraph.connect(str(root / "base.db"), user="loader") as g:
        assert g.load_tables(write_csv(root / "tables", t.rows)).rejected == []
    return root / "base.db"


@pytest.fixture
def db(base: Path, tmp_path: Path) -> Path:
    shutil.copy(base, tmp_path / "t.db")
    return tmp_path / "t.db"


def _run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACEGRAPH_USER": "carol"}
    return subprocess.run([sys.executable, "-m", "tracegraph.cli", "--db", str(db), "recall", "from-notice", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def _read(db: Path, notice: Path, *args: str) -> dict[str, Any]:
    done = _run(db, str(notice), "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _notice(tmp_path: Path, code_info: str, envelope: bool = False, **fields: str) -> Path:
    record = {"recalling_firm": "Acme Components", "reason_for_recall": "Seal may leak.", "code_info": code_info,
              "product_description": "Valve seal kit", **fields}
    path = tmp_path / "notice.json"
    path.write_text(json.dumps({"results": [record]} if envelope else record), encoding="utf-8")
    return path


def _tokens(reading: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, list[str]]]]:
    """text -> (kind, status, records) of every token of every notice."""
    return {t["text"]: (t["kind"], t["status"], t["records"]) for n in reading["notices"] for t in n["tokens"]}


def test_shared_openfda_record_matches_its_lot(db: Path) -> None:
    reading = _read(db, DATA / "one-recall.json")
    (notice,) = reading["notices"]
    assert notice["recalling_firm"].startswith("Zimmer Inc.") and "180 degrees reversed" in notice["reason_for_recall"]
    assert _tokens(reading) == {"20118000": ("lot", "matched", {"Lot": ["20118000"]}),
                                "00-2254-195-09": ("catalog", "matched", {"Material": ["00-2254-195-09"]})}
    assert reading["lots"] == ["20118000"] and reading["serials"] == [] and reading["unmatched"] == []
    assert reading["sha256"] == hashlib.sha256((DATA / "one-recall.json").read_bytes()).hexdigest()
    text = _run(db, str(DATA / "one-recall.json"))
    assert text.returncode == 0, text.stderr
    assert "Zimmer Inc." in text.stdout and re.search(r"lot\s+'20118000'\s+Lot 20118000", text.stdout)
    assert "unmatched: 0" in text.stdout
    with tracegraph.connect(str(db), read_only=True) as g:  # the Python API reads it alike
        assert g.recall_notice(DATA / "one-recall.json").as_dict() == reading


def test_lot_list_with_every_separator(db: Path, tmp_path: Path) -> None:
    reading = _read(db, _notice(tmp_path, "Lot Numbers: L-100, L-101; L-102 and 99999999, SN-9002.", envelope=True))
    assert _tokens(reading) == {"L-100": ("lot", "matched", {"Lot": ["L-100"]}),
                                "L-101": ("lot", "matched", {"Lot": ["L-101"]}),
                                "L-102": ("lot", "matched", {"Lot": ["L-102"]}),
                                "99999999": ("lot", "no record", {}),
                                "SN-9002": ("lot", "no record", {})}  # a serial's id, given as a lot
    assert reading["lots"] == ["L-100", "L-101", "L-102"] and reading["serials"] == []
    assert [t["text"] for t in reading["unmatched"]] == ["99999999", "SN-9002"]
    text = _run(db, str(tmp_path / "notice.json"))
    assert "unmatched: 2\n  '99999999' (no record)\n  'SN-9002' (no record)" in text.stdout


def test_serial_list_and_a_lot_id_given_as_a_serial(db: Path, tmp_path: Path) -> None:
    reading = _read(db, _notice(tmp_path, "Serial numbers SN-9001 & SN-9002, S/N L-101"))
    assert _tokens(reading) == {"SN-9001": ("serial", "matched", {"Serial": ["SN-9001"]}),
                                "SN-9002": ("serial", "matched", {"Serial": ["SN-9002"]}),
                                "L-101": ("serial", "no record", {})}
    assert reading["serials"] == ["SN-9001", "SN-9002"] and reading["lots"] == []
    assert "a Lot does" in reading["unmatched"][0]["reason"]


def test_gs1_udi_hri_and_one_with_a_wrong_check_digit(db: Path, tmp_path: Path) -> None:
    bad = f"(01){GTIN[:-1]}6(10)A77"
    reading = _read(db, _notice(tmp_path, f"UDI (01){GTIN}(17)261231(10)A77. Also {bad}."))
    tokens = _tokens(reading)
    assert tokens[f"(01){GTIN}(17)261231(10)A77"] == ("udi", "matched",
                                                      {"Product": [GTIN], "Lot": [f"(01){GTIN}(10)A77"]})
    kind, status, records = tokens[bad]
    assert (kind, status, records) == ("udi", "not understood", {})
    assert "check digit" in reading["unmatched"][0]["reason"].lower()
    assert reading["lots"] == [f"(01){GTIN}(10)A77"]


def test_ambiguous_udi_is_never_used(db: Path, tmp_path: Path) -> None:
    text = f"01{GTIN}10A7721S1"  # lot A7721S1, or lot A77 and serial S1 if a scanner dropped the FNC1
    reading = _read(db, _notice(tmp_path, f"UDI {text}"))
    assert _tokens(reading)[text][:2] == ("udi", "unclear") and "dropped FNC1" in reading["unmatched"][0]["reason"]
    assert reading["lots"] == [] and reading["serials"] == []


def test_hibc_string_and_device_identifier(db: Path, tmp_path: Path) -> None:
    reading = _read(db, _notice(tmp_path, f"Affected units: {HIBC_SERIAL}, UDI-DI {GTIN}"))
    assert _tokens(reading) == {HIBC_SERIAL: ("udi", "matched", {"Product": ["A123PROD1"],
                                                                  "Serial": ["+A123PROD1/$+S55"]}),
                                GTIN: ("device_identifier", "matched", {"Product": [GTIN]})}
    assert reading["serials"] == ["+A123PROD1/$+S55"]
    ended = _read(db, _notice(tmp_path, f"Serial {HIBC_SERIAL}."))  # a full stop after it, or its check character?
    (token,) = ended["notices"][0]["tokens"]
    assert (token["text"], token["status"], token["records"]["Serial"]) == (
        f"{HIBC_SERIAL}.", "matched", ["+A123PROD1/$+S55"])
    assert token["reason"] == "read without its final '.', a full stop"


def test_hyphenated_range_is_reported_never_expanded(db: Path, tmp_path: Path) -> None:
    reading = _read(db, _notice(tmp_path, "Lots 1234-1240 and 7000-7010; lot 1234 through 1240"))
    tokens = _tokens(reading)
    assert tokens["1234-1240"] == ("lot", "unclear", {})
    assert tokens["1234 through 1240"] == ("lot", "unclear", {})
    assert tokens["7000-7010"] == ("lot", "matched", {"Lot": ["7000-7010"]})
    reasons = {t["text"]: t["reason"] for n in reading["notices"] for t in n["tokens"]}
    assert "may be the range 1234 to 1240 or one id written with a hyphen" in reasons["1234-1240"]
    assert reasons["7000-7010"].startswith("matched as written")
    assert reading["lots"] == ["7000-7010"], "the lots 1234 and 1240 exist but a range is never expanded"


def test_extraction_drops_no_word_with_a_digit() -> None:
    text = "Model 7; Lot# A1, A2 & A3 or A4. Exp 2026-01-31, see (01)00888480590095(10)X1 and +A123PROD1/$+S554."
    tokens = extract("code_info", text)
    assert [(t.kind, t.text) for t in tokens] == [
        ("catalog", "7"), ("lot", "A1"), ("lot", "A2"), ("lot", "A3"), ("lot", "A4"), ("unlabelled", "2026-01-31"),
        ("udi", "(01)00888480590095(10)X1"), ("udi", "+A123PROD1/$+S554.")]
    assert all(text[t.start:t.start + len(t.text)] == t.text for t in tokens)
    assert [t.text for t in extract("code_info", "Lot NO1234 to be returned; Lot Nos. 5, 6")] == ["NO1234", "5", "6"]
    description = "Nail, 180 degrees. Catalog no. 00-2254-195-09."  # prose: only labelled ids are read
    assert extract("product_description", description) == [
        Token("product_description", description.index("00-"), "00-2254-195-09", "catalog")]


def test_open_makes_the_recall_of_the_matched_lots(db: Path, tmp_path: Path) -> None:
    notice = _notice(tmp_path, "Lot Numbers: L-100, L-101; L-102 and 99999999.", classification="Class II")
    opened = _read(db, notice, "--open", "--user", "dora")
    recall = opened["recall"]
    assert recall["trigger"] == {"kind": "lots", "ids": ["L-100", "L-101", "L-102"], "since": None, "until": None,
                                 "item": None}
    assert (recall["reason"], recall["classification"], recall["opened_by"]) == ("Seal may leak.", "II", "dora")
    with tracegraph.connect(str(db), user="dora") as g:
        (entry,) = [e for e in g.audit.entries(f"recall:{recall['recall_id']}") if e["action"] == "recall.open"]
        assert entry["after"]["source"]["sha256"] == hashlib.sha256(notice.read_bytes()).hexdigest()
        assert entry["after"]["reason"] == "Seal may leak." and entry["after"]["source"]["unmatched"] == ["99999999"]
        frozen, _ = g.recalls().scope(recall["recall_id"])
        expected = g.recall_scope(lots=["L-100", "L-101", "L-102"]).trace.ids
        assert frozen.items == {group: list(ids) for group, ids in expected.items()}
        assert "C-2" in frozen.items["customers"] and "L-103" not in frozen.items["lots"]


def test_open_refused_when_nothing_matches(db: Path, tmp_path: Path) -> None:
    done = _run(db, str(_notice(tmp_path, "Lot 55555555, 1234-1240", classification="Class I")), "--open")
    assert done.returncode == 2
    assert "BAD_INPUT" in done.stderr and "nothing in the notice matches a lot or serial" in done.stderr
    assert "'55555555' (no record)" in done.stderr and "'1234-1240' (unclear)" in done.stderr
    with tracegraph.connect(str(db)) as g:
        assert g.recalls("x").recalls() == []


def test_open_needs_a_classification_and_one_kind(db: Path, tmp_path: Path) -> None:
    notice = _notice(tmp_path, "Lot L-100")
    done = _run(db, str(notice), "--open")
    assert done.returncode == 2 and "give --class" in done.stderr
    opened = _run(db, str(notice), "--open", "--class", "III")
    assert opened.returncode == 0 and re.search(r"opened RC-\S+ \(class III\): lots L-100\n", opened.stdout)
    both = _run(db, str(_notice(tmp_path, "Lot L-100, serial SN-9001", classification="Class II")), "--open")
    assert both.returncode == 2 and "matches lots (L-100) and serials (SN-9001)" in both.stderr


def test_a_file_that_is_not_a_notice(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[{\"code_info\": \"Lot 1\"}, 3]", encoding="utf-8")
    done = _run(db, str(bad))
    assert done.returncode == 2 and f"{bad}: record 2 is not a JSON object" in done.stderr
    bad.write_text("not json", encoding="utf-8")
    assert "not a JSON recall notice" in _run(db, str(bad)).stderr


def test_a_udi_whose_product_matches_but_whose_lot_does_not_is_reported(db: Path, tmp_path: Path) -> None:
    """The product is held, the lot the UDI names (A78) is not: the token is no plain match, it is listed among
    the unmatched (text, --json and the opened recall's audit entry) with the part the store lacks."""
    notice = _notice(tmp_path, f"UDI (01){GTIN}(10)A78 and (01){GTIN}(10)A77.", classification="Class II")
    reading = _read(db, notice)
    assert _tokens(reading)[f"(01){GTIN}(10)A78"] == ("udi", "partly matched", {"Product": [GTIN]})
    (unmatched,) = reading["unmatched"]
    assert unmatched["text"] == f"(01){GTIN}(10)A78" and "lot A78" in unmatched["reason"]
    assert reading["lots"] == [f"(01){GTIN}(10)A77"]
    text = _run(db, str(notice))
    assert "unmatched: 1" in text.stdout and f"'(01){GTIN}(10)A78' (partly matched)" in text.stdout
    recall = _read(db, notice, "--open")["recall"]
    with tracegraph.connect(str(db)) as g:
        (entry,) = [e for e in g.audit.entries(f"recall:{recall['recall_id']}") if e["action"] == "recall.open"]
        assert entry["after"]["source"]["unmatched"] == [f"(01){GTIN}(10)A78"]


def test_a_udi_whose_lot_matches_but_whose_serial_does_not_still_recalls_the_lot(db: Path, tmp_path: Path) -> None:
    """A unit the store does not hold, of a lot it does: the lot is taken (wider, never narrower) and the serial
    reported."""
    reading = _read(db, _notice(tmp_path, f"UDI (01){GTIN}(10)A77(21)S404"))
    token = f"(01){GTIN}(10)A77(21)S404"
    kind, status, records = _tokens(reading)[token]
    assert (kind, status, records["Lot"]) == ("udi", "partly matched", [f"(01){GTIN}(10)A77"])
    assert [m["text"] for m in reading["unmatched"]] == [token] and "serial S404" in reading["unmatched"][0]["reason"]
    assert reading["lots"] == [f"(01){GTIN}(10)A77"]


@pytest.mark.parametrize("udi", [f"(01){GTIN} (10)A77", f"(01) {GTIN} (17) 261231 (10) A77"])
def test_a_gs1_udi_printed_with_spaces_between_its_elements_is_one_udi(db: Path, tmp_path: Path, udi: str) -> None:
    """HRI as printed under a barcode, a space between elements (as the resolver reads it): one token whose lot
    matches, not a product token and a lone '(10)A77' that names no record."""
    reading = _read(db, _notice(tmp_path, f"UDI {udi}, distributed nationwide."))
    assert _tokens(reading) == {udi: ("udi", "matched", {"Product": [GTIN], "Lot": [f"(01){GTIN}(10)A77"]})}
    assert reading["lots"] == [f"(01){GTIN}(10)A77"] and reading["unmatched"] == []


@pytest.mark.parametrize("field", ["code_info", "product_description"])
def test_a_range_written_with_a_spaced_hyphen_or_a_dash_is_one_range_item(field: str) -> None:
    """'SN1001 - SN1050' and '7000–7010' are ranges as 'A to B' is: one item with its note, never two ids read
    as if the notice named only its ends (nor, in a description, a list that stops at the dash and drops the rest)."""
    text = "Serial numbers SN1001 - SN1050; Lot 7000\u20137010 and 7100; Lots 1234 - 99 and 1300"
    tokens = [(t.kind, t.text, t.note.split(";")[0]) for t in extract(field, text)]
    hyphen = "may be the range SN1001 to SN1050 or one id written with a hyphen"
    assert tokens == [("serial", "SN1001 - SN1050", hyphen),
                      ("lot", "7000\u20137010", "the range 7000 to 7010"), ("lot", "7100", ""),
                      ("lot", "1234", ""), ("lot", "99", ""), ("lot", "1300", "")]  # 1234 - 99: no range, a list


def test_a_spaced_range_in_a_notice_is_unclear_not_matched_on_its_ends(db: Path, tmp_path: Path) -> None:
    reading = _read(db, _notice(tmp_path, "see description", product_description="Kit, lots 1234 - 1240."))
    assert _tokens(reading)["1234 - 1240"] == ("lot", "unclear", {})
    assert reading["lots"] == [] and [m["text"] for m in reading["unmatched"]] == ["1234 - 1240"]
