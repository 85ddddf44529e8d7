"""Reads of the ledger: balances, open debts and credit are always sums of entries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from wuye.ledger.allocation import Debt
from wuye.ledger.models import Entry
from wuye.money import ZERO, money

_SUM = Coalesce(
    Sum("amount"), Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2)
)


def open_debts(
    account_ids: Iterable[int], *, as_of: dt.date | None = None
) -> dict[int, list[Debt]]:
    """Per account, what is open of each bill line component (one query)."""
    rows = Entry.objects.filter(account_id__in=_ids(account_ids), bill_line__isnull=False)
    if as_of is not None:
        rows = rows.filter(value_date__lte=as_of)
    rows = (
        rows.values(
            "account_id",
            "bill_id",
            "bill_line_id",
            "fee_item_id",
            "component",
            "bill__due_date",
            "bill__period_start",
        )
        .annotate(open=_SUM)
        # HAVING: settled lines stay in the database (half a 分: SQLite sums REALs)
        .filter(open__gt=Decimal("0.005"))
        .order_by()
        .values_list(
            "account_id",
            "bill_id",
            "bill_line_id",
            "fee_item_id",
            "component",
            "bill__due_date",
            "bill__period_start",
            "open",
        )
    )
    result: dict[int, list[Debt]] = defaultdict(list)
    for account_id, bill_id, line_id, fee_item_id, component, due, period, amount in rows:
        result[account_id].append(
            Debt(bill_id, line_id, fee_item_id, component, money(amount), due, period)
        )
    return result


def _ids(account_ids):
    """A queryset stays a subquery (a run may cover a million accounts); else a list."""
    return account_ids if isinstance(account_ids, QuerySet) else list(account_ids)


def unallocated(
    account_ids: Iterable[int] | QuerySet,
    *,
    as_of: dt.date | None = None,
    credit_only: bool = False,
) -> dict[int, Decimal]:
    """Per account, the sum of unallocated entries: negative = a credit (預收款).
    With `credit_only`, only the accounts that have a credit (filtered in the database)."""
    rows = Entry.objects.filter(account_id__in=_ids(account_ids), bill_line__isnull=True)
    if as_of is not None:
        rows = rows.filter(value_date__lte=as_of)
    totals = rows.values("account_id").annotate(total=_SUM).order_by()
    if credit_only:
        # half a 分 below zero: SQLite sums REALs, so an exact zero may come back as -1e-13
        totals = totals.filter(total__lt=Decimal("-0.005"))
    return {row["account_id"]: money(row["total"]) for row in totals}


def credit(account_id: int, *, as_of: dt.date | None = None) -> Decimal:
    """The account's credit: money received and not (yet) allocated to any debt."""
    return -unallocated([account_id], as_of=as_of).get(account_id, ZERO)


def balance(account_id: int, *, as_of: dt.date | None = None) -> Decimal:
    """What the account owes (negative: what it has in credit), as of a value date."""
    rows = Entry.objects.filter(account_id=account_id)
    if as_of is not None:
        rows = rows.filter(value_date__lte=as_of)
    return money(rows.aggregate(total=_SUM)["total"])


def totals_by_kind(account_id: int, *, as_of: dt.date | None = None) -> dict[str, Decimal]:
    rows = Entry.objects.filter(account_id=account_id)
    if as_of is not None:
        rows = rows.filter(value_date__lte=as_of)
    return {
        row["kind"]: money(row["total"])
        for row in rows.values("kind").annotate(total=_SUM).order_by()
    }


def overdue_summary(*, as_of: dt.date, project_id: int | None = None) -> dict:
    """How many accounts owe something past its due date (E1), and the age of each one's
    oldest overdue debt by the aging buckets (one grouped query)."""
    from wuye.ledger.statements import bucket_for, bucket_labels
    from wuye.policies.selectors import policy
    from wuye.properties.models import Account

    accounts = Account.objects.all()
    rows = Entry.objects.filter(bill__due_date__lt=as_of, bill__status="issued")
    if project_id is not None:
        accounts = accounts.filter(project_id=project_id)
        rows = rows.filter(account__project_id=project_id)
    rows = (
        rows.filter(value_date__lte=as_of)
        .values("account_id", "bill_id", "bill__due_date")
        .annotate(open=_SUM)
        .filter(open__gt=Decimal("0.005"))
        .order_by()
    )
    oldest: dict[int, dt.date] = {}
    for row in rows.iterator(chunk_size=10000):
        due = row["bill__due_date"]
        if row["account_id"] not in oldest or due < oldest[row["account_id"]]:
            oldest[row["account_id"]] = due
    bounds = policy("aging_buckets", project_id=project_id)
    by_age = dict.fromkeys(bucket_labels(bounds), 0)
    for due in oldest.values():
        by_age[bucket_for((as_of - due).days, bounds)] += 1
    total = accounts.count()
    share = Decimal(len(oldest) * 100) / total if total else Decimal(0)
    return {
        "accounts": total,
        "overdue_accounts": len(oldest),
        "overdue_share": f"{share.quantize(Decimal('0.1'))}%",
        "by_age": by_age,
    }
