"""The late-fee run (rule L1): compute each debt's late fee as of a date and post only
the difference from what is already posted. Idempotent for a date; a payment recorded
later with an earlier value date makes the next run post a reversing correction.

Fed by set-based queries in chunks; the arithmetic is the pure `late_fee` function.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, DecimalField, F, Sum, Value, When
from django.utils import timezone

from wuye.billing.disputes import disputed_bills
from wuye.billing.models import Bill, BillLine, Contract
from wuye.bulk import db_value, insert_rows
from wuye.ledger import services as ledger
from wuye.ledger.late_fees import late_fee
from wuye.ledger.models import Entry
from wuye.money import ZERO, money
from wuye.policies.selectors import policy
from wuye.properties.models import Project
from wuye.sql import InIds

CHUNK = 5000


@dataclass
class LateFeeRunResult:
    project: str
    as_of: dt.date
    debts_checked: int = 0
    entries: int = 0
    posted: Decimal = ZERO
    corrected: Decimal = ZERO


def _sum_of(kind: str) -> Sum:
    return Sum(
        Case(
            When(kind=kind, then=F("amount")),
            default=Value(ZERO),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )


def _candidate_lines(project: Project, as_of: dt.date) -> list[int]:
    """Bill lines that were unpaid at their due date (so accrue or accrued a fee): fee
    items that bear late fees, live bills past due. One grouped query."""
    unpaid_at_due = Sum(
        Case(
            When(value_date__lte=F("bill__due_date"), then=F("amount")),
            default=Value(ZERO),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )
    rows = (
        Entry.objects.filter(
            account__project=project,
            component=Entry.Component.PRINCIPAL,
            bill__status=Bill.Status.ISSUED,
            bill__due_date__lt=as_of,
            fee_item__bears_late_fee=True,
        )
        # D2/L1: a disputed bill accrues but posts nothing until the dispute is resolved
        .exclude(bill_id__in=disputed_bills(as_of))
        .values("bill_line_id")
        .annotate(unpaid=unpaid_at_due)
        .filter(unpaid__gt=Decimal("0.005"))
        .order_by("bill_line_id")
        .values_list("bill_line_id", flat=True)
    )
    return list(rows)


def _lines(ids: list[int], project: Project) -> list[tuple]:
    """Per bill line: (id, bill, account, fee item, amount, due date, late-fee clause,
    rate per day), read as values. A bill's own contract; for an opening balance (no
    contract) the account's latest contract (L1, X3)."""
    rows = list(
        BillLine.objects.filter(InIds("pk", ids)).values_list(
            "pk", "bill_id", "bill__account_id", "fee_item_id", "amount", "bill__due_date",
            "bill__contract_id", "bill__contract__late_fee_clause",
            "bill__contract__late_fee_rate",
        )
    )  # fmt: skip
    orphans = {row[2] for row in rows if row[6] is None}
    latest: dict[int, tuple[bool, Decimal | None]] = {}
    for account_id, clause, rate in (
        Contract.objects.filter(account_id__in=orphans)
        .order_by("effective_from")
        .values_list("account_id", "late_fee_clause", "late_fee_rate")
    ):
        latest[account_id] = (clause, rate)
    default_rate = policy("late_fee_rate", project_id=project.pk)
    result = []
    for pk, bill_id, account_id, item_id, amount, due, contract_id, clause, rate in rows:
        if contract_id is None:
            clause, rate = latest.get(account_id, (False, ZERO))
        result.append((pk, bill_id, account_id, item_id, amount, due, clause,
                       rate or default_rate))  # fmt: skip
    return result


def run_late_fees(
    *, project: Project, as_of: dt.date, actor: str, dry_run: bool = False
) -> LateFeeRunResult:
    """Post the late fees of one project as of a date (L1), in one transaction."""
    result = LateFeeRunResult(project=project.code, as_of=as_of)
    cap_ratio = policy("late_fee_cap_ratio", project_id=project.pk)
    now = timezone.now()
    with transaction.atomic():
        if not dry_run:  # payments of the project wait (issue 8, wuye/dunning/locks.py)
            from wuye.dunning.locks import lock_runs

            lock_runs([project.pk])
        line_ids = _candidate_lines(project, as_of)
        touched_accounts: set[int] = set()
        fields = ["account", "kind", "component", "bill", "bill_line", "fee_item", "amount",
                  "entry_date", "value_date", "actor", "created_at", "reason"]  # fmt: skip
        created_at = db_value(now)
        for offset in range(0, len(line_ids), CHUNK):
            ids = line_ids[offset : offset + CHUNK]
            changes: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
            for line_id, day, amount in Entry.objects.filter(
                InIds("bill_line_id", ids),
                component=Entry.Component.PRINCIPAL,
                value_date__lte=as_of,
            ).values_list("bill_line_id", "value_date", "amount"):
                changes[line_id].append((day, money(amount)))
            # only late-fee entries count as posted: a waiver (M1, S3) is a separate entry
            # that lowers what is owed and is never re-posted by a run
            posted, waived = {}, {}
            for line_id, fee_total, waived_total in (
                Entry.objects.filter(
                    InIds("bill_line_id", ids), kind__in=[Entry.Kind.LATE_FEE, Entry.Kind.WAIVER]
                )
                .values("bill_line_id")
                .annotate(fee=_sum_of(Entry.Kind.LATE_FEE), waived=_sum_of(Entry.Kind.WAIVER))
                .values_list("bill_line_id", "fee", "waived")
            ):
                posted[line_id], waived[line_id] = money(fee_total), money(waived_total)
            rows = []
            for line_id, bill_id, account_id, item_id, amount, due, clause, rate in _lines(
                ids, project
            ):
                fee = ZERO
                if clause:
                    fee = late_fee(
                        due_date=due,
                        as_of=as_of,
                        rate=rate,
                        principal_changes=changes[line_id],
                        cap=money(amount * cap_ratio),
                    )
                diff = fee - posted.get(line_id, ZERO)
                result.debts_checked += 1
                if diff == 0:
                    continue
                if diff > 0:
                    result.posted += diff
                else:
                    result.corrected += diff
                touched_accounts.add(account_id)
                reason = f"L1 late fee as of {as_of}" + (" (correction)" if diff < 0 else "")
                rows.append((account_id, Entry.Kind.LATE_FEE.value, Entry.Component.LATE_FEE.value,
                             bill_id, line_id, item_id, diff, as_of, as_of, actor, created_at,
                             reason))  # fmt: skip
                # a waiver cannot waive more than the fee: when a correction takes the fee
                # below what was waived, the excess of the waiver is taken back (M1, L1)
                excess = -waived.get(line_id, ZERO) - fee
                if diff < 0 and excess > 0:
                    rows.append((account_id, Entry.Kind.WAIVER.value,
                                 Entry.Component.LATE_FEE.value, bill_id, line_id, item_id,
                                 min(excess, -diff), as_of, as_of, actor, created_at,
                                 "waiver excess taken back: the late fee was corrected down (L1)"))  # fmt: skip
            result.entries += len(rows)
            if not dry_run:
                insert_rows(Entry, fields, rows)
        if dry_run:
            transaction.set_rollback(True)
        elif touched_accounts:
            ledger.release_overallocated(
                touched_accounts, on=as_of, actor=actor, reason="L1 late fee corrected down"
            )
            ledger.apply_credit(touched_accounts, on=as_of, actor=actor)
    return result
