"""Quiet hours and a maximum frequency hold for calls as for messages (issue 5, defaults
table: 21:00–08:00; evening visits of S2a are not calls). The same policies as the
messaging outbox: `quiet_hours`, and `max_calls_per_week` for calls."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from wuye.collection.models import Call
from wuye.errors import WuyeError
from wuye.messaging.schedule import parse_quiet_hours
from wuye.policies.selectors import policy


def in_quiet_hours(at: dt.time, *, project_id: int) -> dt.time | None:
    """The end of the quiet hours `at` (local time) falls in, or None."""
    quiet = parse_quiet_hours(policy("quiet_hours", project_id=project_id))
    if quiet is None:
        return None
    start, end = quiet
    inside = (at >= start or at < end) if start > end else (start <= at < end)
    return end if inside else None


def refuse_quiet_hours(at: dt.time | None, *, project_id: int) -> None:
    """A call logged at a local time inside the quiet hours is refused (not made)."""
    if at is None:
        return
    until = in_quiet_hours(at, project_id=project_id)
    if until is not None:
        raise WuyeError(
            "quiet_hours",
            f"--at: {at:%H:%M} is in the quiet hours (policy quiet_hours): no calls until "
            f"{until:%H:%M}",
            f"{at:%H:%M} 屬免打擾時段，{until:%H:%M} 前不可致電",
        )


def calls_in_week(account_ids: list[int], on: dt.date) -> dict[int, int]:
    """Calls logged per account in the 7 days up to and including `on`."""
    result: dict[int, int] = {}
    for start in range(0, len(account_ids), 5000):
        result.update(
            Call.objects.filter(
                account_id__in=account_ids[start : start + 5000],
                on__gt=on - dt.timedelta(days=7),
                on__lte=on,
            )
            .values("account_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("account_id", "n")
        )
    return result


def hold_reason(*, at: dt.time | None, project_id: int, calls_this_week: int) -> str | None:
    """Why an account may not be called now: quiet hours or the frequency cap."""
    if at is not None:
        until = in_quiet_hours(at, project_id=project_id)
        if until is not None:
            return f"quiet hours until {until:%H:%M}"
    cap = policy("max_calls_per_week", project_id=project_id)
    if cap and calls_this_week >= cap:
        return f"frequency cap: {calls_this_week} calls in 7 days (max {cap})"
    return None
