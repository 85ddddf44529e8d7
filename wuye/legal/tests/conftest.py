import datetime as dt

import pytest

from wuye.billing.models import Contract
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.testing.factories import office_account


@pytest.fixture
def vacant_units():
    """Three S1 vacant investment units (segment vacant_investment, the policy chosen by
    segment), each billed for March 2026 (fixed day: due 2026-03-31): 3,100, 3,000 and
    2,000 yuan."""

    def make(price: str) -> object:
        return office_account(
            start=dt.date(2026, 1, 1), price=price, payment_term=Contract.Term.FIXED_DAY,
            segment=Contract.Segment.VACANT_INVESTMENT, dunning_policy="",
            late_fee_clause=False,
        )  # fmt: skip

    accounts = [make("31.00"), make("30.00"), make("20.00")]
    issue_bills_for_project(
        project=accounts[0].project, period=Period.parse("2026-03"), on=dt.date(2026, 3, 2),
        actor="fin",
    )  # fmt: skip
    return accounts
