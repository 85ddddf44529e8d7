"""F1 beyond payments: a void (D1) or an approved waiver changes what an undelivered
notice states, so it is cancelled or reissued at once, not delivered as it was."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.approvals.services import approve, request_approval
from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project, void_bill
from wuye.dates import Period
from wuye.dunning.models import Notice
from wuye.dunning.services import run_dunning
from wuye.testing.factories import office_account

D = dt.date


def notice_for_march():
    account = office_account(start=D(2026, 1, 1))
    issue_bills_for_project(project=account.project, period=Period.parse("2026-03"),
                            on=D(2026, 3, 2), actor="fin")  # fmt: skip
    handover_bills(on=D(2026, 3, 2), signed_by="cs", actor="cs")
    bill = account.bills.get()
    record_delivery(
        number=bill.number, on=D(2026, 3, 2), staff="cs", signed_by="陳", relation="經理"
    )
    run_dunning(as_of=D(2026, 3, 20), actor="fin")  # 11 days overdue: the 1st
    return account, bill, Notice.objects.get()


@pytest.mark.django_db
def test_voiding_the_only_listed_bill_cancels_the_undelivered_notice():
    """D1, F1: the bill was wrong and is voided: its notice is cancelled with the reason
    the same day; with nothing overdue the episode ends (E2)."""
    account, bill, notice = notice_for_march()
    void_bill(number=bill.number, reason="面積錯誤", on=D(2026, 3, 20), actor="fin")
    notice.refresh_from_db()
    assert notice.status == "cancelled" and "F1" in notice.end_reason
    assert not account.episodes.filter(closed_on__isnull=True).exists()


@pytest.mark.django_db
def test_an_approved_waiver_reissues_the_undelivered_notice_with_the_lower_late_fee():
    """M1, L1, F1: the late fee so far (2,500 × 0.5‰ × 11 = 13.75) is waived: the notice
    is voided and reissued at the same level, stating no late fee."""
    account, bill, notice = notice_for_march()
    assert notice.late_fee == Decimal("13.75")
    request = request_approval(kind="waiver", account=account, amount=Decimal("13.75"),
                               reason="M1: 滲水維修延誤", on=D(2026, 3, 20), actor="cs",
                               bill_number=bill.number)  # fmt: skip
    approve(request.number, on=D(2026, 3, 20), actor="sup", role="supervisor")
    notice.refresh_from_db()
    assert notice.status == "void"
    reissue = notice.replaced_by
    assert (reissue.level, reissue.late_fee, reissue.total) == (
        1, Decimal("0.00"), Decimal("2500.00"),
    )  # fmt: skip
