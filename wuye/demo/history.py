"""Demo history: months of bills, receipts and payments played out through the services.

Each account gets a payment habit from the seed (most pay on time, some late, some in
part, a few never; vacant investment units mostly not; one shop runs up a large debt).
The same plan can be carried out two ways that give the same ledger:
- the service path: `record_bill_receipt` and `record_payment` one at a time;
- the fast path: `record_bill_receipts` and `record_payments`, set-based per day.
Bill runs are set-based in both (`issue_bills`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from wuye.billing.models import Bill, BillRun, Contract
from wuye.billing.services import (
    issue_bills,
    record_bill_receipt,
    record_bill_receipts,
)
from wuye.dates import Period, add_months
from wuye.payments.models import Payment
from wuye.payments.services import PaymentSpec, record_payment, record_payments
from wuye.policies.selectors import policy
from wuye.properties.models import Account, Project
from wuye.workdays.services import next_working_day

LARGE_DEBT_SHOP = "CY-S-001"
METHODS = [
    Payment.Method.BANK_TRANSFER,
    Payment.Method.WECHAT,
    Payment.Method.ALIPAY,
    Payment.Method.AUTO_DEBIT,
    Payment.Method.CASH,
]
# Payment habits per segment: (habit, weight). Numbers from the procedures' picture of a
# typical estate: most pay, vacant investment units (S1) mostly do not.
HABITS = {
    Contract.Segment.OFFICE: [
        ("prompt", 83),
        ("late", 9),
        ("partial", 3),
        ("never", 3),
        ("lapsing", 2),
    ],
    Contract.Segment.RESIDENTIAL: [
        ("prompt", 82),
        ("late", 9),
        ("partial", 3),
        ("never", 3),
        ("lapsing", 3),
    ],
    Contract.Segment.VACANT_INVESTMENT: [("prompt", 15), ("late", 25), ("never", 60)],
    Contract.Segment.SHOP_VILLA: [("prompt", 72), ("late", 16), ("partial", 6), ("never", 6)],
    Contract.Segment.HARDSHIP: [("partial", 55), ("late", 30), ("never", 15)],
}
# A lapsing payer stops paying the bills issued in the last weeks of the history.
LAPSE_DAYS = (20, 50)


def habit_of(seed: int, account_code: str, unit_code: str, segment: str) -> str:
    if unit_code == LARGE_DEBT_SHOP:
        return "never"  # the shop with a large debt
    rng = random.Random(f"habit:{seed}:{account_code}")
    habits, weights = zip(*HABITS[segment], strict=True)
    return rng.choices(habits, weights=weights)[0]


@dataclass
class HistoryResult:
    periods: list[str] = field(default_factory=list)
    bills: int = 0
    receipts: int = 0
    payments: int = 0


@dataclass
class _Plan:
    receipts: dict[dt.date, list[tuple[int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    payments: dict[dt.date, list[tuple[str, int, Decimal, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )


class _Calendar:
    """Cached working days and payment terms, so planning a million bills stays cheap."""

    def __init__(self):
        self._workday: dict[tuple[dt.date, str], dt.date] = {}
        self._term: dict[tuple[int, str], int] = {}

    def workday(self, day: dt.date, calendar: str) -> dt.date:
        key = (day, calendar)
        if key not in self._workday:
            self._workday[key] = next_working_day(day, calendar=calendar)
        return self._workday[key]

    def term_days(self, project_id: int, segment: str) -> int:
        key = (project_id, segment)
        if key not in self._term:
            self._term[key] = policy("payment_term_days", project_id=project_id, segment=segment)
        return self._term[key]


def _plan_month(runs, *, seed: int, until: dt.date, plan: _Plan, cal: _Calendar) -> None:
    projects = {p.pk: p for p in Project.objects.all()}
    rows = (
        Bill.objects.filter(run__in=runs)
        .order_by("id")
        .values_list(
            "id",
            "number",
            "project_id",
            "issue_date",
            "due_date",
            "total",
            "account_id",
            "account__code",
            "account__unit__code",
            "contract__segment",
            "contract__payment_term",
            "contract__payment_term_days",
        )
    )
    for (
        bill_id,
        number,
        project_id,
        issued,
        due,
        total,
        account_id,
        account_code,
        unit_code,
        segment,
        term,
        term_days,
    ) in rows.iterator(chunk_size=5000):
        project = projects[project_id]
        rng = random.Random(f"bill:{seed}:{number}")
        start = issued
        if term == Contract.Term.AFTER_RECEIPT:
            received = cal.workday(
                issued + dt.timedelta(days=rng.choice([0] * 8 + [1, 2, 3])),
                project.workday_calendar,
            )
            if received > until:
                continue  # still undelivered at the end of the history
            plan.receipts[received].append((bill_id, number))
            days = term_days if term_days is not None else cal.term_days(project_id, segment)
            due = cal.workday(received + dt.timedelta(days=days), project.workday_calendar)
            start = received
        habit = habit_of(seed, account_code, unit_code, segment)
        if habit == "lapsing":
            lapse = random.Random(f"lapse:{seed}:{account_code}").randint(*LAPSE_DAYS)
            habit = "never" if issued >= until - dt.timedelta(days=lapse) else "prompt"
        if habit == "never" or due is None:
            continue
        if habit == "late":
            paid_on = due + dt.timedelta(days=rng.randint(3, 50))
        else:
            paid_on = start + dt.timedelta(days=rng.randint(0, max(0, (due - start).days)))
        amount = total
        if habit == "partial":
            amount = (total / 2).quantize(Decimal("1"), rounding=ROUND_DOWN)
        if paid_on <= until and amount > 0:
            plan.payments[paid_on].append((account_code, account_id, amount, rng.choice(METHODS)))


def play_history(
    *, start: dt.date, until: dt.date, seed: int, actor: str, fast: bool = True
) -> HistoryResult:
    """Play out the months whose bill-run day (the first working day, W1) falls within
    [start, until]: bill run, receipts of office bills (B1, a few days late now and
    then), payments by each account's habit. Deterministic for a seed."""
    result = HistoryResult()
    cal = _Calendar()
    plan = _Plan()
    run_days: dict[dt.date, Period] = {}
    period = Period.of(start)
    while period.start <= until:
        day = cal.workday(period.start, "CN")
        if start <= day <= until:
            run_days[day] = period
        period = Period(add_months(period.start, 1))
    day = min(run_days) if run_days else until + dt.timedelta(days=1)
    while day <= until:
        if day in run_days:
            period = run_days[day]
            before = set(BillRun.objects.values_list("id", flat=True))
            issue_bills(period=period, on=day, actor=actor)
            runs = BillRun.objects.exclude(id__in=before)
            result.periods.append(str(period))
            result.bills += Bill.objects.filter(run__in=runs).count()
            _plan_month(runs, seed=seed, until=until, plan=plan, cal=cal)
        receipts = plan.receipts.pop(day, [])
        if receipts:
            if fast:
                record_bill_receipts(
                    [bill_id for bill_id, _ in receipts], received_on=day, actor=actor
                )
            else:
                for _, number in receipts:
                    record_bill_receipt(number=number, received_on=day, actor=actor)
            result.receipts += len(receipts)
        payments = sorted(plan.payments.pop(day, []))
        if payments:
            if fast:
                record_payments(
                    [
                        PaymentSpec(account_id=account_id, amount=amount, on=day, method=method)
                        for _, account_id, amount, method in payments
                    ],
                    actor=actor,
                )
            else:
                for _, account_id, amount, method in payments:
                    record_payment(
                        account=Account.objects.get(pk=account_id),
                        amount=amount,
                        on=day,
                        actor=actor,
                        method=method,
                    )
            result.payments += len(payments)
        day += dt.timedelta(days=1)
    return result
