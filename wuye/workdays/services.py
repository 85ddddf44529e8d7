"""Working days (rule W1): a project's calendar is data that an administrator extends."""

from __future__ import annotations

import datetime as dt
import warnings

from wuye.workdays.models import CalendarDay, CalendarYear


class CalendarUnknownWarning(UserWarning):
    """A date outside the known years of a calendar was treated as a plain week (W1)."""


def load_chinese_calendar(calendar: str = "CN") -> list[int]:
    """Load mainland China's holidays and make-up workdays from `chinesecalendar`.

    Rerunning adds only missing years; returns the years added."""
    from chinese_calendar import constants

    by_year: dict[int, list[CalendarDay]] = {}
    for day, name in constants.holidays.items():
        by_year.setdefault(day.year, []).append(
            CalendarDay(calendar=calendar, date=day, is_workday=False, name=str(name))
        )
    for day, name in constants.workdays.items():
        by_year.setdefault(day.year, []).append(
            CalendarDay(calendar=calendar, date=day, is_workday=True, name=f"{name} (調休)")
        )
    known = set(CalendarYear.objects.filter(calendar=calendar).values_list("year", flat=True))
    added = sorted(set(by_year) - known)
    for year in added:
        CalendarDay.objects.bulk_create(by_year[year])
        CalendarYear.objects.create(calendar=calendar, year=year, source="chinesecalendar")
    return added


def next_working_day(day: dt.date, *, calendar: str = "CN") -> dt.date:
    """`day` if it is a working day, else the next one (W1; art. 203 for due dates)."""
    horizon = day + dt.timedelta(days=40)
    special = dict(
        CalendarDay.objects.filter(calendar=calendar, date__gte=day, date__lte=horizon).values_list(
            "date", "is_workday"
        )
    )
    known = set(
        CalendarYear.objects.filter(
            calendar=calendar, year__in=[day.year, horizon.year]
        ).values_list("year", flat=True)
    )
    current = day
    while True:
        if current.year not in known:
            warnings.warn(
                f"calendar {calendar} has no data for {current.year}; "
                "treating it as a plain week (W1)",
                CalendarUnknownWarning,
                stacklevel=2,
            )
            known.add(current.year)
        workday = special.get(current, current.weekday() < 5)
        if workday:
            return current
        current += dt.timedelta(days=1)
