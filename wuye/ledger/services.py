"""Writes to the ledger. Every entry is new; corrections reverse, never edit (STYLE §4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from wuye.billing.models import Bill, Contract
from wuye.ledger import selectors
from wuye.ledger.allocation import allocate
from wuye.ledger.models import Entry
from wuye.money import ZERO, money


def late_fee_first_by_account(account_ids: Iterable[int]) -> dict[int, bool]:
    """P1: the order within one debt, from each account's latest contract version."""
    result: dict[int, bool] = {}
    rows = (
        Contract.objects.filter(account_id__in=list(account_ids))
        .order_by("account_id", "effective_from")
        .values_list("account_id", "late_fee_first")
    )
    for account_id, flag in rows:
        result[account_id] = flag
    return result


def apply_credit(account_ids: Iterable[int] | QuerySet, *, on: dt.date, actor: str) -> Decimal:
    """Use each account's credit for its open debts by rule P1 (overpayment → next bill).

    Set-based: two queries for all accounts, one bulk insert. Returns the total applied."""
    credits = {
        account_id: -total
        for account_id, total in selectors.unallocated(account_ids, credit_only=True).items()
    }
    if not credits:
        return ZERO
    debts = selectors.open_debts(credits)
    order = late_fee_first_by_account(credits)
    now = timezone.now()
    entries: list[Entry] = []
    applied = ZERO
    for account_id, amount in credits.items():
        if not debts.get(account_id):
            continue
        allocations, _rest = allocate(
            amount, debts[account_id], on=on, late_fee_first=order.get(account_id, True)
        )
        for a in allocations:
            common = dict(
                account_id=account_id,
                kind=Entry.Kind.CREDIT_APPLIED,
                entry_date=on,
                value_date=on,
                actor=actor,
                created_at=now,
                reason="P1: credit applied",
            )
            entries.append(
                Entry(
                    component=a.component,
                    bill_id=a.bill_id,
                    bill_line_id=a.bill_line_id,
                    fee_item_id=a.fee_item_id,
                    amount=-a.amount,
                    **common,
                )
            )
            entries.append(Entry(component="", amount=a.amount, **common))
            applied += a.amount
    Entry.objects.bulk_create(entries, batch_size=2000)
    return applied


def reverse_entries(
    entries: Iterable[Entry], *, on: dt.date, actor: str, reason: str
) -> list[Entry]:
    now = timezone.now()
    reversals = [
        Entry(
            account_id=e.account_id,
            kind=Entry.Kind.REVERSAL,
            component=e.component,
            bill_id=e.bill_id,
            bill_line_id=e.bill_line_id,
            fee_item_id=e.fee_item_id,
            payment_id=e.payment_id,
            refund_id=e.refund_id,
            reverses_id=e.pk,
            amount=-e.amount,
            entry_date=on,
            value_date=on,
            actor=actor,
            created_at=now,
            reason=reason,
        )
        for e in entries
    ]
    return Entry.objects.bulk_create(reversals)


def release_bill_allocations(bill: Bill, *, on: dt.date, actor: str, reason: str) -> Decimal:
    """Move what was paid on a bill's lines back to the account's credit (rule D1 void).

    Call after its charges and late fees were reversed: each line component then sums to
    minus what was allocated to it."""
    rows = (
        Entry.objects.filter(bill=bill)
        .values("bill_line_id", "fee_item_id", "component")
        .annotate(total=selectors._SUM)
        .order_by("bill_line_id", "component")
    )
    now = timezone.now()
    entries: list[Entry] = []
    released = ZERO
    for row in rows:
        total = money(row["total"])
        if total >= 0:
            continue
        common = dict(
            account_id=bill.account_id,
            kind=Entry.Kind.ALLOCATION_RELEASED,
            entry_date=on,
            value_date=on,
            actor=actor,
            created_at=now,
            reason=reason,
        )
        entries.append(
            Entry(
                bill_id=bill.pk,
                bill_line_id=row["bill_line_id"],
                fee_item_id=row["fee_item_id"],
                component=row["component"],
                amount=-total,
                **common,
            )
        )
        entries.append(Entry(component="", amount=total, **common))
        released -= total
    Entry.objects.bulk_create(entries)
    return released


def release_void_bill_debts(account_id: int, *, on: dt.date, actor: str, reason: str) -> Decimal:
    """Rule D1: a voided bill owes nothing. A payment reversed after the bill it paid was
    voided puts its allocation back on the voided bill's line, although the void had
    already moved that money to the credit; move it to the unallocated side instead, where
    it takes back that credit (or, if it was used, what it paid)."""
    rows = (
        Entry.objects.filter(
            account_id=account_id, bill__status=Bill.Status.VOID, bill_line__isnull=False
        )
        .values("bill_id", "bill_line_id", "fee_item_id", "component")
        .annotate(total=selectors._SUM)
        .order_by("bill_id", "bill_line_id", "component")
    )
    now = timezone.now()
    entries: list[Entry] = []
    moved = ZERO
    for row in rows:
        total = money(row["total"])
        if total <= 0:
            continue
        common = dict(
            account_id=account_id,
            kind=Entry.Kind.ALLOCATION_RELEASED,
            entry_date=on,
            value_date=on,
            actor=actor,
            created_at=now,
            reason=reason,
        )
        entries.append(
            Entry(
                bill_id=row["bill_id"],
                bill_line_id=row["bill_line_id"],
                fee_item_id=row["fee_item_id"],
                component=row["component"],
                amount=-total,
                **common,
            )
        )
        entries.append(Entry(component="", amount=total, **common))
        moved += total
    Entry.objects.bulk_create(entries)
    return moved


def release_applied_credit(
    account_id: int, amount: Decimal, *, on: dt.date, actor: str, reason: str
) -> Decimal:
    """Take back up to `amount` of credit applied to bills, newest bill first.

    Used when a reversed payment leaves the account's unallocated money negative."""
    rows = (
        Entry.objects.filter(account_id=account_id, bill_line__isnull=False)
        .filter(Q(kind=Entry.Kind.CREDIT_APPLIED) | Q(kind=Entry.Kind.ALLOCATION_RELEASED))
        .values("bill_id", "bill_line_id", "fee_item_id", "component", "bill__period_start")
        .annotate(total=selectors._SUM)
        .order_by("-bill__period_start", "-bill_id", "bill_line_id", "component")
    )
    now = timezone.now()
    entries: list[Entry] = []
    left = amount
    for row in rows:
        applied = -money(row["total"])
        if applied <= 0 or left <= 0:
            continue
        take = min(applied, left)
        common = dict(
            account_id=account_id,
            kind=Entry.Kind.ALLOCATION_RELEASED,
            entry_date=on,
            value_date=on,
            actor=actor,
            created_at=now,
            reason=reason,
        )
        entries.append(
            Entry(
                bill_id=row["bill_id"],
                bill_line_id=row["bill_line_id"],
                fee_item_id=row["fee_item_id"],
                component=row["component"],
                amount=take,
                **common,
            )
        )
        entries.append(Entry(component="", amount=-take, **common))
        left -= take
    Entry.objects.bulk_create(entries)
    return amount - left


def release_overallocated(account_ids, *, on: dt.date, actor: str, reason: str) -> Decimal:
    """Where a debt now holds more payment than it owes (a late fee corrected down after
    it was paid, L1), move the excess back to the account's credit."""
    rows = (
        Entry.objects.filter(account_id__in=list(account_ids), bill_line__isnull=False)
        .values("account_id", "bill_id", "bill_line_id", "fee_item_id", "component")
        .annotate(total=selectors._SUM)
        .filter(total__lt=Decimal("-0.005"))
        .order_by()
    )
    now = timezone.now()
    entries: list[Entry] = []
    released = ZERO
    for row in rows:
        excess = -money(row["total"])
        common = dict(
            account_id=row["account_id"],
            kind=Entry.Kind.ALLOCATION_RELEASED,
            entry_date=on,
            value_date=on,
            actor=actor,
            created_at=now,
            reason=reason,
        )
        entries.append(
            Entry(
                bill_id=row["bill_id"],
                bill_line_id=row["bill_line_id"],
                fee_item_id=row["fee_item_id"],
                component=row["component"],
                amount=excess,
                **common,
            )
        )
        entries.append(Entry(component="", amount=-excess, **common))
        released += excess
    Entry.objects.bulk_create(entries)
    return released
