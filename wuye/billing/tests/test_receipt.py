"""Receipt of a bill (rule B1) and the due date it sets (rule E1, moved off rest days per W1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wuye.billing.models import Bill, BillReceipt, Contract
from wuye.billing.services import issue_bills_for_project, record_bill_receipt, void_bill
from wuye.dates import Period
from wuye.errors import NotFound, WuyeError
from wuye.policies.models import PolicySetting
from wuye.testing.factories import ProjectFactory, office_account

MARCH = Period.parse("2026-03")
ISSUED_ON = dt.date(2026, 3, 2)


def issue(account, period: Period = MARCH, on: dt.date = ISSUED_ON) -> Bill:
    issue_bills_for_project(project=ProjectFactory(), period=period, on=on, actor="finance")
    return Bill.objects.get(account=account, period_start=period.start, status=Bill.Status.ISSUED)


def receive(bill: Bill, on: dt.date, **kwargs) -> Bill:
    return record_bill_receipt(number=bill.number, received_on=on, actor="cs.wang", **kwargs)


def set_policy(key: str, value: str, **kwargs) -> None:
    PolicySetting.objects.create(
        key=key, value=value, changed_by="admin", changed_at=timezone.now(), **kwargs
    )


@pytest.mark.django_db
def test_due_date_is_seven_days_after_receipt():
    """B1, E1: due date = receipt date + 7 calendar days (policy payment_term_days).
    Given an after-receipt bill issued on Monday 2 March 2026,
    when the designated contact signs for it on Tuesday 3 March,
    then its receipt date is 3 March and it is due on Tuesday 10 March."""
    bill = issue(office_account())
    assert bill.due_date is None

    received = receive(bill, dt.date(2026, 3, 3), signer="張三", signer_relation="行政經理")

    assert received.receipt_date == dt.date(2026, 3, 3)
    assert received.due_date == dt.date(2026, 3, 10)
    stored = Bill.objects.get(pk=bill.pk)
    assert (stored.receipt_date, stored.due_date) == (dt.date(2026, 3, 3), dt.date(2026, 3, 10))
    receipt = BillReceipt.objects.get(bill=bill)
    assert (receipt.received_on, receipt.method, receipt.actor) == (
        dt.date(2026, 3, 3),
        BillReceipt.Method.HAND,
        "cs.wang",
    )
    assert (receipt.signer, receipt.signer_relation) == ("張三", "行政經理")


@pytest.mark.django_db
def test_receipt_on_the_issue_date_is_accepted():
    """B1: a bill is normally delivered on the day it was signed for from finance.
    Given a bill issued on 2 March 2026,
    when it is received the same day,
    then it is due on Monday 9 March."""
    bill = issue(office_account())

    assert receive(bill, ISSUED_ON).due_date == dt.date(2026, 3, 9)


@pytest.mark.django_db
def test_due_date_on_a_weekend_moves_to_monday():
    """E1 Beyond (art. 203), W1.
    Given a bill received on Saturday 7 March 2026,
    when the receipt is recorded,
    then receipt + 7 is Saturday 14 March and the bill is due on Monday 16 March."""
    bill = issue(office_account())

    assert receive(bill, dt.date(2026, 3, 7)).due_date == dt.date(2026, 3, 16)


@pytest.mark.django_db
def test_due_date_in_the_national_day_holiday_moves_after_it():
    """E1 Beyond, W1 (chinese_calendar: 1–7 October 2026 are holidays).
    Given a September 2026 bill received on Thursday 24 September,
    when the receipt is recorded,
    then receipt + 7 is 1 October (National Day) and the bill is due on Thursday 8 October."""
    september = Period.parse("2026-09")
    bill = issue(office_account(), september, on=dt.date(2026, 9, 1))

    assert receive(bill, dt.date(2026, 9, 24)).due_date == dt.date(2026, 10, 8)


@pytest.mark.django_db
def test_due_date_on_a_make_up_workday_stays():
    """W1: a make-up workday (調休) is a working day.
    Given an October 2026 bill received on Saturday 3 October (a holiday),
    when the receipt is recorded,
    then receipt + 7 is Saturday 10 October, a make-up workday, and the bill is due then."""
    october = Period.parse("2026-10")
    bill = issue(office_account(), october, on=dt.date(2026, 9, 28))

    assert receive(bill, dt.date(2026, 10, 3)).due_date == dt.date(2026, 10, 10)


@pytest.mark.django_db
def test_contract_payment_term_days_overrides_the_policy():
    """E1: a contract may set its own number of days.
    Given a contract with payment_term_days = 15,
    when the bill is received on Tuesday 3 March 2026,
    then it is due on Wednesday 18 March."""
    bill = issue(office_account(payment_term_days=15))

    assert receive(bill, dt.date(2026, 3, 3)).due_date == dt.date(2026, 3, 18)


@pytest.mark.django_db
def test_project_policy_sets_the_payment_term_days():
    """E1, STYLE §7 (the 7 days are a policy default).
    Given the project's payment_term_days policy set to 10,
    when a bill of a contract without its own term is received on Tuesday 3 March 2026,
    then it is due on Friday 13 March."""
    account = office_account()
    set_policy("payment_term_days", "10", project=account.project)
    bill = issue(account)

    assert receive(bill, dt.date(2026, 3, 3)).due_date == dt.date(2026, 3, 13)


@pytest.mark.django_db
def test_due_date_stays_on_a_rest_day_when_the_policy_says_so():
    """E1: moving off rest days is a policy (due_date_to_workday).
    Given the project's due_date_to_workday policy set to 0,
    when a bill is received on Saturday 7 March 2026,
    then it is due on Saturday 14 March."""
    account = office_account()
    set_policy("due_date_to_workday", "0", project=account.project)
    bill = issue(account)

    assert receive(bill, dt.date(2026, 3, 7)).due_date == dt.date(2026, 3, 14)


@pytest.mark.django_db
def test_receipt_of_a_fixed_day_bill_keeps_its_due_date():
    """B1, E1: a fixed-day bill's due date is set at issue, not by its receipt.
    Given a fixed-day March 2026 bill (due Tuesday 31 March),
    when it is received on 25 March,
    then the receipt date is recorded and it is still due on 31 March."""
    bill = issue(office_account(payment_term=Contract.Term.FIXED_DAY))
    assert bill.due_date == dt.date(2026, 3, 31)

    received = receive(bill, dt.date(2026, 3, 25), method=BillReceipt.Method.POSTED)

    assert (received.receipt_date, received.due_date) == (
        dt.date(2026, 3, 25),
        dt.date(2026, 3, 31),
    )
    assert BillReceipt.objects.get(bill=bill).method == BillReceipt.Method.POSTED


@pytest.mark.django_db
def test_a_second_receipt_is_refused():
    """B1: the receipt date is recorded once.
    Given a bill received on 3 March 2026,
    when a second receipt on 5 March is recorded,
    then a WuyeError already_received is raised and the first receipt and due date stand."""
    bill = issue(office_account())
    receive(bill, dt.date(2026, 3, 3))

    with pytest.raises(WuyeError) as raised:
        receive(bill, dt.date(2026, 3, 5))

    assert raised.value.code == "already_received"
    stored = Bill.objects.get(pk=bill.pk)
    assert (stored.receipt_date, stored.due_date) == (dt.date(2026, 3, 3), dt.date(2026, 3, 10))
    assert BillReceipt.objects.filter(bill=bill).count() == 1


@pytest.mark.django_db
def test_receipt_before_the_issue_date_is_refused():
    """B1: a bill cannot reach the client before it was issued.
    Given a bill issued on 2 March 2026,
    when a receipt on 1 March is recorded,
    then a WuyeError invalid_date is raised and nothing is recorded."""
    bill = issue(office_account())

    with pytest.raises(WuyeError) as raised:
        receive(bill, dt.date(2026, 3, 1))

    assert raised.value.code == "invalid_date"
    stored = Bill.objects.get(pk=bill.pk)
    assert (stored.receipt_date, stored.due_date) == (None, None)
    assert not BillReceipt.objects.exists()


@pytest.mark.django_db
def test_receipt_of_a_void_bill_is_refused():
    """D1, B1: a voided bill is not delivered; its replacement is.
    Given a voided bill,
    when a receipt is recorded for it,
    then a WuyeError bill_void is raised."""
    bill = issue(office_account())
    void_bill(number=bill.number, reason="金額錯誤", on=dt.date(2026, 3, 3), actor="finance")

    with pytest.raises(WuyeError) as raised:
        receive(bill, dt.date(2026, 3, 4))

    assert raised.value.code == "bill_void"
    assert not BillReceipt.objects.exists()


@pytest.mark.django_db
def test_receipt_of_an_unknown_bill_is_not_found():
    """B1: a receipt names an existing bill."""
    with pytest.raises(NotFound) as raised:
        record_bill_receipt(number="HT-202603-09999", received_on=ISSUED_ON, actor="cs")

    assert raised.value.code == "not_found"
