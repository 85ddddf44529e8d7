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
from wuye.ledger import services as ledger
from wuye.ledger.late_fees import late_fee
from wuye.ledger.models import Entry
from wuye.ledger.selectors import _SUM
from wuye.money import ZERO, money
from wuye.policies.selectors import policy
from wuye.properties.models import Project

CHUNK = 5000


@dataclass
class LateFeeRunResult:
    project: str
    as_of: dt.date
    debts_checked: int = 0
    entries: int = 0
    posted: Decimal = ZERO
    corrected: Decimal = ZERO


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


def _terms(lines: list[BillLine], project: Project) -> dict[int, tuple[bool, Decimal]]:
    """Per account: (late-fee clause, rate per day). A bill's own contract; for an opening
    balance (no contract) the account's latest contract (L1, X3)."""
    accounts = {line.bill.account_id for line in lines}
    latest: dict[int, Contract] = {}
    for contract in Contract.objects.filter(account_id__in=accounts).order_by("effective_from"):
        latest[contract.account_id] = contract
    default_rate = policy("late_fee_rate", project_id=project.pk)
    result = {}
    for line in lines:
        contract = line.bill.contract or latest.get(line.bill.account_id)
        if contract is None:
            result[line.pk] = (False, ZERO)
        else:
            result[line.pk] = (contract.late_fee_clause, contract.late_fee_rate or default_rate)
    return result


def run_late_fees(
    *, project: Project, as_of: dt.date, actor: str, dry_run: bool = False
) -> LateFeeRunResult:
    """Post the late fees of one project as of a date (L1), in one transaction."""
    result = LateFeeRunResult(project=project.code, as_of=as_of)
    cap_ratio = policy("late_fee_cap_ratio", project_id=project.pk)
    now = timezone.now()
    with transaction.atomic():
        line_ids = _candidate_lines(project, as_of)
        touched_accounts: set[int] = set()
        for offset in range(0, len(line_ids), CHUNK):
            ids = line_ids[offset : offset + CHUNK]
            lines = list(
                BillLine.objects.filter(pk__in=ids).select_related("bill", "bill__contract")
            )
            terms = _terms(lines, project)
            changes: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
            for line_id, day, amount in Entry.objects.filter(
                bill_line_id__in=ids, component=Entry.Component.PRINCIPAL, value_date__lte=as_of
            ).values_list("bill_line_id", "value_date", "amount"):
                changes[line_id].append((day, money(amount)))
            posted = dict(
                Entry.objects.filter(bill_line_id__in=ids, kind=Entry.Kind.LATE_FEE)
                .values("bill_line_id")
                .annotate(total=_SUM)
                .values_list("bill_line_id", "total")
            )
            waived = dict(
                Entry.objects.filter(bill_line_id__in=ids, kind=Entry.Kind.WAIVER)
                .values("bill_line_id")
                .annotate(total=_SUM)
                .values_list("bill_line_id", "total")
            )
            entries = []
            for line in lines:
                clause, rate = terms[line.pk]
                fee = ZERO
                if clause:
                    fee = late_fee(
                        due_date=line.bill.due_date,
                        as_of=as_of,
                        rate=rate,
                        principal_changes=changes[line.pk],
                        cap=money(line.amount * cap_ratio),
                    )
                # only late-fee entries count as posted: a waiver (M1, S3) is a separate
                # entry that lowers what is owed and is never re-posted by a run
                already = money(posted.get(line.pk, ZERO))
                diff = fee - already
                result.debts_checked += 1
                if diff == 0:
                    continue
                if diff > 0:
                    result.posted += diff
                else:
                    result.corrected += diff
                touched_accounts.add(line.bill.account_id)
                entries.append(
                    Entry(
                        account_id=line.bill.account_id,
                        kind=Entry.Kind.LATE_FEE,
                        component=Entry.Component.LATE_FEE,
                        bill_id=line.bill_id,
                        bill_line_id=line.pk,
                        fee_item_id=line.fee_item_id,
                        amount=diff,
                        entry_date=as_of,
                        value_date=as_of,
                        actor=actor,
                        created_at=now,
                        reason=f"L1 late fee as of {as_of}" + (" (correction)" if diff < 0 else ""),
                    )
                )
                # a waiver cannot waive more than the fee: when a correction takes the fee
                # below what was waived, the excess of the waiver is taken back (M1, L1)
                excess = -money(waived.get(line.pk, ZERO)) - fee
                if diff < 0 and excess > 0:
                    entries.append(
                        Entry(
                            account_id=line.bill.account_id,
                            kind=Entry.Kind.WAIVER,
                            component=Entry.Component.LATE_FEE,
                            bill_id=line.bill_id,
                            bill_line_id=line.pk,
                            fee_item_id=line.fee_item_id,
                            amount=min(excess, -diff),
                            entry_date=as_of,
                            value_date=as_of,
                            actor=actor,
                            created_at=now,
                            reason="waiver excess taken back: the late fee was corrected down (L1)",
                        )
                    )
            result.entries += len(entries)
            if not dry_run:
                Entry.objects.bulk_create(entries, batch_size=2000)
        if dry_run:
            transaction.set_rollback(True)
        elif touched_accounts:
            ledger.release_overallocated(
                touched_accounts, on=as_of, actor=actor, reason="L1 late fee corrected down"
            )
            ledger.apply_credit(touched_accounts, on=as_of, actor=actor)
    return result
