"""The shared input checks: strict types, sane dates, addresses that cannot pass for another,
names that cannot reorder a line, recorded header text without control characters."""

from __future__ import annotations

from datetime import date

import pytest

from quarterdeck.errors import InvalidInputError
from quarterdeck.validation import calendar_date, email_address, text_field, without_controls

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize("value", ["9999-12-31", "1900-01-01", "2032-12-05", "2021-12-03"])
def test_dates_far_from_today_are_refused_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        calendar_date(value, "date", today=TODAY)
    assert refused.value.field == "date"
    assert "5 years" in refused.value.message


@pytest.mark.parametrize("value", ["2026-12-04", "2031-12-04", "2021-12-05"])
def test_dates_within_five_years_are_taken(value: str) -> None:
    assert calendar_date(value, "date", today=TODAY) == date.fromisoformat(value)


@pytest.mark.parametrize("value", [20270101, True, 2027.0, ["2027-01-01"], "20270101", "2027-1-1"])
def test_a_date_must_be_a_yyyy_mm_dd_string(value: object) -> None:
    with pytest.raises(InvalidInputError):
        calendar_date(value, "date", today=TODAY)


@pytest.mark.parametrize("value", [123, True, 1.5, {"a": 1}])
def test_a_name_must_be_text(value: object) -> None:
    with pytest.raises(InvalidInputError) as refused:
        text_field(value, "full_name")
    assert refused.value.field == "full_name"


@pytest.mark.parametrize(
    "address",
    [
        "ad\u200bmin@example.com",  # zero-width space
        "\u202eadmin@example.com",  # right-to-left override
        "\u0430dmin@example.com",  # Cyrillic a
        "admin@ex\u0430mple.com",
        12345,
    ],
)
def test_addresses_that_could_pass_for_another_are_refused(address: object) -> None:
    with pytest.raises(InvalidInputError) as refused:
        email_address(address)
    assert refused.value.field == "email"


def test_invisible_reordering_characters_are_taken_out_of_names() -> None:
    # Given a name that would show as "Bob exe.gnp" reordered
    shown = text_field("Bob\u202egnp.exe\u200b\u2066x\u2069", "name")
    # Then it is stored as the letters typed, in order
    assert shown == "Bobgnp.exex"


def test_right_to_left_names_themselves_are_kept() -> None:
    assert text_field("\u05d3\u05df \u05db\u05d4\u05df", "name") == "\u05d3\u05df \u05db\u05d4\u05df"


def test_control_characters_in_recorded_header_text_become_spaces() -> None:
    assert without_controls("Mozilla\x00/5.0\x1b[31m\r\nX-Evil: 1", 512) == "Mozilla /5.0 [31m X-Evil: 1"
    assert len(without_controls("x" * 1000, 512)) == 512
