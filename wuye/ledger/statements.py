"""The account statement (`accounts show`): bills, payments, balance by fee item and by
age, as of a date. Everything is derived from ledger entries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from wuye.billing.disputes import disputed_bills
from wuye.billing.models import Bill, FeeItem
from wuye.dunning.models import Action, Notice, NoticeLine
from wuye.ledger import selectors
from wuye.ledger.limitation import Limitation, limitation_by_bill
from wuye.ledger.models import Entry
from wuye.money import ZERO, money
from wuye.payments.models import Payment, Refund
from wuye.policies.selectors import policy
from wuye.properties.models import Account

NOT_DUE = "not_due"
PAID_KINDS = {Entry.Kind.PAYMENT, Entry.Kind.CREDIT_APPLIED, Entry.Kind.ALLOCATION_RELEASED}


def bucket_labels(bounds: list[int]) -> list[str]:
    labels, low = [], 0
    for high in bounds:
        labels.append(f"{low}-{high}")
        low = high + 1
    labels.append(f">{bounds[-1]}")
    return labels


def bucket_for(days_overdue: int, bounds: list[int]) -> str:
    labels = bucket_labels(bounds)
    for label, high in zip(labels, bounds, strict=False):
        if days_overdue <= high:
            return label
    return labels[-1]


@dataclass
class BillRow:
    number: str
    period: str
    issue_date: dt.date
    receipt_date: dt.date | None
    due_date: dt.date | None
    status: str
    amount: Decimal
    late_fees: Decimal
    paid: Decimal
    open: Decimal
    days_overdue: int | None
    replaces: str | None = None
    disputed: bool = False  # D2: held out of dunning
    limitation_ends: dt.date | None = None  # X2, open bills only
    limitation_evidence: str = ""  # X2: what last (re)started the period
    limitation: Limitation | None = None
    waived: Decimal = ZERO  # L1, M1, S3: late fee waived with approval


@dataclass
class NoticeRow:
    """A notice (E2/E3) or dunning task (G1 escalation) of the account, as it stands."""

    number: str
    level: int
    step: str
    action: str
    issued_on: dt.date
    status: str
    total: Decimal
    delivered_on: dt.date | None = None
    signer: str = ""
    signer_relation: str = ""
    posted_on: dt.date | None = None
    carrier: str = ""
    tracking_number: str = ""
    courier_delivered_on: dt.date | None = None
    ended_on: dt.date | None = None
    end_reason: str = ""
    bills: list[str] = field(default_factory=list)


@dataclass
class Statement:
    account: Account
    as_of: dt.date
    bills: list[BillRow] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    by_fee_item: dict[str, Decimal] = field(default_factory=dict)
    aging: dict[str, Decimal] = field(default_factory=dict)
    credit: Decimal = ZERO
    balance: Decimal = ZERO
    notices: list[NoticeRow] = field(default_factory=list)
    escalations: list[NoticeRow] = field(default_factory=list)  # G1, still open


def account_statement(account: Account, *, as_of: dt.date) -> Statement:
    """Rule E1 for ages: days overdue = as_of − due date while something is open."""
    entries = Entry.objects.filter(account=account, value_date__lte=as_of)
    per_bill: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    per_item: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
    for row in (
        entries.values("bill_id", "kind", "fee_item_id", "payment_id")
        .annotate(total=selectors._SUM)
        .order_by()
    ):
        total = money(row["total"])
        per_item[row["fee_item_id"]] += total
        if row["bill_id"] is None:
            continue
        bucket = per_bill[row["bill_id"]]
        bucket["open"] += total
        if row["kind"] == Entry.Kind.CHARGE:
            bucket["amount"] += total
        elif row["kind"] == Entry.Kind.LATE_FEE:
            bucket["late_fees"] += total
        elif row["kind"] == Entry.Kind.WAIVER:
            bucket["waived"] -= total
        elif row["kind"] in PAID_KINDS or (
            row["kind"] == Entry.Kind.REVERSAL and row["payment_id"] is not None
        ):
            bucket["paid"] -= total
    bounds = policy("aging_buckets", project_id=account.project_id)
    statement = Statement(account=account, as_of=as_of)
    statement.aging = {NOT_DUE: ZERO, **{label: ZERO for label in bucket_labels(bounds)}}
    bills = (
        Bill.objects.filter(account=account, issue_date__lte=as_of)
        .select_related("replaces")
        .order_by("period_start", "id")
    )
    disputed = set(disputed_bills(as_of).values_list("bill_id", flat=True))
    bills = list(bills)
    open_ids = [b.pk for b in bills if money(per_bill.get(b.pk, {}).get("open", ZERO)) > 0]
    # X2: due date, part payments, signed or courier-delivered notices (one query each)
    clocks = limitation_by_bill(open_ids, as_of=as_of)
    for bill in bills:
        sums = per_bill.get(bill.pk, {})
        open_amount = money(sums.get("open", ZERO))
        clock = clocks.get(bill.pk) if open_amount > 0 else None
        overdue = None
        if bill.due_date is not None and as_of > bill.due_date and open_amount > 0:
            overdue = (as_of - bill.due_date).days
        statement.bills.append(
            BillRow(
                number=bill.number,
                period=f"{bill.period_start:%Y-%m}",
                issue_date=bill.issue_date,
                receipt_date=bill.receipt_date,
                due_date=bill.due_date,
                status=bill.status,
                amount=bill.total,
                late_fees=money(sums.get("late_fees", ZERO)),
                paid=money(sums.get("paid", ZERO)),
                open=open_amount,
                days_overdue=overdue,
                replaces=bill.replaces.number if bill.replaces else None,
                disputed=bill.pk in disputed,
                limitation_ends=clock.ends_on if clock else None,
                limitation_evidence=clock.evidence if clock else "",
                limitation=clock if clock and clock.ends_on else None,
                waived=money(sums.get("waived", ZERO)),
            )
        )
        if open_amount > 0:
            key = NOT_DUE if overdue is None else bucket_for(overdue, bounds)
            statement.aging[key] += open_amount
    statement.payments = list(
        Payment.objects.filter(account=account, paid_on__lte=as_of)
        .select_related("reversal")
        .order_by("paid_on", "id")
    )
    statement.refunds = list(
        Refund.objects.filter(account=account, refunded_on__lte=as_of).order_by("refunded_on", "id")
    )
    names = dict(FeeItem.objects.values_list("id", "name"))
    statement.by_fee_item = {
        names[item]: amount for item, amount in per_item.items() if item is not None and amount
    }
    unallocated = per_item.get(None, ZERO)
    statement.credit = -unallocated
    statement.balance = money(sum(per_item.values(), ZERO))
    statement.notices = account_notices(account, as_of=as_of)
    statement.escalations = [
        n
        for n in statement.notices
        if n.action == Action.ESCALATION and n.status == Notice.Status.OPEN
    ]
    return statement


def account_notices(account: Account, *, as_of: dt.date) -> list[NoticeRow]:
    """The payer's notices and dunning tasks in the account's project issued up to
    `as_of` (one notice covers all the payer's units there), with the bills each lists
    (two queries). Their status and dates are the current ones."""
    notices = list(
        Notice.objects.filter(
            project_id=account.project_id, customer_id=account.customer_id, issued_on__lte=as_of
        )
        .select_related("step")
        .order_by("issued_on", "id")
    )
    listed: dict[int, list[str]] = defaultdict(list)
    for notice_id, number in (
        NoticeLine.objects.filter(notice__in=[n.pk for n in notices])
        .order_by("bill__period_start", "bill_id")
        .values_list("notice_id", "bill__number")
    ):
        if number not in listed[notice_id]:
            listed[notice_id].append(number)
    return [
        NoticeRow(
            number=n.number,
            level=n.level,
            step=n.step.name,
            action=n.action,
            issued_on=n.issued_on,
            status=n.status,
            total=n.total,
            delivered_on=n.delivered_on,
            signer=n.signer,
            signer_relation=n.signer_relation,
            posted_on=n.posted_on,
            carrier=n.carrier,
            tracking_number=n.tracking_number,
            courier_delivered_on=n.courier_delivered_on,
            ended_on=n.ended_on,
            end_reason=n.end_reason,
            bills=listed.get(n.pk, []),
        )
        for n in notices
    ]
