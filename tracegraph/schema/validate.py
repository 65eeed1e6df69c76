"""Record validation and normalisation, driven only by the data dictionary."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from functools import lru_cache

from .dictionary import Field, FieldType


class Defect(str, Enum):
    """What kind of rule a rejected field broke; the quality report groups rejects by it."""

    REQUIRED_MISSING = "required_missing"  # a required value is empty
    INVALID_VALUE = "invalid_value"  # off its type, choices, minimum or time order
    UNKNOWN_REFERENCE = "unknown_reference"  # names a record that does not exist
    DUPLICATE = "duplicate"  # a second record (or edge) with the same identity in one file


@dataclass(frozen=True)
class Problem:
    """Why one field of one record was rejected."""

    field: str
    reason: str
    defect: Defect


class OutOfRange(ValueError):
    """A well-formed date-time whose UTC moment lies outside the years 1-9999 Python can hold."""


_DATE_WITH_OFFSET = re.compile(r"(\d{4}-\d{2}-\d{2})([+-]\d{2}:\d{2})")
_DATE_AND_JOIN = re.compile(r"\d{4}-?\d{2}-?\d{2}(.)")


@lru_cache(maxsize=1 << 16)
def normalize_datetime(value: str) -> str:
    """ISO 8601 text to canonical UTC text that sorts chronologically.

    A time without an offset is UTC; a bare date is midnight UTC, a date with an offset (an XML
    Schema date, as EPCIS ILMD dates are) midnight at that offset. Date and time are joined by
    ``T`` or a space only: Python would take any character, reading "2028-06-30+02:00" as 02:00.
    Cached: a plant's records repeat timestamps (a case's units share one), and equal values then
    share one string.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if dated := _DATE_WITH_OFFSET.fullmatch(text):
        text = f"{dated[1]}T00:00:00{dated[2]}"
    joined = _DATE_AND_JOIN.match(text)
    if joined and joined[1] not in "Tt ":
        raise ValueError(f"{value!r}: date and time must be joined by 'T'")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00 is a moment of year 0 in UTC
        raise OutOfRange(f"{value!r} falls outside the years 1-9999 in UTC") from None
    # the year zero-padded by hand: strftime's %Y gives "5" for the year 5, and the text must sort
    return f"{moment.year:04d}" + moment.strftime("-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def coerce(field: Field, value: object) -> object:
    """One value to its dictionary type; raises ValueError with a readable reason."""
    t = field.type
    if t in (FieldType.STRING, FieldType.ENUM):
        text = str(value).strip()
        if field.choices and text not in field.choices:
            raise ValueError(f"{text!r} is not one of {', '.join(field.choices)}")
        return text
    if t == FieldType.DATETIME:
        try:
            return normalize_datetime(str(value))
        except OutOfRange:
            raise
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None
    if t == FieldType.JSON:
        if isinstance(value, str):
            try:
                return json.dumps(json.loads(value), sort_keys=True)
            except json.JSONDecodeError:
                raise ValueError(f"{value!r} is not valid JSON") from None
        return json.dumps(value, sort_keys=True)
    try:
        number: float | int = int(value) if t == FieldType.INTEGER else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a{'n integer' if t == FieldType.INTEGER else ' number'}") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    if field.minimum is not None and number < field.minimum:
        raise ValueError(f"{number:g} is below the minimum {field.minimum:g}")
    return number


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or (
        isinstance(value, float) and math.isnan(value))


def validate(fields: tuple[Field, ...], raw: dict[str, object]) -> tuple[dict[str, object], list[Problem]]:
    """Check and normalise one record against ``fields``.

    Returns the clean record (known fields only, empty values as None) and every problem found,
    so a rejected record carries all its reasons at once.
    """
    clean: dict[str, object] = {}
    problems: list[Problem] = []
    for f in fields:
        value = raw.get(f.name)
        if is_empty(value):
            if f.required:
                problems.append(Problem(f.name, "required value is missing", Defect.REQUIRED_MISSING))
            clean[f.name] = None
            continue
        try:
            clean[f.name] = coerce(f, value)
        except ValueError as exc:
            problems.append(Problem(f.name, str(exc), Defect.INVALID_VALUE))
    for f in fields:  # canonical UTC text sorts chronologically
        earlier = f.not_before
        if earlier and clean.get(f.name) is not None and clean.get(earlier) is not None and clean[f.name] < clean[earlier]:
            problems.append(Problem(f.name, f"{str(raw[f.name])!r} is before {earlier} {str(raw[earlier])!r}",
                                    Defect.INVALID_VALUE))
    return clean, problems
