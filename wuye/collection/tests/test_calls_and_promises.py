"""Calls and promises to pay (rule R2): the call log closes the engine's call task, a
promise is kept by payments up to its date or broken, and a broken promise puts the
account back on the caller's list the day after. Dates: see scenario.py."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.collection.models import Call, Promise
from wuye.collection.selectors import call_worklist
from wuye.collection.services import check_promises, record_call
from wuye.collection.tests.scenario import CALL_DAY, task
from wuye.dunning.models import Contact, Notice
from wuye.payments.services import record_payment, reverse_payment

D = dt.date
ARREARS = Decimal("2500.00")


PROMISED_ON = D(2026, 3, 15)


def call_with_promise(account, *, promise_on=PROMISED_ON, amount="2500.00", staff="cs-wang"):
    call_task = task(account, "call", CALL_DAY)
    return call_task, record_call(
        number=call_task.number, on=CALL_DAY, staff=staff, reason="forgot",
        amount_stated=ARREARS, outcome="reached", promise_on=promise_on,
        promise_amount=Decimal(amount), note="業主說下週來交",
    )  # fmt: skip


@pytest.mark.django_db
def test_a_call_with_a_promise_closes_the_task_and_logs_the_contact(account):
    """R2: given the engine's call task, when the caller logs the reason, the amount
    stated and a promise, then the task is closed, a call contact is the evidence and
    the promise is open."""
    call_task, call = call_with_promise(account)

    call_task.refresh_from_db()
    assert (call_task.status, call_task.ended_on) == (Notice.Status.CLOSED, CALL_DAY)
    assert "reached" in call_task.end_reason
    contact = Contact.objects.get(account=account, channel=Contact.Channel.CALL)
    assert (contact.notice_id, contact.result, contact.on) == (call_task.pk, "reached", CALL_DAY)
    assert "遺忘" in contact.note and "2500.00" in contact.note
    assert (call.reason, call.amount_stated, call.task_id) == ("forgot", ARREARS, call_task.pk)
    promise = Promise.objects.get()
    assert (promise.made_on, promise.promised_on, promise.amount, promise.status) == (
        CALL_DAY, D(2026, 3, 15), ARREARS, Promise.Status.OPEN,
    )  # fmt: skip
    assert call_worklist(on=CALL_DAY) == []  # R2: nothing left to call today


@pytest.mark.django_db
def test_a_call_nobody_answered_leaves_the_task_on_the_list(account):
    """R2: given a call task, when nobody answers, then the task stays open (another try,
    as C1 does for bills) and the attempt is logged."""
    call_task = task(account, "call", CALL_DAY)
    record_call(number=call_task.number, on=CALL_DAY, staff="cs", reason="other",
                amount_stated=ARREARS, outcome="no_answer")  # fmt: skip

    call_task.refresh_from_db()
    assert call_task.status == Notice.Status.OPEN
    (row,) = call_worklist(on=CALL_DAY)
    assert row["tasks"] == [call_task.number]
    assert row["last_contact"]["result"] == "no_answer"
    assert row["reason"] is None  # nobody answered: no reason was heard


@pytest.mark.django_db
def test_the_worklist_row_has_arrears_last_contact_reason_and_promises(account):
    """R2: the caller sees the account's arrears, last contact, reason and promises."""
    call_task = task(account, "call", CALL_DAY)

    (row,) = call_worklist(on=CALL_DAY)

    assert (row["unit"], row["arrears"], row["tasks"]) == (
        account.unit.code, ARREARS, [call_task.number],
    )  # fmt: skip
    assert row["last_contact"] is None  # no call, visit or notice contact yet
    assert row["broken_promise"] is None and row["promises"] == []


@pytest.mark.django_db
def test_a_payment_up_to_the_promised_date_keeps_the_promise(account):
    """R2: given a promise of 2,500.00 by 15 March, when 2,500.00 is paid in two parts
    by then, then the check marks it kept on the last payment's date; a rerun changes
    nothing."""
    call_with_promise(account)
    record_payment(account=account, amount=Decimal("1000.10"), on=D(2026, 3, 12), actor="fin")
    record_payment(account=account, amount=Decimal("1499.90"), on=D(2026, 3, 14), actor="fin")

    assert check_promises(as_of=D(2026, 3, 14)) == {"kept": 1, "broken": 0}
    assert check_promises(as_of=D(2026, 3, 20)) == {"kept": 0, "broken": 0}  # idempotent

    promise = Promise.objects.get()
    assert (promise.status, promise.settled_on) == (Promise.Status.KEPT, D(2026, 3, 14))
    assert call_worklist(on=D(2026, 3, 16)) == []


@pytest.mark.django_db
def test_a_broken_promise_puts_the_account_back_on_the_list_the_day_after(account):
    """R2: given a promise of 2,500.00 by 15 March and only 1,000.00 paid, then on the
    15th the account is not on the list, on the 16th it is (before and after the check
    marks the promise broken), and a call that day takes it off again."""
    call_with_promise(account)
    record_payment(account=account, amount=Decimal("1000.00"), on=D(2026, 3, 14), actor="fin")

    assert call_worklist(on=D(2026, 3, 15)) == []
    assert check_promises(as_of=D(2026, 3, 15)) == {"kept": 0, "broken": 0}
    (row,) = call_worklist(on=D(2026, 3, 16))  # before the check ran
    assert check_promises(as_of=D(2026, 3, 16)) == {"kept": 0, "broken": 1}
    assert check_promises(as_of=D(2026, 3, 16)) == {"kept": 0, "broken": 0}
    (after,) = call_worklist(on=D(2026, 3, 16))  # after it: the same row
    assert {**after, "promises": None} == {**row, "promises": None}

    assert row["tasks"] == []
    assert row["broken_promise"]["back_on_list"] == D(2026, 3, 16)
    assert row["broken_promise"]["staff"] == "cs-wang"
    # P1: the 1.25 late fee the run of the 10th posted was paid before the principal
    assert (row["arrears"], row["reason"], row["reason_label"]) == (
        Decimal("1501.25"), "forgot", "遺忘",
    )  # fmt: skip
    promise = Promise.objects.get()
    assert (promise.status, promise.settled_on) == (Promise.Status.BROKEN, D(2026, 3, 16))
    assert [p["status"] for p in call_worklist(on=D(2026, 3, 16))[0]["promises"]] == ["broken"]
    assert call_worklist(on=D(2026, 3, 16), staff="someone-else") == []

    record_call(unit_code=account.unit.code, on=D(2026, 3, 16), staff="cs-wang",
                reason="hardship", amount_stated=Decimal("1500.00"), outcome="reached")  # fmt: skip

    assert call_worklist(on=D(2026, 3, 16)) == []
    assert call_worklist(on=D(2026, 3, 17)) == []
    assert Call.objects.filter(task__isnull=True).count() == 1  # the ad-hoc call


@pytest.mark.django_db
def test_a_reversed_payment_does_not_keep_a_promise(account):
    """R2: a payment reversed (bounced) by the check date does not count."""
    call_with_promise(account)
    payment = record_payment(account=account, amount=ARREARS, on=D(2026, 3, 13), actor="fin")
    reverse_payment(receipt_number=payment.receipt_number, on=D(2026, 3, 14), actor="fin",
                    reason="退票")  # fmt: skip

    assert check_promises(as_of=D(2026, 3, 16)) == {"kept": 0, "broken": 1}
    (row,) = call_worklist(on=D(2026, 3, 16))
    assert row["arrears"] == ARREARS


@pytest.mark.django_db
def test_a_broken_promise_paid_up_since_is_not_called(account):
    """R2: the list is for accounts still in arrears: a broken promise whose debt was
    paid after the promised date leaves nobody to call."""
    call_with_promise(account)
    # the principal and the 1.25 late fee the run of the 10th posted (L1)
    record_payment(account=account, amount=Decimal("2501.25"), on=D(2026, 3, 18), actor="fin")

    assert check_promises(as_of=D(2026, 3, 20)) == {"kept": 0, "broken": 1}
    assert call_worklist(on=D(2026, 3, 20)) == []
