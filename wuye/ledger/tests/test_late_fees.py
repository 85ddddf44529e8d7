"""Rule L1, the late fee: the pure computation and the run that posts it."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wuye.billing.models import Contract, ContractLine
from wuye.billing.services import issue_bills_for_project, record_bill_receipt
from wuye.dates import Period
from wuye.ledger import selectors
from wuye.ledger.late_fee_run import run_late_fees
from wuye.ledger.late_fees import late_fee
from wuye.ledger.models import Entry
from wuye.payments.services import record_payment
from wuye.testing.factories import add_line, office_account, supply

D = Decimal
DUE = dt.date(2026, 3, 10)
RATE = D("0.0005")


def fee(as_of, *changes, cap=None):
    return late_fee(due_date=DUE, as_of=as_of, rate=RATE, principal_changes=list(changes), cap=cap)


def test_no_fee_on_or_before_the_due_date():
    """L1: accrual starts the day after the due date; paying on the due date is on time (E1)."""
    assert fee(DUE, (dt.date(2026, 3, 1), D("1000"))) == 0


def test_fee_covers_days_overdue():
    """L1: 1000 × 0.5‰ × 10 days overdue = 5.00."""
    assert fee(dt.date(2026, 3, 20), (dt.date(2026, 3, 1), D("1000"))) == D("5.00")


def test_part_payment_lowers_the_next_days_fee():
    """L1: paid 600 on day 5 overdue: 5 days on 1000, then 5 days on 400."""
    changes = [(dt.date(2026, 3, 1), D("1000")), (dt.date(2026, 3, 15), D("-600"))]
    assert fee(dt.date(2026, 3, 20), *changes) == D("2.50") + D("1.00")


def test_each_stretch_is_rounded_once_half_up():
    """L1: 333.33 × 0.5‰ × 3 = 0.499995 → 0.50 (one rounding for the stretch)."""
    assert fee(dt.date(2026, 3, 13), (dt.date(2026, 3, 1), D("333.33"))) == D("0.50")


def test_fee_is_capped():
    """L1: the cap per policy (the principal)."""
    assert fee(dt.date(2030, 1, 1), (dt.date(2026, 3, 1), D("100")), cap=D("50")) == D("50")
    assert fee(dt.date(2030, 1, 1), (dt.date(2026, 3, 1), D("100"))) == D("69.65")


@given(
    st.lists(st.tuples(st.integers(1, 60), st.integers(1, 50000)), min_size=0, max_size=6),
    st.integers(1, 90),
)
def test_total_does_not_depend_on_how_often_runs_happen(payments, days):
    """L1 Reading: the fee is a function of the stretches only, so it is the same whether
    computed once at the end or accumulated run after run (each run posts the difference)."""
    changes = [(dt.date(2026, 3, 1), D("1000.00"))] + [
        (DUE + dt.timedelta(days=d), -D(cents) / 100) for d, cents in payments
    ]
    as_of = DUE + dt.timedelta(days=days)
    posted = D(0)
    for k in range(1, days + 1):
        posted += fee(DUE + dt.timedelta(days=k), *changes) - posted
    assert posted == fee(as_of, *changes)
    assert posted == posted.quantize(D("0.01"))
    assert posted >= 0


def _overdue_office_bill(**contract_kwargs):
    """An office bill of 2500.00 (100 m² × 25), received 2026-03-02, due 2026-03-09."""
    account = office_account(start=dt.date(2026, 1, 1), **contract_kwargs)
    project = account.project
    issue_bills_for_project(
        project=project, period=Period.parse("2026-03"), on=dt.date(2026, 3, 2), actor="fin"
    )
    bill = account.bills.get()
    record_bill_receipt(number=bill.number, received_on=dt.date(2026, 3, 2), actor="cs")
    bill.refresh_from_db()
    assert bill.due_date == dt.date(2026, 3, 9)
    return account, bill


def late_fees_posted(account):
    return selectors.totals_by_kind(account.pk).get(Entry.Kind.LATE_FEE, D(0))


@pytest.mark.django_db
def test_run_posts_the_late_fee_and_a_rerun_changes_nothing():
    """L1: posted by the run for the as-of date, idempotently."""
    account, _bill = _overdue_office_bill()
    run_late_fees(project=account.project, as_of=dt.date(2026, 3, 19), actor="fin")
    assert late_fees_posted(account) == D("12.50")  # 2500 × 0.5‰ × 10
    count = Entry.objects.count()
    again = run_late_fees(project=account.project, as_of=dt.date(2026, 3, 19), actor="fin")
    assert again.entries == 0 and Entry.objects.count() == count
    run_late_fees(project=account.project, as_of=dt.date(2026, 3, 21), actor="fin")
    assert late_fees_posted(account) == D("15.00")


@pytest.mark.django_db
def test_dry_run_writes_nothing():
    account, _bill = _overdue_office_bill()
    count = Entry.objects.count()
    result = run_late_fees(
        project=account.project, as_of=dt.date(2026, 3, 19), actor="fin", dry_run=True
    )
    assert result.posted == D("12.50") and Entry.objects.count() == count


@pytest.mark.django_db
def test_back_dated_payment_makes_the_next_run_post_a_correction():
    """L1 Reading: a payment recorded later with an earlier value date makes the next run
    post a reversing correction; what was paid on the late fee beyond it returns to credit."""
    account, _bill = _overdue_office_bill()
    run_late_fees(project=account.project, as_of=dt.date(2026, 3, 19), actor="fin")
    # the client paid in full on 2026-03-11 (2 days overdue), booked only now
    record_payment(account=account, amount=D("2512.50"), on=dt.date(2026, 3, 11), actor="fin")
    run_late_fees(project=account.project, as_of=dt.date(2026, 3, 20), actor="fin")
    assert late_fees_posted(account) == D("2.50")  # 2 days on 2500
    assert selectors.balance(account.pk) == D("-10.00")
    assert selectors.credit(account.pk) == D("10.00")


@pytest.mark.django_db
def test_payment_pays_the_late_fee_before_the_principal():
    """P1 (art. 561): within one debt, late fee before principal."""
    account, _bill = _overdue_office_bill()
    run_late_fees(project=account.project, as_of=dt.date(2026, 3, 19), actor="fin")
    record_payment(account=account, amount=D("100.00"), on=dt.date(2026, 3, 19), actor="fin")
    open_ = {d.component: d.open for d in selectors.open_debts([account.pk])[account.pk]}
    assert open_ == {"principal": D("2412.50")}


@pytest.mark.django_db
def test_no_late_fee_without_a_contract_clause():
    """L1: only with a contract clause."""
    account, _bill = _overdue_office_bill(late_fee_clause=False)
    run_late_fees(project=account.project, as_of=dt.date(2026, 4, 30), actor="fin")
    assert late_fees_posted(account) == 0


@pytest.mark.django_db
def test_pass_through_items_bear_no_late_fee():
    """L1, X5: shared utilities collected for a supplier bear no late fee."""
    account = office_account(start=dt.date(2026, 1, 1))
    contract = account.contracts.get()
    add_line(contract, "ELEC", ContractLine.Basis.SUPPLIED, "0")
    supply(account, "ELEC", dt.date(2026, 3, 1), "300.00")
    issue_bills_for_project(
        project=account.project,
        period=Period.parse("2026-03"),
        on=dt.date(2026, 3, 2),
        actor="fin",
    )
    bill = account.bills.get()
    record_bill_receipt(number=bill.number, received_on=dt.date(2026, 3, 2), actor="cs")
    run_late_fees(project=account.project, as_of=dt.date(2026, 3, 19), actor="fin")
    fees = Entry.objects.filter(kind=Entry.Kind.LATE_FEE)
    assert {e.fee_item.code for e in fees} == {"PMF"}
    assert late_fees_posted(account) == D("12.50")


@pytest.mark.django_db
def test_contract_rate_is_used():
    """L1: rate x per contract (here 1‰)."""
    account, _bill = _overdue_office_bill(late_fee_rate=D("0.001000"))
    assert account.contracts.get().payment_term == Contract.Term.AFTER_RECEIPT
    run_late_fees(project=account.project, as_of=dt.date(2026, 3, 19), actor="fin")
    assert late_fees_posted(account) == D("25.00")
