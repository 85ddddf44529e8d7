"""Demo history (issues 3 and 4): the fast path and the service path give the same ledger
and the same hand-overs and deliveries; the history has the shape the issues ask for; it
is deterministic for a seed."""

import datetime as dt
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction

from wuye.billing.delivery import same_day_delivery_rate
from wuye.billing.models import (
    Bill,
    BillReceipt,
    Contract,
    CourierDispatch,
    DeliveryAttempt,
    HandOver,
)
from wuye.demo.history import ASSISTANTS
from wuye.demo.services import make_demo_data
from wuye.ledger import selectors
from wuye.ledger.models import Entry
from wuye.payments.models import Payment
from wuye.properties.models import Account, Contact
from wuye.workdays.services import next_working_day

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
        "receipts": sorted(
            BillReceipt.objects.values_list(
                "bill__number", "received_on", "method", "signer", "signer_relation", "actor"
            )
        ),
        "handovers": sorted(
            HandOver.bills.through.objects.values_list(
                "handover__project__code",
                "handover__handed_over_on",
                "handover__signed_by",
                "handover__signed_at",
                "handover__late",
                "bill__number",
            )
        ),
        "attempts": Counter(
            DeliveryAttempt.objects.values_list(
                "bill__number", "attempted_on", "staff", "result", "signer", "signer_relation"
            )
        ),
        "couriers": sorted(
            CourierDispatch.objects.values_list(
                "bill__number", "carrier", "tracking_number", "posted_on", "delivered_on", "actor"
            )
        ),
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
    """Given the same seed, when the history is played out once set-based and once through
    the delivery services (handover_bills, record_delivery, dispatch_courier,
    record_courier_delivery, settle_courier_receipts) and record_payment one by one, then
    bills, hand-overs, delivery attempts, courier dispatches, receipts, payments (with
    their numbers) and every ledger entry are equal (A1, B1, C1, E1, E3, P1)."""
    fast = history(120, 10, fast=True)
    slow = history(120, 10, fast=False)
    assert fast["payments"], "the history should contain payments"
    assert len(fast["bills"]) >= 3 * 100
    # the seed is chosen so that every way of delivering occurs
    results = Counter(result for _, _, _, result, _, _ in fast["attempts"].elements())
    assert results["signed"] and results["nobody_present"] + results["contact_absent"]
    assert {delivered is None for *_, delivered, _ in fast["couriers"]} == {True, False}
    for key in ("bills", "handovers", "attempts", "couriers", "receipts", "payments", "entries"):
        assert fast[key] == slow[key], key


@pytest.mark.django_db
def test_history_is_deterministic_for_a_seed_and_differs_between_seeds():
    first = history(80, 5, fast=True)
    again = history(80, 5, fast=True)
    other = history(80, 6, fast=True)
    for key in ("handovers", "attempts", "couriers", "receipts", "payments", "entries"):
        assert first[key] == again[key], key
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

        # office bills (B1, C1, E3): most signed for on their hand-over day, some after
        # failed attempts, a few by EMS
        rate = same_day_delivery_rate(start=FROM, until=UNTIL)["projects"]["HT"]
        assert 0.80 <= rate["same_day"] / rate["bills"] <= 0.95, rate
        assert DeliveryAttempt.objects.exclude(result="signed").count() >= 10
        assert CourierDispatch.objects.count() >= 3
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


@pytest.mark.django_db
def test_office_bills_are_handed_over_and_delivered_and_their_dates_follow():
    """A1, B1, C1, E1, E3: on a small demo every delivered bill of an "after receipt"
    contract was signed for by an assistant on its issue day and then signed for by the
    designated contact (after failed attempts on working days, if any), or went by EMS 5
    days (policy) after the hand-over; its receipt date is the signature, the recorded
    courier delivery or posting + 3 days (policy), and its due date is receipt + 7 days
    moved to a working day. Fixed-due-day bills are not signed for. The same-day rate is
    a realistic figure."""
    with transaction.atomic():
        make_demo_data(
            units=200, seed=3, on=UNTIL, actor="demo", history_from=FROM, history_until=UNTIL
        )
        bills = (
            Bill.objects.select_related("project", "contract", "receipt", "courier")
            .prefetch_related("handovers", "delivery_attempts")
            .order_by("number")
        )
        designated = {
            c.customer_id: (c.name, c.relation) for c in Contact.objects.filter(is_designated=True)
        }
        accounts = dict(Account.objects.values_list("id", "customer_id"))
        seen = Counter()
        for bill in bills:
            if bill.contract.payment_term == Contract.Term.FIXED_DAY:
                assert not bill.handovers.all() and not bill.delivery_attempts.all()
                assert bill.receipt_date is None and bill.due_date is not None
                continue
            [handover] = bill.handovers.all()
            assert handover.handed_over_on == bill.issue_date
            assert handover.signed_by in ASSISTANTS
            assert handover.late == (handover.signed_at > bill.project.handover_time)
            attempts = sorted(bill.delivery_attempts.all(), key=lambda a: (a.attempted_on, a.id))
            assert all(a.staff == handover.signed_by for a in attempts)
            assert all(a.attempted_on >= handover.handed_over_on for a in attempts)
            failed = [a for a in attempts if a.result != DeliveryAttempt.Result.SIGNED]
            assert {a.result for a in failed} <= {"nobody_present", "contact_absent"}
            assert all(next_working_day(a.attempted_on) == a.attempted_on for a in attempts)
            if bill.receipt_date is None:
                assert not hasattr(bill, "receipt")
                continue
            courier = getattr(bill, "courier", None)
            if bill.receipt.method == BillReceipt.Method.HAND:
                assert courier is None
                assert attempts[-1].result == DeliveryAttempt.Result.SIGNED
                assert attempts[-1].attempted_on == bill.receipt_date
                signer = designated[accounts[bill.account_id]]
                assert (attempts[-1].signer, attempts[-1].signer_relation) == signer
                assert (bill.receipt.signer, bill.receipt.signer_relation) == signer
                assert failed == attempts[:-1]
                seen["signed after a failed attempt" if failed else "signed"] += 1
            else:
                assert bill.receipt.method == BillReceipt.Method.COURIER
                assert failed == attempts  # nobody could be reached (C1), then EMS (E3)
                assert courier.carrier == "EMS" and re.fullmatch(
                    r"E[A-Z]\d{9}CN", courier.tracking_number
                )
                assert courier.posted_on == next_working_day(
                    handover.handed_over_on + dt.timedelta(days=5)
                )
                if courier.delivered_on is not None:
                    assert bill.receipt_date == courier.delivered_on
                    seen["courier delivered"] += 1
                else:
                    assert bill.receipt_date == courier.posted_on + dt.timedelta(days=3)
                    seen["courier posting + 3 days"] += 1
            assert bill.due_date == next_working_day(bill.receipt_date + dt.timedelta(days=7))
        assert sum(seen.values()) >= 50
        assert len(seen) == 4, seen  # the seed is chosen so that every way occurs

        rate = same_day_delivery_rate(start=FROM, until=UNTIL)["projects"]["HT"]
        assert rate["bills"] >= 50
        assert 0.70 <= rate["same_day"] / rate["bills"] <= 0.99, rate
        transaction.set_rollback(True)
