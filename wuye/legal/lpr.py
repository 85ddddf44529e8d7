"""Rule X6: an LPR-based figure beside the contract's late fee, as a pure function.

Courts may cut an excessive late fee (《民法典》 art. 585) and often recompute it at the
one-year LPR. The figure accrues like L1 (`wuye.ledger.late_fees`): on the unpaid
principal, from the day after the due date up to and including `as_of`; a stretch of
days ends where the principal changes or a new LPR takes effect, and each stretch is
`principal × LPR × multiplier × days ÷ day basis`, rounded once (half up).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from wuye.money import ZERO, money

ONE_DAY = dt.timedelta(days=1)


def lpr_figure(
    *,
    due_date: dt.date,
    as_of: dt.date,
    principal_changes: list[tuple[dt.date, Decimal]],
    rates: list[tuple[dt.date, Decimal]],
    multiplier: Decimal = Decimal(1),
    day_basis: int = 365,
) -> Decimal:
    """The LPR figure of one debt by `as_of`. `principal_changes` as for L1 (value date,
    amount: charge +, payments −); `rates` (effective from, yearly rate), any order."""
    if as_of <= due_date:
        return ZERO
    rates = sorted(rates)
    first_day = due_date + ONE_DAY
    # a principal change on day d counts from d + 1 (L1); a rate from its own day
    cuts = {day + ONE_DAY for day, _ in principal_changes} | {day for day, _ in rates}
    cuts = sorted(day for day in cuts if first_day < day <= as_of)
    total = ZERO
    start = first_day
    for end in [*cuts, as_of + ONE_DAY]:
        principal = sum((a for day, a in principal_changes if day < start), ZERO)
        rate = _rate_on(rates, start)
        days = (end - start).days
        if principal > 0 and rate > 0 and days > 0:
            total += money(principal * rate * multiplier * days / day_basis)
        start = end
    return total


def _rate_on(rates: list[tuple[dt.date, Decimal]], day: dt.date) -> Decimal:
    found = ZERO
    for effective_from, rate in rates:
        if effective_from <= day:
            found = rate
    return found
