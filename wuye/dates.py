"""Business dates: periods, month arithmetic and "today" (STYLE §5).

Only the outer edges call `today()`; every service takes the date it works for.
Periods are half-open: [start, end).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from wuye.errors import WuyeError

DEFAULT_TZ = "Asia/Shanghai"
_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


def today(tz: str = DEFAULT_TZ) -> dt.date:
    """Today in a time zone: for the CLI/web edges only, never in services or tests."""
    return dt.datetime.now(ZoneInfo(tz)).date()


def parse_date(text: str, *, field: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise WuyeError(
            "invalid_date",
            f"{field}: '{text}' is not a date (YYYY-MM-DD)",
            f"{field}：「{text}」不是日期（YYYY-MM-DD）",
        ) from None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Period:
    """A billing month, named YYYY-MM; `start` is its first day."""

    start: dt.date

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD_RE.match(str(text).strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise WuyeError(
                "invalid_period",
                f"period: '{text}' is not a month (YYYY-MM)",
                f"期間：「{text}」不是月份（YYYY-MM）",
            )
        return cls(dt.date(int(match.group(1)), int(match.group(2)), 1))

    @classmethod
    def of(cls, day: dt.date) -> Period:
        return cls(day.replace(day=1))

    def __str__(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def compact(self) -> str:
        return f"{self.start:%Y%m}"

    def end(self, months: int = 1) -> dt.date:
        """First day after a cycle of `months` months starting with this period."""
        return add_months(self.start, months)
