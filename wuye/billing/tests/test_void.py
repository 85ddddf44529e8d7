"""Void and reissue of a wrong bill (rule D1) and what happens to its money (P1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from wuye.billing.models import Bill, Contract, ContractLine, NumberSequence
from wuye.billing.services import issue_bills_for_project, void_bill
from wuye.dates import Period
from wuye.errors import NotFound, WuyeError
from wuye.ledger import selectors
from wuye.ledger.models import Entry
from wuye.ledger.statements import account_statement
from wuye.payments.services import record_payment
from wuye.testing.factories import ContractFactory, ProjectFactory, add_line, office_account

MARCH = Period.parse("2026-03")
ISSUED_ON = dt.date(2026, 3, 2)
PAID_ON = dt.date(2026, 3, 5)
VOIDED_ON = dt.date(2026, 3, 10)
REASON = "面積錯誤：應為120平方米"


def run(period: Period = MARCH, on: dt.date = ISSUED_ON):
    return issue_bills_for_project(project=ProjectFactory(), period=period, on=on, actor="finance")


def bill_of(account) -> Bill:
    return Bill.objects.get(account=account, period_start=MARCH.start, status=Bill.Status.ISSUED)


def correct_area(account, area: str) -> None:
    unit = account.unit
    unit.area = Decimal(area)
    unit.save()


def bill_sum(bill: Bill) -> Decimal:
    return Entry.objects.filter(bill=bill).aggregate(total=Sum("amount"))["total"]


@pytest.mark.django_db
def test_void_keeps_the_bill_with_its_number_reason_who_and_date():
    """D1: a wrong bill is never edited or deleted; it is voided with reason and who.
    Given an issued bill HT-202603-00001,
    when finance voids it,
    then the bill still exists under its number, void, with the reason, who and date,
    and its lines and total are untouched."""
    account = office_account()
    run()
    bill = bill_of(account)

    voided, replacement = void_bill(
        number=bill.number, reason=REASON, on=VOIDED_ON, actor="finance.li"
    )

    assert replacement is None
    stored = Bill.objects.get(number="HT-202603-00001")
    assert stored.pk == voided.pk == bill.pk
    assert stored.status == Bill.Status.VOID
    assert (stored.void_reason, stored.voided_by, stored.voided_on) == (
        REASON,
        "finance.li",
        VOIDED_ON,
    )
    assert stored.total == Decimal("2500.00")
    assert [line.amount for line in stored.lines.all()] == [Decimal("2500.00")]


@pytest.mark.django_db
def test_void_reverses_the_charges_with_new_entries_and_deletes_nothing():
    """D1, STYLE §4 (corrections are reversing entries).
    Given a bill with a property fee of 2500.00 and an elevator fee of 350.00,
    when it is voided,
    then both charges still exist and each has one reversal of minus its amount,
    dated the void date, so the bill and the account owe nothing."""
    account = office_account()
    add_line(account.contracts.get(), "ELV", ContractLine.Basis.FIXED, "350.00")
    run()
    bill = bill_of(account)
    charges = list(Entry.objects.filter(bill=bill, kind=Entry.Kind.CHARGE).order_by("id"))

    void_bill(number=bill.number, reason=REASON, on=VOIDED_ON, actor="finance")

    assert [e.amount for e in charges] == [Decimal("2500.00"), Decimal("350.00")]
    for charge in charges:
        charge.refresh_from_db()  # still there, unchanged
        assert charge.kind == Entry.Kind.CHARGE
        reversal = Entry.objects.get(reverses=charge)
        assert reversal.kind == Entry.Kind.REVERSAL
        assert reversal.amount == -charge.amount
        assert (reversal.bill_line_id, reversal.entry_date) == (charge.bill_line_id, VOIDED_ON)
        assert reversal.reason == f"D1 void: {REASON}"
    assert Entry.objects.filter(bill=bill).count() == 4
    assert bill_sum(bill) == Decimal("0.00")
    assert selectors.balance(account.pk) == Decimal("0.00")


@pytest.mark.django_db
def test_reissue_gives_a_new_numbered_bill_from_the_corrected_data():
    """D1: the corrected bill has a new number and is linked to the voided one.
    Given two billed accounts (…00001, …00002) and a unit area found wrong (100 → 120 m²),
    when the first bill is voided and reissued after correcting the area,
    then the new bill is HT-202603-00003 for 120 × 25.00 = 3000.00, replaces the old one,
    and the account owes 3000.00."""
    account = office_account(area="100.00")
    office_account()
    run()
    old = bill_of(account)
    correct_area(account, "120.00")

    voided, new = void_bill(
        number=old.number, reason=REASON, on=VOIDED_ON, actor="finance", reissue=True
    )

    assert (voided.number, voided.status) == ("HT-202603-00001", Bill.Status.VOID)
    assert new.number == "HT-202603-00003"
    assert new.replaces_id == old.pk
    assert Bill.objects.get(number="HT-202603-00001").replaced_by == new
    assert (new.status, new.total, new.issue_date) == (
        Bill.Status.ISSUED,
        Decimal("3000.00"),
        VOIDED_ON,
    )
    assert (new.period_start, new.period_end) == (MARCH.start, dt.date(2026, 4, 1))
    line = new.lines.get()
    assert (line.quantity, line.amount) == (Decimal("120.00"), Decimal("3000.00"))
    assert Entry.objects.get(bill=new, kind=Entry.Kind.CHARGE).amount == Decimal("3000.00")
    assert selectors.balance(account.pk) == Decimal("3000.00")


@pytest.mark.django_db
def test_reissue_uses_the_contract_version_in_force_for_the_period():
    """D1, issue 2 (versioned contracts).
    Given a March bill on version 1 at 25.00, then a corrected version 2 at 28.00
    effective 1 March,
    when the bill is voided and reissued,
    then the new bill uses version 2: 100 × 28.00 = 2800.00."""
    account = office_account()
    run()
    old = bill_of(account)
    v2 = ContractFactory(account=account, version=2, effective_from=MARCH.start, reason="價格更正")
    add_line(v2, "PMF", ContractLine.Basis.PER_AREA, "28.00")

    _, new = void_bill(number=old.number, reason="單價錯誤", on=VOIDED_ON, actor="f", reissue=True)

    assert old.contract.version == 1
    assert (new.contract_id, new.total) == (v2.pk, Decimal("2800.00"))


@pytest.mark.django_db
def test_payment_on_a_voided_bill_moves_to_the_account_credit():
    """D1, P1: what was paid on a voided bill is the payer's money, kept as credit.
    Given a 2500.00 bill of which 1000.00 was paid,
    when the bill is voided without reissue,
    then the account has 1000.00 credit and a balance of -1000.00."""
    account = office_account()
    run()
    bill = bill_of(account)
    record_payment(account=account, amount=Decimal("1000.00"), on=PAID_ON, actor="cashier")

    void_bill(number=bill.number, reason=REASON, on=VOIDED_ON, actor="finance")

    assert selectors.credit(account.pk) == Decimal("1000.00")
    assert selectors.balance(account.pk) == Decimal("-1000.00")
    assert bill_sum(bill) == Decimal("0.00")
    assert selectors.open_debts([account.pk]) == {}
    released = Entry.objects.filter(bill=bill, kind=Entry.Kind.ALLOCATION_RELEASED)
    assert released.aggregate(total=Sum("amount"))["total"] == Decimal("1000.00")


@pytest.mark.django_db
def test_payment_on_a_voided_bill_is_applied_to_the_reissued_bill():
    """D1, P1.
    Given a 2500.00 bill of which 1000.00 was paid, and the area corrected to 120 m²,
    when the bill is voided and reissued,
    then the 1000.00 pays the new 3000.00 bill, no credit is left, and the balance is
    the new bill minus the payment: 2000.00."""
    account = office_account()
    run()
    old = bill_of(account)
    record_payment(account=account, amount=Decimal("1000.00"), on=PAID_ON, actor="cashier")
    correct_area(account, "120.00")

    _, new = void_bill(number=old.number, reason=REASON, on=VOIDED_ON, actor="f", reissue=True)

    assert selectors.credit(account.pk) == Decimal("0.00")
    assert selectors.balance(account.pk) == new.total - Decimal("1000.00") == Decimal("2000.00")
    applied = Entry.objects.filter(bill=new, kind=Entry.Kind.CREDIT_APPLIED)
    assert applied.aggregate(total=Sum("amount"))["total"] == Decimal("-1000.00")
    rows = {row.number: row for row in account_statement(account, as_of=VOIDED_ON).bills}
    assert (rows[old.number].status, rows[old.number].open) == ("void", Decimal("0.00"))
    assert (rows[new.number].paid, rows[new.number].open) == (
        Decimal("1000.00"),
        Decimal("2000.00"),
    )
    assert rows[new.number].replaces == old.number


@pytest.mark.django_db
def test_overpayment_left_by_a_lower_reissued_bill_stays_as_credit():
    """D1, P1.
    Given a 2500.00 bill paid in full, and the area corrected down to 80 m²,
    when the bill is voided and reissued,
    then the new 2000.00 bill is paid from the credit and 500.00 stays as credit:
    the balance is 2000.00 − 2500.00 = −500.00."""
    account = office_account()
    run()
    old = bill_of(account)
    record_payment(account=account, amount=Decimal("2500.00"), on=PAID_ON, actor="cashier")
    correct_area(account, "80.00")

    _, new = void_bill(number=old.number, reason=REASON, on=VOIDED_ON, actor="f", reissue=True)

    assert new.total == Decimal("2000.00")
    assert bill_sum(new) == Decimal("0.00")
    assert selectors.credit(account.pk) == Decimal("500.00")
    assert selectors.balance(account.pk) == Decimal("-500.00")


@pytest.mark.django_db
def test_voiding_a_void_bill_is_refused():
    """D1: a bill is voided once.
    Given a voided bill,
    when it is voided again,
    then a WuyeError bill_void is raised and no further reversal is written."""
    account = office_account()
    run()
    bill = bill_of(account)
    void_bill(number=bill.number, reason=REASON, on=VOIDED_ON, actor="finance")
    entries = Entry.objects.count()

    with pytest.raises(WuyeError) as raised:
        void_bill(number=bill.number, reason="again", on=VOIDED_ON, actor="finance", reissue=True)

    assert raised.value.code == "bill_void"
    assert Entry.objects.count() == entries
    assert Bill.objects.get(number=bill.number).void_reason == REASON
    assert Bill.objects.count() == 1


@pytest.mark.parametrize("reason", ["", "   "])
@pytest.mark.django_db
def test_a_void_needs_a_reason(reason):
    """D1: a void is kept with its reason.
    Given an issued bill,
    when it is voided with no reason,
    then a WuyeError reason_required is raised and the bill stays issued."""
    account = office_account()
    run()
    bill = bill_of(account)

    with pytest.raises(WuyeError) as raised:
        void_bill(number=bill.number, reason=reason, on=VOIDED_ON, actor="finance")

    assert raised.value.code == "reason_required"
    assert Bill.objects.get(pk=bill.pk).status == Bill.Status.ISSUED
    assert not Entry.objects.filter(kind=Entry.Kind.REVERSAL).exists()


@pytest.mark.django_db
def test_voiding_an_unknown_bill_is_not_found():
    """D1: the void names an existing bill."""
    with pytest.raises(NotFound) as raised:
        void_bill(number="HT-202603-09999", reason=REASON, on=VOIDED_ON, actor="finance")

    assert raised.value.code == "not_found"


@pytest.mark.django_db
def test_reissue_with_nothing_to_bill_is_refused_and_the_void_is_undone():
    """D1 (void and reissue is one transaction).
    Given an issued bill whose unit area is then set to 0 (nothing to bill),
    when it is voided with reissue,
    then a WuyeError nothing_to_reissue is raised and the bill, the ledger and the
    number sequence are as before."""
    account = office_account()
    run()
    bill = bill_of(account)
    entries = Entry.objects.count()
    correct_area(account, "0.00")

    with pytest.raises(WuyeError) as raised:
        void_bill(number=bill.number, reason=REASON, on=VOIDED_ON, actor="f", reissue=True)

    assert raised.value.code == "nothing_to_reissue"
    bill.refresh_from_db()
    assert (bill.status, bill.void_reason) == (Bill.Status.ISSUED, "")
    assert Entry.objects.count() == entries
    assert selectors.balance(account.pk) == Decimal("2500.00")
    assert NumberSequence.objects.get(key="bill:HT:202603").last == 1
    assert Bill.objects.count() == 1


@pytest.mark.django_db
def test_reissued_fixed_day_bill_gets_its_due_date_again():
    """D1, E1.
    Given a fixed-day March 2026 bill (due Tuesday 31 March),
    when it is voided and reissued on 10 March,
    then the new bill is again due on 31 March."""
    account = office_account(payment_term=Contract.Term.FIXED_DAY)
    run()
    old = bill_of(account)

    _, new = void_bill(number=old.number, reason=REASON, on=VOIDED_ON, actor="f", reissue=True)

    assert old.due_date == new.due_date == dt.date(2026, 3, 31)
