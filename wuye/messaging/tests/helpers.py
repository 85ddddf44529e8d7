"""Accounts with a real notice from the dunning engine (E2), for the message tests.

March 2026: the bill is issued and signed for on Mon 2, due Mon 9 (E1); a run on Thu 12
(3 days overdue) issues the step of a one-step policy whose action is SMS or e-mail."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import DunningPolicy, DunningStep, Notice
from wuye.dunning.services import run_dunning
from wuye.testing.factories import office_account

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
RUN_DAY = D(2026, 3, 12)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in the project's time zone (Asia/Shanghai)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def message_policy(action: str) -> DunningPolicy:
    policy, created = DunningPolicy.objects.get_or_create(
        code=f"test-{action}",
        defaults={"name": f"test {action}", "changed_by": "admin", "changed_at": timezone.now()},
    )
    if created:
        DunningStep.objects.create(
            policy=policy, position=1, code="r1", name="物業費催繳提醒", action=action,
            role="customer-service assistant", days_overdue=3,
        )  # fmt: skip
    return policy


def accounts_with_phones(count: int = 1, *, action: str = "sms", phone: bool = True):
    """Office accounts of project HT whose designated contact has a phone and e-mail."""
    policy = message_policy(action)
    accounts = [
        office_account(start=D(2026, 1, 1), dunning_policy=policy.code) for _ in range(count)
    ]
    for n, account in enumerate(accounts):
        account.customer.contacts.update(
            phone=f"1380000{n:04d}" if phone else "", email=f"owner{n}@example.com"
        )
    return accounts


def notices_for(accounts) -> list[Notice]:
    """Run the engine to the SMS/e-mail step for these accounts (R1 via E2's engine)."""
    project = accounts[0].project
    issue_bills_for_project(
        project=project, period=Period.parse("2026-03"), on=D(2026, 3, 2), actor="fin"
    )
    handover_bills(on=D(2026, 3, 2), signed_by="cs", actor="cs")
    for account in accounts:
        record_delivery(number=account.bills.get().number, on=D(2026, 3, 2), staff="cs",
                        signed_by="張三", relation="行政經理")  # fmt: skip
    run_dunning(as_of=RUN_DAY, actor="fin")
    return list(Notice.objects.filter(issued_on=RUN_DAY).order_by("number"))
