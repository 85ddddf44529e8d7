"""Issue 5 scenario, an occupied residential unit on the shipped policy, by dates:
R1 reminders every 14 days into the outbox, an R2 call with a promise to pay, the broken
promise back on the caller's list the day after, the R3 posting of a 催款單 that shows
no owner's name (X4), and the R4 visit with the account's history and the prepared
answers for its reason."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.billing.models import Contract
from wuye.billing.services import issue_bills_for_project
from wuye.collection.selectors import call_worklist, visit_sheet
from wuye.collection.services import check_promises, record_call, record_visit
from wuye.dates import Period
from wuye.documents.services import notice_html
from wuye.dunning.models import Notice
from wuye.dunning.notices import record_posting
from wuye.dunning.services import run_dunning
from wuye.messaging.models import Message
from wuye.testing.factories import office_account
from wuye.x1 import find_supply_threats

D = dt.date


def open_task(account, action):
    return Notice.objects.get(account=account, action=action, status="open")


@pytest.mark.django_db
def test_occupied_unit_reminders_call_promise_broken_posting_visit():
    account = office_account(
        start=D(2026, 1, 1), segment=Contract.Segment.RESIDENTIAL, dunning_policy="",
        payment_term=Contract.Term.FIXED_DAY,
    )  # fmt: skip
    account.customer.phone = "13900000000"
    account.customer.save(update_fields=["phone"])
    issue_bills_for_project(project=account.project, period=Period.parse("2026-03"),
                            on=D(2026, 3, 2), actor="fin")  # fmt: skip
    day = D(2026, 4, 1)
    while day <= D(2026, 5, 15):
        run_dunning(as_of=day, actor="fin")
        if day == D(2026, 4, 7):  # R2: the caller reaches the owner, who promises to pay
            record_call(
                number=open_task(account, "call").number, on=day, staff="cs-li",
                reason="forgot", amount_stated=Decimal("2500.00"), outcome="reached",
                promise_on=D(2026, 4, 10), promise_amount=Decimal("2500.00"),
            )  # fmt: skip
        if day == D(2026, 4, 10):
            assert all(r["account"] != account.code for r in call_worklist(on=day))
        if day == D(2026, 4, 11):  # R2: nothing paid by the 10th: broken, back on the list
            check_promises(as_of=day)
            assert any(r["account"] == account.code for r in call_worklist(on=day))
        for posting in Notice.objects.filter(account=account, action="posting", status="issued"):
            page = notice_html(number=posting.number)
            assert "催 款 單" in page and account.unit.code in page  # R3
            assert account.customer.name not in page  # X4: posted in public, no name
            assert find_supply_threats(page) == []  # X1
            record_posting(number=posting.number, on=day, place="2座大堂告示欄",
                           photo_ref="IMG_0505", staff="cs-li")  # fmt: skip
        day += dt.timedelta(days=1)

    # R1: a reminder every 14 days, each in the outbox once, with the amount filled in
    reminders = Message.objects.filter(account=account).order_by("queued_at", "id")
    assert [m.notice.issued_on for m in reminders] == [
        D(2026, 4, 1), D(2026, 4, 15), D(2026, 4, 29), D(2026, 5, 13),
    ]  # fmt: skip
    # the amount so far with the late fee (L1): 2,500 + 0.5‰ × 1, 15, 29, 43 days
    for message, amount in zip(reminders, ["2501.25", "2518.75", "2536.25", "2553.75"],
                               strict=True):  # fmt: skip
        assert f"至2026年3月您戶已欠繳物業費{amount}元" in message.body
    assert reminders[0].recipient == "13900000000"
    # R3: the posting is evidence, with where and the photo
    posting = Notice.objects.get(account=account, action="posting")
    assert (posting.issued_on, posting.status, posting.posting_place) == (
        D(2026, 5, 5), "posted", "2座大堂告示欄",
    )  # fmt: skip
    # R4: the visit task on day 45; the sheet shows the history and the FAQ for "forgot"
    visit = open_task(account, "visit")
    assert visit.issued_on == D(2026, 5, 15)
    sheet = visit_sheet(number=visit.number, as_of=D(2026, 5, 15))
    assert sheet["reason"] == "forgot"
    assert sheet["answers"], "prepared answers for the recorded reason (R4)"
    assert [p["status"] for p in sheet["promises"]] == ["broken"]  # R2
    assert any(c["channel"] == "posting" for c in sheet["history"])
    record_visit(number=visit.number, on=D(2026, 5, 15), staff="cs-li", outcome="reached",
                 note="業主答應月底前繳清")  # fmt: skip
    visit.refresh_from_db()
    assert visit.status == "closed"
