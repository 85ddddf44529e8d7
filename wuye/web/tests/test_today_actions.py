"""Today's list (issue 6): each item is done from the list in a few clicks, through the
same services as the command line, with the result logged — A1 hand-over, B1/C1
delivery attempts of bills and notices, E3 courier posting, R2 calls with a promise;
the role table (RULES.md "Who may do what") and the project scope hold for each POST.

March 2026: bills issued Mon 2 March; HT's client signs on 3 March (due 10 March, E1);
the first notice on Fri 13 March (3 days overdue, E2); calls from 10 March (R2)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from wuye.billing.delivery import handover_bills
from wuye.billing.models import Bill, CourierDispatch, DeliveryAttempt, HandOver
from wuye.billing.services import issue_bills_for_project, record_bill_receipts
from wuye.collection.models import Call, Promise
from wuye.collection.tests.scenario import calls_and_visits_policy
from wuye.dates import Period
from wuye.dunning.models import Contact, Notice
from wuye.dunning.notices import handover_notices
from wuye.dunning.services import run_dunning
from wuye.testing.factories import (
    BuildingFactory,
    ProjectFactory,
    UnitFactory,
    office_account,
    staff,
)

D = dt.date
MONDAY = "2026-03-02"


def issue(project) -> None:
    issue_bills_for_project(project=project, period=Period.parse("2026-03"), on=D(2026, 3, 2),
                            actor="fin-li")  # fmt: skip


def page(response) -> str:
    return response.content.decode()


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def office(db):
    """HT: a client on the office ladder (notices) and one on the calls ladder; LY, another
    project, with a client of its own. March bills issued on 2 March."""
    ht = ProjectFactory(code="HT")
    ly = ProjectFactory(code="LY", name="麗苑")
    calls_and_visits_policy()
    client_1 = office_account(start=D(2026, 1, 1))
    caller = office_account(start=D(2026, 1, 1), dunning_policy="calls-visits")
    other = office_account(
        start=D(2026, 1, 1), unit=UnitFactory(building=BuildingFactory(project=ly, code="A"))
    )
    issue(ht)
    issue(ly)
    return {"ht": ht, "ly": ly, "client": client_1, "caller": caller, "other": other}


@pytest.fixture
def assistant(office, client):
    user = staff("cs-wang", "assistant", office["ht"])
    client.force_login(user)
    return user


def test_the_assistant_signs_for_the_batch_from_the_list(office, assistant, client):
    """A1: the list shows HT's batch waiting (not LY's); "簽收" signs for it as the CLI's
    `bills handover` does, recorded as the logged-in assistant; the result is a message."""
    today = page(client.get("/today/", {"on": MONDAY}))
    assert 'id="handover-HT"' in today and 'id="handover-LY"' not in today
    assert office["other"].bills.get().number not in today

    response = client.post("/today/sign-for/", {"project": "HT", "on": MONDAY})
    assert response.status_code == 302 and response["Location"] == f"/today/?on={MONDAY}"
    batch = HandOver.objects.get(project=office["ht"])
    assert (batch.signed_by, batch.handed_over_on, batch.bills.count()) == (
        "cs-wang", D(2026, 3, 2), 2,
    )  # fmt: skip
    assert not HandOver.objects.filter(project=office["ly"]).exists()
    assert said(response) == ["HT：已簽收 2 張帳單、0 份通知書"]
    after = page(client.get("/today/", {"on": MONDAY}))
    assert 'id="handover-HT"' not in after
    for bill in Bill.objects.filter(project=office["ht"]):
        assert f'id="bill-{bill.number}"' in after  # now on the delivery list (B1)


def test_finance_may_not_sign_for_bills(office, client):
    """RULES.md "Who may do what": signing for bills is the assistant's; finance gets 403
    and nothing is written."""
    client.force_login(staff("fin-li", "finance", office["ht"]))
    response = client.post("/today/sign-for/", {"project": "HT", "on": MONDAY})
    assert response.status_code == 403
    assert not HandOver.objects.exists()


def test_a_failed_then_a_successful_delivery_from_the_list(office, assistant, client):
    """C1 then B1: "未送達" logs the attempt (nobody present) and the bill stays on the
    list; "已送達" with the signer and relation gives it its receipt date and due date
    (E1: receipt + 7 days); both attempts are rows, and both are in the timeline."""
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    bill = office["client"].bills.get()
    failed = client.post("/today/deliver-bill/",
                         {"number": bill.number, "on": MONDAY, "result": "nobody_present"})  # fmt: skip
    assert failed.status_code == 302
    assert said(failed) == [f"{bill.number}：未送達（無人），仍在派送清單"]
    assert f'id="bill-{bill.number}"' in page(client.get("/today/", {"on": MONDAY}))

    signed = client.post("/today/deliver-bill/", {
        "number": bill.number, "on": "2026-03-03", "result": "signed", "signer": "陳經理",
        "relation": "行政經理",
    })  # fmt: skip
    assert signed.status_code == 302
    bill.refresh_from_db()
    assert (bill.receipt_date, bill.due_date) == (D(2026, 3, 3), D(2026, 3, 10))
    attempts = DeliveryAttempt.objects.filter(bill=bill).order_by("attempted_on")
    assert [(a.attempted_on, a.result, a.staff, a.signer, a.signer_relation) for a in attempts] == [
        (D(2026, 3, 2), "nobody_present", "cs-wang", "", ""),
        (D(2026, 3, 3), "signed", "cs-wang", "陳經理", "行政經理"),
    ]
    assert f'id="bill-{bill.number}"' not in page(client.get("/today/", {"on": "2026-03-03"}))
    timeline = page(client.get(f"/accounts/{office['client'].pk}/", {"on": "2026-03-03"}))
    assert "陳經理（行政經理）" in timeline and "無人" in timeline


def test_a_signed_delivery_needs_the_signer(office, assistant, client):
    """Bad input: "已送達" without a signer is refused with the field named (400), and
    nothing is written."""
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    bill = office["client"].bills.get()
    response = client.post("/today/deliver-bill/",
                           {"number": bill.number, "on": MONDAY, "result": "signed"})  # fmt: skip
    assert response.status_code == 400
    assert "簽收人" in page(response) and 'role="alert"' in page(response)
    assert not DeliveryAttempt.objects.exists()


def notice_of(office) -> Notice:
    """The first notice of HT's client (E2): its bill received 2 March, due 9 March, the
    run of 12 March (3 days overdue) issues it; the assistant signs for it."""
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    bill = office["client"].bills.get()
    record_bill_receipts([bill.pk], received_on=D(2026, 3, 2), actor="cs-wang")
    run_dunning(as_of=D(2026, 3, 12), actor="fin-li", project_code="HT")
    handover_notices(on=D(2026, 3, 12), signed_by="cs-wang", actor="cs-wang")
    return Notice.objects.get(account=office["client"], action="notice")


def test_a_notice_delivered_after_a_refusal_leaves_its_contact_rows(office, assistant, client):
    """E2, X2: the notice is refused, then signed; each attempt is a contact row (the
    evidence), and the notice is delivered."""
    notice = notice_of(office)
    refused = client.post("/today/deliver-notice/",
                          {"number": notice.number, "on": "2026-03-12", "result": "refused"})  # fmt: skip
    assert refused.status_code == 302
    signed = client.post("/today/deliver-notice/", {
        "number": notice.number, "on": "2026-03-12", "result": "signed", "signer": "陳經理",
        "relation": "行政經理",
    })  # fmt: skip
    assert signed.status_code == 302
    assert said(signed)[-1] == f"{notice.number}：已送達，簽收人 陳經理"
    contacts = Contact.objects.filter(notice=notice).order_by("id")
    assert [(c.channel, c.result, c.staff, c.signer) for c in contacts] == [
        ("hand", "refused", "cs-wang", ""), ("hand", "signed", "cs-wang", "陳經理"),
    ]  # fmt: skip
    notice.refresh_from_db()
    assert (notice.status, notice.delivered_on) == ("delivered", D(2026, 3, 12))


def test_a_notice_sent_by_courier_from_the_list(office, assistant, client):
    """E3: "寄出" with carrier and tracking number posts the notice (`notices post`)."""
    notice = notice_of(office)
    response = client.post("/today/courier-notice/", {
        "number": notice.number, "on": "2026-03-13", "carrier": "EMS", "tracking": "EA123456785CN",
    })  # fmt: skip
    assert response.status_code == 302
    notice.refresh_from_db()
    assert (notice.status, notice.posted_on, notice.tracking_number) == (
        "posted", D(2026, 3, 13), "EA123456785CN",
    )  # fmt: skip


def test_a_bill_sent_by_courier_from_the_list(office, assistant, client):
    """E3: a bill still undelivered 5 days after hand-over shows "寄出"; it records the
    courier dispatch (`bills courier`)."""
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    bill = office["client"].bills.get()
    today = page(client.get("/today/", {"on": "2026-03-09"}))
    assert "改寄EMS（E3）" in today
    response = client.post("/today/courier-bill/", {
        "number": bill.number, "on": "2026-03-09", "carrier": "EMS", "tracking": "EA000000001CN",
    })  # fmt: skip
    assert response.status_code == 302
    dispatch = CourierDispatch.objects.get(bill=bill)
    assert (dispatch.posted_on, dispatch.actor) == (D(2026, 3, 9), "cs-wang")


def test_a_call_with_a_promise_from_the_list(office, assistant, client):
    """R2: the caller's list shows the call task; "登記" with the reason, the amount
    stated and a promise logs the call (`calls record`), closes the task and records the
    promise; the call is in the account's timeline."""
    caller = office["caller"]
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    record_bill_receipts([caller.bills.get().pk], received_on=D(2026, 3, 2), actor="cs-wang")
    run_dunning(as_of=D(2026, 3, 10), actor="fin-li", project_code="HT")
    task = Notice.objects.get(account=caller, action="call", status="open")
    today = page(client.get("/today/", {"on": "2026-03-10"}))
    assert f'id="call-{caller.unit.code}"' in today and f'value="{task.number}"' in today

    response = client.post("/today/call/", {
        "account": caller.pk, "task": task.number, "on": "2026-03-10", "reason": "forgot",
        "amount": "2500.00", "outcome": "reached", "promise_on": "2026-03-15",
        "promise_amount": "2500.00", "note": "業主說下週來交",
    })  # fmt: skip
    assert response.status_code == 302
    assert said(response) == [
        f"{caller.unit.code}：已登記電話（已聯絡上，遺忘），承諾 2026年3月15日 前付 2,500.00"
    ]
    call = Call.objects.get(account=caller)
    assert (call.staff, call.reason, call.amount_stated, call.task_id) == (
        "cs-wang", "forgot", Decimal("2500.00"), task.pk,
    )  # fmt: skip
    promise = Promise.objects.get(call=call)
    assert (promise.promised_on, promise.amount) == (D(2026, 3, 15), Decimal("2500.00"))
    task.refresh_from_db()
    assert task.status == "closed"
    assert f'id="call-{caller.unit.code}"' not in page(client.get("/today/", {"on": "2026-03-10"}))
    timeline = page(client.get(f"/accounts/{caller.pk}/", {"on": "2026-03-10"}))
    assert "電話（R2）" in timeline and "承諾 2026-03-15 前付 2500.00" in timeline


def test_an_htmx_action_returns_the_section(office, assistant, client):
    """htmx: the same POST with HX-Request answers with the section only (the rows and
    the result line), which replaces the section in the page."""
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    bill = office["client"].bills.get()
    response = client.post(
        "/today/deliver-bill/",
        {"number": bill.number, "on": MONDAY, "result": "contact_absent"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    fragment = page(response)
    assert fragment.startswith('<section id="today-deliveries">') and "<html" not in fragment
    assert f"{bill.number}：未送達（負責人不在），仍在派送清單" in fragment
    assert f'id="bill-{bill.number}"' in fragment  # still to deliver (C1)
    assert DeliveryAttempt.objects.get(bill=bill).result == "contact_absent"


def test_another_projects_items_are_not_on_the_list_nor_reachable(office, assistant, client):
    """Project scope: LY's bill is neither listed to HT's assistant nor deliverable by
    them (404), though an LY assistant has signed for it."""
    handover_bills(on=D(2026, 3, 2), signed_by="cs-li", actor="cs-li")
    theirs = office["other"].bills.get()
    today = page(client.get("/today/", {"on": MONDAY}))
    assert theirs.number not in today and office["other"].unit.code not in today
    response = client.post("/today/deliver-bill/",
                           {"number": theirs.number, "on": MONDAY, "result": "refused"})  # fmt: skip
    assert response.status_code == 404
    assert not DeliveryAttempt.objects.exists()
