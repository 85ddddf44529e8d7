"""A daily run over one delivered bill climbs the office ladder (rules E2, G1, L1)."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import Notice
from wuye.dunning.notices import deliver_notice, handover_notices
from wuye.dunning.services import run_dunning
from wuye.testing.factories import office_account

D = dt.date


@pytest.mark.django_db
def test_daily_runs_issue_levels_at_3_7_10_days_then_escalate():
    """E2: 1st/2nd/3rd at 3/7/10 days overdue when each is delivered the same day; G1:
    escalation 3 days after the 3rd; L1: each notice states the late fee so far;
    rerunning a date issues nothing."""
    account = office_account(start=D(2026, 1, 1))  # 100 m² × 25.00 = 2,500.00 a month
    issue_bills_for_project(
        project=account.project, period=Period.parse("2026-03"), on=D(2026, 3, 2), actor="fin"
    )
    bill = account.bills.get()
    handover_bills(on=D(2026, 3, 2), signed_by="cs", actor="cs")
    record_delivery(
        number=bill.number, on=D(2026, 3, 2), staff="cs", signed_by="張", relation="經理"
    )
    bill.refresh_from_db()
    assert bill.due_date == D(2026, 3, 9)  # E1: receipt + 7 days
    issued = []
    for day in range(10, 30):
        on = D(2026, 3, day)
        run_dunning(as_of=on, actor="fin")
        issued += [
            (n.issued_on, n.level, n.action, n.total) for n in Notice.objects.filter(issued_on=on)
        ]
        handover_notices(on=on, signed_by="cs", actor="cs")
        for n in Notice.objects.filter(status=Notice.Status.ISSUED):
            deliver_notice(number=n.number, on=on, staff="cs", signed_by="張", relation="經理")
        assert run_dunning(as_of=on, actor="fin").notices_created == 0  # E2: idempotent
    assert issued == [
        (D(2026, 3, 12), 1, "notice", Decimal("2503.75")),  # 2,500 × 0.5‰ × 3 days
        (D(2026, 3, 16), 2, "notice", Decimal("2508.75")),
        (D(2026, 3, 19), 3, "notice", Decimal("2512.50")),
        (D(2026, 3, 22), 4, "escalation", Decimal("2516.25")),
    ]
