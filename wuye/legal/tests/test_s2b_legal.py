"""S2b/R5: a shop reaching ≥ 5,000 and 60 days overdue gets the legal escalation from the
shipped policy (dunning/0005), and `propose_cases` turns it into a proposed case, once.
X3: no late-fee claim without the contract's clause; X6: the LPR figure per stretch."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.billing.models import Contract
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import Notice
from wuye.dunning.services import run_dunning
from wuye.legal.models import LegalCase, Stage
from wuye.legal.selectors import claim
from wuye.legal.services import propose_cases
from wuye.testing.factories import office_account

D = dt.date


@pytest.mark.django_db
def test_a_shop_reaching_5000_and_60_days_gets_a_proposed_legal_case():
    """S2b: visits every 14 days, then at 60 days overdue with arrears ≥ 5,000 the
    legal escalation to the manager (R5, M3); the case claims the principal only (no
    clause, X3) and shows the LPR figure split at the 2025-05-20 LPR change (X6)."""
    shop = office_account(
        start=D(2025, 1, 1), price="60.00", segment=Contract.Segment.SHOP_VILLA,
        dunning_policy="", payment_term=Contract.Term.FIXED_DAY, late_fee_clause=False,
    )  # fmt: skip
    issue_bills_for_project(project=shop.project, period=Period.parse("2025-03"),
                            on=D(2025, 3, 3), actor="fin")  # fmt: skip
    assert shop.bills.get().due_date == D(2025, 3, 31)
    day = D(2025, 4, 1)
    while day <= D(2025, 5, 31):
        run_dunning(as_of=day, actor="fin")
        day += dt.timedelta(days=1)

    legal = Notice.objects.get(account=shop, step__code="s2b_legal")
    assert (legal.issued_on, legal.action) == (D(2025, 5, 30), "escalation")  # 60 days overdue
    assert legal.principal == Decimal("6000.00")

    created = propose_cases(as_of=D(2025, 5, 31), actor="mgr-zhao")
    assert propose_cases(as_of=D(2025, 5, 31), actor="mgr-zhao") == []  # once

    case = LegalCase.objects.get()
    assert [c.pk for c in created] == [case.pk]
    assert (case.account, case.stage, case.notice, case.source) == (
        shop, Stage.PROPOSED, legal, "escalation",
    )  # fmt: skip
    assert legal.number in case.reason
    figures = claim(case, as_of=D(2025, 5, 31))
    assert figures["principal"] == Decimal("6000.00")
    assert figures["late_fee"] == 0 and figures["claimed"] == Decimal("6000.00")  # X3
    # X6: 04-01..05-19 at 3.10 % (49 days) + 05-20..05-31 at 3.00 % (12 days), ×1.0 / 365
    assert figures["lpr_figure"] == Decimal("24.97") + Decimal("5.92")
