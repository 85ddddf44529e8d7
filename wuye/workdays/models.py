"""Working-day calendars as data (rule W1): only the days that differ from a plain
week (holidays on weekdays, make-up workdays on weekends) are rows."""

from __future__ import annotations

from django.db import models


class CalendarYear(models.Model):
    """A year whose special days are known; dates outside known years get a warning."""

    calendar = models.CharField(max_length=20)
    year = models.IntegerField()
    source = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["calendar", "year"], name="calendar_year")]


class CalendarDay(models.Model):
    calendar = models.CharField(max_length=20)
    date = models.DateField()
    is_workday = models.BooleanField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day")]
