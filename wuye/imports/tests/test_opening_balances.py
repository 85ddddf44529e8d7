"""Opening balances (issue 3): unpaid bills from before wuye, aged from their original
due dates from the first day (E1, X2, R5), never billed twice, paid oldest first (P1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from wuye.billing.models import Bill
from wuye.billing.services import issue_bills_for_project, void_bill
from wuye.dates import Period
from wuye.imports.tests.helpers import DATA, import_all_csv, run, write_csv
from wuye.ledger import selectors
from wuye.ledger.models import Entry
from wuye.ledger.statements import account_statement
from wuye.payments.services import record_payment
from wuye.properties.models import Account, Project

pytestmark = pytest.mark.django_db

MARCH = Period.parse("2026-03")
OWNER = "A-HT-T1-0301-20250101"  # opening balance 2500.00 for 2025-01, due 2025-01-31
TENANT = "A-HT-T1-0302-20250101"  # opening balance 1250.00 for 2026-02, due 2026-02-28


def account(code: str) -> Account:
    return Account.objects.get(code=code)


def without(*kinds: str) -> dict:
    return {k: v for k, v in DATA.items() if k not in kinds}


@pytest.fixture
def imported(tmp_path):
    import_all_csv(tmp_path)


def test_opening_balance_is_aged_by_its_original_due_date(imported):
    """Issue 3, E1 (days overdue = as_of − due date), aging buckets (defaults).
    Given an opening balance due 2025-01-31 and one due 2026-02-28, imported on
    2026-03-01,
    when the statements are made as of 2026-03-01,
    then the first is 394 days overdue, in bucket 366-730, and the second 1 day, in 0-30:
    aged from the first day as if wuye had issued them."""
    owner = account_statement(account(OWNER), as_of=dt.date(2026, 3, 1))
    tenant = account_statement(account(TENANT), as_of=dt.date(2026, 3, 1))

    [old] = owner.bills
    assert (old.number, old.due_date, old.open, old.days_overdue) == (
        "HT-OB202501-00001",
        dt.date(2025, 1, 31),
        Decimal("2500.00"),
        394,
    )
    assert owner.aging["366-730"] == Decimal("2500.00")
    assert sum(owner.aging.values()) == owner.balance == Decimal("2500.00")
    assert tenant.bills[0].days_overdue == 1
    assert tenant.aging["0-30"] == Decimal("1250.00")


def test_opening_balance_due_more_than_a_year_ago_counts_for_the_one_year_rule(imported):
    """R5 ("the oldest unpaid bill fell due more than a year before the run date"), X2.
    Given the opening balance due 2025-01-31, then on 2026-02-01 its due date plus one
    year is before the run date, and the bill keeps its period end for limitation (X2:
    each fee period is its own debt)."""
    bill = Bill.objects.get(account__code=OWNER)
    run_date = dt.date(2026, 2, 1)

    assert bill.due_date.replace(year=bill.due_date.year + 1) < run_date
    assert account_statement(account(OWNER), as_of=run_date).bills[0].days_overdue == 366
    assert (bill.period_start, bill.period_end) == (dt.date(2025, 1, 1), dt.date(2025, 2, 1))


def test_statement_before_the_import_date_already_shows_the_debt_from_its_issue_date(imported):
    """Issue 3: value date = original issue date, so a statement as of a date before the
    import (but after the original issue) shows the debt as it was then."""
    statement = account_statement(account(OWNER), as_of=dt.date(2025, 6, 30))

    assert statement.balance == Decimal("2500.00")
    assert statement.bills[0].days_overdue == 150
    assert statement.aging["91-180"] == Decimal("2500.00")


def test_the_bill_run_skips_an_account_with_an_opening_balance_for_the_period(tmp_path):
    """Issue 3 (no double billing): an opening balance is the account's live bill for its
    period, so the run for that period leaves the account out.
    Given an opening balance of HT-T1-0301 for 2026-03, when the March run is done,
    then 0301 keeps only its opening bill and 0302 gets its run bill."""
    import_all_csv(tmp_path, without("opening_balances"))
    row = dict(
        DATA["opening_balances"][0],
        period="2026-03",
        original_due_date="2026-03-10",
        original_issue_date="2026-03-01",
    )
    run(write_csv(tmp_path, "opening_balances", [row]))

    result = issue_bills_for_project(
        project=Project.objects.get(), period=MARCH, on=dt.date(2026, 3, 2), actor="t"
    )

    assert (result.existing, result.created) == (1, 1)
    assert sorted(
        Bill.objects.filter(period_start=MARCH.start).values_list("account__code", "source")
    ) == [(OWNER, "opening"), (TENANT, "run")]


def test_a_payment_goes_to_the_oldest_opening_balance_first(imported):
    """P1 (oldest bill first, by due date).
    Given the owner's opening balance (2500.00 due 2025-01-31) and his March run bill
    (2586.40, due only once received),
    when he pays 1000.00 on 2026-03-05,
    then all of it goes to the opening balance."""
    issue_bills_for_project(
        project=Project.objects.get(), period=MARCH, on=dt.date(2026, 3, 2), actor="t"
    )
    owner = account(OWNER)

    payment = record_payment(
        account=owner, amount=Decimal("1000.00"), on=dt.date(2026, 3, 5), actor="t"
    )

    allocations = Entry.objects.filter(payment=payment, bill__isnull=False)
    assert [(e.bill.number, e.amount) for e in allocations] == [
        ("HT-OB202501-00001", Decimal("-1000.00"))
    ]
    statement = account_statement(owner, as_of=dt.date(2026, 3, 5))
    assert [(b.number, b.open) for b in statement.bills] == [
        ("HT-OB202501-00001", Decimal("1500.00")),
        ("HT-202603-00001", Decimal("2586.40")),
    ]


def test_an_accounts_credit_is_applied_to_its_imported_opening_balance(tmp_path):
    """P1 (credit → open debts): the import applies credit like the bill run does.
    Given the owner paid 300.00 before any bill (a credit), when his opening balance is
    imported, then the credit pays 300.00 of it."""
    import_all_csv(tmp_path, without("opening_balances"))
    owner = account(OWNER)
    record_payment(account=owner, amount=Decimal("300.00"), on=dt.date(2026, 2, 20), actor="t")

    run(write_csv(tmp_path, "opening_balances"))

    assert selectors.credit(owner.pk) == Decimal("0.00")
    assert selectors.balance(owner.pk) == Decimal("2200.00")
    applied = Entry.objects.get(account=owner, kind="credit_applied", bill__isnull=False)
    assert (applied.amount, applied.bill.number, applied.entry_date) == (
        Decimal("-300.00"),
        "HT-OB202501-00001",
        dt.date(2026, 3, 1),
    )


def test_a_voided_opening_balance_is_corrected_by_importing_it_again(imported, tmp_path):
    """D1: an opening balance is never edited; it is voided and the corrected one
    imported, numbered anew.
    Given the owner's opening balance voided, when the corrected amount is imported,
    then a new opening bill HT-OB202501-00002 for 2400.00 is the live one."""
    void_bill(number="HT-OB202501-00001", reason="wrong amount", on=dt.date(2026, 3, 2), actor="t")
    row = dict(DATA["opening_balances"][0], amount="2400.00")

    result = run(write_csv(tmp_path, "opening_balances", [row], name="fix.csv"))

    assert (result.kinds[0].created, result.kinds[0].unchanged) == (1, 0)
    assert sorted(Bill.objects.values_list("number", "status", "total")) == [
        ("HT-OB202501-00001", "void", Decimal("2500.00")),
        ("HT-OB202501-00002", "issued", Decimal("2400.00")),
        ("HT-OB202602-00001", "issued", Decimal("1250.00")),
    ]
    assert selectors.balance(account(OWNER).pk) == Decimal("2400.00")


def test_an_opening_balance_goes_to_the_account_of_its_period(tmp_path):
    """Issue 3: the account is the unit's account active on the period's first day.
    Given 0301 owned by C001 until 2025-12-31 and by C002 from 2026-01-01,
    when opening balances for 2025-12 and 2026-01 are imported,
    then the first is the old owner's debt and the second the new owner's."""
    data = without("opening_balances", "contracts", "supplied_amounts")
    data["accounts"] = [
        dict(DATA["accounts"][0], end_date="2025-12-31"),
        dict(DATA["accounts"][0], customer_code="C002", start_date="2026-01-01"),
    ]
    import_all_csv(tmp_path, data)
    rows = [
        dict(DATA["opening_balances"][0], period=p, original_issue_date="", original_due_date=d)
        for p, d in (("2025-12", "2025-12-31"), ("2026-01", "2026-01-31"))
    ]

    run(write_csv(tmp_path, "opening_balances", rows))

    assert sorted(Bill.objects.values_list("period_start", "account__customer__code")) == [
        (dt.date(2025, 12, 1), "C001"),
        (dt.date(2026, 1, 1), "C002"),
    ]
