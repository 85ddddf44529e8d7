"""A residential-style account whose contract follows a small test policy of calls and
visits (R2, R4), and a bill the engine turns into tasks.

March 2026: the bill is issued and signed for on Mon 2 March, so due Mon 9 March (E1:
receipt + 7 days). Tue 10 March is 1 day overdue: the call task; Wed 8 April is 30 days
overdue: the visit task."""

import datetime as dt

from django.utils import timezone

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import DunningPolicy, DunningStep, Notice
from wuye.dunning.services import run_dunning
from wuye.testing.factories import office_account

D = dt.date
DUE = D(2026, 3, 9)
CALL_DAY = D(2026, 3, 10)
VISIT_DAY = D(2026, 4, 8)


def calls_and_visits_policy() -> DunningPolicy:
    """R2: a call from 1 day overdue, again every 7 days; R4: a visit from 30 days."""
    policy, _ = DunningPolicy.objects.get_or_create(
        code="calls-visits",
        defaults={"name": "電話及上門", "changed_by": "test", "changed_at": timezone.now()},
    )
    DunningStep.objects.get_or_create(
        policy=policy, position=1, code="call",
        defaults={"name": "電話催收", "action": "call", "role": "assistant",
                  "days_overdue": 1, "repeat_every_days": 7},
    )  # fmt: skip
    DunningStep.objects.get_or_create(
        policy=policy, position=2, code="visit",
        defaults={"name": "上門溝通", "action": "visit", "role": "assistant",
                  "days_overdue": 30},
    )  # fmt: skip
    return policy


def overdue_account():
    """An account with the March bill of 2,500.00 (100 m² × 25.00), due 9 March, unpaid."""
    calls_and_visits_policy()
    account = office_account(start=D(2026, 1, 1), dunning_policy="calls-visits")
    issue_bills_for_project(
        project=account.project, period=Period.parse("2026-03"), on=D(2026, 3, 2), actor="fin"
    )
    handover_bills(on=D(2026, 3, 2), signed_by="cs", actor="cs")
    bill = account.bills.get()
    record_delivery(number=bill.number, on=D(2026, 3, 2), staff="cs", signed_by="張三",
                    relation="本人")  # fmt: skip
    bill.refresh_from_db()
    assert bill.due_date == DUE
    return account


def task(account, action: str, on: dt.date) -> Notice:
    """Run the engine for `on` and return the account's open task of that action."""
    run_dunning(as_of=on, actor="fin")
    return Notice.objects.get(account=account, action=action, status=Notice.Status.OPEN)
