"""Payments, refunds and reversals against the database (rule P1, Money, D1).

Every date is passed explicitly; the clock is never read (see conftest.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from wuye.billing.models import Bill, BillLine, ContractLine, NumberSequence
from wuye.billing.services import issue_bills_for_project, record_bill_receipt, void_bill
from wuye.dates import Period
from wuye.errors import WuyeError
from wuye.ledger import selectors
from wuye.ledger.models import Entry
from wuye.money import money
from wuye.payments.models import Payment, PaymentReversal, Refund
from wuye.payments.services import record_payment, refund, reverse_payment
from wuye.properties.models import Account
from wuye.testing.factories import (
    BuildingFactory,
    ProjectFactory,
    UnitFactory,
    add_line,
    office_account,
)

pytestmark = pytest.mark.django_db

D = Decimal
JAN = Period(dt.date(2026, 1, 1))
FEB = Period(dt.date(2026, 2, 1))
MAR = Period(dt.date(2026, 3, 1))
# A fixed booking time for entries the tests write themselves (not a business date).
STAMP = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
PRINCIPAL = Entry.Component.PRINCIPAL
LATE_FEE = Entry.Component.LATE_FEE


# --- helpers -----------------------------------------------------------------------------


def issue(account: Account, period: Period, on: dt.date | None = None) -> Bill:
    """Run the bill run for the account's project and return the account's live bill."""
    issue_bills_for_project(
        project=account.project, period=period, on=on or period.start, actor="billing"
    )
    return live_bill(account, period)


def live_bill(account: Account, period: Period) -> Bill:
    return Bill.objects.get(account=account, period_start=period.start, status=Bill.Status.ISSUED)


def lines(bill: Bill) -> list[BillLine]:
    return list(bill.lines.select_related("fee_item").order_by("id"))


def open_on(line: BillLine, component: str = PRINCIPAL) -> Decimal:
    """What is still owed on one component of one bill line: the sum of its entries."""
    total = Entry.objects.filter(bill_line=line, component=component).aggregate(
        total=Sum("amount")
    )["total"]
    return money(total or 0)


def open_on_bill(bill: Bill) -> Decimal:
    total = Entry.objects.filter(bill=bill, bill_line__isnull=False).aggregate(total=Sum("amount"))[
        "total"
    ]
    return money(total or 0)


def allocated(payment: Payment) -> dict[tuple[str | None, str | None, str], Decimal]:
    """What a payment paid, by (bill number, fee item code, component); None = credit."""
    result: dict[tuple[str | None, str | None, str], Decimal] = {}
    for e in Entry.objects.filter(payment=payment, kind=Entry.Kind.PAYMENT).select_related(
        "bill", "fee_item"
    ):
        key = (
            e.bill.number if e.bill_id else None,
            e.fee_item.code if e.fee_item_id else None,
            e.component,
        )
        result[key] = result.get(key, D("0.00")) - e.amount
    return result


def pay(account: Account, amount: str, on: dt.date, **kwargs) -> Payment:
    return record_payment(account=account, amount=D(amount), on=on, actor="cashier-wang", **kwargs)


def post_late_fee(bill: Bill, line: BillLine, amount: str, on: dt.date) -> Entry:
    """A late fee as the future late-fee run will post it (rule L1)."""
    return Entry.objects.create(
        account_id=bill.account_id,
        kind=Entry.Kind.LATE_FEE,
        component=LATE_FEE,
        bill=bill,
        bill_line=line,
        fee_item=line.fee_item,
        amount=D(amount),
        entry_date=on,
        value_date=on,
        actor="late-fee-run",
        created_at=STAMP,
        reason="L1 test",
    )


def entry_rows() -> list[dict]:
    return list(Entry.objects.order_by("pk").values())


def receipt_counter(project_code: str = "HT", year: int = 2026) -> int:
    row = NumberSequence.objects.filter(key=f"receipt:{project_code}:{year}").first()
    return row.last if row else 0


@pytest.fixture
def account() -> Account:
    """An office account: 100 m² at 25.00 = 2,500.00 property fee a month."""
    return office_account(area="100.00", price="25.00")


@pytest.fixture
def other_account() -> Account:
    return office_account(area="50.00", price="25.00")


# --- receipt numbers -----------------------------------------------------------------------


def test_receipt_numbers_are_gapless_per_project_and_year(account):
    """P1, numbering: given payments in one project, when recorded, then receipts are numbered
    HT-R2026-000001, -000002 in order; a new year starts again at 000001; another project
    has its own sequence."""
    other_project = ProjectFactory(code="GZ", name="廣州項目")
    other_unit = UnitFactory(building=BuildingFactory(project=other_project, code="A"))
    other_account = office_account(unit=other_unit)

    first = pay(account, "100.00", dt.date(2026, 1, 5))
    second = pay(account, "100.00", dt.date(2026, 1, 6))
    elsewhere = pay(other_account, "100.00", dt.date(2026, 1, 6))
    third = pay(account, "100.00", dt.date(2026, 12, 31))
    next_year = pay(account, "100.00", dt.date(2027, 1, 2))

    assert [first.receipt_number, second.receipt_number, third.receipt_number] == [
        "HT-R2026-000001",
        "HT-R2026-000002",
        "HT-R2026-000003",
    ]
    assert next_year.receipt_number == "HT-R2027-000001"
    assert elsewhere.receipt_number == "GZ-R2026-000001"


def test_refused_payment_takes_no_receipt_number(account, other_account):
    """P1, numbering (gapless): given a payment refused for a bill of another account, when
    the next good payment is recorded, then it gets the next number with no gap."""
    other_bill = issue(other_account, JAN)
    pay(account, "100.00", dt.date(2026, 1, 5))

    with pytest.raises(WuyeError):
        pay(account, "100.00", dt.date(2026, 1, 6), bill_number=other_bill.number)
    following = pay(account, "100.00", dt.date(2026, 1, 7))

    assert following.receipt_number == "HT-R2026-000002"


# --- allocation order (P1) -------------------------------------------------------------------


def test_payment_pays_the_oldest_bill_first(account):
    """P1: given bills for January and February, when a payment covers one month, then the
    January bill is paid and February stays open."""
    jan = issue(account, JAN)
    feb = issue(account, FEB)

    payment = pay(account, "2500.00", dt.date(2026, 2, 10))

    assert allocated(payment) == {(jan.number, "PMF", PRINCIPAL): D("2500.00")}
    assert open_on_bill(jan) == D("0.00")
    assert open_on_bill(feb) == D("2500.00")


def test_designated_bill_is_paid_first_even_if_newer(account):
    """P1 (art. 560, designation): given January and February bills, when the payer
    designates February, then February is paid first and only the rest goes to January."""
    jan = issue(account, JAN)
    feb = issue(account, FEB)

    payment = pay(account, "3000.00", dt.date(2026, 2, 10), bill_number=feb.number)

    assert allocated(payment) == {
        (feb.number, "PMF", PRINCIPAL): D("2500.00"),
        (jan.number, "PMF", PRINCIPAL): D("500.00"),
    }
    assert payment.designated_bill_id == feb.pk
    assert open_on_bill(jan) == D("2000.00")


def test_due_bill_is_paid_before_an_older_bill_not_yet_due(account):
    """P1 (art. 560: due debts first), E1: given an older January bill never received (not
    yet due) and a February bill received and past its due date, when paid, then February
    is paid first."""
    jan = issue(account, JAN)
    feb = issue(account, FEB)
    feb = record_bill_receipt(number=feb.number, received_on=dt.date(2026, 2, 2), actor="li")
    paid_on = feb.due_date + dt.timedelta(days=3)

    payment = pay(account, "2500.00", paid_on)

    assert allocated(payment) == {(feb.number, "PMF", PRINCIPAL): D("2500.00")}
    assert open_on_bill(jan) == D("2500.00")


def test_payment_is_shared_pro_rata_over_the_fee_items_of_a_bill():
    """P1: given a bill of three equal fee items (100.00 each), when 100.00 is paid, then they
    get 33.34 / 33.33 / 33.33 in line order and the shares add up to the payment."""
    account = office_account(area="100.00", price="1.00")
    contract = account.contracts.get()
    add_line(contract, "ELV", ContractLine.Basis.FIXED, "100.00")
    add_line(contract, "PARK", ContractLine.Basis.FIXED, "100.00")
    bill = issue(account, JAN)
    bill_lines = lines(bill)
    assert [line.amount for line in bill_lines] == [D("100.00")] * 3

    payment = pay(account, "100.00", dt.date(2026, 1, 10))

    shares = [
        -sum(e.amount for e in Entry.objects.filter(payment=payment, bill_line=line))
        for line in bill_lines
    ]
    assert shares == [D("33.34"), D("33.33"), D("33.33")]
    assert [open_on(line) for line in bill_lines] == [D("66.66"), D("66.67"), D("66.67")]


def test_payment_is_shared_in_proportion_to_the_open_amount_of_each_fee_item(account):
    """P1: given a bill with property fee 2,500.00 and elevator fee 500.00, when 1,200.00 is
    paid, then they get 1,000.00 and 200.00 (5:1)."""
    add_line(account.contracts.get(), "ELV", ContractLine.Basis.FIXED, "500.00")
    bill = issue(account, JAN)

    payment = pay(account, "1200.00", dt.date(2026, 1, 10))

    assert allocated(payment) == {
        (bill.number, "PMF", PRINCIPAL): D("1000.00"),
        (bill.number, "ELV", PRINCIPAL): D("200.00"),
    }


def test_late_fee_is_paid_before_principal(account):
    """P1 (art. 561: late fee before principal), L1: given a bill line with a late fee of
    12.50 posted on it, when 100.00 is paid, then the late fee is paid in full and 87.50
    goes to principal."""
    bill = issue(account, JAN)
    (line,) = lines(bill)
    post_late_fee(bill, line, "12.50", dt.date(2026, 2, 1))

    payment = pay(account, "100.00", dt.date(2026, 2, 2))

    assert allocated(payment) == {
        (bill.number, "PMF", LATE_FEE): D("12.50"),
        (bill.number, "PMF", PRINCIPAL): D("87.50"),
    }
    assert open_on(line, LATE_FEE) == D("0.00")
    assert open_on(line, PRINCIPAL) == D("2412.50")


def test_principal_is_paid_first_when_the_contract_says_so():
    """P1 (a contract may choose principal before late fee): given late_fee_first=False and a
    late fee of 12.50, when 100.00 is paid, then all of it goes to principal."""
    account = office_account(area="100.00", price="25.00", late_fee_first=False)
    bill = issue(account, JAN)
    (line,) = lines(bill)
    post_late_fee(bill, line, "12.50", dt.date(2026, 2, 1))

    payment = pay(account, "100.00", dt.date(2026, 2, 2))

    assert allocated(payment) == {(bill.number, "PMF", PRINCIPAL): D("100.00")}
    assert open_on(line, LATE_FEE) == D("12.50")


# --- overpayment, credit and refunds -----------------------------------------------------------


def test_overpayment_stays_as_credit(account):
    """P1: given a 2,500.00 bill, when 3,000.00 is paid, then the bill is paid and 500.00
    stays unallocated as the account's credit (balance −500.00)."""
    bill = issue(account, JAN)

    payment = pay(account, "3000.00", dt.date(2026, 1, 10))

    assert allocated(payment) == {
        (bill.number, "PMF", PRINCIPAL): D("2500.00"),
        (None, None, ""): D("500.00"),
    }
    assert selectors.credit(account.pk) == D("500.00")
    assert selectors.balance(account.pk) == D("-500.00")


def test_payment_with_no_bill_is_all_credit(account):
    """P1: given no bill yet, when 800.00 is paid in advance, then all of it is credit."""
    pay(account, "800.00", dt.date(2026, 1, 10))

    assert selectors.credit(account.pk) == D("800.00")


def test_credit_is_used_by_the_next_bill_run(account):
    """P1 (overpayment used by the next bill): given a credit of 500.00, when the February
    bill run issues a 2,500.00 bill, then the credit pays 500.00 of it."""
    issue(account, JAN)
    pay(account, "3000.00", dt.date(2026, 1, 10))

    feb = issue(account, FEB, on=dt.date(2026, 2, 1))

    assert selectors.credit(account.pk) == D("0.00")
    assert open_on_bill(feb) == D("2000.00")
    applied = Entry.objects.filter(kind=Entry.Kind.CREDIT_APPLIED, bill=feb)
    assert [(e.amount, e.entry_date) for e in applied] == [(D("-500.00"), dt.date(2026, 2, 1))]
    assert selectors.balance(account.pk) == D("2000.00")


def test_credit_larger_than_the_next_bill_pays_it_and_keeps_the_rest(account):
    """P1: given a credit of 3,000.00 paid in advance, when the January bill run issues
    2,500.00, then the bill is paid in full and 500.00 credit remains."""
    pay(account, "3000.00", dt.date(2025, 12, 20))

    jan = issue(account, JAN)

    assert open_on_bill(jan) == D("0.00")
    assert selectors.credit(account.pk) == D("500.00")


def test_refund_lowers_credit_by_a_refund_entry_with_reason_and_who(account):
    """P1, Money (every change has who, when, why): given a credit of 500.00, when 200.00 is
    refunded, then the credit is 300.00, through a refund entry carrying reason and actor."""
    issue(account, JAN)
    pay(account, "3000.00", dt.date(2026, 1, 10))

    row = refund(
        account=account,
        amount=D("200.00"),
        on=dt.date(2026, 1, 20),
        actor="finance-chen",
        reason="客戶要求退回多付款",
    )

    assert selectors.credit(account.pk) == D("300.00")
    assert row.number == "HT-F2026-000001"
    (entry,) = Entry.objects.filter(kind=Entry.Kind.REFUND)
    assert entry.refund_id == row.pk
    assert (entry.amount, entry.actor, entry.reason) == (
        D("200.00"),
        "finance-chen",
        "客戶要求退回多付款",
    )
    assert (entry.bill_line_id, entry.value_date) == (None, dt.date(2026, 1, 20))


def test_refund_of_the_whole_credit_leaves_none(account):
    """P1: given a credit of 500.00, when exactly 500.00 is refunded, then the credit is 0."""
    pay(account, "500.00", dt.date(2026, 1, 10))

    refund(account=account, amount=D("500.00"), on=dt.date(2026, 1, 20), actor="f", reason="退款")

    assert selectors.credit(account.pk) == D("0.00")
    assert selectors.balance(account.pk) == D("0.00")


def test_refund_above_the_credit_is_refused_and_writes_nothing(account):
    """P1, Money: given a credit of 500.00, when 500.01 is refunded, then it is refused with
    refund_exceeds_credit and no entry, refund or number is written."""
    issue(account, JAN)
    pay(account, "3000.00", dt.date(2026, 1, 10))
    before = entry_rows()

    with pytest.raises(WuyeError) as refused:
        refund(account=account, amount=D("500.01"), on=dt.date(2026, 1, 20), actor="f", reason="x")

    assert refused.value.code == "refund_exceeds_credit"
    assert entry_rows() == before
    assert Refund.objects.count() == 0
    assert not NumberSequence.objects.filter(key__startswith="refund:").exclude(last=0).exists()
    assert selectors.credit(account.pk) == D("500.00")


def test_refund_without_credit_is_refused(account):
    """P1: given an account that owes money (no credit), when a refund is asked, then it is
    refused with refund_exceeds_credit."""
    issue(account, JAN)

    with pytest.raises(WuyeError) as refused:
        refund(account=account, amount=D("0.01"), on=dt.date(2026, 1, 20), actor="f", reason="x")

    assert refused.value.code == "refund_exceeds_credit"


def test_refund_needs_a_reason(account):
    """Money (every change has who, when, why): given a credit, when a refund has a blank
    reason, then it is refused with reason_required and nothing is written."""
    pay(account, "500.00", dt.date(2026, 1, 10))
    before = entry_rows()

    with pytest.raises(WuyeError) as refused:
        refund(account=account, amount=D("100.00"), on=dt.date(2026, 1, 20), actor="f", reason=" ")

    assert refused.value.code == "reason_required"
    assert entry_rows() == before


# --- reversals ---------------------------------------------------------------------------------


def test_reversed_payment_makes_the_debt_open_again(account):
    """P1, Money (corrections are reversing entries): given a paid January bill, when the
    payment is reversed (bounced), then the bill is open again by reversal entries that each
    undo one payment entry, and the payment row is kept unchanged."""
    bill = issue(account, JAN)
    payment = pay(account, "2500.00", dt.date(2026, 1, 10))
    payment_row = Payment.objects.values().get(pk=payment.pk)

    reversal = reverse_payment(
        receipt_number=payment.receipt_number,
        on=dt.date(2026, 1, 15),
        actor="finance-chen",
        reason="支票退票",
    )

    assert open_on_bill(bill) == D("2500.00")
    assert selectors.balance(account.pk) == D("2500.00")
    assert (reversal.reason, reversal.actor, reversal.reversed_on) == (
        "支票退票",
        "finance-chen",
        dt.date(2026, 1, 15),
    )
    originals = {e.pk: e for e in Entry.objects.filter(payment=payment, kind=Entry.Kind.PAYMENT)}
    undone = Entry.objects.filter(payment=payment, kind=Entry.Kind.REVERSAL)
    assert sorted(e.reverses_id for e in undone) == sorted(originals)
    assert all(e.amount == -originals[e.reverses_id].amount for e in undone)
    assert Payment.objects.values().get(pk=payment.pk) == payment_row


def test_payment_cannot_be_reversed_twice(account):
    """Money: given a reversed payment, when it is reversed again, then it is refused with
    already_reversed and nothing is written."""
    issue(account, JAN)
    payment = pay(account, "2500.00", dt.date(2026, 1, 10))
    reverse_payment(
        receipt_number=payment.receipt_number, on=dt.date(2026, 1, 15), actor="f", reason="退票"
    )
    before = entry_rows()

    with pytest.raises(WuyeError) as refused:
        reverse_payment(
            receipt_number=payment.receipt_number, on=dt.date(2026, 1, 16), actor="f", reason="再"
        )

    assert refused.value.code == "already_reversed"
    assert entry_rows() == before
    assert PaymentReversal.objects.count() == 1
    assert selectors.balance(account.pk) == D("2500.00")


def test_reversal_needs_a_reason(account):
    """Money (who, when, why): given a payment, when a reversal has no reason, then it is
    refused with reason_required."""
    payment = pay(account, "100.00", dt.date(2026, 1, 10))

    with pytest.raises(WuyeError) as refused:
        reverse_payment(
            receipt_number=payment.receipt_number, on=dt.date(2026, 1, 15), actor="f", reason=""
        )

    assert refused.value.code == "reason_required"
    assert not PaymentReversal.objects.exists()


def test_reversal_takes_back_credit_already_applied_to_a_later_bill(account):
    """P1: given 3,000.00 paid on a 2,500.00 January bill whose 500.00 credit paid part of
    February, when the payment is reversed, then both bills are fully open again and no
    credit is left."""
    jan = issue(account, JAN)
    payment = pay(account, "3000.00", dt.date(2026, 1, 10))
    feb = issue(account, FEB)
    assert open_on_bill(feb) == D("2000.00")

    reverse_payment(
        receipt_number=payment.receipt_number, on=dt.date(2026, 2, 5), actor="f", reason="退票"
    )

    assert open_on_bill(jan) == D("2500.00")
    assert open_on_bill(feb) == D("2500.00")
    assert selectors.credit(account.pk) == D("0.00")
    assert selectors.balance(account.pk) == D("5000.00")


def test_reversal_of_one_payment_leaves_another_payments_credit_in_use(account):
    """P1: given two advance payments (1,000.00 then 2,000.00) used by a 2,500.00 bill, when
    the first is reversed, then the bill is open by 1,000.00 and no credit is left."""
    first = pay(account, "1000.00", dt.date(2025, 12, 10))
    pay(account, "2000.00", dt.date(2025, 12, 20))
    jan = issue(account, JAN)
    assert selectors.credit(account.pk) == D("500.00")

    reverse_payment(
        receipt_number=first.receipt_number, on=dt.date(2026, 1, 5), actor="f", reason="退票"
    )

    assert selectors.credit(account.pk) == D("0.00")
    assert open_on_bill(jan) == D("500.00")
    assert selectors.balance(account.pk) == D("500.00")


def test_reversed_payment_whose_credit_was_refunded_is_owed_first(account):
    """P1, Money: given 3,000.00 paid on a 2,500.00 bill and its 500.00 credit refunded, when
    the payment bounces, then 3,000.00 is owed (2,500.00 on the bill, 500.00 outside any
    bill), and the next payment settles the 500.00 before the bill."""
    bill = issue(account, JAN)
    payment = pay(account, "3000.00", dt.date(2026, 1, 10))
    refund(account=account, amount=D("500.00"), on=dt.date(2026, 1, 11), actor="f", reason="退")
    reverse_payment(
        receipt_number=payment.receipt_number, on=dt.date(2026, 1, 15), actor="f", reason="退票"
    )
    assert selectors.balance(account.pk) == D("3000.00")
    assert selectors.credit(account.pk) == D("-500.00")

    following = pay(account, "600.00", dt.date(2026, 1, 20))

    assert allocated(following) == {
        (None, None, ""): D("500.00"),
        (bill.number, "PMF", PRINCIPAL): D("100.00"),
    }
    assert selectors.credit(account.pk) == D("0.00")
    assert open_on_bill(bill) == D("2400.00")


# --- payments and voided bills (D1) ----------------------------------------------------------


def test_payment_on_a_voided_bill_goes_to_credit_and_pays_the_corrected_bill(account):
    """D1, P1: given a paid January bill, when it is voided and reissued, then what was paid
    moves to credit and pays the corrected bill; the voided bill owes nothing."""
    jan = issue(account, JAN)
    pay(account, "2500.00", dt.date(2026, 1, 10))

    voided, replacement = void_bill(
        number=jan.number, reason="面積錯誤", on=dt.date(2026, 1, 12), actor="f", reissue=True
    )

    assert open_on_bill(voided) == D("0.00")
    assert open_on_bill(replacement) == D("0.00")
    assert selectors.credit(account.pk) == D("0.00")
    assert selectors.balance(account.pk) == D("0.00")


def test_reversing_a_payment_on_a_since_voided_bill_does_not_reopen_the_voided_bill(account):
    """D1, P1: given 1,000.00 paid on a January bill that was then voided without reissue
    (the 1,000.00 became credit), when the payment bounces, then the credit is gone, nothing
    is owed on the voided bill and the account owes nothing — no refundable credit is left
    from money never received."""
    jan = issue(account, JAN)
    payment = pay(account, "1000.00", dt.date(2026, 1, 10))
    void_bill(number=jan.number, reason="發錯帳戶", on=dt.date(2026, 1, 12), actor="f")
    assert selectors.credit(account.pk) == D("1000.00")

    reverse_payment(
        receipt_number=payment.receipt_number, on=dt.date(2026, 1, 15), actor="f", reason="退票"
    )

    assert open_on_bill(jan) == D("0.00")
    assert not Entry.objects.filter(bill=jan, kind=Entry.Kind.CREDIT_APPLIED).exists()
    assert selectors.credit(account.pk) == D("0.00")
    assert selectors.balance(account.pk) == D("0.00")
    with pytest.raises(WuyeError) as refused:
        refund(account=account, amount=D("0.01"), on=dt.date(2026, 1, 16), actor="f", reason="x")
    assert refused.value.code == "refund_exceeds_credit"


def test_reversing_a_payment_on_a_since_voided_bill_reopens_the_bill_its_credit_paid(account):
    """D1, P1: given January paid, February issued, then January voided so the payment's
    2,500.00 moved as credit onto February, when the payment bounces, then February is open
    again in full and the voided January bill owes nothing."""
    jan = issue(account, JAN)
    payment = pay(account, "2500.00", dt.date(2026, 1, 10))
    feb = issue(account, FEB)
    void_bill(number=jan.number, reason="發錯帳戶", on=dt.date(2026, 2, 3), actor="f")
    assert open_on_bill(feb) == D("0.00")

    reverse_payment(
        receipt_number=payment.receipt_number, on=dt.date(2026, 2, 5), actor="f", reason="退票"
    )

    assert open_on_bill(jan) == D("0.00")
    assert open_on_bill(feb) == D("2500.00")
    assert selectors.credit(account.pk) == D("0.00")
    assert selectors.balance(account.pk) == D("2500.00")


# --- refused payments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    [
        D("0"),
        D("0.00"),
        D("-100.00"),
        D("100.001"),
        D("0.005"),
        100.5,
        D("NaN"),
        D("Infinity"),
        D("1000000000000.00"),
    ],
    ids=[
        "zero",
        "zero-2dp",
        "negative",
        "three-decimals",
        "half-fen",
        "float",
        "nan",
        "infinity",
        "above-max-amount",
    ],
)
def test_invalid_amounts_are_refused_and_write_nothing(account, amount):
    """Money (exact, 2 decimals, never floats; at most MAX_AMOUNT, what one entry can hold):
    given an invalid amount, when recorded, then it is refused with invalid_amount (a
    WuyeError, not a traceback), and no payment, entry or receipt number is used."""
    issue(account, JAN)
    before = entry_rows()

    with pytest.raises(WuyeError) as refused:
        record_payment(account=account, amount=amount, on=dt.date(2026, 1, 10), actor="c")

    assert refused.value.code == "invalid_amount"
    assert entry_rows() == before
    assert not Payment.objects.exists()
    assert receipt_counter() == 0


@pytest.mark.parametrize("amount", [D("0.00"), D("-1.00"), D("1.001"), 1.0, D("NaN")])
def test_invalid_refund_amounts_are_refused(account, amount):
    """Money: given a credit, when a refund amount is 0, negative, has 3 decimals, is a float
    or not a number, then it is refused with invalid_amount and nothing is written."""
    pay(account, "500.00", dt.date(2026, 1, 10))
    before = entry_rows()

    with pytest.raises(WuyeError) as refused:
        refund(account=account, amount=amount, on=dt.date(2026, 1, 20), actor="f", reason="x")

    assert refused.value.code == "invalid_amount"
    assert entry_rows() == before


def test_designated_bill_of_another_account_is_refused(account, other_account):
    """P1: given a bill of another account, when a payment designates it, then it is refused
    with bill_not_of_account and nothing is written."""
    issue(account, JAN)
    other_bill = live_bill(other_account, JAN)
    before = entry_rows()

    with pytest.raises(WuyeError) as refused:
        pay(account, "100.00", dt.date(2026, 1, 10), bill_number=other_bill.number)

    assert refused.value.code == "bill_not_of_account"
    assert entry_rows() == before
    assert not Payment.objects.exists()
    assert receipt_counter() == 0


def test_designated_void_bill_is_refused(account):
    """P1, D1: given a voided bill, when a payment designates it, then it is refused."""
    jan = issue(account, JAN)
    void_bill(number=jan.number, reason="錯", on=dt.date(2026, 1, 5), actor="f")

    with pytest.raises(WuyeError) as refused:
        pay(account, "100.00", dt.date(2026, 1, 10), bill_number=jan.number)

    assert refused.value.code == "bill_void"
    assert not Payment.objects.exists()


def test_designated_unknown_bill_is_refused(account):
    """P1: given no such bill, when a payment designates it, then it is refused (not_found)."""
    with pytest.raises(WuyeError) as refused:
        pay(account, "100.00", dt.date(2026, 1, 10), bill_number="HT-202601-99999")

    assert refused.value.code == "not_found"
    assert not Payment.objects.exists()


def test_unknown_payment_method_is_refused(account):
    """P1: given a method that is not one of the known ones, when recorded, then refused."""
    with pytest.raises(WuyeError) as refused:
        pay(account, "100.00", dt.date(2026, 1, 10), method="bitcoin")

    assert refused.value.code == "invalid_method"
    assert not Payment.objects.exists()


# --- append-only -------------------------------------------------------------------------------


def test_money_moves_only_by_new_entries_never_by_edits(account, other_account):
    """Money, STYLE §4 (append-only ledger): given a history of bill runs, late fee, payments,
    overpayment, refund, reversal and a void, when each step runs, then the entry count only
    grows and every earlier entry, payment, refund and bill line is unchanged."""
    snapshots: list[tuple[list[dict], list[dict], list[dict], list[dict]]] = []

    def snapshot():
        return (
            entry_rows(),
            list(Payment.objects.order_by("pk").values()),
            list(Refund.objects.order_by("pk").values()),
            list(BillLine.objects.order_by("pk").values()),
        )

    def step(action):
        before = snapshot()
        action()
        after = snapshot()
        for old, new in zip(before, after, strict=True):
            assert len(new) >= len(old)
            assert new[: len(old)] == old, "an earlier row was changed or deleted"
        snapshots.append(after)

    jan = issue(account, JAN)
    (line,) = lines(jan)
    step(lambda: post_late_fee(jan, line, "10.00", dt.date(2026, 1, 20)))
    step(lambda: pay(account, "1000.00", dt.date(2026, 1, 21)))
    step(lambda: pay(account, "2000.00", dt.date(2026, 1, 22)))
    step(lambda: issue(account, FEB))
    step(lambda: pay(account, "5000.00", dt.date(2026, 2, 10)))
    step(
        lambda: refund(
            account=account, amount=D("100.00"), on=dt.date(2026, 2, 11), actor="f", reason="退"
        )
    )
    step(
        lambda: reverse_payment(
            receipt_number="HT-R2026-000002", on=dt.date(2026, 2, 12), actor="f", reason="退票"
        )
    )
    step(lambda: void_bill(number=jan.number, reason="錯", on=dt.date(2026, 2, 13), actor="f"))
    step(lambda: issue(account, MAR))

    counts = [len(entries) for entries, *_ in snapshots]
    assert counts == sorted(counts) and counts[-1] > counts[0]
    # the totals still reconcile: live charges − payments + refunds
    assert selectors.balance(account.pk) == D("5000.00") - D("6000.00") + D("100.00")
