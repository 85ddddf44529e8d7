"""Payments, refunds and payment reversals. Each takes the account lock first (STYLE:
`select_for_update` on the account before money moves), then writes in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from wuye.billing import numbers
from wuye.billing.models import Bill
from wuye.bulk import db_value, insert_rows, reserve_ids
from wuye.dunning.locks import hold_runs_off  # issue 8: payments vs runs
from wuye.dunning.services import debts_changed  # F1
from wuye.errors import NotFound, WuyeError
from wuye.ledger import selectors as ledger_selectors
from wuye.ledger import services as ledger
from wuye.ledger.allocation import after_allocations, split_payment
from wuye.ledger.models import Entry
from wuye.money import ZERO, check_amount
from wuye.payments.models import Payment, PaymentReversal, Refund
from wuye.properties.models import Account, Project


def _lock(account: Account) -> Account:
    # a run of the project in progress first (issue 8: no payment inside a run's decision)
    hold_runs_off([account.project_id])
    return Account.objects.select_for_update().select_related("project").get(pk=account.pk)


def record_payment(
    *,
    account: Account,
    amount: Decimal,
    on: dt.date,
    actor: str,
    method: str = Payment.Method.CASH,
    reference: str = "",
    bill_number: str | None = None,
    note: str = "",
) -> Payment:
    """Record a payment with the next receipt number and allocate it by rule P1.

    The payer may designate a bill; otherwise due debts before not-yet-due ones, oldest
    first, the items of a bill pro rata, late fee before principal. An unallocated debit
    left by a reversed payment is settled first; the rest stays as credit."""
    check_amount(amount)
    if method not in Payment.Method.values:
        raise WuyeError(
            "invalid_method",
            f"method: '{method}' is not one of {', '.join(Payment.Method.values)}",
            f"付款方式「{method}」無效",
        )
    with transaction.atomic():
        account = _lock(account)
        designated = None
        if bill_number:
            designated = Bill.objects.filter(number=bill_number).first()
            if designated is None:
                raise NotFound("bill", bill_number)
            if designated.account_id != account.pk:
                raise WuyeError(
                    "bill_not_of_account",
                    f"bill {bill_number} belongs to another account",
                    f"帳單 {bill_number} 不屬於此帳戶",
                )
            if designated.status != Bill.Status.ISSUED:
                raise WuyeError(
                    "bill_void", f"bill {bill_number} is void", f"帳單 {bill_number} 已作廢"
                )
        year = on.year
        project = account.project
        seq = numbers.reserve(f"receipt:{project.code}:{year}") + 1
        payment = Payment.objects.create(
            receipt_number=numbers.format_number(project.code, f"R{year}", seq, 6),
            project=project,
            account=account,
            amount=amount,
            method=method,
            reference=reference,
            paid_on=on,
            designated_bill=designated,
            actor=actor,
            created_at=timezone.now(),
            note=note,
        )
        debit = ledger_selectors.unallocated([account.pk]).get(account.pk, ZERO)
        debts = ledger_selectors.open_debts([account.pk]).get(account.pk, [])
        late_fee_first = ledger.late_fee_first_by_account([account.pk]).get(account.pk, True)
        split = split_payment(
            amount,
            debts,
            on=on,
            debit=debit,
            designated_bill_id=designated.pk if designated else None,
            late_fee_first=late_fee_first,
        )
        Entry.objects.bulk_create(payment_entries(payment, split))
        debts_changed({account.pk: on}, actor=actor)
    return payment


ENTRY_FIELDS = [
    "account_id", "kind", "component", "bill_id", "bill_line_id", "fee_item_id", "payment_id",
    "refund_id", "reverses_id", "amount", "entry_date", "value_date", "actor", "created_at",
    "reason",
]  # fmt: skip


def _entry_rows(
    *, payment_id, account_id, receipt_number, on, actor, created_at, split
) -> list[tuple]:
    """The ledger entries of a payment booked by `split_payment`, as ENTRY_FIELDS tuples:
    one per debt paid, one for a settled debit and one for the credit left."""
    settled, allocations, rest = split
    reason = f"payment {receipt_number}"

    def row(component, bill_id, line_id, fee_item_id, amount):
        return (
            account_id, Entry.Kind.PAYMENT, component, bill_id, line_id, fee_item_id,
            payment_id, None, None, -amount, on, on, actor, created_at, reason,
        )  # fmt: skip

    rows = [row("", None, None, None, settled)] if settled > 0 else []
    rows += [
        row(a.component, a.bill_id, a.bill_line_id, a.fee_item_id, a.amount) for a in allocations
    ]
    if rest > 0:
        rows.append(row("", None, None, None, rest))
    return rows


def payment_entries(payment: Payment, split) -> list[Entry]:
    rows = _entry_rows(
        payment_id=payment.pk, account_id=payment.account_id,
        receipt_number=payment.receipt_number, on=payment.paid_on, actor=payment.actor,
        created_at=payment.created_at, split=split,
    )  # fmt: skip
    return [Entry(**dict(zip(ENTRY_FIELDS, row, strict=True))) for row in rows]


@dataclass(frozen=True)
class PaymentSpec:
    """One payment for `record_payments`: the bulk path of the demo history and of
    bank-statement imports."""

    account_id: int
    amount: Decimal
    on: dt.date
    method: str = Payment.Method.BANK_TRANSFER
    reference: str = ""


PAYMENT_FIELDS = [
    "id", "receipt_number", "project_id", "account_id", "amount", "method", "reference",
    "paid_on", "designated_bill_id", "actor", "created_at", "note",
]  # fmt: skip


def record_payments(specs: list[PaymentSpec], *, actor: str, chunk: int = 20000) -> int:
    """Record many payments as `record_payment` would, one after the other in the given
    order (same receipt numbers, same P1 allocations), with a few queries per chunk
    instead of several per payment, written by COPY / executemany. Returns the number
    recorded."""
    for spec in specs:
        check_amount(spec.amount)
    done = 0
    for offset in range(0, len(specs), chunk):
        part = specs[offset : offset + chunk]
        with transaction.atomic():
            done += _record_chunk(part, actor=actor)
    return done


def _record_chunk(specs: list[PaymentSpec], *, actor: str) -> int:
    account_ids = sorted({s.account_id for s in specs})
    hold_runs_off(
        Account.objects.filter(pk__in=account_ids).values_list("project_id", flat=True).distinct()
    )
    accounts = dict(
        Account.objects.select_for_update()
        .filter(pk__in=account_ids)
        .order_by("pk")  # locks in a fixed order
        .values_list("pk", "project_id")
    )
    project_codes = dict(Project.objects.values_list("pk", "code"))
    debits = ledger_selectors.unallocated(account_ids)
    debts = ledger_selectors.open_debts(account_ids)
    order = ledger.late_fee_first_by_account(account_ids)
    counts: dict[tuple[str, int], int] = {}
    for s in specs:
        key = (project_codes[accounts[s.account_id]], s.on.year)
        counts[key] = counts.get(key, 0) + 1
    next_seq = {
        key: numbers.reserve(f"receipt:{key[0]}:{key[1]}", count) + 1
        for key, count in sorted(counts.items())
    }
    ids = reserve_ids(Payment, len(specs))
    now = db_value(timezone.now())
    payment_rows, entry_rows = [], []
    for payment_id, s in zip(ids, specs, strict=True):
        project_id = accounts[s.account_id]
        key = (project_codes[project_id], s.on.year)
        receipt_number = numbers.format_number(key[0], f"R{key[1]}", next_seq[key], 6)
        next_seq[key] += 1
        payment_rows.append(
            (
                payment_id,
                receipt_number,
                project_id,
                s.account_id,
                s.amount,
                s.method,
                s.reference,
                s.on,
                None,
                actor,
                now,
                "",
            )
        )
        split = split_payment(
            s.amount,
            debts.get(s.account_id, []),
            on=s.on,
            debit=debits.get(s.account_id, ZERO),
            late_fee_first=order.get(s.account_id, True),
        )
        settled, allocations, rest = split
        debts[s.account_id] = after_allocations(debts.get(s.account_id, []), allocations)
        debits[s.account_id] = debits.get(s.account_id, ZERO) - settled - rest
        entry_rows += _entry_rows(
            payment_id=payment_id, account_id=s.account_id, receipt_number=receipt_number,
            on=s.on, actor=actor, created_at=now, split=split,
        )  # fmt: skip
    insert_rows(Payment, PAYMENT_FIELDS, payment_rows)
    insert_rows(Entry, ENTRY_FIELDS, entry_rows)
    last_paid: dict[int, dt.date] = {}
    for s in specs:
        last_paid[s.account_id] = max(s.on, last_paid.get(s.account_id, s.on))
    debts_changed(last_paid, actor=actor)
    return len(payment_rows)


def get_payment(receipt_number: str) -> Payment:
    try:
        return Payment.objects.select_related("account", "project").get(
            receipt_number=receipt_number
        )
    except Payment.DoesNotExist:
        raise NotFound("payment", receipt_number) from None


def reverse_payment(
    *, receipt_number: str, on: dt.date, actor: str, reason: str
) -> PaymentReversal:
    """A payment that bounced or was booked wrongly is reversed by new entries.

    What it paid on bills is owed again; if its credit was already used for later bills,
    that use is taken back (newest bill first)."""
    if not reason or not reason.strip():
        raise WuyeError("reason_required", "a reversal needs a reason", "沖銷須註明原因")
    with transaction.atomic():
        payment = get_payment(receipt_number)
        _lock(payment.account)
        if PaymentReversal.objects.filter(payment=payment).exists():
            raise WuyeError(
                "already_reversed",
                f"payment {receipt_number} is already reversed",
                f"收據 {receipt_number} 已沖銷",
            )
        reversal = PaymentReversal.objects.create(
            payment=payment, reversed_on=on, reason=reason, actor=actor, created_at=timezone.now()
        )
        ledger.reverse_entries(
            list(Entry.objects.filter(payment=payment, kind=Entry.Kind.PAYMENT)),
            on=on,
            actor=actor,
            reason=f"payment reversed: {reason}",
        )
        ledger.release_void_bill_debts(
            payment.account_id,
            on=on,
            actor=actor,
            reason=f"D1: reversed payment {receipt_number} on a voided bill",
        )
        debit = ledger_selectors.unallocated([payment.account_id]).get(payment.account_id, ZERO)
        if debit > 0:
            ledger.release_applied_credit(
                payment.account_id,
                debit,
                on=on,
                actor=actor,
                reason=f"credit of reversed payment {receipt_number} taken back",
            )
        ledger.apply_credit([payment.account_id], on=on, actor=actor)
    return reversal


def refund(
    *,
    account: Account,
    amount: Decimal,
    on: dt.date,
    actor: str,
    reason: str,
    method: str = Payment.Method.BANK_TRANSFER,
) -> Refund:
    """Pay back (part of) an account's credit; the refund is an entry with who and why."""
    check_amount(amount)
    if not reason or not reason.strip():
        raise WuyeError("reason_required", "a refund needs a reason", "退款須註明原因")
    with transaction.atomic():
        account = _lock(account)
        available = ledger_selectors.credit(account.pk)
        if amount > available:
            raise WuyeError(
                "refund_exceeds_credit",
                f"amount: {amount} is more than the account's credit {available}",
                f"退款金額 {amount} 超過帳戶預收餘額 {available}",
            )
        project = account.project
        seq = numbers.reserve(f"refund:{project.code}:{on.year}") + 1
        refund_row = Refund.objects.create(
            number=numbers.format_number(project.code, f"F{on.year}", seq, 6),
            project=project,
            account=account,
            amount=amount,
            method=method,
            refunded_on=on,
            reason=reason,
            actor=actor,
            created_at=timezone.now(),
        )
        Entry.objects.create(
            account=account,
            kind=Entry.Kind.REFUND,
            component="",
            refund=refund_row,
            amount=amount,
            entry_date=on,
            value_date=on,
            actor=actor,
            created_at=refund_row.created_at,
            reason=reason,
        )
    return refund_row
