"""Reads for dunning: each account's arrears as E2 counts them, in one grouped query."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from wuye.billing.disputes import disputed_bills
from wuye.billing.models import Bill, Contract
from wuye.dunning.models import DunningPolicy, Exclusion, Notice
from wuye.ledger.models import Entry
from wuye.ledger.selectors import _SUM
from wuye.money import ZERO, money

HALF_FEN = Decimal("0.005")


@dataclass
class Arrears:
    """One account's overdue debt on a date. `arrears` and `oldest_due` count only what
    dunning may chase (not disputed, D2; not paused by bill); `any_overdue` also counts
    held bills, because a held bill keeps the episode open (E2)."""

    account_id: int
    project_id: int
    arrears: Decimal = ZERO
    oldest_due: dt.date | None = None
    any_overdue: bool = False
    bills: set[int] = field(default_factory=set)


def active_exclusions(as_of: dt.date) -> QuerySet:
    return Exclusion.objects.filter(starts_on__lte=as_of).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=as_of)
    )


def held_bills(as_of: dt.date) -> set[int]:
    """Bills out of dunning on `as_of`: an open dispute (D2) or a pause on the bill."""
    held = set(disputed_bills(as_of).values_list("bill_id", flat=True))
    held.update(
        active_exclusions(as_of)
        .filter(scope=Exclusion.Scope.BILL)
        .values_list("bill_id", flat=True)
    )
    return held


def arrears_by_account(
    *, as_of: dt.date, project_ids: list[int], account_ids: list[int] | None = None
) -> dict[int, Arrears]:
    """E1/E2: principal of bills due before `as_of` and still open on it, per account."""
    rows = Entry.objects.filter(
        account__project_id__in=project_ids,
        component=Entry.Component.PRINCIPAL,
        bill__status=Bill.Status.ISSUED,
        bill__due_date__lt=as_of,
        value_date__lte=as_of,
    )
    if account_ids is not None:
        rows = rows.filter(account_id__in=account_ids)
    rows = (
        rows.values("account_id", "account__project_id", "bill_id", "bill__due_date")
        .annotate(open=_SUM)
        .filter(open__gt=HALF_FEN)
        .order_by()
        .values_list("account_id", "account__project_id", "bill_id", "bill__due_date", "open")
    )
    held = held_bills(as_of)
    result: dict[int, Arrears] = {}
    for account_id, project_id, bill_id, due, amount in rows.iterator(chunk_size=10000):
        item = result.get(account_id)
        if item is None:
            item = result[account_id] = Arrears(account_id, project_id)
        item.any_overdue = True
        if bill_id in held:
            continue
        item.arrears += money(amount)
        item.bills.add(bill_id)
        if item.oldest_due is None or due < item.oldest_due:
            item.oldest_due = due
    return result


def contract_terms(account_ids: list[int], as_of: dt.date) -> dict[int, tuple[str, str]]:
    """(segment, dunning policy code) of each account's contract in force on `as_of`."""
    terms: dict[int, tuple[int, str, str]] = {}
    for start in range(0, len(account_ids), 5000):
        chunk = account_ids[start : start + 5000]
        for account_id, version, segment, code in Contract.objects.filter(
            account_id__in=chunk, effective_from__lte=as_of
        ).values_list("account_id", "version", "segment", "dunning_policy"):
            if account_id not in terms or version > terms[account_id][0]:
                terms[account_id] = (version, segment, code)
    return {a: (segment, code) for a, (_, segment, code) in terms.items()}


def policies_by_code() -> dict[str, DunningPolicy]:
    return {p.code: p for p in DunningPolicy.objects.prefetch_related("steps")}


def policy_for(segment: str, code: str, policies: dict[str, DunningPolicy]) -> DunningPolicy | None:
    """The contract's named policy, else the one that lists the contract's segment."""
    if code:
        return policies.get(code)
    for policy in policies.values():
        if segment in [s.strip() for s in policy.segments.split(",")]:
            return policy
    return None


LIVE = [Notice.Status.ISSUED, Notice.Status.DELIVERED, Notice.Status.POSTED,
        Notice.Status.OPEN, Notice.Status.CLOSED]  # fmt: skip


def live_notices(account_ids: list[int]) -> dict[int, list[Notice]]:
    """The live notices of each account's open episode (cancelled and voided left out)."""
    result: dict[int, list[Notice]] = defaultdict(list)
    for start in range(0, len(account_ids), 5000):
        chunk = account_ids[start : start + 5000]
        for notice in Notice.objects.filter(
            account_id__in=chunk, episode__closed_on__isnull=True, status__in=LIVE
        ).only("account_id", "episode_id", "level", "issued_on", "settled_on", "status"):
            result[notice.account_id].append(notice)
    return result


def notice_items(account_ids: list[int], bill_ids: set[int], as_of: dt.date) -> dict:
    """Open principal and late fee per (account, bill, fee item) for the notice lines."""
    items: dict[int, dict[tuple[int, int], list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [ZERO, ZERO])
    )
    for start in range(0, len(account_ids), 2000):
        chunk = account_ids[start : start + 2000]
        rows = (
            Entry.objects.filter(
                account_id__in=chunk, bill_line__isnull=False, value_date__lte=as_of
            )
            .values("account_id", "bill_id", "fee_item_id", "component")
            .annotate(open=_SUM)
            .order_by()
            .values_list("account_id", "bill_id", "fee_item_id", "component", "open")
        )
        for account_id, bill_id, fee_item_id, component, amount in rows:
            if bill_id not in bill_ids or abs(amount) < HALF_FEN:
                continue
            slot = 0 if component == Entry.Component.PRINCIPAL else 1
            items[account_id][(bill_id, fee_item_id)][slot] += money(amount)
    return items
