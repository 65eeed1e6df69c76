"""HIBC LIC (HIBCC Supplier Labeling Standard) primary, secondary and concatenated data.

Primary ``+LLLLP..PU C``: labeler code (4, first alphabetic), product code (1-18), unit of measure
(one digit), modulo-43 check character. Secondary data: ``$`` lot, ``$+`` serial, ``$$``/``$$+``
with a date-format flag (and optional quantity) before the lot or serial, the old ``YYJJJ`` lot
form, and supplementary fields ``/S`` serial, ``/16D`` manufacturing date, ``/14D`` expiry date
(YYYYMMDD). A separate secondary symbol ends with a link character (the primary's check character)
before its own check character; a concatenated symbol joins primary and secondary with ``/``.
GUDID stores HIBCC DIs without the ``+``, some with the check character and some without it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from ..errors import BadInput
from .model import Parsed

CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
_PRIMARY = re.compile(r"^([A-Z][A-Z0-9]{3})([A-Z0-9]{1,18})([0-9])$")
_DI = re.compile(r"^[A-Z][A-Z0-9]{3}[A-Z0-9]{1,18}[0-9]$")
# date-format flag -> (digits, how to read them)
_DATE_FLAGS = {"2": (6, "MMDDYY"), "3": (6, "YYMMDD"), "4": (8, "YYMMDDHH"), "5": (5, "YYJJJ"),
               "6": (7, "YYJJJHH"), "7": (0, "")}
_QUANTITY_FLAGS = {"8": 2, "9": 5}


def check_character(data: str) -> str:
    """The modulo-43 check character of ``data`` (every character, from the leading ``+``)."""
    try:
        return CHARSET[sum(CHARSET.index(c) for c in data) % 43]
    except ValueError:
        bad = next(c for c in data if c not in CHARSET)
        raise BadInput(f"HIBC data may hold only {CHARSET!r}; found {bad!r}") from None


def is_hibc_di(di: str) -> bool:
    """Whether ``di`` is an HIBCC DI without its check character: labeler code, product code, unit of measure."""
    return bool(_DI.match(di))


def without_check_character(di: str) -> str:
    """A GUDID HIBCC DI without its check character, which GUDID keeps for some DIs and not for others.

    A DI whose last character is the check character of the characters before it is read as carrying
    it; the DI alone cannot tell this from a DI without one whose unit-of-measure digit happens to
    equal that check character.
    """
    body = di[:-1]
    return body if is_hibc_di(body) and check_character("+" + body) == di[-1] else di


def _hour(digits: str) -> str:
    """``THH`` from the two hour digits, which must be 00-23."""
    if int(digits) > 23:
        raise ValueError(f"hour {digits}")
    return f"T{digits}"


def _date(digits: str, form: str) -> str:
    """An HIBC date to ISO (a month-only expiry is the month's last day; an hour is kept)."""
    try:
        if form == "MMYY":
            year, month = 2000 + int(digits[2:4]), int(digits[0:2])
            return date(year, month, calendar.monthrange(year, month)[1]).isoformat()
        if form == "MMDDYY":
            return date(2000 + int(digits[4:6]), int(digits[0:2]), int(digits[2:4])).isoformat()
        if form in ("YYMMDD", "YYMMDDHH"):
            day = date(2000 + int(digits[0:2]), int(digits[2:4]), int(digits[4:6])).isoformat()
            return day + (_hour(digits[6:8]) if form == "YYMMDDHH" else "")
        if form in ("YYJJJ", "YYJJJHH"):
            year, ordinal = 2000 + int(digits[0:2]), int(digits[2:5])
            if not 1 <= ordinal <= (366 if calendar.isleap(year) else 365):
                raise ValueError(f"day of year {ordinal}")
            day = (date(year, 1, 1) + timedelta(days=ordinal - 1)).isoformat()
            return day + (_hour(digits[5:7]) if form == "YYJJJHH" else "")
        if form == "YYYYMMDD":
            return date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8])).isoformat()
    except ValueError as exc:
        raise BadInput(f"HIBC date {digits!r} is not a valid {form} date ({exc})") from None
    raise AssertionError(form)


def _secondary(data: str, parts: dict[str, str]) -> None:
    """Read secondary data (without leading ``+``/``/``, link and check characters) into ``parts``."""
    main, *supplements = data.split("/")
    if main.startswith("$$"):
        serial = main.startswith("$$+")
        rest = main[3:] if serial else main[2:]
        if rest[:1] in _QUANTITY_FLAGS:
            width = _QUANTITY_FLAGS[rest[0]]
            quantity = rest[1:1 + width]
            if len(quantity) != width or not quantity.isdigit():
                raise BadInput(f"HIBC quantity after flag {rest[0]} needs {width} digits")
            parts["quantity"] = str(int(quantity))
            rest = rest[1 + width:]
        if rest[:1] in ("0", "1"):
            digits, form, rest = rest[:4], "MMYY", rest[4:]
        elif rest[:1] in _DATE_FLAGS:
            width, form = _DATE_FLAGS[rest[0]]
            digits, rest = rest[1:1 + width], rest[1 + width:]
        else:
            raise BadInput(f"HIBC {'$$+' if serial else '$$'} data needs a date-format flag 0-9, got {rest[:1]!r}")
        if form:
            if len(digits) != len(form) or not digits.isdigit():
                raise BadInput(f"HIBC {form} date needs {len(form)} digits, got {digits!r}")
            parts["expiry"] = _date(digits, form)
        parts["serial" if serial else "lot"] = rest
    elif main.startswith("$+"):
        parts["serial"] = main[2:]
    elif main.startswith("$"):
        parts["lot"] = main[1:]
    elif len(main) >= 5 and main[:5].isdigit():
        parts["production_date"] = _date(main[:5], "YYJJJ")
        parts["lot"] = main[5:]
    else:
        raise BadInput(f"HIBC secondary data must start with $, $+, $$, $$+ or a YYJJJ date, got {main[:3]!r}")
    for name in ("lot", "serial"):
        if name in parts and not parts[name]:
            raise BadInput(f"HIBC secondary data has an empty {name}")
    for field in supplements:
        if field.startswith("S") and field[1:]:
            parts["serial"] = field[1:]
        elif field.startswith("16D") and len(field) == 11:
            parts["production_date"] = _date(field[3:], "YYYYMMDD")
        elif field.startswith("14D") and len(field) == 11:
            parts["expiry"] = _date(field[3:], "YYYYMMDD")
        else:
            raise BadInput(f"HIBC supplementary field /{field} is not /S<serial>, /16D<YYYYMMDD> or /14D<YYYYMMDD>")


def _primary(data: str, parts: dict[str, str]) -> None:
    match = _PRIMARY.match(data)
    if not match:
        raise BadInput(f"HIBC primary data {data!r} is not a labeler code (4, first alphabetic), "
                       f"product code (1-18) and unit of measure (one digit)")
    parts["hibc_di"] = data
    parts["hibc_labeler"], parts["hibc_product"], parts["hibc_unit_of_measure"] = match.groups()


def parse_hibc(text: str) -> Parsed:
    """Parse a primary, secondary or concatenated HIBC LIC string and verify its check character."""
    value = text.lstrip().rstrip("\r\n\t").upper()  # a space is a valid check character
    for prefix in ("]C0", "]A0", "]D1"):  # Code 128, Code 39 and Data Matrix symbology identifiers
        value = value.removeprefix(prefix)
    value = value.strip("*")  # Code 39 start/stop characters some scanners pass through
    if not value.startswith("+") or len(value) < 3:
        raise BadInput(f"an HIBC string starts with '+': {text!r}")
    body, check = value[:-1], value[-1]
    expected = check_character(body)
    if check != expected:
        raise BadInput(f"HIBC check character is {check!r}, expected {expected!r}")
    checks = (f"HIBC modulo-43 check character {check!r} verified",)
    parts: dict[str, str] = {}
    data = body[1:]
    if data.startswith("$") or data[:5].isdigit():
        parts["hibc_link_character"] = data[-1]
        _secondary(data[:-1], parts)
        return Parsed("hibc", parts, checks)
    primary, slash, secondary = data.partition("/")
    _primary(primary, parts)
    if slash:
        _secondary(secondary, parts)
    return Parsed("hibc", parts, checks)


def _secondary_data(lot: str | None, serial: str | None, expiry: str | None) -> str:
    if expiry is not None:
        head = "$$+" if serial is not None and lot is None else "$$"
        return head + "3" + expiry[2:4] + expiry[5:7] + expiry[8:10] + (lot if lot is not None else serial or "") + (
            f"/S{serial}" if serial is not None and lot is not None else "")
    if lot is not None:
        return "$" + lot + (f"/S{serial}" if serial is not None else "")
    return "$+" + (serial or "")


def encode_hibc(di: str, lot: str | None = None, serial: str | None = None, expiry: str | None = None,
                concatenated: bool = True) -> list[str]:
    """HIBC symbols for a DI (labeler+product+unit) and optional lot, serial and ISO expiry date.

    One concatenated symbol, or a primary and a linked secondary symbol.
    """
    primary = "+" + di
    if lot is None and serial is None:
        return [primary + check_character(primary)]
    secondary = _secondary_data(lot, serial, expiry)
    if concatenated:
        data = primary + "/" + secondary
        return [data + check_character(data)]
    first = primary + check_character(primary)
    data = "+" + secondary + first[-1]
    return [first, data + check_character(data)]
