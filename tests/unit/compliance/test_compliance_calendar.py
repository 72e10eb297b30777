from datetime import date

import pytest

from corridor.compliance.calendar import (
    PrcWorkdayCalendar,
    WeekdayCalendar,
    calendar_named,
    working_days_between,
)
from corridor.compliance.errors import CalendarNotCovered


def test_prc_make_up_weekend_days_count_and_golden_week_does_not():
    # State Council notice for 2025: 1-8 October off; Sunday 28 September and Saturday
    # 11 October are working days.
    prc = PrcWorkdayCalendar()
    assert prc.is_working_day(date(2025, 9, 28))
    assert prc.is_working_day(date(2025, 10, 11))
    assert not prc.is_working_day(date(2025, 10, 6))
    assert working_days_between(prc, date(2025, 9, 26), date(2025, 10, 12)) == 6
    assert working_days_between(WeekdayCalendar(), date(2025, 9, 26), date(2025, 10, 12)) == 10


def test_the_day_a_contract_takes_effect_is_not_counted():
    calendar = WeekdayCalendar()
    assert working_days_between(calendar, date(2026, 11, 2), date(2026, 11, 2)) == 0
    assert working_days_between(calendar, date(2026, 11, 2), date(2026, 11, 3)) == 1
    assert working_days_between(calendar, date(2026, 11, 3), date(2026, 11, 2)) == 0


def test_a_year_the_calendar_has_no_data_for_is_an_error_not_a_guess():
    with pytest.raises(CalendarNotCovered):
        PrcWorkdayCalendar().is_working_day(date(2099, 1, 5))


def test_packs_name_their_calendar():
    assert calendar_named("PRC").name == "PRC"
    assert calendar_named("weekdays").name == "weekdays"
    with pytest.raises(ValueError, match="unknown"):
        calendar_named("lunar")
