"""Rule D1: a wrong bill is reported to the supervisor and finance, voided and reissued,
and the corrected bill goes back on the delivery list; notifications to roles."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.approvals.error_reports import record_no_error, report_bill_error
from wuye.approvals.models import ErrorReport, Notification
from wuye.approvals.notifications import mark_read
from wuye.approvals.selectors import notifications
from wuye.approvals.services import request_approval
from wuye.billing.delivery import delivery_worklist, handover_bills, record_delivery
from wuye.billing.services import void_bill
from wuye.errors import WuyeError

ON = dt.date(2026, 4, 8)
NEXT_DAY = dt.date(2026, 4, 9)


@pytest.mark.django_db
def test_an_error_report_notifies_the_supervisor_and_finance(bill):
    """D1: reported at once to the department supervisor and to finance; one open report
    per bill."""
    report = report_bill_error(number=bill.number, on=ON, reason="面積應為 90 m²", actor="cs")

    assert (report.bill, report.reported_by, report.resolved_on) == (bill, "cs", None)
    sent = {n.recipient_role: n for n in Notification.objects.filter(error_report=report)}
    assert set(sent) == {"supervisor", "finance"}
    assert all(n.bill == bill and bill.number in n.subject for n in sent.values())
    with pytest.raises(WuyeError) as again:
        report_bill_error(number=bill.number, on=ON, reason="again", actor="cs")
    assert again.value.code == "already_reported"


@pytest.mark.django_db
def test_void_and_reissue_resolves_the_report_and_the_new_bill_is_delivered_again(bill):
    """D1, A1, B1: report → finance voids and reissues → the report is resolved with the
    replacement → the next hand-over picks up the replacement → it can be delivered."""
    # given a delivered bill reported wrong
    report = report_bill_error(number=bill.number, on=ON, reason="面積錯誤", actor="cs")

    # when finance voids it and reissues
    voided, replacement = void_bill(
        number=bill.number, reason="面積錯誤", on=ON, actor="fin", reissue=True
    )

    # then the report is resolved by the void, linked to the corrected bill
    report.refresh_from_db()
    assert (report.resolved_on, report.resolved_by, report.resolution) == (ON, "fin", "reissued")
    assert report.replacement == replacement and replacement.replaces == voided
    # and the replacement is back on the delivery list: signed for at the next hand-over …
    [batch] = handover_bills(on=NEXT_DAY, signed_by="cs-li", actor="cs-li")
    assert list(batch.bills.values_list("number", flat=True)) == [replacement.number]
    assert [r["bill"] for r in delivery_worklist(on=NEXT_DAY)] == [replacement.number]
    # … and delivered to the designated contact, which sets its receipt and due dates
    record_delivery(number=replacement.number, on=NEXT_DAY, staff="cs-li", signed_by="張三")
    replacement.refresh_from_db()
    assert replacement.receipt_date == NEXT_DAY
    assert replacement.due_date == dt.date(2026, 4, 16)
    assert delivery_worklist(on=NEXT_DAY) == []


@pytest.mark.django_db
def test_a_void_without_reissue_resolves_the_report_as_voided(bill):
    """D1: voided without a replacement (nothing left to bill)."""
    report = report_bill_error(number=bill.number, on=ON, reason="已退租", actor="cs")
    void_bill(number=bill.number, reason="已退租", on=ON, actor="fin")
    report.refresh_from_db()
    assert (report.resolution, report.replacement) == ("voided", None)


@pytest.mark.django_db
def test_finance_may_find_a_reported_bill_right(bill):
    """D1: the report is closed as "no error" with a note; the bill stays as it is."""
    report_bill_error(number=bill.number, on=ON, reason="金額有疑問", actor="cs")
    with pytest.raises(WuyeError) as no_note:
        record_no_error(number=bill.number, on=ON, note="", actor="fin")
    assert no_note.value.code == "note_required"

    report = record_no_error(number=bill.number, on=NEXT_DAY, note="按合同計算無誤", actor="fin")

    assert (report.resolution, report.resolved_on) == (ErrorReport.Resolution.NO_ERROR, NEXT_DAY)
    bill.refresh_from_db()
    assert bill.status == "issued"


@pytest.mark.django_db
def test_a_void_bill_cannot_be_reported(bill):
    """D1: a voided bill is no longer wrong: it is replaced."""
    void_bill(number=bill.number, reason="wrong", on=ON, actor="fin")
    with pytest.raises(WuyeError) as refused:
        report_bill_error(number=bill.number, on=ON, reason="x", actor="cs")
    assert refused.value.code == "bill_void"


@pytest.mark.django_db
def test_a_new_approval_request_notifies_the_approver_role(bill):
    """roles: a waiver within the supervisor's limit is announced to the supervisors."""
    request = request_approval(
        kind="waiver", account=bill.account, amount=Decimal("10.00"),
        reason="M1", on=ON, actor="cs", bill_number=bill.number,
    )  # fmt: skip

    [n] = request.notifications.all()
    assert (n.recipient_role, n.approval, n.bill, n.created_on) == ("supervisor", request, bill, ON)
    assert request.number in n.subject


@pytest.mark.django_db
def test_notifications_are_listed_per_role_and_marked_read_once(bill):
    """A role's unread list shrinks when one is read; reading records who and when."""
    report_bill_error(number=bill.number, on=ON, reason="面積錯誤", actor="cs")
    [n] = notifications(role="finance", unread=True)

    read = mark_read(n.pk, on=NEXT_DAY, actor="fin-chen")
    again = mark_read(n.pk, on=dt.date(2026, 4, 10), actor="someone")

    assert (read.read_on, read.read_by) == (NEXT_DAY, "fin-chen")
    assert (again.read_on, again.read_by) == (NEXT_DAY, "fin-chen")
    assert list(notifications(role="finance", unread=True)) == []
    assert len(notifications(role="supervisor", unread=True)) == 1
    with pytest.raises(WuyeError) as bad_role:
        notifications(role="boss")
    assert bad_role.value.code == "invalid_role"
