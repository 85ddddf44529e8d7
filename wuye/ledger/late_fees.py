"""Rule L1, the late fee (違約金), as a pure function.

`unpaid principal × rate × days overdue`, accrued day by day on what is still unpaid,
from the day after the due date up to and including the as-of date. A payment on day d
lowers the fee from day d + 1 on (a bill paid on day d overdue has accrued d days). The
fee of each stretch of days with the same unpaid principal is rounded once (half up), so
the total does not depend on how often runs happen. Never on late fees themselves.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from wuye.money import ZERO, money


def late_fee(
    *,
    due_date: dt.date,
    as_of: dt.date,
    rate: Decimal,
    principal_changes: list[tuple[dt.date, Decimal]],
    cap: Decimal | None = None,
) -> Decimal:
    """The late fee accrued on one debt by `as_of`.

    `principal_changes` are (value date, amount) of every principal entry of the debt
    (the charge +, payments −, reversals ±). `cap` bounds the total (policy: the
    principal)."""
    if as_of <= due_date or rate <= 0:
        return ZERO
    changes = sorted(principal_changes)
    first_day = due_date + dt.timedelta(days=1)
    # unpaid principal on a day = entries dated before that day
    principal = sum((amount for day, amount in changes if day < first_day), ZERO)
    later = [(day, amount) for day, amount in changes if first_day <= day < as_of]
    total = ZERO
    start = first_day
    for day, amount in later:
        stretch_end = day + dt.timedelta(days=1)  # the change counts from the next day
        if stretch_end > start:
            total += _stretch(principal, rate, (stretch_end - start).days)
            start = stretch_end
        principal += amount
    total += _stretch(principal, rate, (as_of - start).days + 1)
    if cap is not None:
        total = min(total, max(cap, ZERO))
    return total


def _stretch(principal: Decimal, rate: Decimal, days: int) -> Decimal:
    if principal <= 0 or days <= 0:
        return ZERO
    return money(principal * rate * days)
