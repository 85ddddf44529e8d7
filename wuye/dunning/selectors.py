"""Reads for dunning: each account's arrears as E2 counts them, in one grouped query."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from django.db.models import Q, QuerySet

from wuye.billing.disputes import disputed_bills
from wuye.billing.models import Bill, Contract
from wuye.bulk import groups_of
from wuye.dunning.models import DunningPolicy, Exclusion, Notice
from wuye.ledger.models import Entry
from wuye.ledger.selectors import _SUM
from wuye.money import HALF_FEN, ZERO, money


@dataclass
class Arrears:
    """Overdue debt on a date, of one account or (merged) of one payer in a project.
    `arrears` and `oldest_due` count only what dunning may chase (not disputed, D2; not
    paused); `any_overdue` also counts held bills, because a held bill keeps the episode
    open (E2). `lead` is the account whose bill is the oldest overdue one."""

    account_id: int
    project_id: int
    customer_id: int
    arrears: Decimal = ZERO
    oldest_due: dt.date | None = None
    any_overdue: bool = False
    bills: set[int] = field(default_factory=set)
    accounts: set[int] = field(default_factory=set)

    @property
    def payer(self) -> tuple[int, int]:
        return (self.project_id, self.customer_id)


def by_payer(per_account: dict[int, Arrears]) -> dict[tuple[int, int], Arrears]:
    """Notices address the payer: a payer with several units in one project gets one
    notice listing each unit's overdue items (RULES.md, Account); the level follows the
    oldest overdue bill among them (E2)."""
    result: dict[tuple[int, int], Arrears] = {}
    for item in sorted(per_account.values(), key=lambda a: a.account_id):
        merged = result.get(item.payer)
        if merged is None:
            merged = result[item.payer] = Arrears(item.account_id, item.project_id,
                                                  item.customer_id)  # fmt: skip
        merged.any_overdue |= item.any_overdue
        merged.accounts.add(item.account_id)
        if item.oldest_due is None:
            continue
        merged.arrears += item.arrears
        merged.bills |= item.bills
        if merged.oldest_due is None or item.oldest_due < merged.oldest_due:
            merged.oldest_due = item.oldest_due
            merged.account_id = item.account_id
    return result


def active_exclusions(as_of: dt.date) -> QuerySet:
    return Exclusion.objects.filter(starts_on__lte=as_of).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=as_of)
    )


def held_bills(as_of: dt.date) -> set[int]:
    """Bills out of dunning on `as_of`: an open dispute (D2), a pause on the bill, or an
    instalment plan that is kept on that date (S3; computed for the date, not read from
    the status `check_instalment_plans` last recorded)."""
    from wuye.approvals.instalments import bills_under_instalment_plan

    held = set(disputed_bills(as_of).values_list("bill_id", flat=True))
    held.update(
        active_exclusions(as_of)
        .filter(scope=Exclusion.Scope.BILL)
        .values_list("bill_id", flat=True)
    )
    held.update(bills_under_instalment_plan(as_of))
    return held


def _arrears_rows(as_of: dt.date, project_ids, account_ids=None, customer_ids=None):
    """(account, project, customer, bill, due date, open principal) of each open bill
    due before `as_of`, one grouped query."""
    rows = Entry.objects.filter(
        account__project_id__in=project_ids,
        component=Entry.Component.PRINCIPAL,
        bill__status=Bill.Status.ISSUED,
        bill__due_date__lt=as_of,
        value_date__lte=as_of,
    )
    if account_ids is not None:
        rows = rows.filter(account_id__in=account_ids)
    if customer_ids is not None:
        rows = rows.filter(account__customer_id__in=customer_ids)
    fields = ["account_id", "account__project_id", "account__customer_id", "bill_id",
              "bill__due_date"]  # fmt: skip
    return (
        rows.values(*fields)
        .annotate(open=_SUM)
        .filter(open__gt=HALF_FEN)
        .order_by()
        .values_list(*fields, "open")
    )


def _fold(result: dict[int, Arrears], row: tuple, held: set[int]) -> None:
    account_id, project_id, customer_id, bill_id, due, amount = row
    item = result.get(account_id)
    if item is None:
        item = result[account_id] = Arrears(account_id, project_id, customer_id)
    item.any_overdue = True
    if bill_id in held:
        return
    item.arrears += money(amount)
    item.bills.add(bill_id)
    if item.oldest_due is None or due < item.oldest_due:
        item.oldest_due = due


def arrears_by_account(
    *, as_of: dt.date, project_ids: list[int], account_ids=None, customer_ids=None,
    held: set[int] | None = None,
) -> dict[int, Arrears]:  # fmt: skip
    """E1/E2: principal of bills due before `as_of` and still open on it, per account
    (`account_ids` / `customer_ids`: a list or a subquery)."""
    rows = _arrears_rows(as_of, project_ids, account_ids, customer_ids)
    held = held_bills(as_of) if held is None else held
    result: dict[int, Arrears] = {}
    for row in rows.iterator(chunk_size=10000):
        _fold(result, row, held)
    return result


def arrears_in_chunks(
    *, as_of: dt.date, project_ids: list[int], customer_ids=None, held: set[int],
    chunk: int = 5000,
) -> Iterator[dict[int, Arrears]]:  # fmt: skip
    """`arrears_by_account` streamed in customer order: one dict per `chunk` customers
    (a payer, a customer in a project, is never split), so a run over a million units
    holds one chunk of accounts at a time."""
    rows = _arrears_rows(as_of, project_ids, customer_ids=customer_ids).order_by(
        "account__customer_id", "account_id"
    )
    for group in groups_of(rows.iterator(chunk_size=10000), key=itemgetter(2), size=chunk):
        result: dict[int, Arrears] = {}
        for row in group:
            _fold(result, row, held)
        yield result


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


def live_notices(payers: list[tuple[int, int]]) -> dict[tuple[int, int], list[Notice]]:
    """The live notices of each payer's open episode (cancelled and voided left out)."""
    result: dict[tuple[int, int], list[Notice]] = defaultdict(list)
    customers = sorted({customer for _, customer in payers})
    wanted = set(payers)
    for start in range(0, len(customers), 5000):
        chunk = customers[start : start + 5000]
        for notice in Notice.objects.filter(
            customer_id__in=chunk, episode__closed_on__isnull=True, status__in=LIVE
        ).only("project_id", "customer_id", "episode_id", "level", "issued_on", "settled_on",
               "status"):  # fmt: skip
            key = (notice.project_id, notice.customer_id)
            if key in wanted:
                result[key].append(notice)
    return result


def notice_items(bill_ids, as_of: dt.date) -> dict[tuple[int, int], list[Decimal]]:
    """Open [principal, late fee] per (bill, fee item) on `as_of`, for notice lines."""
    items: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    ids = sorted(bill_ids)
    for start in range(0, len(ids), 2000):
        rows = (
            Entry.objects.filter(
                bill_id__in=ids[start : start + 2000],
                bill_line__isnull=False,
                value_date__lte=as_of,
            )
            .values("bill_id", "fee_item_id", "component")
            .annotate(open=_SUM)
            .order_by()
            .values_list("bill_id", "fee_item_id", "component", "open")
        )
        for bill_id, fee_item_id, component, amount in rows:
            if abs(amount) < HALF_FEN:
                continue
            slot = 0 if component == Entry.Component.PRINCIPAL else 1
            items[(bill_id, fee_item_id)][slot] += money(amount)
    return items
