"""Property tests of the dunning run (rule E2): for random sequences of run dates,
deliveries and payments, no account gets a level twice or a level skipped within an
arrears episode, at most one new notice per run date, and rerunning a date changes
nothing (an earlier date is refused and also changes nothing)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning import ladder
from wuye.dunning.models import Episode, Notice
from wuye.dunning.notices import deliver_notice, handover_notices
from wuye.dunning.services import run_dunning
from wuye.errors import WuyeError
from wuye.ledger.selectors import balance
from wuye.payments.services import record_payment
from wuye.testing.factories import office_account

D = dt.date
START = D(2026, 3, 10)  # the March bill falls due on Tue 10 March

day_plan = st.fixed_dictionaries(
    {
        "gap": st.integers(min_value=1, max_value=5),  # days since the previous event
        "run": st.booleans(),
        "deliver": st.sampled_from(["now", "later", "never"]),
        "pay": st.sampled_from([None, None, None, "100.00", "900.00", "all"]),
        "rerun": st.sampled_from([None, "same", "earlier"]),
    }
)


class _Abort(Exception):
    pass


def snapshot():
    return (
        sorted(Notice.objects.values_list("number", "level", "status", "total", "settled_on")),
        sorted(Episode.objects.values_list("id", "closed_on")),
    )


def assert_ladder_invariants(account) -> None:
    for episode in Episode.objects.filter(account=account):
        originals = list(
            episode.notices.filter(replaces__isnull=True)
            .exclude(status="cancelled")
            .order_by("issued_on", "id")
            .values_list("level", "issued_on")
        )
        levels = [level for level, _ in originals]
        # never a level twice, never a skipped level (E2)
        assert levels == list(range(1, len(levels) + 1)), levels
        days = [day for _, day in originals]
        assert len(days) == len(set(days))  # at most one new notice per run date


@pytest.mark.django_db(transaction=False)
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(day_plan, min_size=3, max_size=14))
def test_random_runs_never_repeat_or_skip_a_level_and_reruns_change_nothing(plan):
    try:
        with transaction.atomic():
            _play(plan)
            raise _Abort  # roll the example back
    except _Abort:
        pass


def _play(plan) -> None:
    account = office_account(start=D(2026, 1, 1))
    issue_bills_for_project(
        project=account.project, period=Period.parse("2026-03"), on=D(2026, 3, 2), actor="fin"
    )
    handover_bills(on=D(2026, 3, 2), signed_by="cs", actor="cs")
    bill = account.bills.get()
    record_delivery(
        number=bill.number, on=D(2026, 3, 3), staff="cs", signed_by="陳", relation="經理"
    )
    on = START
    months = [D(2026, 4, 1), D(2026, 5, 1)]
    for day in plan:
        on = on + dt.timedelta(days=day["gap"])
        while months and months[0] <= on:  # the next month's bill, delivered when issued
            period = months.pop(0)
            issue_bills_for_project(
                project=account.project, period=Period.parse(f"{period:%Y-%m}"), on=on,
                actor="fin",
            )  # fmt: skip
            handover_bills(on=on, signed_by="cs", actor="cs")
            new_bill = account.bills.get(period_start=period)
            record_delivery(number=new_bill.number, on=on, staff="cs", signed_by="陳",
                            relation="經理")  # fmt: skip
        if day["pay"]:
            owed = balance(account.pk, as_of=on)
            amount = owed if day["pay"] == "all" else min(Decimal(day["pay"]), owed)
            if amount > 0:
                record_payment(account=account, amount=amount, on=on, actor="fin")
        if day["run"]:
            run_dunning(as_of=on, actor="fin")
            if day["rerun"] == "same":
                before = snapshot()
                assert run_dunning(as_of=on, actor="fin").notices_created == 0
                assert snapshot() == before
            elif day["rerun"] == "earlier":
                before = snapshot()
                with pytest.raises(WuyeError) as refused:
                    run_dunning(as_of=on - dt.timedelta(days=1), actor="fin")
                assert refused.value.code == "run_before_latest"
                assert snapshot() == before
        if day["deliver"] != "never":
            handover_notices(on=on, signed_by="cs", actor="cs")
            for notice in Notice.objects.filter(account=account, status=Notice.Status.ISSUED):
                when = on if day["deliver"] == "now" else on + dt.timedelta(days=1)
                deliver_notice(
                    number=notice.number, on=when, staff="cs", signed_by="陳", relation="經理"
                )
        assert_ladder_invariants(account)


def test_pure_ladder_waits_for_delivery_and_gap():
    """E2 on the pure function: the 2nd needs day 7 and 3 days after the 1st's delivery."""
    steps = [ladder.Step(1, days_overdue=3), ladder.Step(2, days_overdue=7, gap_days=3)]
    facts = ladder.Facts(Decimal("100"), D(2026, 3, 10))
    assert ladder.next_step(steps, [], facts, D(2026, 3, 12)).position is None  # 2 days
    assert ladder.next_step(steps, [], facts, D(2026, 3, 21)).position == 1  # no burst
    sent = [ladder.Sent(1, D(2026, 3, 21), None)]
    assert ladder.next_step(steps, sent, facts, D(2026, 3, 25)).position is None  # undelivered
    sent = [ladder.Sent(1, D(2026, 3, 21), D(2026, 3, 22))]
    assert ladder.next_step(steps, sent, facts, D(2026, 3, 24)).position is None  # gap
    assert ladder.next_step(steps, sent, facts, D(2026, 3, 25)).position == 2


def test_pure_triggers_amount_or_age_repeat_and_without_result():
    """Policy triggers as data (E2, R1, R5 readings): amount or age (either suffices when
    both are set), a step that repeats every N days while the next is not due, and a step
    that waits for a previous step without result (no payment since)."""
    facts = ladder.Facts(Decimal("4000"), D(2026, 1, 1))
    legal = [ladder.Step(1, min_arrears=Decimal("5000"), min_age_days=366)]
    assert ladder.next_step(legal, [], facts, D(2026, 6, 1)).position is None  # neither
    assert ladder.next_step(legal, [], facts, D(2027, 1, 3)).position == 1  # age > 1 year
    rich = ladder.Facts(Decimal("5000"), D(2026, 1, 1))
    assert ladder.next_step(legal, [], rich, D(2026, 1, 2)).position == 1  # amount reaches
    reminders = [
        ladder.Step(1, days_overdue=1, repeat_every_days=14, waits_for_delivery=False),
        ladder.Step(2, days_overdue=60, without_result=True, waits_for_delivery=False),
    ]
    sent = [ladder.Sent(1, D(2026, 1, 2), D(2026, 1, 2))]
    assert ladder.next_step(reminders, sent, facts, D(2026, 1, 15)).position is None
    assert ladder.next_step(reminders, sent, facts, D(2026, 1, 16)) == ladder.Decision(1, "repeat")
    paid = ladder.Facts(Decimal("4000"), D(2026, 1, 1), last_payment=D(2026, 2, 1))
    assert ladder.next_step(reminders, sent, paid, D(2026, 3, 5)) == ladder.Decision(
        1, "repeat"
    )  # a payment since the reminder is a result: the 2nd waits, the reminder repeats
    assert ladder.next_step(reminders, sent, facts, D(2026, 3, 5)).position == 2
