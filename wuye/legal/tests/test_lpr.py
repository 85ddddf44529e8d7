"""X6: the LPR figure beside the contract's late fee, accrued per stretch of days like L1."""

import datetime as dt
from decimal import Decimal

from wuye.legal.lpr import lpr_figure

D = dt.date
RATES = [(D(2024, 7, 22), Decimal("0.0335")), (D(2024, 10, 21), Decimal("0.0310")),
         (D(2025, 5, 20), Decimal("0.0300"))]  # fmt: skip


def test_lpr_figure_splits_at_each_rate_change_and_rounds_per_stretch():
    """X6: 6,000 due 2025-03-31, as of 2025-05-31: 49 days at 3.10 % (04-01..05-19) and
    12 days at 3.00 % (05-20..05-31), each stretch rounded once, over 365 days."""
    figure = lpr_figure(
        due_date=D(2025, 3, 31), as_of=D(2025, 5, 31),
        principal_changes=[(D(2025, 3, 3), Decimal("6000.00"))], rates=RATES,
    )  # fmt: skip
    assert figure == Decimal("24.97") + Decimal("5.92")


def test_lpr_figure_follows_part_payments_and_the_multiplier():
    """X6 and L1: a payment on day d lowers the principal from d + 1; the policy
    multiplier scales the rate (1.0 by default, here 1.5)."""
    figure = lpr_figure(
        due_date=D(2025, 6, 30), as_of=D(2025, 7, 30),
        principal_changes=[(D(2025, 6, 1), Decimal("3650.00")),
                           (D(2025, 7, 10), Decimal("-1825.00"))],
        rates=RATES, multiplier=Decimal("1.5"),
    )  # fmt: skip
    # 07-01..07-10: 3,650 × 4.5 % × 10 / 365 = 4.50; 07-11..07-30: 1,825 × 4.5 % × 20 / 365
    assert figure == Decimal("4.50") + Decimal("4.50")


def test_nothing_accrues_before_the_day_after_the_due_date():
    assert lpr_figure(
        due_date=D(2025, 6, 30), as_of=D(2025, 6, 30),
        principal_changes=[(D(2025, 6, 1), Decimal("100.00"))], rates=RATES,
    ) == Decimal("0")  # fmt: skip
