"""Report periods: ISO weeks for the weekly kinds, the month just ended for rental."""

from __future__ import annotations

from datetime import date

import pytest

from quarterdeck.errors import InvalidInputError
from quarterdeck.reports import KINDS, ReportKindNotFoundError
from quarterdeck.reports.dispatch import default_period, selected_kinds
from quarterdeck.reports.periods import parse_period


def test_weekly_kinds_cover_the_week_of_the_run_and_rental_the_month_before() -> None:
    monday = date(2026, 11, 23)
    assert default_period("cfo", monday).label == "2026-W48"
    assert default_period("yacht_delivery", date(2026, 11, 27)).label == "2026-W48"  # a Friday
    rental = default_period("rental", date(2026, 12, 1))
    assert (rental.label, rental.start, rental.end) == ("2026-11", date(2026, 11, 1), date(2026, 11, 30))
    # across the new year the ISO week belongs to its Thursday's year
    assert default_period("ceo", date(2027, 1, 1)).label == "2026-W53"


def test_periods_parse_weeks_and_months_and_refuse_the_rest() -> None:
    week = parse_period("2026-W01")
    assert (week.start, week.end) == (date(2025, 12, 29), date(2026, 1, 4))
    assert parse_period("2027-02").end == date(2027, 2, 28)
    for bad in ("2026-W54", "2026-13", "next week", ""):
        with pytest.raises(InvalidInputError) as refused:
            parse_period(bad)
        assert refused.value.field == "period"


def test_kinds_are_chosen_by_name_and_an_unknown_one_is_refused() -> None:
    assert selected_kinds(None) == list(KINDS)
    assert selected_kinds(["cfo,ceo", "yacht-delivery", "cfo"]) == ["cfo", "ceo", "yacht_delivery"]
    with pytest.raises(ReportKindNotFoundError):
        selected_kinds(["cfoo"])
