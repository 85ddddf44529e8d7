"""Demo history: months of bills, hand-overs, deliveries and payments played out through
the services.

Each run's bills are signed for by a demo assistant (A1) and handed to the client's
designated contact (B1): most the same day, some after one or two failed attempts on the
following working days (C1), a few by EMS when nobody can be reached (E3), whose recorded
delivery, or else posting + N days, is the receipt date (E1). Bills with a fixed due day
(the estate's) are posted or messaged, not signed for, and so have no hand-over.
Each account gets a payment habit from the seed (most pay on time, some late, some in
part, a few never; vacant investment units mostly not; one shop runs up a large debt).
The same plan can be carried out two ways that give the same records:
- the service path: `handover_bills`, `record_delivery`, `dispatch_courier`,
  `record_courier_delivery`, `settle_courier_receipts` and `record_payment`;
- the fast path: the same rows written set-based per day (`insert_rows`, one
  `INSERT … SELECT` per hand-over batch, updates per due date) and `record_payments`.
Bill runs are set-based in both (`issue_bills`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from wuye.billing.delivery import (
    dispatch_courier,
    handover_bills,
    record_courier_delivery,
    record_delivery,
    settle_courier_receipts,
)
from wuye.billing.models import (
    Bill,
    BillReceipt,
    BillRun,
    Contract,
    CourierDispatch,
    DeliveryAttempt,
    HandOver,
)
from wuye.billing.services import issue_bills
from wuye.bulk import db_value, insert_rows
from wuye.dates import Period, add_months
from wuye.payments.models import Payment
from wuye.payments.services import PaymentSpec, record_payment, record_payments
from wuye.policies.selectors import policy
from wuye.properties.models import Account, Contact, Customer, Project
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

# The customer-service assistants who sign for the bills (A1) and deliver them (B1).
ASSISTANTS = ["cs-chen", "cs-lin", "cs-huang"]
# Share (%) of hand-over batches signed after the project's hand-over time (A1), and how
# far before or after that time batches are signed (minutes).
LATE_HANDOVER = 15
HANDOVER_EARLY_MINUTES = (5, 50)
HANDOVER_LATE_MINUTES = (5, 80)
_NOBODY, _ABSENT = DeliveryAttempt.Result.NOBODY, DeliveryAttempt.Result.CONTACT_ABSENT
_SIGNED = DeliveryAttempt.Result.SIGNED
# How a hand-delivered bill reaches its client (B1, C1, E3): (outcome, weight), where an
# outcome is the working days (0 = the hand-over day) of the attempts, True = signed.
DELIVERIES = [
    (((0, True),), 85),  # signed on the hand-over day
    (((0, False), (0, True)), 4),  # nobody at first, signed later that day (C1)
    (((0, False), (1, True)), 6),  # signed the next working day
    (((0, False), (1, False), (2, True)), 2),
    (((0, False), (1, False), (2, False)), 3),  # never reached: EMS (E3)
]
CARRIER = "EMS"
# Share (%) of EMS postings whose delivery is never recorded: posting + N days (E1).
COURIER_UNRECORDED = 25


def habit_of(seed: int, account_code: str, unit_code: str, segment: str) -> str:
    if unit_code == LARGE_DEBT_SHOP:
        return "never"  # the shop with a large debt
    rng = random.Random(f"habit:{seed}:{account_code}")
    habits, weights = zip(*HABITS[segment], strict=True)
    return rng.choices(habits, weights=weights)[0]


def ems_tracking_number(rng: random.Random) -> str:
    """An EMS number in the UPU S10 form: two letters, eight digits, a check digit, CN."""
    digits = [rng.randint(0, 9) for _ in range(8)]
    check = 11 - sum(w * d for w, d in zip((8, 6, 4, 2, 3, 5, 9, 7), digits, strict=True)) % 11
    check = {10: 0, 11: 5}.get(check, check)
    return f"E{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{''.join(map(str, digits))}{check}CN"


@dataclass
class HistoryResult:
    periods: list[str] = field(default_factory=list)
    bills: int = 0
    handovers: int = 0
    attempts: int = 0
    couriers: int = 0
    receipts: int = 0
    payments: int = 0


@dataclass(frozen=True)
class _HandOver:
    project_id: int
    project_code: str
    assistant: str
    at: dt.time
    late: bool


@dataclass(frozen=True)
class _Attempt:
    bill_id: int
    number: str
    staff: str
    result: str
    signer: str = ""
    relation: str = ""


@dataclass(frozen=True)
class _Posting:
    bill_id: int
    number: str
    tracking: str
    staff: str


@dataclass(frozen=True)
class _Receipt:
    """The receipt the services record when a bill reaches its client (B1, E1), with the
    due date that follows: the fast path writes it; on the service path the services do."""

    bill_id: int
    method: str
    signer: str
    relation: str
    actor: str
    due: dt.date | None


def _by_day() -> defaultdict:
    return defaultdict(list)


@dataclass
class _Plan:
    handovers: dict[dt.date, list[_HandOver]] = field(default_factory=_by_day)
    attempts: dict[dt.date, list[_Attempt]] = field(default_factory=_by_day)
    postings: dict[dt.date, list[_Posting]] = field(default_factory=_by_day)
    courier_deliveries: dict[dt.date, list[_Posting]] = field(default_factory=_by_day)
    receipts: dict[dt.date, list[_Receipt]] = field(default_factory=_by_day)
    payments: dict[dt.date, list[tuple[str, int, Decimal, str]]] = field(default_factory=_by_day)


class _Calendar:
    """Cached working days and policies, so planning a million bills stays cheap."""

    def __init__(self):
        self._workday: dict[tuple[dt.date, str], dt.date] = {}
        self._policy: dict[tuple[str, int, str], Any] = {}

    def workday(self, day: dt.date, calendar: str) -> dt.date:
        key = (day, calendar)
        if key not in self._workday:
            self._workday[key] = next_working_day(day, calendar=calendar)
        return self._workday[key]

    def next_workday(self, day: dt.date, calendar: str) -> dt.date:
        return self.workday(day + dt.timedelta(days=1), calendar)

    def policy(self, key: str, project_id: int, segment: str = "") -> Any:
        cache_key = (key, project_id, segment)
        if cache_key not in self._policy:
            self._policy[cache_key] = policy(key, project_id=project_id, segment=segment)
        return self._policy[cache_key]

    def due_after_receipt(
        self, project: Project, segment: str, term_days: int | None, received: dt.date
    ) -> dt.date:
        """E1 as `record_bill_receipt` sets it: receipt + N days, moved off rest days."""
        if term_days is None:
            term_days = self.policy("payment_term_days", project.pk, segment)
        due = received + dt.timedelta(days=term_days)
        if self.policy("due_date_to_workday", project.pk):
            due = self.workday(due, project.workday_calendar)
        return due


def _handover(project: Project, day: dt.date, *, seed: int) -> _HandOver:
    """A1: who signs for the project's batch and when; now and then after the project's
    hand-over time (late)."""
    rng = random.Random(f"handover:{seed}:{project.code}:{day}")
    assistant = rng.choice(ASSISTANTS)
    late = rng.randrange(100) < LATE_HANDOVER
    minutes = rng.randint(*(HANDOVER_LATE_MINUTES if late else HANDOVER_EARLY_MINUTES))
    deadline = dt.datetime.combine(day, project.handover_time)
    at = (deadline + dt.timedelta(minutes=minutes if late else -minutes)).time()
    return _HandOver(project.pk, project.code, assistant, at, at > project.handover_time)


def _signers(runs) -> dict[int, tuple[str, str]]:
    """Customer id → (name, relation) of whoever signs for its bills: the designated
    contact (B1), else the customer."""
    customers = Bill.objects.filter(
        run__in=runs, contract__payment_term=Contract.Term.AFTER_RECEIPT
    ).values("account__customer_id")
    signers = {
        cid: (name, "")
        for cid, name in Customer.objects.filter(id__in=customers).values_list("id", "name")
    }
    designated = Contact.objects.filter(customer_id__in=customers, is_designated=True)
    for cid, name, relation in designated.values_list("customer_id", "name", "relation"):
        signers[cid] = (name, relation)
    return signers


def _plan_delivery(
    *,
    bill_id: int,
    number: str,
    project: Project,
    handed_over: _HandOver,
    handed_on: dt.date,
    signer: tuple[str, str],
    seed: int,
    until: dt.date,
    plan: _Plan,
    cal: _Calendar,
    actor: str,
) -> tuple[dt.date, str, str, str, str] | None:
    """B1, C1, E3, E1: the attempts to hand the bill to its designated contact, and the
    EMS posting when nobody could be reached. Returns the receipt the services record
    (date, method, signer, relation, actor), None while the bill is still on its way at
    the end of the history."""
    rng = random.Random(f"delivery:{seed}:{number}")
    calendar = project.workday_calendar
    outcomes, weights = zip(*DELIVERIES, strict=True)
    attempts = rng.choices(outcomes, weights=weights)[0]
    days = [handed_on]
    staff = handed_over.assistant
    for index, signed in attempts:
        while len(days) <= index:
            days.append(cal.next_workday(days[-1], calendar))
        day = days[index]
        if day > until:
            return None
        if signed:
            name, relation = signer
            plan.attempts[day].append(_Attempt(bill_id, number, staff, _SIGNED, name, relation))
            return day, BillReceipt.Method.HAND, name, relation, staff
        plan.attempts[day].append(_Attempt(bill_id, number, staff, rng.choice([_NOBODY, _ABSENT])))
    # E3: still undelivered N days (policy) after the hand-over → EMS, posted on a working day
    after = cal.policy("courier_after_days", project.pk)
    posted = cal.workday(handed_on + dt.timedelta(days=after), calendar)
    if posted > until:
        return None
    posting = _Posting(bill_id, number, ems_tracking_number(rng), staff)
    plan.postings[posted].append(posting)
    deemed_days = cal.policy("courier_receipt_days", project.pk)
    if deemed_days < 1 or rng.randrange(100) < COURIER_UNRECORDED:
        # E1: no delivery recorded → posting + N days, as `settle_courier_receipts` counts
        signer = f"{CARRIER} {posting.tracking} (posting + {deemed_days} days)"
        received = posted + dt.timedelta(days=deemed_days)
        return received, BillReceipt.Method.COURIER, signer, "", actor
    # delivered within those N days: later, the deemed date would already have counted
    delivered = posted + dt.timedelta(days=rng.randint(1, deemed_days))
    if delivered > until:
        return None
    plan.courier_deliveries[delivered].append(posting)
    return delivered, BillReceipt.Method.COURIER, f"{CARRIER} {posting.tracking}", "", staff


def _plan_month(
    runs, *, seed: int, until: dt.date, plan: _Plan, cal: _Calendar, actor: str
) -> None:
    projects = {p.pk: p for p in Project.objects.all()}
    signers = _signers(runs)
    handovers: dict[tuple[int, dt.date], _HandOver] = {}
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
            "account__customer_id",
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
        customer_id,
        segment,
        term,
        term_days,
    ) in rows.iterator(chunk_size=5000):
        project = projects[project_id]
        rng = random.Random(f"bill:{seed}:{number}")
        start = issued
        if term == Contract.Term.AFTER_RECEIPT:
            # A1: the run's bills to be signed for go to an assistant the day they are issued
            key = (project_id, issued)
            if key not in handovers:
                handovers[key] = _handover(project, issued, seed=seed)
                plan.handovers[issued].append(handovers[key])
            receipt = _plan_delivery(
                bill_id=bill_id,
                number=number,
                project=project,
                handed_over=handovers[key],
                handed_on=issued,
                signer=signers[customer_id],
                seed=seed,
                until=until,
                plan=plan,
                cal=cal,
                actor=actor,
            )
            if receipt is None or receipt[0] > until:
                continue  # still undelivered at the end of the history
            received, method, signer, relation, receipt_actor = receipt
            due = cal.due_after_receipt(project, segment, term_days, received)
            plan.receipts[received].append(
                _Receipt(bill_id, method, signer, relation, receipt_actor, due)
            )
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


def _chunks(ids: list[int], size: int = 5000):
    for offset in range(0, len(ids), size):
        yield ids[offset : offset + size]


def _hand_over_set_based(day: dt.date, batch: _HandOver, now: dt.datetime) -> None:
    """`handover_bills` for one project in two statements: the batch, and its bills (every
    issued bill of the project not yet signed for nor received) by `INSERT … SELECT`."""
    handover = HandOver.objects.create(
        project_id=batch.project_id,
        handed_over_on=day,
        signed_by=batch.assistant,
        signed_at=batch.at,
        late=batch.late,
        actor=batch.assistant,
        created_at=now,
    )
    link = HandOver.bills.through._meta
    to_handover = link.get_field("handover").column
    to_bill = link.get_field("bill").column
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {link.db_table} ({to_handover}, {to_bill})
            SELECT %s, b.id FROM {Bill._meta.db_table} b
            WHERE b.project_id = %s AND b.status = %s AND b.issue_date <= %s
              AND NOT EXISTS (SELECT 1 FROM {link.db_table} h WHERE h.{to_bill} = b.id)
              AND NOT EXISTS (
                SELECT 1 FROM {BillReceipt._meta.db_table} r WHERE r.bill_id = b.id)
            """,
            [handover.pk, batch.project_id, Bill.Status.ISSUED, day],
        )


def _deliver_set_based(
    day: dt.date,
    *,
    handovers: list[_HandOver],
    attempts: list[_Attempt],
    postings: list[_Posting],
    delivered: list[_Posting],
    receipts: list[_Receipt],
) -> None:
    """The rows the delivery services would write on one day (A1, B1, C1, E1, E3), a few
    statements per day whatever the number of bills."""
    now = timezone.now()
    stamp = db_value(now)
    with transaction.atomic():
        for batch in handovers:
            _hand_over_set_based(day, batch, now)
        if attempts:
            insert_rows(
                DeliveryAttempt,
                ["bill_id", "attempted_on", "staff", "result", "signer", "signer_relation",
                 "note", "created_at"],
                [(a.bill_id, day, a.staff, a.result, a.signer, a.relation, "", stamp)
                 for a in attempts],
            )  # fmt: skip
        if postings:
            insert_rows(
                CourierDispatch,
                ["bill_id", "carrier", "tracking_number", "posted_on", "delivered_on", "actor",
                 "created_at"],
                [(p.bill_id, CARRIER, p.tracking, day, None, p.staff, stamp) for p in postings],
            )  # fmt: skip
        for ids in _chunks([p.bill_id for p in delivered]):
            CourierDispatch.objects.filter(bill_id__in=ids).update(delivered_on=day)
        if receipts:
            insert_rows(
                BillReceipt,
                ["bill_id", "received_on", "method", "signer", "signer_relation", "actor",
                 "created_at"],
                [(r.bill_id, day, r.method, r.signer, r.relation, r.actor, stamp)
                 for r in receipts],
            )  # fmt: skip
        by_due: dict[dt.date | None, list[int]] = defaultdict(list)
        for receipt in receipts:
            by_due[receipt.due].append(receipt.bill_id)
        for due, bill_ids in by_due.items():
            update = {"receipt_date": day} | ({"due_date": due} if due else {})
            for ids in _chunks(bill_ids):
                Bill.objects.filter(pk__in=ids).update(**update)


def _deliver_by_services(
    day: dt.date,
    *,
    handovers: list[_HandOver],
    attempts: list[_Attempt],
    postings: list[_Posting],
    delivered: list[_Posting],
    actor: str,
) -> None:
    """The same day through the delivery services, one bill at a time."""
    for batch in handovers:
        handover_bills(
            on=day,
            signed_by=batch.assistant,
            actor=batch.assistant,
            project_code=batch.project_code,
            at=batch.at,
        )
    for a in attempts:
        signed = a.result == _SIGNED
        record_delivery(
            number=a.number,
            on=day,
            staff=a.staff,
            signed_by=a.signer if signed else None,
            relation=a.relation,
            failed=None if signed else a.result,
        )
    for p in postings:
        dispatch_courier(
            number=p.number, carrier=CARRIER, tracking=p.tracking, posted_on=day, actor=p.staff
        )
    for p in delivered:
        record_courier_delivery(number=p.number, delivered_on=day, actor=p.staff)
    settle_courier_receipts(as_of=day, actor=actor)  # the daily E1 job


def play_history(
    *, start: dt.date, until: dt.date, seed: int, actor: str, fast: bool = True
) -> HistoryResult:
    """Play out the months whose bill-run day (the first working day, W1) falls within
    [start, until]: bill run; hand-over (A1) and delivery (B1, C1, E3) of the bills to be
    signed for, which sets their receipt and due dates (E1); payments by each account's
    habit. Deterministic for a seed."""
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
            _plan_month(runs, seed=seed, until=until, plan=plan, cal=cal, actor=actor)
        deliveries = {
            "handovers": plan.handovers.pop(day, []),
            "attempts": plan.attempts.pop(day, []),
            "postings": plan.postings.pop(day, []),
            "delivered": plan.courier_deliveries.pop(day, []),
        }
        receipts = plan.receipts.pop(day, [])
        if fast:
            _deliver_set_based(day, receipts=receipts, **deliveries)
        else:
            _deliver_by_services(day, actor=actor, **deliveries)
        result.handovers += len(deliveries["handovers"])
        result.attempts += len(deliveries["attempts"])
        result.couriers += len(deliveries["postings"])
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
