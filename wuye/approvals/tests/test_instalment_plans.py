"""S3 instalment plans (分期付款): a schedule of dated amounts, approved by a supervisor;
while kept, dunning of the covered bills pauses; an instalment still unpaid 7 days after
its due date (policy instalment_grace_days) puts the plan in default and dunning resumes
at the next step of the same episode."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.approvals.instalments import COMPLETED, DEFAULTED, plan_state
from wuye.approvals.models import InstalmentPlan
from wuye.approvals.services import approve, check_instalment_plans, request_approval, withdraw
from wuye.billing.models import Contract
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import Episode, Notice
from wuye.dunning.selectors import held_bills
from wuye.dunning.services import run_dunning
from wuye.errors import WuyeError
from wuye.payments.services import record_payment
from wuye.testing.factories import office_account

D = dt.date
M = Decimal
SCHEDULE = [(D(2026, 5, 10), M("1250.00")), (D(2026, 6, 10), M("1250.00"))]
AGREED = D(2026, 4, 10)


def hardship_household():
    """S3: a household in the hardship segment, March bill 2,500.00 due 2026-03-31."""
    account = office_account(
        start=D(2026, 1, 1), segment=Contract.Segment.HARDSHIP, dunning_policy="",
        payment_term=Contract.Term.FIXED_DAY,
    )  # fmt: skip
    issue_bills_for_project(project=account.project, period=Period.parse("2026-03"),
                            on=D(2026, 3, 2), actor="fin")  # fmt: skip
    return account


def ask_plan(account, schedule=SCHEDULE, on=AGREED):
    return request_approval(kind="instalment_plan", account=account, amount=None,
                            reason="特殊戶：失業", on=on, actor="cs-li", schedule=schedule)  # fmt: skip


def reminders(account):
    return list(Notice.objects.filter(account=account).order_by("issued_on")
                .values_list("issued_on", "step__code"))  # fmt: skip


def run_days(start, end):
    day = start
    while day <= end:
        run_dunning(as_of=day, actor="fin")
        day += dt.timedelta(days=1)


@pytest.mark.django_db
def test_a_hardship_household_on_a_plan_misses_an_instalment_and_dunning_resumes():
    """S3 scenario: R1 on 04-01 (1 day overdue); a plan agreed 04-10 and approved 04-11
    stops the 30-day R1 repeat (05-01, 05-31 would follow); the first instalment is paid
    on 05-08, the second (06-10) is not; on 06-17, 7 days later, the plan is in default and
    the episode's R1 repeats: the same episode, not from the start (E2)."""
    account = hardship_household()
    run_days(D(2026, 4, 1), D(2026, 4, 10))
    request = ask_plan(account)
    assert request.amount == M("2500.00")  # S3: the total is the schedule's
    approve(request.number, on=D(2026, 4, 11), actor="sup-wang", role="supervisor")
    bill = account.bills.get()
    run_days(D(2026, 4, 11), D(2026, 5, 7))
    record_payment(account=account, amount=M("1250.00"), on=D(2026, 5, 8), method="wechat",
                   actor="fin")  # fmt: skip
    run_days(D(2026, 5, 8), D(2026, 6, 16))
    assert reminders(account) == [(D(2026, 4, 1), "r1_reminder")]  # S3: paused while kept
    assert bill.pk in held_bills(D(2026, 6, 16))  # S3: within the grace after 06-10
    assert check_instalment_plans(as_of=D(2026, 6, 16), actor="fin")["kept"] == [request.number]
    run_days(D(2026, 6, 17), D(2026, 6, 20))
    assert reminders(account) == [
        (D(2026, 4, 1), "r1_reminder"), (D(2026, 6, 17), "r1_reminder"),
    ]  # fmt: skip  # S3: resumes 7 days after the missed instalment; E2: the next step
    assert Notice.objects.filter(account=account).values("episode").distinct().count() == 1
    assert Episode.objects.get(customer=account.customer).closed_on is None
    assert bill.pk not in held_bills(D(2026, 6, 17))
    first = check_instalment_plans(as_of=D(2026, 6, 20), actor="fin")
    assert first["defaulted"] == [request.number]
    assert check_instalment_plans(as_of=D(2026, 6, 20), actor="fin")["defaulted"] == []
    plan = InstalmentPlan.objects.get(request=request)  # idempotent: recorded once
    assert (plan.status, plan.status_on) == (DEFAULTED, D(2026, 6, 17))
    assert plan.request.notifications.filter(subject__startswith="分期付款違約").count() == 1


@pytest.mark.django_db
def test_held_bills_does_not_depend_on_the_recorded_status():
    """S3: a run on any date computes the plan's state itself: before the default date
    the bill is held even when check-plans already recorded the default."""
    account = hardship_household()
    request = ask_plan(account)
    approve(request.number, on=D(2026, 4, 11), actor="sup-wang", role="supervisor")
    bill = account.bills.get()
    assert bill.pk not in held_bills(D(2026, 4, 10))  # not yet approved
    check_instalment_plans(as_of=D(2026, 5, 17), actor="fin")  # nothing paid: default
    assert InstalmentPlan.objects.get().status == DEFAULTED
    assert bill.pk in held_bills(D(2026, 5, 16))
    assert bill.pk not in held_bills(D(2026, 5, 17))


@pytest.mark.django_db
def test_a_plan_must_cover_the_open_principal_and_is_approved_by_a_supervisor():
    """S3, roles: the schedule's total is at least the open principal and at most all that
    is open; dates on or after the request; a supervisor approves whatever the amount
    (only waivers and reductions are limited); the requester may not."""
    account = hardship_household()
    with pytest.raises(WuyeError) as refused:
        ask_plan(account, [(D(2026, 5, 10), M("1000.00"))])
    assert refused.value.code == "plan_total_mismatch"
    with pytest.raises(WuyeError) as refused:
        ask_plan(account, [(D(2026, 4, 9), M("2500.00"))])
    assert refused.value.code == "invalid_schedule"
    request = ask_plan(account)
    with pytest.raises(WuyeError) as refused:
        approve(request.number, on=D(2026, 4, 11), actor="cs-li", role="supervisor")
    assert refused.value.code == "own_request"
    approve(request.number, on=D(2026, 4, 11), actor="sup-wang", role="supervisor")
    assert InstalmentPlan.objects.get().status == "active"


@pytest.mark.django_db
def test_a_withdrawn_plan_holds_nothing():
    """S3: only an approved plan pauses dunning."""
    account = hardship_household()
    request = ask_plan(account)
    withdraw(request.number, on=D(2026, 4, 12), actor="cs-li")
    assert InstalmentPlan.objects.get().status == "cancelled"
    assert held_bills(D(2026, 4, 20)) == set()


def test_plan_state_kept_defaulted_completed():
    """S3 (pure): a payment on the last day of the grace still counts; a later catch-up
    does not undo a default; paid in full is completed."""
    schedule = [(D(2026, 5, 10), M("500.00")), (D(2026, 6, 10), M("500.00"))]

    def state(payments, as_of):
        return plan_state(schedule=schedule, payments=payments, grace_days=7, as_of=as_of)

    assert state([(D(2026, 5, 17), M("500.00"))], D(2026, 6, 1)).status == "active"
    late = state([(D(2026, 5, 18), M("1000.00"))], D(2026, 6, 20))
    assert (late.status, late.since, late.missed) == (DEFAULTED, D(2026, 5, 17), D(2026, 5, 10))
    done = state([(D(2026, 5, 1), M("500.00")), (D(2026, 6, 2), M("500.00"))], D(2026, 6, 20))
    assert (done.status, done.since) == (COMPLETED, D(2026, 6, 2))
