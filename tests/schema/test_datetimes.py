"""How date-times in any record become canonical UTC text (one rule for every loader)."""

from __future__ import annotations

import pytest

from tracegraph.schema import normalize_datetime


@pytest.mark.parametrize(("text", "utc"), [
    ("2028-06-30T12:00", "2028-06-30T12:00:00.000Z"),  # no offset: UTC
    ("2028-06-30 12:00+01:00", "2028-06-30T11:00:00.000Z"),
    ("2028-06-30T12:00:00.123456Z", "2028-06-30T12:00:00.123Z"),
    ("2028-06-30", "2028-06-30T00:00:00.000Z"),  # a bare date: midnight UTC
    ("2028-06-30Z", "2028-06-30T00:00:00.000Z"),
    ("2028-06-30+02:00", "2028-06-29T22:00:00.000Z"),  # an XML Schema date with an offset: midnight there
    ("2028-06-30-05:00", "2028-06-30T05:00:00.000Z"),
    ("20280630T1200", "2028-06-30T12:00:00.000Z"),
    ("0005-03-01T10:00", "0005-03-01T10:00:00.000Z"),  # four-digit year: canonical text sorts as time does
])
def test_iso_8601_to_utc(text: str, utc: str) -> None:
    assert normalize_datetime(text) == utc


@pytest.mark.parametrize("text", ["2028-06-30x12:00", "2028-06-30+0200", "2028-06-31", "30/06/2028", ""])
def test_not_a_date_time(text: str) -> None:
    """Python's own parser takes any character between date and time; a loader must not."""
    with pytest.raises(ValueError):
        normalize_datetime(text)
