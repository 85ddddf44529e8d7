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
from wuye.sql import InIds


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


def _transfer(
    *, account_id, kind, bill_id, bill_line_id, fee_item_id, component, amount, on, actor, now,
    reason,
) -> list[Entry]:  # fmt: skip
    """Two entries that move money between a debt and the account's unallocated side:
    `amount` on the bill line, minus `amount` unallocated (the balance is unchanged)."""
    common = dict(
        account_id=account_id, kind=kind, entry_date=on, value_date=on, actor=actor,
        created_at=now, reason=reason,
    )  # fmt: skip
    return [
        Entry(bill_id=bill_id, bill_line_id=bill_line_id, fee_item_id=fee_item_id,
              component=component, amount=amount, **common),
        Entry(component="", amount=-amount, **common),
    ]  # fmt: skip


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
            entries += _transfer(
                account_id=account_id, kind=Entry.Kind.CREDIT_APPLIED, bill_id=a.bill_id,
                bill_line_id=a.bill_line_id, fee_item_id=a.fee_item_id, component=a.component,
                amount=-a.amount, on=on, actor=actor, now=now, reason="P1: credit applied",
            )  # fmt: skip
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


def _release(rows, *, on, actor, reason, account_id=None) -> tuple[list[Entry], Decimal]:
    """Transfers of `amount` for grouped rows (bill, line, fee item, component, amount)."""
    now = timezone.now()
    entries: list[Entry] = []
    total = ZERO
    for row, amount in rows:
        entries += _transfer(
            account_id=account_id or row["account_id"], kind=Entry.Kind.ALLOCATION_RELEASED,
            bill_id=row["bill_id"], bill_line_id=row["bill_line_id"],
            fee_item_id=row["fee_item_id"], component=row["component"], amount=amount, on=on,
            actor=actor, now=now, reason=reason,
        )  # fmt: skip
        total += amount
    Entry.objects.bulk_create(entries)
    return entries, total


def release_overallocated(
    account_ids, *, on: dt.date, actor: str, reason: str, bill_id: int | None = None
) -> Decimal:
    """Where a debt holds more payment than it owes, move the excess back to the account's
    credit: a voided bill once its charges are reversed (D1, pass `bill_id`), a late fee
    corrected down after it was paid (L1)."""
    rows = Entry.objects.filter(InIds("account_id", account_ids), bill_line__isnull=False)
    if bill_id is not None:
        rows = rows.filter(bill_id=bill_id)
    rows = (
        rows.values("account_id", "bill_id", "bill_line_id", "fee_item_id", "component")
        .annotate(total=selectors._SUM)
        .filter(total__lt=Decimal("-0.005"))
        .order_by("bill_id", "bill_line_id", "component")
    )
    return _release(
        [(row, -money(row["total"])) for row in rows], on=on, actor=actor, reason=reason
    )[1]


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
        .filter(total__gt=Decimal("0.005"))
        .order_by("bill_id", "bill_line_id", "component")
    )
    rows = [(row, -money(row["total"])) for row in rows]
    return -_release(rows, on=on, actor=actor, reason=reason, account_id=account_id)[1]


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
        .filter(total__lt=Decimal("-0.005"))
        .order_by("-bill__period_start", "-bill_id", "bill_line_id", "component")
    )
    takes, left = [], amount
    for row in rows:
        if left <= 0:
            break
        take = min(-money(row["total"]), left)
        takes.append((row, take))
        left -= take
    return _release(takes, on=on, actor=actor, reason=reason, account_id=account_id)[1]
