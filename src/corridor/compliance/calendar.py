"""Working days for filing deadlines (pure).

SCM art. 7 and the GBA Guidelines count the filing deadline in *working days*. On the
Mainland those follow the State Council's yearly holiday notice, which moves working days
onto weekends (调休, adjusted make-up working days); Cedar has no calendars (RULES.md
§6.3), so Corridor computes the count here and passes it to the pack as a ``Long``.

The PRC calendar comes from the ``chinesecalendar`` package, which carries every notice
since 2004 and needs a release per year; a date it has no data for raises
:class:`CalendarNotCovered` rather than guessing, and callers treat that as unknown.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

import chinese_calendar

from corridor.compliance.errors import CalendarNotCovered

_SATURDAY = 5


class WorkdayCalendar(Protocol):
    """Says whether a day is a working day."""

    name: str

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` is a working day; raise :class:`CalendarNotCovered` if unknown."""
        ...


class PrcWorkdayCalendar:
    """The Mainland's official calendar: holidays off, make-up weekend days on."""

    name = "PRC"

    def is_working_day(self, day: date) -> bool:
        """True on Mainland working days, including adjusted make-up weekend days."""
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError as exc:  # the package's signal for a year it lacks
            raise CalendarNotCovered(
                f"the PRC working-day calendar has no data for {day.isoformat()}",
                detail={"hint": "upgrade the chinesecalendar package"},
            ) from exc


class WeekdayCalendar:
    """Monday to Friday; for places whose packs set no holiday calendar."""

    name = "weekdays"

    def is_working_day(self, day: date) -> bool:
        """True from Monday to Friday."""
        return day.weekday() < _SATURDAY


def calendar_named(name: str) -> WorkdayCalendar:
    """The calendar a pack names (``PRC`` or ``weekdays``)."""
    if name == PrcWorkdayCalendar.name:
        return PrcWorkdayCalendar()
    if name == WeekdayCalendar.name:
        return WeekdayCalendar()
    raise ValueError(f"unknown working-day calendar {name!r}")


def working_days_between(calendar: WorkdayCalendar, start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``).

    "Within 10 working days of the contract taking effect" (SCM art. 7) counts from the
    day after it takes effect, so a filing on the 10th working day after is in time.
    """
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if calendar.is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return count
