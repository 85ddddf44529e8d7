"""Visits (rule R4): the sheet shows the account's full history and the prepared answers
for its recorded reason; recording the visit closes the engine's visit task. The FAQ is
seeded per reason category and never threatens a utility (X1). Dates: see scenario.py."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from wuye.collection.models import FaqEntry, Reason, Visit
from wuye.collection.selectors import faq, visit_sheet
from wuye.collection.services import record_call, record_visit
from wuye.collection.tests.scenario import CALL_DAY, VISIT_DAY, task
from wuye.dunning.models import Contact, Notice
from wuye.dunning.validation import utility_threats

VACANT_QUESTION = "房子沒住為什麼要交物業費？"


@pytest.mark.django_db
def test_the_visit_sheet_shows_the_history_and_the_answers_for_the_reason(account):
    """R4: given a call that learned the unit is vacant (R2) and the engine's visit task
    at 30 days overdue, the sheet shows the account and its contacts, the open bill and
    balance, the call with its reason and promise, the tasks, and the FAQ answers for
    空置未入住 (citing 《民法典》 art. 944, X1)."""
    call_task = task(account, "call", CALL_DAY)
    record_call(number=call_task.number, on=CALL_DAY, staff="cs-wang", reason="空置未入住",
                amount_stated=Decimal("2500.00"), outcome="reached",
                promise_on=CALL_DAY, promise_amount=Decimal("100.00"))  # fmt: skip
    visit_task = task(account, "visit", VISIT_DAY)

    sheet = visit_sheet(number=visit_task.number, as_of=VISIT_DAY)

    assert sheet["task"]["number"] == visit_task.number
    assert sheet["account"]["unit"] == account.unit.code
    assert sheet["account"]["contacts"][0]["name"] == "張三"
    (bill,) = sheet["statement"]["open_bills"]
    # L1: 2,500.00 and 30 days × 1.25 of late fee posted by the run
    assert (bill["open"], bill["days_overdue"]) == (Decimal("2537.50"), 30)
    assert sheet["statement"]["balance"] == Decimal("2537.50")
    (call,) = sheet["calls"]
    assert (call["reason"], call["reason_label"], call["task"]) == (
        "vacant", "空置未入住", call_task.number,
    )  # fmt: skip
    assert call["promise"]["amount"] == Decimal("100.00")
    assert [(h["channel"], h["notice"]) for h in sheet["history"]] == [("call", call_task.number)]
    assert {n["action"] for n in sheet["notices"]} == {"call", "visit"}
    assert (sheet["reason"], sheet["reason_label"]) == ("vacant", "空置未入住")
    assert sheet["answers"][0]["question"] == VACANT_QUESTION
    assert "第九百四十四條" in sheet["answers"][0]["answer"]


@pytest.mark.django_db
def test_recording_the_visit_closes_the_task_and_adds_to_the_history(account):
    """R4: the visit is a contact (channel visit) on the task, which closes; a reason
    learned on the visit becomes the account's latest reason and picks the answers."""
    task(account, "call", CALL_DAY)  # left open: a call task does not hold the ladder
    visit_task = task(account, "visit", VISIT_DAY)

    visit = record_visit(number=visit_task.number, on=VISIT_DAY, staff="cs-li",
                         outcome="reached", note="業主說牆身滲水未修", reason="defect")  # fmt: skip

    visit_task.refresh_from_db()
    assert (visit_task.status, visit_task.ended_on) == (Notice.Status.CLOSED, VISIT_DAY)
    contact = Contact.objects.get(channel=Contact.Channel.VISIT)
    assert (contact.notice_id, contact.result, contact.staff) == (visit_task.pk, "reached", "cs-li")
    assert visit.reason == "defect" and Visit.objects.count() == 1
    sheet = visit_sheet(unit_code=account.unit.code, as_of=VISIT_DAY)
    assert sheet["task"] is None
    assert sheet["visits"][0]["note"] == "業主說牆身滲水未修"
    assert sheet["reason_label"] == "房屋質量問題"
    assert any("保修" in a["answer"] for a in sheet["answers"])


@pytest.mark.django_db
def test_an_inactive_faq_entry_is_not_offered(account):
    """R4: the FAQ is data an administrator edits; an entry switched off is not shown."""
    FaqEntry.objects.filter(question=VACANT_QUESTION).update(active=False)

    assert VACANT_QUESTION not in [f.question for f in faq(reason="vacant")]


@pytest.mark.django_db
def test_every_reason_category_has_prepared_answers_and_none_threatens_a_utility():
    """R4: the seed has answers for each reason category; X1: none threatens to cut
    water, electricity, heating or gas, and an administrator cannot save one that does."""
    entries = faq()
    assert {f.reason for f in entries} == set(Reason.values)
    assert [f for f in entries if utility_threats(f.question + f.answer)] == []
    threat = FaqEntry(reason="no_reason", question="不交會怎樣？", answer="逾期將停水停電。")
    with pytest.raises(ValidationError):
        threat.full_clean()
