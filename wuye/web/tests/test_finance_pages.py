"""The finance pages (issue 6): bill run with a dry-run preview (STYLE §6), a bill with
void and reissue (D1), payment entry and its receipt (P1, F1), approvals (M1, M2, S3).
Every page is project-scoped (another project's object is a 404) and role-checked
("Who may do what": a 403)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wuye.approvals.models import ApprovalRequest
from wuye.approvals.services import request_approval
from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.models import Bill, BillRun, ContractLine
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.documents.amounts import uppercase_amount
from wuye.dunning.models import Notice
from wuye.dunning.services import run_dunning
from wuye.ledger.models import Entry
from wuye.payments.models import Payment
from wuye.payments.services import record_payment
from wuye.testing.factories import (
    BuildingFactory,
    ProjectFactory,
    UnitFactory,
    add_line,
    office_account,
    staff,
)

D = dt.date
ISSUED = D(2026, 3, 2)
MARCH = "2026-03"


@pytest.fixture
def ht(db):
    return ProjectFactory(code="HT")


@pytest.fixture
def ly(db):
    return ProjectFactory(code="LY", name="麗苑")


@pytest.fixture
def finance(ht):
    return staff("fin-li", "finance", ht)


def account_in(project, **kwargs):
    unit = UnitFactory(building=BuildingFactory(project=project, code="A"))
    return office_account(start=D(2026, 1, 1), unit=unit, **kwargs)


def issue(project, period: str = MARCH, on: dt.date = ISSUED):
    issue_bills_for_project(project=project, period=Period.parse(period), on=on, actor="fin")


@pytest.fixture
def billed(ht):
    """An HT office account with its March bill (100 m² × 25.00 = 2,500.00)."""
    account = office_account(start=D(2026, 1, 1))
    issue(ht)
    return account.bills.get()


def logged_in(client, user):
    client.force_login(user)
    return client


# --- bill run ---------------------------------------------------------------------------------


def test_bill_run_preview_writes_nothing_then_confirm_issues_the_bills(client, ht, finance):
    """STYLE §6: the preview is the run without the write; confirming issues the bills;
    a rerun for the same period issues nothing more (the run's idempotency)."""
    first = office_account(start=D(2026, 1, 1))  # 2,500.00
    add_line(first.contracts.get(), "ELV", ContractLine.Basis.FIXED, "333.33")
    office_account(start=D(2026, 1, 1), area="50.00")  # 1,250.00
    logged_in(client, finance)
    form = {"project": "HT", "period": MARCH, "on": "2026-03-02"}

    preview = client.get(reverse("bill-run"), {**form, "preview": "1"})

    assert preview.status_code == 200
    result = preview.context["preview"]
    assert (result.created, result.lines, result.total) == (2, 3, Decimal("4083.33"))
    assert [(f["fee_item"], f["total"]) for f in result.fee_items] == [
        ("PMF", Decimal("3750.00")), ("ELV", Decimal("333.33")),
    ]  # fmt: skip
    html = preview.content.decode()
    assert "4,083.33" in html and "確認出單" in html
    assert Bill.objects.count() == 0 and BillRun.objects.count() == 0
    assert Entry.objects.count() == 0

    confirmed = client.post(reverse("bill-run"), form)

    assert confirmed.status_code == 302
    assert Bill.objects.filter(project=ht, status="issued").count() == 2
    page = client.get(confirmed.url).content.decode()
    assert "HT-202603-00001" in page and "HT-202603-00002" in page

    again = client.post(reverse("bill-run"), form, follow=True)

    assert again.status_code == 200
    assert Bill.objects.count() == 2 and BillRun.objects.count() == 1
    assert "無需出單" in again.content.decode()


def test_bill_run_is_for_finance_only(client, ht):
    office_account(start=D(2026, 1, 1))
    logged_in(client, staff("cs-wang", "assistant", ht))
    form = {"project": "HT", "period": MARCH, "on": "2026-03-02"}

    assert client.get(reverse("bill-run"), {**form, "preview": "1"}).status_code == 403
    assert client.post(reverse("bill-run"), form).status_code == 403
    assert Bill.objects.count() == 0


def test_bill_run_refuses_another_projects_code_and_a_bad_period(client, ht, ly, finance):
    logged_in(client, finance)

    other = client.post(reverse("bill-run"), {"project": "LY", "period": MARCH, "on": "2026-03-02"})
    bad = client.post(
        reverse("bill-run"), {"project": "HT", "period": "2026-13", "on": "2026-03-02"}
    )

    assert other.status_code == 400 and "project" in other.context["form"].errors
    assert bad.status_code == 400 and "period" in bad.context["form"].errors
    assert Bill.objects.count() == 0


# --- payments and receipts --------------------------------------------------------------------


def pay(client, **fields):
    data = {"amount": "1234.50", "paid_on": "2026-03-05", "method": "cash", "reference": ""}
    return client.post(reverse("payment-new"), {**data, **fields})


def test_payment_entry_records_the_payment_and_the_receipt_shows_it_in_uppercase(
    client, billed, finance
):
    """P1: the payment is allocated to the bill by the service the CLI uses; the receipt
    shows the amount in figures and in uppercase Chinese, the allocation and who."""
    logged_in(client, finance)

    response = pay(client, unit=billed.account.unit.code, reference="WX-001")

    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("payment-receipt", args=[payment.pk])
    assert (payment.amount, payment.actor, payment.reference) == (
        Decimal("1234.50"), "fin-li", "WX-001",
    )  # fmt: skip
    assert Entry.objects.filter(payment=payment, bill=billed).exists()
    receipt = client.get(response.url).content.decode()
    assert payment.receipt_number in receipt
    assert "1,234.50" in receipt
    assert uppercase_amount(Decimal("1234.50")) == "壹仟貳佰參拾肆元伍角"
    assert "壹仟貳佰參拾肆元伍角" in receipt
    assert billed.number in receipt and "fin-li" in receipt
    assert "@media print" in receipt


def test_payment_entry_prefills_the_account_from_the_account_page(client, billed, finance):
    logged_in(client, finance)

    page = client.get(reverse("payment-new"), {"account": billed.account_id, "on": "2026-03-05"})

    assert page.status_code == 200
    assert page.context["form"].initial["unit"] == billed.account.unit.code
    assert billed.number in page.content.decode()  # its open bills

    response = pay(client, account=str(billed.account_id), amount="2500.00")

    assert response.status_code == 302
    assert Payment.objects.get().account_id == billed.account_id


def test_the_receipt_pdf_is_a_pdf(client, billed, finance):
    payment = record_payment(
        account=billed.account, amount=Decimal("100.00"), on=D(2026, 3, 5), actor="fin-li"
    )
    logged_in(client, finance)

    response = client.get(reverse("payment-receipt-pdf", args=[payment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    "amount", ["-5", "0", "12.345", "abc", "1e999", "99999999999999", "NaN", ""]
)
def test_bad_amounts_are_refused_with_the_field_named_and_nothing_written(
    client, billed, finance, amount
):
    logged_in(client, finance)

    response = pay(client, unit=billed.account.unit.code, amount=amount)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["amount"]
    assert 'data-field="amount"' in response.content.decode()
    assert Payment.objects.count() == 0
    assert not Entry.objects.filter(kind=Entry.Kind.PAYMENT).exists()


def test_a_bill_of_another_account_is_refused_on_the_bill_field(client, ht, billed, finance):
    other = office_account(start=D(2026, 1, 1))
    logged_in(client, finance)

    response = pay(client, unit=other.unit.code, bill=billed.number)

    assert response.status_code == 400
    assert "bill" in response.context["form"].errors
    assert Payment.objects.count() == 0


def test_an_assistant_posting_a_payment_gets_403(client, ht, billed):
    """Who may do what: record payments is for finance (and collectors on rounds)."""
    logged_in(client, staff("cs-wang", "assistant", ht))

    response = pay(client, unit=billed.account.unit.code)

    assert response.status_code == 403
    assert Payment.objects.count() == 0


def test_a_collector_may_record_a_payment(client, ht, billed):
    logged_in(client, staff("col-zhao", "collector", ht))

    assert pay(client, unit=billed.account.unit.code).status_code == 302
    assert Payment.objects.get().actor == "col-zhao"


def test_a_payment_cancels_the_undelivered_notice_and_the_receipt_says_so(client, ht, finance):
    """F1: a notice not yet delivered whose debt is then paid in full is cancelled at once
    by the payment service; the receipt page lists it."""
    account = office_account(start=D(2026, 1, 1))
    issue(ht)
    bill = account.bills.get()
    handover_bills(on=ISSUED, signed_by="cs-wang", actor="cs-wang")
    record_delivery(number=bill.number, on=D(2026, 3, 3), staff="cs-wang", signed_by="陳經理")
    run_dunning(as_of=D(2026, 3, 13), actor="fin-li", project_code="HT")  # 3 days overdue: 1st
    notice = Notice.objects.get(account=account)
    assert notice.status == Notice.Status.ISSUED
    logged_in(client, finance)

    response = pay(client, unit=account.unit.code, amount=f"{notice.total}", paid_on="2026-03-13")

    notice.refresh_from_db()
    assert notice.status == Notice.Status.CANCELLED
    receipt = client.get(response.url)
    assert [n.number for n in receipt.context["notices"]] == [notice.number]
    assert notice.number in receipt.content.decode()


# --- bills: detail, PDF, void and reissue (D1) ------------------------------------------------


def test_the_bill_page_shows_lines_dates_and_the_pdf_link(client, billed, finance):
    logged_in(client, finance)

    page = client.get(reverse("bill", args=[billed.number]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "2,500.00" in html and "物業服務費" in html
    assert reverse("bill-pdf", args=[billed.number]) in html
    assert "作廢並重開" in html
    pdf = client.get(reverse("bill-pdf", args=[billed.number]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_void_and_reissue_creates_the_replacement_linked_to_the_original(client, billed, finance):
    """D1: the wrong bill is voided (kept, with reason and who) and a corrected bill with a
    new number replaces it, linked both ways on the pages."""
    logged_in(client, finance)

    response = client.post(
        reverse("bill-void", args=[billed.number]),
        {"reason": "面積錯誤", "on": "2026-03-04", "reissue": "on"},
    )

    billed.refresh_from_db()
    replacement = Bill.objects.get(replaces=billed)
    assert response.status_code == 302
    assert response.url == reverse("bill", args=[replacement.number])
    assert (billed.status, billed.void_reason, billed.voided_by) == ("void", "面積錯誤", "fin-li")
    assert replacement.status == "issued" and replacement.number != billed.number
    new_page = client.get(response.url).content.decode()
    assert reverse("bill", args=[billed.number]) in new_page
    old_page = client.get(reverse("bill", args=[billed.number])).content.decode()
    assert reverse("bill", args=[replacement.number]) in old_page
    assert "作廢並重開" not in old_page.split("</h1>", 1)[1]  # a void bill has no form


def test_void_needs_a_reason_and_the_finance_role(client, ht, billed, finance):
    logged_in(client, finance)
    missing = client.post(reverse("bill-void", args=[billed.number]), {"on": "2026-03-04"})
    assert missing.status_code == 400 and "reason" in missing.context["void_form"].errors

    logged_in(client, staff("cs-wang", "assistant", ht))
    forbidden = client.post(
        reverse("bill-void", args=[billed.number]),
        {"reason": "錯", "on": "2026-03-04", "reissue": "on"},
    )

    assert forbidden.status_code == 403
    billed.refresh_from_db()
    assert billed.status == "issued" and Bill.objects.count() == 1


# --- another project's objects: 404 -----------------------------------------------------------


def test_another_projects_bill_payment_and_approval_are_404(client, ht, ly, finance):
    account = account_in(ly)
    issue(ly)
    bill = account.bills.get()
    payment = record_payment(account=account, amount=Decimal("10.00"), on=D(2026, 3, 5), actor="x")
    approval = request_approval(
        kind="goodwill", account=account, amount=Decimal("50.00"), reason="漏水", on=D(2026, 3, 5),
        actor="x", given="禮品",
    )  # fmt: skip
    logged_in(client, finance)

    gets = [
        reverse("bill", args=[bill.number]),
        reverse("bill-pdf", args=[bill.number]),
        reverse("payment-receipt", args=[payment.pk]),
        reverse("payment-receipt-pdf", args=[payment.pk]),
        reverse("approval", args=[approval.number]),
        f"{reverse('payment-new')}?account={account.pk}",
        f"{reverse('approval-new')}?account={account.pk}",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    void = {"reason": "錯", "on": "2026-03-06", "reissue": "on"}
    assert client.post(reverse("bill-void", args=[bill.number]), void).status_code == 404
    decision = {"on": "2026-03-06", "note": "ok"}
    assert (
        client.post(reverse("approval-approve", args=[approval.number]), decision).status_code
        == 404
    )
    assert approval.number not in client.get(reverse("approvals")).content.decode()

    by_unit = pay(client, unit=account.unit.code)  # a unit of LY: as if it did not exist

    assert by_unit.status_code == 400 and "unit" in by_unit.context["form"].errors
    assert Payment.objects.count() == 1
    bill.refresh_from_db()
    assert bill.status == "issued"
    assert ApprovalRequest.objects.get().status == "requested"


# --- approvals --------------------------------------------------------------------------------


def ask_goodwill(client, account, *, amount="100.00"):
    return client.post(
        reverse("approval-new"),
        {"account": str(account.pk), "kind": "goodwill", "amount": amount, "given": "月餅一盒",
         "reason": "M1：維修延誤致歉", "on": "2026-03-05"},
    )  # fmt: skip


def test_a_request_is_approved_by_a_supervisor_and_refused_to_its_requester(client, ht, billed):
    """M1 and "Who may do what": an assistant asks, a supervisor approves in the role they
    hold on the project; a supervisor's own request is refused to them (400, its message)."""
    logged_in(client, staff("cs-wang", "assistant", ht))
    asked = ask_goodwill(client, billed.account)
    request = ApprovalRequest.objects.get()
    assert asked.status_code == 302 and asked.url == reverse("approval", args=[request.number])
    assert (request.kind, request.requested_by, request.given) == (
        "goodwill",
        "cs-wang",
        "月餅一盒",
    )

    supervisor = staff("sup-lee", "supervisor", ht)
    logged_in(client, supervisor)
    listed = client.get(reverse("approvals")).content.decode()
    assert request.number in listed and "cs-wang" in listed
    approved = client.post(
        reverse("approval-approve", args=[request.number]), {"on": "2026-03-06", "note": "同意"}
    )

    request.refresh_from_db()
    assert approved.status_code == 302
    assert (request.status, request.decided_by, request.decided_role) == (
        "approved", "sup-lee", "supervisor",
    )  # fmt: skip

    own = ask_goodwill(client, billed.account, amount="80.00")
    mine = ApprovalRequest.objects.get(requested_by="sup-lee")
    assert own.status_code == 302
    refused = client.post(
        reverse("approval-approve", args=[mine.number]), {"on": "2026-03-06", "note": ""}
    )

    assert refused.status_code == 400
    assert "不得自行審批" in refused.content.decode()
    mine.refresh_from_db()
    assert mine.status == "requested"


def test_a_write_off_is_refused_to_a_supervisor_and_approved_by_a_manager(client, ht, billed):
    """M2: write-offs need a manager; the service's message is shown (400)."""
    request = request_approval(
        kind="write_off", account=billed.account, amount=None, reason="M2：公司已註銷",
        on=D(2026, 3, 5), actor="cs-wang",
    )  # fmt: skip
    url = reverse("approval-approve", args=[request.number])
    logged_in(client, staff("sup-lee", "supervisor", ht))

    refused = client.post(url, {"on": "2026-03-06"})

    assert refused.status_code == 400 and "經理" in refused.content.decode()
    logged_in(client, staff("mgr-chen", "manager", ht))
    assert client.post(url, {"on": "2026-03-06"}).status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decided_role) == ("approved", "manager")


def test_reject_needs_a_reason_and_an_assistant_may_not_decide(client, ht, billed):
    request = request_approval(
        kind="goodwill", account=billed.account, amount=Decimal("30.00"), reason="致歉",
        on=D(2026, 3, 5), actor="cs-wang", given="花籃",
    )  # fmt: skip
    url = reverse("approval-reject", args=[request.number])
    logged_in(client, staff("cs-zhou", "assistant", ht))
    assert client.post(url, {"on": "2026-03-06", "note": "no"}).status_code == 403

    logged_in(client, staff("sup-lee", "supervisor", ht))
    missing = client.post(url, {"on": "2026-03-06", "note": ""})
    assert missing.status_code == 400 and "note" in missing.context["reject_form"].errors
    assert client.post(url, {"on": "2026-03-06", "note": "不符合條件"}).status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decision_note) == ("rejected", "不符合條件")


def test_a_request_with_a_bad_amount_is_refused_and_nothing_is_written(client, ht, billed):
    logged_in(client, staff("cs-wang", "assistant", ht))

    response = ask_goodwill(client, billed.account, amount="-1")

    assert response.status_code == 400 and "amount" in response.context["form"].errors
    assert ApprovalRequest.objects.count() == 0


# --- queries do not grow with the rows --------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_approvals_list_runs_the_same_queries_for_1_or_8_requests(client, ht, finance):
    accounts = [office_account(start=D(2026, 1, 1)) for _ in range(8)]
    issue(ht)

    def ask(account):
        request_approval(
            kind="goodwill", account=account, amount=Decimal("20.00"), reason="致歉",
            on=D(2026, 3, 5), actor="cs-wang", given="禮品",
            bill_number=account.bills.get().number,
        )  # fmt: skip

    logged_in(client, finance)
    ask(accounts[0])
    one = count_queries(client, reverse("approvals"))
    for account in accounts[1:]:
        ask(account)
    many = count_queries(client, reverse("approvals"))

    assert many == one
    assert ApprovalRequest.objects.count() == 8


def test_the_bill_page_runs_the_same_queries_however_many_lines_attempts_and_payments(
    client, ht, finance
):
    plain = office_account(start=D(2026, 1, 1))
    busy = office_account(start=D(2026, 1, 1))
    add_line(busy.contracts.get(), "ELV", ContractLine.Basis.FIXED, "333.33")
    issue(ht)
    handover_bills(on=ISSUED, signed_by="cs-wang", actor="cs-wang")
    busy_bill = busy.bills.get()
    for _ in range(3):
        record_delivery(
            number=busy_bill.number, on=ISSUED, staff="cs-wang", failed="nobody_present"
        )
    record_delivery(number=busy_bill.number, on=D(2026, 3, 3), staff="cs-wang", signed_by="陳經理")
    for day in (4, 5, 6):
        record_payment(account=busy, amount=Decimal("100.00"), on=D(2026, 3, day), actor="fin")
    logged_in(client, finance)

    few = count_queries(client, reverse("bill", args=[plain.bills.get().number]))
    many = count_queries(client, reverse("bill", args=[busy_bill.number]))

    assert many == few
