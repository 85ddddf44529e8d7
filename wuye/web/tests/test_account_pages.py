"""The account list, the account page and the task lists (issue 6): project-scoped,
paginated, the same figures as the ledger, one timeline, and a number of queries that
does not grow with the rows ("Pages that list accounts or tasks stay fast with 100,000
units").

March 2026: bills issued Mon 2 March (100 m² × 25.00 = 2,500.00), signed for the same
day; due 7 days after receipt (E1)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.models import Bill
from wuye.billing.services import issue_bills_for_project, record_bill_receipts
from wuye.collection.tests.scenario import calls_and_visits_policy
from wuye.dates import Period
from wuye.dunning.models import Notice
from wuye.dunning.notices import deliver_notice, handover_notices
from wuye.dunning.services import run_dunning
from wuye.ledger.selectors import balance
from wuye.payments.services import record_payment
from wuye.properties.models import Account
from wuye.testing.factories import (
    BuildingFactory,
    ProjectFactory,
    UnitFactory,
    office_account,
    staff,
)

D = dt.date
ON = D(2026, 3, 25)


MONDAY = D(2026, 3, 2)


def issue(project, on=MONDAY):
    issue_bills_for_project(project=project, period=Period.parse("2026-03"), on=on, actor="fin")


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def office(db):
    """HT with one client walked through March; LY, another project, with one account."""
    ht = ProjectFactory(code="HT")
    ly = ProjectFactory(code="LY", name="麗苑")
    client_1 = office_account(start=D(2026, 1, 1))
    other = office_account(
        start=D(2026, 1, 1), unit=UnitFactory(building=BuildingFactory(project=ly, code="A"))
    )
    issue(ht)
    issue(ly)
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    bill = client_1.bills.get()
    # C1: nobody at the unit on Monday; signed on Tuesday (B1): due 10 March (E1)
    record_delivery(number=bill.number, on=D(2026, 3, 2), staff="cs-wang", failed="nobody_present")
    record_delivery(number=bill.number, on=D(2026, 3, 3), staff="cs-wang", signed_by="陳經理",
                    relation="行政經理")  # fmt: skip
    # E2: the first notice on 13 March (3 days overdue), signed the same day
    run_dunning(as_of=D(2026, 3, 13), actor="fin", project_code="HT")
    handover_notices(on=D(2026, 3, 13), signed_by="cs-wang", actor="cs-wang")
    notice = Notice.objects.get(account=client_1)
    deliver_notice(number=notice.number, on=D(2026, 3, 13), staff="cs-wang", signed_by="陳經理",
                   relation="行政經理")  # fmt: skip
    record_payment(account=client_1, amount=Decimal("1000.00"), on=D(2026, 3, 20), actor="fin")
    return {"ht": ht, "ly": ly, "account": client_1, "other": other, "bill": bill,
            "notice": notice}  # fmt: skip


@pytest.fixture
def assistant(office, client):
    user = staff("cs-wang", "assistant", office["ht"])
    client.force_login(user)
    return user


def test_account_page_shows_the_statement_as_the_ledger_has_it(office, assistant, client):
    """Account page: the statement's figures are the ledger's, exactly: the bill 2,500.00,
    its late fee 3.75 (L1: 3 days at 0.5‰, posted by the run of 13 March), paid 1,000.00
    (late fee first, P1), open and balance 1,503.75 (`accounts show` reads the same)."""
    account = office["account"]
    response = client.get(f"/accounts/{account.pk}/", {"on": ON.isoformat()})
    assert response.status_code == 200
    page = text(response)
    assert balance(account.pk, as_of=ON) == Decimal("1503.75")
    assert '<span id="balance">1,503.75</span>' in page
    row = re.search(rf'<tr id="bill-{office["bill"].number}">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    # amount, late fee, waived, paid, open, days overdue (25 − 10 March)
    assert cells == ["2,500.00", "3.75", "0.00", "1,000.00", "1,503.75", "15"]
    assert "陳經理" in page and "指定負責人" in page  # the designated contact (B1)
    assert account.unit.code in page and account.customer.name in page


def test_account_page_shows_one_timeline_newest_first_and_the_limitation_date(
    office, assistant, client
):
    """The timeline lists the payment (20 March), the notice signed and issued (13 March),
    the bill's delivery (3 March) and its failed attempt (2 March), newest first. X2: the
    part payment of 20 March restarts the bill's limitation period: it ends 20 March 2029."""
    account = office["account"]
    page = text(client.get(f"/accounts/{account.pk}/", {"on": ON.isoformat()}))
    timeline = page[page.index('id="timeline"') :]
    payment = timeline.index("收款")
    notice_signed = timeline.index("通知書派送")
    notice_issued = timeline.index(office["notice"].number)
    signed = timeline.index("陳經理（行政經理）")
    failed = timeline.index("無人")
    assert payment < notice_signed < signed < failed
    assert notice_issued < signed
    limitation = page[page.index('id="limitation"') : page.index('id="timeline"')]
    assert "2029年3月20日" in limitation and "部分付款" in limitation


def test_another_projects_account_is_not_found_and_not_listed(office, assistant, client):
    """Project scope: an LY account gives 404 to an HT assistant and is not in the list."""
    other = office["other"]
    assert client.get(f"/accounts/{other.pk}/", {"on": ON.isoformat()}).status_code == 404
    page = text(client.get("/accounts/", {"on": ON.isoformat()}))
    assert office["account"].unit.code in page
    assert other.unit.code not in page


def test_the_page_links_to_payment_and_approval_pages_when_they_exist(office, assistant, client):
    from django.urls import NoReverseMatch, reverse

    account = office["account"]
    page = text(client.get(f"/accounts/{account.pk}/", {"on": ON.isoformat()}))
    for name, label in (("payment-new", "收款"), ("approval-new", "申請減免")):
        try:
            url = f"{reverse(name)}?account={account.pk}"
        except NoReverseMatch:
            continue
        assert f'<a href="{url}">{label}</a>' in page


# --- the account list ------------------------------------------------------------------


def make_accounts(project, count: int, *, start_number: int = 0) -> list[Account]:
    """`count` office accounts with the March bill, signed for on 2 March; every even one
    delivered (due 9 March, then a call task on 10 March: R2), every odd one still to be
    delivered (the bills to deliver, C1)."""
    calls_and_visits_policy()
    building = BuildingFactory(project=project, code="T1")
    accounts = []
    for n in range(start_number, start_number + count):
        unit = UnitFactory(building=building, number=f"{n + 101:04d}")
        accounts.append(
            office_account(start=D(2026, 1, 1), unit=unit, dunning_policy="calls-visits")
        )
    return accounts


def walk_march(project, accounts) -> None:
    issue(project)
    handover_bills(
        on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang", project_code=project.code
    )
    bills = Bill.objects.filter(account__in=accounts).order_by("account__unit__code")
    record_bill_receipts([b.pk for b in bills[::2]], received_on=D(2026, 3, 2), actor="cs")
    run_dunning(as_of=D(2026, 3, 10), actor="fin", project_code=project.code)


@pytest.fixture
def many(db):
    ht = ProjectFactory(code="HT")
    user = staff("boss", "manager", company_wide=True)
    return ht, user


def queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


def test_the_account_list_and_task_lists_take_the_same_queries_for_5_and_60_accounts(many, client):
    """No per-row queries: a page of 5 accounts and a page of 50 (of 60) cost the same
    number of queries, on the account list (plain and in arrears) and on each task tab."""
    ht, user = many
    client.force_login(user)
    on = {"on": "2026-03-10"}
    first = make_accounts(ht, 5)
    walk_march(ht, first)
    pages = [("/accounts/", {}), ("/accounts/", {"arrears": "on"}), ("/accounts/", {"q": "HT"})]
    pages += [("/tasks/", {"tab": tab}) for tab in ("bills", "calls", "visits", "promises")]
    pages += [("/today/", {})]
    small = [queries(client, url, {**on, **params}) for url, params in pages]
    rest = make_accounts(ht, 55, start_number=5)
    issue(ht)  # the rest's March bills (the first five have theirs)
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    bills = Bill.objects.filter(account__in=rest).order_by("account__unit__code")
    record_bill_receipts([b.pk for b in bills[::2]], received_on=D(2026, 3, 2), actor="cs")
    run_dunning(as_of=D(2026, 3, 10), actor="fin", project_code="HT")
    page = text(client.get("/accounts/", on))
    assert page.count('href="/accounts/') >= 50  # a full page of 50 rows
    assert len(text(client.get("/tasks/", {**on, "tab": "calls"})).split("<tr>")) > 25
    large = [queries(client, url, {**on, **params}) for url, params in pages]
    assert large == small


def test_the_account_list_filters_and_pages(many, client):
    """Search by unit code or customer name, filter in arrears only; 50 a page."""
    ht, user = many
    client.force_login(user)
    accounts = make_accounts(ht, 60)
    walk_march(ht, accounts)
    on = "2026-03-20"  # the even ones are due 9 March and unpaid: in arrears
    # the first pays more than it owes (bill and the late fee of 10 March): not in arrears
    record_payment(account=accounts[0], amount=Decimal("2600.00"), on=D(2026, 3, 12), actor="fin")

    page_1 = text(client.get("/accounts/", {"on": on}))
    assert "共 60 個帳戶" in page_1 and "第 1 頁，共 2 頁" in page_1
    assert accounts[0].unit.code in page_1 and accounts[55].unit.code not in page_1
    page_2 = text(client.get("/accounts/", {"on": on, "page": 2}))
    assert accounts[55].unit.code in page_2 and accounts[0].unit.code not in page_2

    found = text(client.get("/accounts/", {"on": on, "q": accounts[7].unit.code}))
    assert accounts[7].unit.code in found and accounts[8].unit.code not in found
    by_name = text(client.get("/accounts/", {"on": on, "q": accounts[9].customer.name}))
    assert accounts[9].unit.code in by_name

    arrears = text(client.get("/accounts/", {"on": on, "arrears": "on"}))
    listed = set(re.findall(r"HT-T1-\d{4}", arrears))
    expected = {a.unit.code for a in accounts[2::2]}  # even ones, but the first paid
    assert listed == expected
    # a row shows the balance owed (the bill and the late fee of the 10 March run, L1),
    # as the ledger has it, and the days overdue (20 − 9 March)
    row = re.search(rf"{accounts[2].unit.code}</a>.*?</tr>", arrears, re.S).group(0)
    assert balance(accounts[2].pk, as_of=D(2026, 3, 20)) == Decimal("2501.25")
    assert '<td class="num">2,501.25</td>' in row and '<td class="num">11</td>' in row


def test_the_task_lists_are_project_scoped_and_show_the_faq_for_calls(db, client):
    """Tasks: an HT assistant sees HT's calls (with the prepared answers for the reason
    heard), not LY's."""
    from wuye.collection.services import record_call

    ht = ProjectFactory(code="HT")
    ly = ProjectFactory(code="LY", name="麗苑")
    mine = make_accounts(ht, 2)
    walk_march(ht, mine)
    calls_and_visits_policy()
    theirs = office_account(
        start=D(2026, 1, 1), dunning_policy="calls-visits",
        unit=UnitFactory(building=BuildingFactory(project=ly, code="A")),
    )  # fmt: skip
    walk_march(ly, [theirs])
    # the call on 10 March heard the reason: the owner is dissatisfied with the service
    task = Notice.objects.get(account=mine[0], action="call", status="open")
    record_call(number=task.number, on=D(2026, 3, 10), staff="cs", reason="service",
                amount_stated=Decimal("2500.00"), outcome="reached")  # fmt: skip
    client.force_login(staff("cs-wang", "assistant", ht))
    page = text(client.get("/tasks/", {"on": "2026-03-10", "tab": "calls"}))
    assert mine[0].unit.code not in page  # the call closed its task
    run_dunning(as_of=D(2026, 3, 17), actor="fin")  # R2: the call repeats every 7 days
    page = text(client.get("/tasks/", {"on": "2026-03-17", "tab": "calls"}))
    assert mine[0].unit.code in page and theirs.unit.code not in page
    assert "不滿服務" in page and "常見問題及答覆" in page
    bills = text(client.get("/tasks/", {"on": "2026-03-17", "tab": "bills"}))
    assert mine[1].unit.code in bills and theirs.unit.code not in bills


def test_the_arrears_pages_walk_the_accounts_a_chunk_at_a_time(many, monkeypatch):
    """The arrears filter is not counted: pages of it come from the accounts walked in
    order, chunk by chunk, each chunk tested in one grouped query; a page and whether a
    next one exists are the same whatever the chunk size."""
    from wuye.properties.models import Project
    from wuye.web.pages.accounts import ArrearsPager, account_rows

    ht, _ = many
    accounts = make_accounts(ht, 30)
    walk_march(ht, accounts)
    on = D(2026, 3, 20)
    owing = [a.pk for a in sorted(accounts, key=lambda a: a.code)[::2]]  # the 15 delivered
    rows = account_rows(projects=list(Project.objects.all()), as_of=on)
    for chunk in (4, 7, 500):
        monkeypatch.setattr(ArrearsPager, "CHUNK", chunk)
        first = ArrearsPager(rows, "1", as_of=on, size=10)
        second = ArrearsPager(rows, "2", as_of=on, size=10)
        assert (first.object_list, first.has_next()) == (owing[:10], True)
        assert (second.object_list, second.has_next(), second.has_previous()) == (
            owing[10:], False, True,
        )  # fmt: skip
        # "next page" continues after the last account shown: the same page, walked
        # from there instead of from the first account
        onward = ArrearsPager(rows, "2", as_of=on, size=10, after=first.after)
        assert (onward.object_list, onward.has_next()) == (owing[10:], False)
