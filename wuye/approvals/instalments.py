"""S3 instalment plans (分期付款): the state of a plan on a date, and the bills they hold.

A plan is **kept** while every instalment whose grace period has passed was covered in
time: the payments on the account from the plan's start up to and including `due date +
grace` (policy `instalment_grace_days`, 7 days) reach the cumulative amount due by that
instalment. Otherwise the plan is in **default** from `due date + grace` on (a later
catch-up does not undo it). It is **completed** once the payments reach its total.

The state is a pure function of the schedule, the payments and the date (`plan_state`),
so dunning computes it for its own run date (`bills_under_instalment_plan`) and a run
on any date is right whether or not `check_instalment_plans` ran before it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from wuye.approvals.models import ApprovalRequest, Instalment, InstalmentPlan
from wuye.dates import parse_date
from wuye.errors import WuyeError
from wuye.money import ZERO, parse_amount
from wuye.payments.models import Payment
from wuye.policies.selectors import policy

ACTIVE = InstalmentPlan.Status.ACTIVE
DEFAULTED = InstalmentPlan.Status.DEFAULTED
COMPLETED = InstalmentPlan.Status.COMPLETED


@dataclass(frozen=True)
class PlanState:
    status: str  # active, defaulted or completed
    since: dt.date | None  # default: due + grace of the missed instalment; completed: paid
    paid: Decimal  # payments counted on the date
    missed: dt.date | None = None  # the due date of the missed instalment


def plan_state(
    *,
    schedule: list[tuple[dt.date, Decimal]],
    payments: list[tuple[dt.date, Decimal]],
    grace_days: int,
    as_of: dt.date,
) -> PlanState:
    """S3: kept, defaulted or completed on `as_of` (pure). `payments`: (value date,
    amount) of the payments since the plan started."""
    counted = sorted((day, amount) for day, amount in payments if day <= as_of)
    due = ZERO
    for due_on, amount in sorted(schedule):
        due += amount
        deadline = due_on + dt.timedelta(days=grace_days)
        if deadline > as_of:
            break
        if sum((a for day, a in counted if day <= deadline), ZERO) < due:
            return PlanState(DEFAULTED, deadline, _sum(counted), missed=due_on)
    total = sum((amount for _, amount in schedule), ZERO)
    running = ZERO
    for day, amount in counted:
        running += amount
        if running >= total:
            return PlanState(COMPLETED, day, _sum(counted))
    return PlanState(ACTIVE, None, running)


def _sum(payments: list[tuple[dt.date, Decimal]]) -> Decimal:
    return sum((amount for _, amount in payments), ZERO)


def approved_plans(as_of: dt.date):
    """Plans approved on or before `as_of` (whatever `check_instalment_plans` recorded)."""
    return InstalmentPlan.objects.filter(
        request__status=ApprovalRequest.Status.APPROVED, request__decided_on__lte=as_of
    )


def plan_states(plans: list[InstalmentPlan], *, as_of: dt.date) -> dict[int, PlanState]:
    """The state of each plan on `as_of`: three queries however many plans. A payment
    counts unless it was reversed on or before `as_of`."""
    if not plans:
        return {}
    ids = [p.pk for p in plans]
    schedules: dict[int, list] = defaultdict(list)
    for plan_id, due_on, amount in Instalment.objects.filter(plan_id__in=ids).values_list(
        "plan_id", "due_on", "amount"
    ):
        schedules[plan_id].append((due_on, amount))
    earliest = min(p.starts_on for p in plans)
    paid: dict[int, list] = defaultdict(list)
    for account_id, paid_on, amount in (
        Payment.objects.filter(
            account_id__in={p.account_id for p in plans}, paid_on__gte=earliest, paid_on__lte=as_of
        )
        .filter(Q(reversal__isnull=True) | Q(reversal__reversed_on__gt=as_of))
        .values_list("account_id", "paid_on", "amount")
    ):
        paid[account_id].append((paid_on, amount))
    graces: dict[int, int] = {}
    result = {}
    for plan in plans:
        project_id = plan.request.project_id
        if project_id not in graces:
            graces[project_id] = policy("instalment_grace_days", project_id=project_id)
        result[plan.pk] = plan_state(
            schedule=schedules[plan.pk],
            payments=[(d, a) for d, a in paid[plan.account_id] if d >= plan.starts_on],
            grace_days=graces[project_id],
            as_of=as_of,
        )
    return result


def bills_under_instalment_plan(as_of: dt.date) -> set[int]:
    """S3: the bills of plans that are kept on `as_of` (approved, not in default, not
    completed): dunning holds them (`wuye.dunning.selectors.held_bills`)."""
    plans = list(approved_plans(as_of).select_related("request"))
    states = plan_states(plans, as_of=as_of)
    kept = [p.pk for p in plans if states[p.pk].status == ACTIVE]
    if not kept:
        return set()
    covered = InstalmentPlan.bills.through.objects.filter(instalmentplan_id__in=kept)
    return set(covered.values_list("bill_id", flat=True))


def parse_schedule(text: str) -> list[tuple[dt.date, Decimal]]:
    """`2026-05-10:500.00,2026-06-10:500.00` → [(date, amount), …] (CLI, S3)."""
    result = []
    for part in text.split(","):
        day, sep, amount = part.strip().partition(":")
        if not sep:
            raise WuyeError(
                "invalid_schedule",
                f"--schedule: '{part.strip()}' is not DATE:AMOUNT",
                f"--schedule：「{part.strip()}」格式應為 日期:金額",
            )
        result.append(
            (parse_date(day, field="--schedule"), parse_amount(amount, field="--schedule"))
        )
    return result
