"""A promise to pay is the debtor's acknowledgement (rule X2, 《民法典》 art. 195): it
restarts the limitation period of every bill of the account open on the day it was made,
and of no other."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.collection.services import record_call
from wuye.dates import Period
from wuye.ledger.limitation import DUE_DATE, PART_PAYMENT, PROMISE, limitation_by_bill
from wuye.ledger.statements import account_statement
from wuye.payments.services import record_payment

D = dt.date
PROMISE_DAY = D(2026, 5, 4)


def promise(account, on=PROMISE_DAY):
    return record_call(
        unit_code=account.unit.code, on=on, staff="cs", reason="hardship",
        amount_stated=Decimal("2500.00"), outcome="reached",
        promise_on=on + dt.timedelta(days=10), promise_amount=Decimal("500.00"),
    )  # fmt: skip


@pytest.mark.django_db
def test_a_promise_restarts_the_limitation_of_the_open_bills(account):
    """X2: the March bill (due 9 March) is open on 4 May when the owner promises to pay:
    its period now ends on 4 May 2029 with the promise as evidence; a bill issued after
    the promise keeps its own due date; before the promise date nothing changes."""
    march = account.bills.get()
    promise(account)
    issue_bills_for_project(project=account.project, period=Period.parse("2026-05"),
                            on=D(2026, 5, 10), actor="fin")  # fmt: skip
    handover_bills(on=D(2026, 5, 10), signed_by="cs", actor="cs")
    may = account.bills.exclude(pk=march.pk).get()
    record_delivery(number=may.number, on=D(2026, 5, 10), staff="cs", signed_by="張三",
                    relation="本人")  # fmt: skip

    clocks = limitation_by_bill([march.pk, may.pk], as_of=D(2026, 6, 1))

    assert (clocks[march.pk].evidence_kind, clocks[march.pk].evidence_date) == (
        PROMISE, PROMISE_DAY,
    )  # fmt: skip
    assert clocks[march.pk].ends_on == D(2029, 5, 4)
    assert "500.00 by 2026-05-14" in clocks[march.pk].reference
    # received 10 May, due Sun 17 May, moved to Mon 18 May (E1, a working day)
    assert (clocks[may.pk].evidence_kind, clocks[may.pk].ends_on) == (DUE_DATE, D(2029, 5, 18))
    before = limitation_by_bill([march.pk], as_of=D(2026, 5, 3))[march.pk]
    assert (before.evidence_kind, before.ends_on) == (DUE_DATE, D(2029, 3, 9))
    row = next(b for b in account_statement(account, as_of=D(2026, 6, 1)).bills
               if b.number == march.number)  # fmt: skip
    assert row.limitation_ends == D(2029, 5, 4) and "promise 2026-05-04" in row.limitation_evidence


@pytest.mark.django_db
def test_a_promise_does_not_acknowledge_a_bill_paid_before_it(account):
    """X2: a bill fully paid before the promise was not a debt that day."""
    march = account.bills.get()
    record_payment(account=account, amount=Decimal("2500.00"), on=D(2026, 5, 1), actor="fin")
    promise(account)

    clock = limitation_by_bill([march.pk], as_of=D(2026, 6, 1))[march.pk]

    assert (clock.evidence_kind, clock.evidence_date) == (PART_PAYMENT, D(2026, 5, 1))
