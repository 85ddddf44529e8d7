"""Demo history (issue 3): the fast path and the service path give the same ledger; the
history has the shape the issue asks for; it is deterministic for a seed."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction

from wuye.billing.models import Bill, BillReceipt
from wuye.demo.services import make_demo_data
from wuye.ledger import selectors
from wuye.ledger.models import Entry
from wuye.payments.models import Payment

FROM, UNTIL = dt.date(2026, 7, 1), dt.date(2026, 9, 20)


class _Rollback(Exception):
    pass


def fingerprint() -> dict:
    """Everything the ledger says, by stable keys (codes and numbers, not row ids)."""
    return {
        "bills": sorted(
            Bill.objects.values_list(
                "number",
                "account__code",
                "total",
                "issue_date",
                "receipt_date",
                "due_date",
                "status",
            )
        ),
        "receipts": sorted(BillReceipt.objects.values_list("bill__number", "received_on")),
        "payments": sorted(
            Payment.objects.values_list(
                "receipt_number", "account__code", "amount", "paid_on", "method"
            )
        ),
        "entries": Counter(
            Entry.objects.values_list(
                "account__code",
                "kind",
                "component",
                "bill__number",
                "fee_item__code",
                "payment__receipt_number",
                "amount",
                "entry_date",
                "value_date",
            )
        ),
    }


def history(units: int, seed: int, *, fast: bool) -> dict:
    """Make a demo with history inside a transaction that is rolled back afterwards."""
    result = {}
    try:
        with transaction.atomic():
            make_demo_data(
                units=units,
                seed=seed,
                on=UNTIL,
                actor="demo",
                history_from=FROM,
                history_until=UNTIL,
                fast=fast,
            )
            result.update(fingerprint())
            result["overdue"] = selectors.overdue_summary(as_of=UNTIL)
            raise _Rollback
    except _Rollback:
        pass
    assert not Bill.objects.exists()  # really rolled back
    return result


@pytest.mark.django_db
def test_fast_path_and_service_path_give_the_same_ledger():
    """Given the same seed, when the history is played out once through the set-based
    bulk services and once through record_bill_receipt/record_payment one by one, then
    bills, receipts, payments (with their numbers) and every ledger entry are equal (P1,
    E1)."""
    fast = history(120, 3, fast=True)
    slow = history(120, 3, fast=False)
    assert fast["payments"], "the history should contain payments"
    assert len(fast["bills"]) >= 3 * 100
    for key in ("bills", "receipts", "payments", "entries"):
        assert fast[key] == slow[key], key


@pytest.mark.django_db
def test_history_is_deterministic_for_a_seed_and_differs_between_seeds():
    first = history(80, 5, fast=True)
    again = history(80, 5, fast=True)
    other = history(80, 6, fast=True)
    assert first["payments"] == again["payments"]
    assert first["entries"] == again["entries"]
    assert first["payments"] != other["payments"]


@pytest.mark.django_db
def test_history_has_the_shape_of_a_real_estate():
    """About 15 % of accounts overdue at the end, at various ages; some partial payers,
    late payers, chronic non-payers among vacant investment units (S1), and one shop
    with a large debt (S2b)."""
    with transaction.atomic():
        make_demo_data(
            units=1000, seed=1, on=UNTIL, actor="demo", history_from=FROM, history_until=UNTIL
        )
        summary = selectors.overdue_summary(as_of=UNTIL)
        share = Decimal(summary["overdue_accounts"]) / summary["accounts"]
        assert Decimal("0.10") <= share <= Decimal("0.22"), summary

        # ages: days overdue of each overdue bill spread over the history
        open_bills = (
            Entry.objects.filter(bill__due_date__lt=UNTIL)
            .values("bill_id", "bill__due_date", "bill__total")
            .annotate(open=selectors._SUM)
            .filter(open__gt=0)
        )
        ages = [(UNTIL - row["bill__due_date"]).days for row in open_bills]
        assert min(ages) <= 15 and max(ages) >= 45
        assert len({age // 15 for age in ages}) >= 4  # at least four fortnights apart

        # partial payers: bills paid in part
        partial = [row for row in open_bills if 0 < row["open"] < row["bill__total"]]
        assert len(partial) >= 10

        # late payers: payments after the due date of the bill they paid
        late = Entry.objects.filter(
            kind=Entry.Kind.PAYMENT, bill__isnull=False, value_date__gt=models_due()
        ).count()
        assert late >= 20

        # vacant investment units: most of them overdue
        vacant = overdue_share("vacant_investment")
        assert vacant >= Decimal("0.5")
        # the shop with a large debt
        shop = Bill.objects.filter(account__unit__code="CY-S-001")
        assert shop.count() == 3
        owed = selectors.balance(shop.first().account_id, as_of=UNTIL)
        assert owed == sum(b.total for b in shop)
        transaction.set_rollback(True)


def models_due():
    from django.db.models import F

    return F("bill__due_date")


def overdue_share(segment: str) -> Decimal:
    from wuye.billing.models import Contract

    accounts = set(Contract.objects.filter(segment=segment).values_list("account_id", flat=True))
    overdue = set(
        Entry.objects.filter(account_id__in=accounts, bill__due_date__lt=UNTIL)
        .values("account_id", "bill_id")
        .annotate(open=selectors._SUM)
        .filter(open__gt=0)
        .values_list("account_id", flat=True)
    )
    return Decimal(len(overdue)) / len(accounts)
