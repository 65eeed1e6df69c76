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


def test_moment_numbers_order_stored_times_as_time() -> None:
    """How the trace rules compare times: canonical text fast, anything else written to a store directly
    normalised first, an old unpadded year still earlier, and text that is no time a StoreError."""
    from tracegraph.errors import StoreError
    from tracegraph.store.columns import NO_END, NO_START, moment_number
    canonical = moment_number("2025-12-07T05:32:00.000Z")
    assert moment_number("2025-12-07T06:32:00+01:00") == moment_number("2025-12-07T05:32:00Z") == canonical
    assert moment_number("999-06-01T00:00:00.000Z") < moment_number("1500-01-01T00:00:00.000Z") < canonical
    assert (moment_number(""), moment_number(None)) == (NO_START, NO_END)
    with pytest.raises(StoreError, match="'garbage' is not an ISO 8601 date-time"):
        moment_number("garbage")
