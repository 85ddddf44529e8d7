"""A payer with several units in one project gets one notice listing each unit's overdue
items (RULES.md, Account), on the ladder of its oldest overdue bill (E2)."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import Notice
from wuye.dunning.notices import deliver_notice, handover_notices
from wuye.dunning.services import exclude_from_run, execute_run, propose_run, run_dunning
from wuye.ledger.selectors import balance
from wuye.payments.services import record_payment
from wuye.testing.factories import AccountFactory, ContractFactory, add_line, office_account

D = dt.date


def second_unit_of(account, area="40.00"):
    other = AccountFactory(customer=account.customer, start_date=D(2026, 1, 1))
    other.unit.area = Decimal(area)
    other.unit.save()
    contract = ContractFactory(account=other)
    add_line(contract, "PMF", "per_area", "25.00")
    return other


def deliver_bills(project, on):
    handover_bills(on=on, signed_by="cs", actor="cs")
    for bill in project.bills.filter(receipt__isnull=True):
        record_delivery(number=bill.number, on=on, staff="cs", signed_by="陳", relation="經理")


@pytest.mark.django_db
def test_one_notice_lists_every_unit_of_the_payer():
    """Account/E2: the 1st notice covers both units (2,500 + 1,000), once per payer."""
    first = office_account(start=D(2026, 1, 1))
    second = second_unit_of(first)
    issue_bills_for_project(project=first.project, period=Period.parse("2026-03"),
                            on=D(2026, 3, 2), actor="fin")  # fmt: skip
    deliver_bills(first.project, D(2026, 3, 2))
    run_dunning(as_of=D(2026, 3, 12), actor="fin")
    [notice] = Notice.objects.all()
    assert notice.customer_id == first.customer_id
    units = sorted(line.bill.account.unit.code for line in notice.lines.all())
    assert units == sorted([first.unit.code, second.unit.code])
    assert notice.principal == Decimal("3500.00")


@pytest.mark.django_db
def test_the_level_follows_the_oldest_bill_of_any_unit_and_payments_reissue():
    """E2: the second unit's newer bill joins the episode of the older one; F1: paying the
    items a notice listed before its delivery cancels it, and the same level is issued
    again for what is still overdue (the other unit's bill), not the next one."""
    first = office_account(start=D(2026, 1, 1))
    issue_bills_for_project(project=first.project, period=Period.parse("2026-03"),
                            on=D(2026, 3, 2), actor="fin")  # fmt: skip
    deliver_bills(first.project, D(2026, 3, 2))
    run_dunning(as_of=D(2026, 3, 12), actor="fin")  # 1st for the first unit
    handover_notices(on=D(2026, 3, 12), signed_by="cs", actor="cs")
    deliver_notice(number=Notice.objects.get().number, on=D(2026, 3, 12), staff="cs",
                   signed_by="陳", relation="經理")  # fmt: skip
    second_unit_of(first)
    issue_bills_for_project(project=first.project, period=Period.parse("2026-03"),
                            on=D(2026, 3, 13), actor="fin")  # fmt: skip
    deliver_bills(first.project, D(2026, 3, 13))  # second unit due 20 March
    run_dunning(as_of=D(2026, 3, 16), actor="fin")  # 7 days overdue on the first unit
    second_notice = Notice.objects.get(level=2)
    assert second_notice.principal == Decimal("2500.00")  # the new bill is not yet due
    for day in range(17, 24):
        run_dunning(as_of=D(2026, 3, day), actor="fin")
    assert Notice.objects.filter(replaces__isnull=True).count() == 2  # 2nd undelivered holds
    # F1: pay the first unit's March bill before the 2nd is delivered: the notice now
    # states only what is open, and stays at level 2
    record_payment(account=first, amount=balance(first.pk),
                   on=D(2026, 3, 24), actor="fin", bill_number=first.bills.get().number)  # fmt: skip
    second_notice.refresh_from_db()
    assert second_notice.status == "cancelled" and "F1" in second_notice.end_reason
    for day in range(24, 28):  # the oldest overdue bill is now the second unit's (due 20th)
        run_dunning(as_of=D(2026, 3, day), actor="fin")
    again = Notice.objects.get(replaces__isnull=True, status="issued")
    assert (again.issued_on, again.level) == (D(2026, 3, 27), 2)  # 7 days overdue
    assert again.principal == Decimal("1000.00")  # 40 m² × 25.00


@pytest.mark.django_db
def test_excluding_one_unit_takes_the_payer_out_of_the_proposal():
    """E2: staff trim a proposal by unit; the line is the payer's, covering its units."""
    first = office_account(start=D(2026, 1, 1))
    second = second_unit_of(first)
    issue_bills_for_project(project=first.project, period=Period.parse("2026-03"),
                            on=D(2026, 3, 2), actor="fin")  # fmt: skip
    deliver_bills(first.project, D(2026, 3, 2))
    run = propose_run(as_of=D(2026, 3, 12), actor="fin")
    assert run.lines.count() == 1
    exclude_from_run(run_id=run.pk, unit_code=second.unit.code, reason="客戶已承諾", actor="sup")
    assert execute_run(run_id=run.pk, actor="fin").notices_created == 0


@pytest.mark.django_db
def test_the_printed_notice_lists_each_unit(tmp_path):
    """Account/E2: the printed 催繳通知書 of a payer with two units shows both units'
    items in one document (checked in the PDF text)."""
    import subprocess

    from wuye.documents.services import render_notices_pdf

    first = office_account(start=D(2026, 1, 1))
    second = second_unit_of(first)
    issue_bills_for_project(project=first.project, period=Period.parse("2026-03"),
                            on=D(2026, 3, 2), actor="fin")  # fmt: skip
    deliver_bills(first.project, D(2026, 3, 2))
    run_dunning(as_of=D(2026, 3, 12), actor="fin")
    out = tmp_path / "notices.pdf"
    assert render_notices_pdf(as_of=D(2026, 3, 12), out=out)["notices"] == 1
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert first.unit.code in text and second.unit.code in text
    assert "3,505.25" in text  # (2,500 + 1,000) + 0.5‰ × 3 days on each
