"""Reads the account list needs as SQL expressions, so a page of accounts is one query
whatever its length (issue 6: no per-row queries). They are the set-based forms of
`wuye.ledger.selectors.balance` (all entries up to a value date) and of "in arrears"
as `overdue_summary` and the M4 arrears list count it (E1: something of an issued bill
past its due date still open)."""

from __future__ import annotations

import datetime as dt

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from wuye.billing.models import Bill
from wuye.ledger.models import Entry
from wuye.money import HALF_FEN, ZERO

_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _sum_of(entries: QuerySet) -> Coalesce:
    total = entries.order_by().values("account_id").annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(total[:1], output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def with_balances(accounts: QuerySet, *, on: dt.date) -> QuerySet:
    """Annotate `balance` (what the account owes on `on`; negative: credit) and `overdue`
    (of it, what is past its due date, E1)."""
    mine = Entry.objects.filter(account_id=OuterRef("pk"), value_date__lte=on)
    overdue = mine.filter(
        bill__status=Bill.Status.ISSUED, bill__due_date__lt=on, bill_line__isnull=False
    )
    return accounts.annotate(balance=_sum_of(mine), overdue=_sum_of(overdue))


def in_arrears(accounts: QuerySet, arrears: bool) -> QuerySet:
    """Accounts (annotated by `with_balances`) in arrears, or not."""
    return (
        accounts.filter(overdue__gt=HALF_FEN) if arrears else accounts.filter(overdue__lte=HALF_FEN)
    )
