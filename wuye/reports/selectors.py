"""Reads for M4 and the collection figures: the responsible collector of each account,
the monthly arrears list (每月業主欠費清單), recovery per collector with the bonus
(回款獎勵) and the two collection rates (收繳率, 清欠率).

Everything is set-based: the arrears list takes a fixed number of grouped queries per
chunk of accounts (never one per row) and yields its rows, so a project of 100,000 units
is written without holding it in memory."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from django.db.models import (
    CharField,
    DateField,
    DecimalField,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from wuye.billing.models import Bill, BillLine, Contract, FeeItem
from wuye.bulk import groups_of
from wuye.dates import Period
from wuye.dunning.models import Contact, Notice
from wuye.dunning.selectors import LIVE
from wuye.errors import NotFound
from wuye.ledger.models import Entry
from wuye.ledger.selectors import _SUM
from wuye.ledger.statements import PAID_KINDS, bucket_for, bucket_labels
from wuye.money import HALF_FEN, ZERO, money
from wuye.policies.selectors import policy
from wuye.properties.models import Account, Project, Unit
from wuye.properties.selectors import accounts_where
from wuye.reports.bonus import bonus_for, parse_tiers
from wuye.reports.models import Assignment
from wuye.sql import Dialect

CHUNK = 2000
UNASSIGNED = ""

#: what pays a debt: payments, credit applied, and a reversed payment (negative)
PAID = Q(kind__in=PAID_KINDS) | Q(kind=Entry.Kind.REVERSAL, payment__isnull=False)


def get_project(code: str) -> Project:
    project = Project.objects.filter(code=code).first()
    if project is None:
        raise NotFound("project", code)
    return project


# --- M4: the responsible collector ----------------------------------------------------


def collector_expression(as_of: dt.date, account_ref: str = "pk"):
    """M4, as an SQL expression on an account: its latest assignment from on or before
    `as_of`, else the collector of its contract version in force, else ''."""
    assignment = Assignment.objects.filter(
        account_id=OuterRef(account_ref), from_date__lte=as_of
    ).order_by("-from_date", "-id")
    contract = Contract.objects.filter(
        account_id=OuterRef(account_ref), effective_from__lte=as_of
    ).order_by("-effective_from", "-version")
    return Coalesce(
        Subquery(assignment.values("collector")[:1]),
        Subquery(contract.values("collector")[:1]),
        Value(UNASSIGNED),
        output_field=CharField(),
    )


def collectors(account_ids: Iterable[int], *, as_of: dt.date) -> dict[int, str]:
    """M4: the responsible collector of each account on `as_of` (one query per chunk)."""
    ids = list(account_ids)
    result: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        result.update(
            Account.objects.filter(id__in=ids[start : start + CHUNK])
            .annotate(collector=collector_expression(as_of))
            .values_list("id", "collector")
        )
    return result


def collector_history(account_ids: list[int], *, until: dt.date) -> dict[int, list]:
    """Per account, [(from_date, rank, collector)] sorted: contract versions (rank 0) and
    assignments (rank 1, so an assignment wins over a contract of the same day)."""
    history: dict[int, list] = defaultdict(list)
    for start in range(0, len(account_ids), CHUNK):
        chunk = account_ids[start : start + CHUNK]
        for account_id, day, version, name in Contract.objects.filter(
            account_id__in=chunk, effective_from__lte=until
        ).values_list("account_id", "effective_from", "version", "collector"):
            history[account_id].append((day, 0, version, name))
        for account_id, day, pk, name in Assignment.objects.filter(
            account_id__in=chunk, from_date__lte=until
        ).values_list("account_id", "from_date", "id", "collector"):
            history[account_id].append((day, 1, pk, name))
    for rows in history.values():
        rows.sort()
    return history


def collector_on(history: list, day: dt.date) -> str:
    """The collector in force on `day`: the latest assignment, else the contract's."""
    assigned = contract = None
    for from_date, rank, _, name in history:
        if from_date > day:
            break
        if rank == 1:
            assigned = name
        else:
            contract = name
    return assigned or contract or UNASSIGNED


# --- M4: the monthly arrears list -----------------------------------------------------


@dataclass
class ItemArrears:
    months: int = 0
    amount: Decimal = ZERO


@dataclass
class ArrearsRow:
    account_id: int
    account: str
    unit: str
    owner: str
    by_item: dict[int, ItemArrears] = field(default_factory=dict)
    late_fee: Decimal = ZERO
    total: Decimal = ZERO
    oldest_due: dt.date | None = None
    days_overdue: int = 0
    age: str = ""
    reason: str = ""
    reason_label: str = ""
    last_contact_on: dt.date | None = None
    last_contact_channel: str = ""
    promise_on: dt.date | None = None
    promise_amount: Decimal | None = None
    stage: str = ""
    collector: str = ""


@dataclass
class ArrearsList:
    project: Project
    as_of: dt.date
    fee_items: list[FeeItem]
    rows: Iterator[ArrearsRow]


def _months(start: dt.date, end: dt.date) -> int:
    """Months in a half-open billing period [start, end): a quarterly bill is 3."""
    return max(1, (end.year - start.year) * 12 + end.month - start.month)


def _overdue_entries(project: Project, as_of: dt.date, accounts=None):
    """Ledger entries of bills overdue on `as_of` (E1: due date before it), up to it;
    `accounts`: a subquery of account ids to keep (a building's, a segment's)."""
    entries = Entry.objects.filter(
        account__project=project,
        bill__status=Bill.Status.ISSUED,
        bill__due_date__lt=as_of,
        value_date__lte=as_of,
        bill_line__isnull=False,
    )
    return entries if accounts is None else entries.filter(account_id__in=accounts)


def arrears_list(
    *,
    project: Project,
    as_of: dt.date,
    chunk: int = CHUNK,
    building: str | None = None,
    segment: str | None = None,
) -> ArrearsList:
    """M4: one row per account of the project in arrears on `as_of` (something past its
    due date still open), ordered by unit. The fee item columns are the items of the
    project's overdue bills; the rows are produced lazily, chunk by chunk. `building`
    (code) and `segment` (of the contract in force) narrow it (the dashboards)."""
    accounts = accounts_where(building=building, segment=segment, on=as_of)
    # the items of the overdue bills' lines: the same items as their ledger entries (a
    # charge is booked on issue, before the due date), from a table half the size (one
    # DISTINCT: 3 s at a million units, where an EXISTS per fee item took 8)
    lines = BillLine.objects.filter(
        bill__account__project=project, bill__status=Bill.Status.ISSUED, bill__due_date__lt=as_of
    )
    if accounts is not None:
        lines = lines.filter(bill__account_id__in=accounts)
    item_ids = set(lines.values_list("fee_item_id", flat=True).distinct())
    fee_items = list(FeeItem.objects.filter(id__in=item_ids))  # Meta.ordering: sort_order
    return ArrearsList(
        project=project,
        as_of=as_of,
        fee_items=fee_items,
        rows=_arrears_rows(project, as_of, chunk, accounts),
    )


@dataclass
class AgeBucket:
    label: str
    accounts: int = 0
    late_fee: Decimal = ZERO
    total: Decimal = ZERO


def aging(
    *,
    project: Project,
    as_of: dt.date,
    building: str | None = None,
    segment: str | None = None,
) -> list[AgeBucket]:
    """M4: the accounts in arrears on `as_of` and what they owe, by the age of their
    oldest open overdue debt (the arrears list's 賬齡 column summed; buckets: policy
    `aging_buckets`). One query: open debts per (account, bill, item, component), then
    per account, then per bucket; the bucket is decided on due dates (days overdue ≤ a
    bound ⟺ due date ≥ the day minus the bound)."""
    from django.db import connections

    bounds = policy("aging_buckets", project_id=project.pk)
    result = [AgeBucket(label) for label in bucket_labels(bounds)]
    debts = (
        _overdue_entries(project, as_of, accounts_where(building=building, segment=segment,
                                                        on=as_of))
        .values("account_id", "bill_id", "fee_item_id", "component")
        .annotate(open=_SUM, due=Min("bill__due_date"))
        .filter(open__gt=HALF_FEN)
        .order_by()
        .values_list("account_id", "component", "open", "due")
    )  # fmt: skip
    connection = connections[debts.db]  # the reports replica when configured (wuye.replica)
    inner, params = debts.query.sql_with_params()
    cents = Dialect(connection.vendor).cents("d.open")  # exact sums (SQLite sums REALs)
    cases = " ".join(f"WHEN MIN(d.due) >= %s THEN {i}" for i in range(len(bounds)))
    sql = (
        "SELECT a.bucket, COUNT(*), SUM(a.total), SUM(a.late_fee) FROM ("
        f"SELECT d.account_id, SUM({cents}) AS total,"
        f" SUM(CASE WHEN d.component = %s THEN {cents} ELSE 0 END) AS late_fee,"
        f" CASE {cases} ELSE {len(bounds)} END AS bucket"
        f" FROM ({inner}) d GROUP BY d.account_id HAVING SUM({cents}) > 0"
        ") a GROUP BY a.bucket"
    )
    cutoffs = [
        connection.ops.adapt_datefield_value(as_of - dt.timedelta(days=high)) for high in bounds
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [Entry.Component.LATE_FEE.value, *cutoffs, *params])
        for index, accounts, total, late_fee in cursor.fetchall():
            bucket = result[index]
            bucket.accounts = accounts
            bucket.total, bucket.late_fee = (
                money(Decimal(total) / 100),
                money(Decimal(late_fee) / 100),
            )
    return result


def _arrears_rows(
    project: Project, as_of: dt.date, chunk: int, accounts=None
) -> Iterator[ArrearsRow]:
    """One streamed query: the open overdue debts per (account, bill, item, component)
    of the accounts in arrears (their overdue entries summed above half a fen), ordered
    by unit; the per-account columns are read per chunk of accounts. The accounts in
    arrears are found first (one hash per account), so only their entries are grouped
    per debt and only the open debts are sorted, read from a server-side cursor."""
    from django.db import connections

    bounds = policy("aging_buckets", project_id=project.pk)
    in_arrears = (
        _overdue_entries(project, as_of, accounts)
        .values("account_id")
        .annotate(open=_SUM)
        .filter(open__gt=HALF_FEN)
        .values("account_id")
    )
    debts = (
        _overdue_entries(project, as_of, accounts)
        .filter(account_id__in=in_arrears)
        .values("account_id", "bill_id", "fee_item_id", "component")
        .annotate(open=_SUM)
        .filter(open__gt=HALF_FEN)
        .order_by()
    )
    connection = connections[debts.db]  # the reports replica when configured
    inner, params = debts.query.sql_with_params()
    cents = Dialect(connection.vendor).cents("d.open")  # exact sums (SQLite sums REALs)
    sql = (
        "SELECT d.account_id, d.bill_id, d.fee_item_id, d.component, b.due_date,"
        f" b.period_start, b.period_end, {cents} FROM ({inner}) d"
        f" JOIN {Bill._meta.db_table} b ON b.id = d.bill_id"
        f" JOIN {Account._meta.db_table} a ON a.id = d.account_id"
        f" JOIN {Unit._meta.db_table} u ON u.id = a.unit_id ORDER BY u.code, a.id"
    )
    convert = connection.ops.convert_datefield_value if connection.vendor == "sqlite" else None

    def debts_read():
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(chunk):
                for row in rows:
                    if convert is not None:  # SQLite gives dates as text
                        dates = (convert(v, None, connection) for v in row[4:7])
                        row = (*row[:4], *dates, row[7])
                    yield row

    for group in groups_of(debts_read(), key=itemgetter(0), size=chunk):
        ids = list(dict.fromkeys(row[0] for row in group))  # in unit order
        yield from _arrears_chunk(project, as_of, ids, group, bounds)


def _arrears_chunk(
    project, as_of, ids: list[int], debts: list[tuple], bounds: list[int]
) -> list[ArrearsRow]:
    """The rows of `ids` (in order) from their open debts (account, bill, item, component,
    due, period start, period end, cents) and their per-account columns."""
    from wuye.collection.models import Promise, Reason
    from wuye.collection.selectors import latest_reasons

    contacts = Contact.objects.filter(account_id=OuterRef("pk"), on__lte=as_of).order_by(
        "-on", "-id"
    )
    promises = Promise.objects.filter(
        account_id=OuterRef("pk"), made_on__lte=as_of, promised_on__gte=as_of
    ).filter(Q(settled_on__isnull=True) | Q(settled_on__gt=as_of))
    promises = promises.order_by("-made_on", "-id")
    notices = (
        Notice.objects.filter(
            project_id=OuterRef("project_id"),
            customer_id=OuterRef("customer_id"),
            issued_on__lte=as_of,
            status__in=LIVE,
        )
        .filter(Q(episode__closed_on__isnull=True) | Q(episode__closed_on__gt=as_of))
        .order_by("-issued_on", "-level", "-id")
    )
    accounts = (
        Account.objects.filter(id__in=ids)
        .annotate(
            collector=collector_expression(as_of),
            last_contact_on=Subquery(contacts.values("on")[:1], output_field=DateField()),
            last_contact_channel=Subquery(contacts.values("channel")[:1]),
            promise_on=Subquery(promises.values("promised_on")[:1], output_field=DateField()),
            promise_amount=Subquery(
                promises.values("amount")[:1],
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
            stage=Subquery(notices.values("step__name")[:1]),
        )
        .values(
            "id",
            "code",
            "unit__code",
            "customer__name",
            "collector",
            "last_contact_on",
            "last_contact_channel",
            "promise_on",
            "promise_amount",
            "stage",
        )
    )
    rows: dict[int, ArrearsRow] = {}
    for a in accounts:
        rows[a["id"]] = ArrearsRow(
            account_id=a["id"],
            account=a["code"],
            unit=a["unit__code"],
            owner=a["customer__name"],
            collector=a["collector"] or UNASSIGNED,
            last_contact_on=a["last_contact_on"],
            last_contact_channel=a["last_contact_channel"] or "",
            promise_on=a["promise_on"],
            promise_amount=money(a["promise_amount"]) if a["promise_amount"] is not None else None,
            stage=a["stage"] or "",
        )
    months_seen: dict[tuple[int, int], set[int]] = defaultdict(set)
    for account_id, bill_id, fee_item_id, component, due, starts, ends, cents in debts:
        row = rows[account_id]
        amount = Decimal(cents).scaleb(-2)  # exact: 1250 → 12.50
        row.total += amount
        if row.oldest_due is None or due < row.oldest_due:
            row.oldest_due = due
        if component == Entry.Component.LATE_FEE:
            row.late_fee += amount
            continue
        item = row.by_item.setdefault(fee_item_id, ItemArrears())
        item.amount += amount
        if bill_id not in months_seen[(account_id, fee_item_id)]:
            months_seen[(account_id, fee_item_id)].add(bill_id)
            item.months += _months(starts, ends)
    for account_id, (reason, _) in latest_reasons(ids, as_of).items():
        rows[account_id].reason = reason
        rows[account_id].reason_label = Reason(reason).label
    result = []
    for account_id in ids:
        row = rows[account_id]
        if row.oldest_due is not None:
            row.days_overdue = (as_of - row.oldest_due).days
            row.age = bucket_for(row.days_overdue, bounds)
        result.append(row)
    return result


# --- M4: recovery per collector and the bonus -----------------------------------------


@dataclass
class CollectorRecovery:
    collector: str
    accounts: int
    recovered: Decimal
    bonus: Decimal


def recovered_arrears_entries(project: Project, start: dt.date, until: dt.date):
    """M4: what paid debts already overdue on the day it was paid (due date before the
    payment's value date), from `start` to `until` inclusive; a reversed payment of
    such a debt in the period counts against it."""
    return Entry.objects.filter(
        account__project=project, value_date__gte=start, value_date__lte=until
    ).filter(
        Q(kind=Entry.Kind.PAYMENT, bill__due_date__lt=F("value_date"))
        | Q(
            kind=Entry.Kind.REVERSAL,
            payment__isnull=False,
            reverses__kind=Entry.Kind.PAYMENT,
            reverses__bill__due_date__lt=F("reverses__value_date"),
        )
    )


def recovery_by_collector(
    *,
    project: Project,
    start: dt.date,
    until: dt.date,
    building: str | None = None,
    segment: str | None = None,
) -> dict:
    """M4: per collector, the arrears recovered in [start, until] on the accounts they
    were responsible for on each payment's date, and the bonus by the policy rule
    (`collection_bonus_rate`, or `collection_bonus_tiers` when set). Recovery on
    accounts without a collector is shown, with no bonus."""
    entries = recovered_arrears_entries(project, start, until)
    accounts = accounts_where(building=building, segment=segment, on=until)
    if accounts is not None:  # a building's or a segment's accounts (the dashboards)
        entries = entries.filter(account_id__in=accounts)
    per_day = list(
        entries.values_list("account_id", "value_date")
        .annotate(total=_SUM)
        .order_by()
        .values_list("account_id", "value_date", "total")
    )
    history = collector_history(sorted({a for a, _, _ in per_day}), until=until)
    recovered: dict[str, Decimal] = defaultdict(lambda: ZERO)
    accounts: dict[str, set[int]] = defaultdict(set)
    for account_id, day, total in per_day:
        name = collector_on(history.get(account_id, []), day)
        recovered[name] -= money(total)  # payments lower the debt: negative entries
        accounts[name].add(account_id)
    rate = policy("collection_bonus_rate", project_id=project.pk)
    tiers = parse_tiers(policy("collection_bonus_tiers", project_id=project.pk))
    rows = [
        CollectorRecovery(
            collector=name,
            accounts=len(accounts[name]),
            recovered=money(amount),
            bonus=bonus_for(amount, rate=rate, tiers=tiers) if name else ZERO,
        )
        for name, amount in sorted(recovered.items(), key=lambda kv: (kv[0] == "", kv[0]))
    ]
    return {
        "project": project.code,
        "from": start,
        "until": until,
        "rule": {"collection_bonus_rate": rate, "collection_bonus_tiers": tiers},
        "collectors": rows,
        "recovered": money(sum((r.recovered for r in rows), ZERO)),
        "bonus": money(sum((r.bonus for r in rows), ZERO)),
    }


# --- the collection rates (收繳率, 清欠率) ----------------------------------------------


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return money(part * 100 / whole) if whole else None


def collection_rate(
    *,
    project: Project,
    period: Period,
    building: str | None = None,
    segment: str | None = None,
) -> dict:
    """RULES.md defaults, for one month (four aggregate queries):

    - current-period rate (收繳率) = collected of this period's bills (their principal,
      paid by the month's last day) ÷ billed this period (the charges of the live bills
      whose period starts in the month);
    - arrears recovery rate (清欠率) = arrears collected in the month ÷ arrears at its
      start, where the arrears at its start are what was open, on the day before, of
      bills already past their due date on the first day (principal and late fees), and
      what was collected of them is what paid those bills during the month."""
    first = period.start
    last = period.end() - dt.timedelta(days=1)
    entries = Entry.objects.filter(account__project=project, bill__status=Bill.Status.ISSUED)
    accounts = accounts_where(building=building, segment=segment, on=last)
    if accounts is not None:  # a building's or a segment's accounts (the dashboards)
        entries = entries.filter(account_id__in=accounts)
    this_period = entries.filter(bill__period_start__gte=first, bill__period_start__lte=last)
    billed = money(this_period.filter(kind=Entry.Kind.CHARGE).aggregate(t=_SUM)["t"])
    collected = -money(
        this_period.filter(
            PAID, component=Entry.Component.PRINCIPAL, value_date__lte=last
        ).aggregate(t=_SUM)["t"]
    )
    old = entries.filter(bill__due_date__lt=first, bill_line__isnull=False)
    arrears_at_start = money(old.filter(value_date__lt=first).aggregate(t=_SUM)["t"])
    arrears_collected = -money(
        old.filter(PAID, value_date__gte=first, value_date__lte=last).aggregate(t=_SUM)["t"]
    )
    return {
        "project": project.code,
        "month": str(period),
        "billed": billed,
        "collected": collected,
        "current_rate": _percent(collected, billed),
        "arrears_at_start": arrears_at_start,
        "arrears_collected": arrears_collected,
        "recovery_rate": _percent(arrears_collected, arrears_at_start),
    }
