"""A real day in the browser (issue 6, "Done when"): Playwright drives Debian's Chromium
against the live server. Finance issues the month's bills (A1), the assistant signs for
them and records a failed and then a successful delivery (B1, C1); finance runs the
dunning for the day the bill is 3 days overdue (E2); the assistant signs for the notice;
finance records the client's payment before the notice reaches anyone, prints the
receipt, and the notice is cancelled (F1), on the assistant's list and in the account's
timeline. Screenshots of the main pages are saved under screenshots/ (README)."""

import datetime as dt
import re

import pytest

from wuye.billing.models import Bill
from wuye.dunning.models import Notice
from wuye.ledger.selectors import balance
from wuye.testing.factories import ProjectFactory, office_account, staff

pytestmark = pytest.mark.django_db(transaction=True)
D = dt.date


@pytest.fixture
def office(seeded_live_db):
    ht = ProjectFactory(code="HT", name="華庭商業中心")
    account = office_account(start=D(2026, 1, 1))  # 100 m² × 25.00 = 2,500.00 a month
    staff("amy", "assistant", ht)
    staff("fiona", "finance", ht)
    return ht, account


def test_a_day_of_an_assistant_and_finance(browse, office):
    _, account = office
    unit = account.unit.code
    finance, assistant = browse(), browse()

    # finance: preview the March bill run (nothing written), then confirm (A1)
    page = finance.login("fiona")
    page = finance.go("/finance/bill-run/?project=HT&period=2026-03&on=2026-03-02&preview=1")
    assert "2,500.00" in page.content() and not Bill.objects.exists()
    finance.screenshot("01-finance-bill-run-preview")
    with page.expect_navigation():
        page.get_by_role("button", name="確認出單").click()
    bill = Bill.objects.get(account=account)
    assert bill.number in page.content()

    # assistant: today's list shows the batch to sign for; sign for it (A1)
    page = assistant.login("amy")
    page = assistant.go("/today/?on=2026-03-02")
    assistant.screenshot("02-assistant-today-handover")
    with page.expect_navigation():  # htmx reloads the list: the bills move to delivery
        page.get_by_role("button", name="簽收 HT").click()
    row = page.locator(f"#bill-{bill.number}")
    row.wait_for()
    # nobody at the client's office: a failed attempt stays on the list (C1)
    row.get_by_label("未送達原因").select_option("nobody_present")
    row.get_by_role("button", name="未送達").click()
    page.wait_for_function(
        "n => document.querySelector('#bill-' + n) && "
        "document.querySelector('#bill-' + n).innerText.includes('1')", arg=bill.number,
    )  # fmt: skip
    assistant.screenshot("03-assistant-failed-delivery")
    bill.refresh_from_db()
    assert bill.receipt_date is None

    # the next day the designated contact signs for it (B1): the receipt date, due +7 (E1)
    page = assistant.go("/today/?on=2026-03-03")
    row = page.locator(f"#bill-{bill.number}")
    row.get_by_label("簽收人").fill("陳經理")
    row.get_by_label("關係").fill("行政經理")
    row.get_by_role("button", name="已送達").click()
    row.wait_for(state="detached")
    bill.refresh_from_db()
    assert (bill.receipt_date, bill.due_date) == (D(2026, 3, 3), D(2026, 3, 10))

    # finance: 13 March is 3 days overdue; preview the run, then run it (E2)
    page = finance.go("/dunning/?project=HT&on=2026-03-13")
    assert unit in page.content() and not Notice.objects.exists()
    finance.screenshot("04-finance-dunning-preview")
    with page.expect_navigation():
        page.get_by_role("button", name="執行").click()
    notice = Notice.objects.get(account=account)
    assert (notice.level, notice.status) == (1, Notice.Status.ISSUED)
    finance.screenshot("05-finance-dunning-result")

    # assistant: the notice waits to be signed for; sign for it, it is to be delivered
    page = assistant.go("/today/?on=2026-03-13")
    with page.expect_navigation():
        page.get_by_role("button", name="簽收 HT").click()
    page.locator(f"#notice-{notice.number}").wait_for()
    assistant.screenshot("06-assistant-notice-to-deliver")

    # finance: the client pays everything before the notice is delivered
    owed = balance(account.pk)
    page = finance.go(f"/finance/payments/new/?account={account.pk}&paid_on=2026-03-13")
    page.get_by_label("金額（元）").fill(str(owed))
    page.get_by_label("收款日期").fill("2026-03-13")
    page.get_by_label("參考號碼").fill("BANK-0313")
    page.get_by_role("button", name="確認收款").click()
    page.wait_for_url(re.compile(r"/receipt/"))
    text = page.content()
    assert f"{owed:,.2f}" in text and notice.number in text  # the receipt lists the notice
    finance.screenshot("07-finance-receipt")

    # F1: the notice is cancelled, gone from the assistant's list, on the timeline
    notice.refresh_from_db()
    assert notice.status == Notice.Status.CANCELLED
    page = assistant.go("/today/?on=2026-03-13")
    assert page.locator(f"#notice-{notice.number}").count() == 0
    page = assistant.go(f"/accounts/{account.pk}/?on=2026-03-13")
    assert notice.number in page.content() and "0.00" in page.content()
    assistant.screenshot("08-assistant-account-timeline")


def test_main_pages_in_three_languages(browse, office):
    """The main pages render for finance (screenshots for the README's folder), and the
    language switch gives Simplified Chinese and English (Traditional by default)."""
    tab = browse()
    page = tab.login("fiona")
    for name, path in [
        ("10-today", "/today/?on=2026-03-02"),
        ("11-accounts", "/accounts/"),
        ("12-tasks", "/tasks/?on=2026-03-02"),
        ("13-approvals", "/approvals/"),
        ("14-dashboard", "/dashboard/?on=2026-03-31"),
        ("15-reports", "/reports/"),
        ("16-payment", "/finance/payments/new/"),
    ]:
        response = page.goto(tab.base_url + path)
        assert response.status == 200, path
        tab.screenshot(name)
    page = tab.go("/today/?on=2026-03-02")
    assert "今日工作" in page.content()
    with page.expect_navigation():
        page.get_by_label("語言").select_option("zh-hans")
    assert "待签收" in page.content()
    tab.screenshot("17-today-simplified")
    with page.expect_navigation():
        page.get_by_label("语言").select_option("en")
    assert "Today" in page.locator("nav").inner_text()
    tab.screenshot("18-today-english")
