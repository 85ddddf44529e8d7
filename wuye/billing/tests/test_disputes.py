"""Rule D2 (disputes) with L1 (late fee held while disputed) and X2 (limitation dates)."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from wuye.billing.disputes import open_dispute, open_disputes, resolve_dispute
from wuye.cli import main
from wuye.errors import WuyeError
from wuye.ledger import selectors
from wuye.ledger.late_fee_run import run_late_fees
from wuye.ledger.models import Entry
from wuye.ledger.statements import account_statement
from wuye.ledger.tests.test_late_fees import _overdue_office_bill
from wuye.payments.services import record_payment

D = Decimal


def posted(account):
    return selectors.totals_by_kind(account.pk).get(Entry.Kind.LATE_FEE, D(0))


@pytest.mark.django_db
def test_disputed_bill_accrues_but_posts_no_late_fee_until_rejected():
    """D2, L1: while the dispute is open nothing is posted; once rejected, the next run
    posts everything accrued since the due date."""
    account, bill = _overdue_office_bill()  # 2500.00 due 2026-03-09
    open_dispute(number=bill.number, on=dt.date(2026, 3, 12), reason="面積有誤", actor="cs")
    run_late_fees(project=account.project, as_of=dt.date(2026, 3, 19), actor="fin")
    assert posted(account) == 0
    resolve_dispute(number=bill.number, on=dt.date(2026, 3, 20), resolution="rejected",
                    actor="sup")  # fmt: skip
    run_late_fees(project=account.project, as_of=dt.date(2026, 3, 21), actor="fin")
    assert posted(account) == D("15.00")  # 12 days × 1.25


@pytest.mark.django_db
def test_a_second_open_dispute_is_refused_and_resolution_is_recorded():
    _account, bill = _overdue_office_bill()
    open_dispute(number=bill.number, on=dt.date(2026, 3, 12), reason="金額", actor="cs")
    with pytest.raises(WuyeError) as error:
        open_dispute(number=bill.number, on=dt.date(2026, 3, 13), reason="again", actor="cs")
    assert error.value.code == "dispute_open"
    with pytest.raises(WuyeError) as error:
        resolve_dispute(number=bill.number, on=dt.date(2026, 3, 11), resolution="upheld",
                        actor="sup")  # fmt: skip
    assert error.value.code == "invalid_date"
    dispute = resolve_dispute(
        number=bill.number, on=dt.date(2026, 3, 15), resolution="upheld", actor="sup",
        note="面積應為 90 m²",
    )  # fmt: skip
    assert (dispute.resolved_on, dispute.resolution, dispute.resolved_by) == (
        dt.date(2026, 3, 15), "upheld", "sup",
    )  # fmt: skip
    with pytest.raises(WuyeError) as error:
        resolve_dispute(number=bill.number, on=dt.date(2026, 3, 16), resolution="rejected",
                        actor="sup")  # fmt: skip
    assert error.value.code == "no_open_dispute"


@pytest.mark.django_db
def test_open_disputes_report_their_age_and_the_statement_flags_the_bill():
    """D2: open disputes and their age are reported."""
    account, bill = _overdue_office_bill()
    open_dispute(number=bill.number, on=dt.date(2026, 3, 12), reason="金額", actor="cs")
    rows = open_disputes(as_of=dt.date(2026, 3, 22))
    assert [(r["bill"], r["age_days"]) for r in rows] == [(bill.number, 10)]
    assert open_disputes(as_of=dt.date(2026, 3, 11)) == []
    statement = account_statement(account, as_of=dt.date(2026, 3, 22))
    assert statement.bills[0].disputed is True


@pytest.mark.django_db
def test_limitation_ends_three_years_after_due_and_restarts_with_a_part_payment():
    """X2: 3 years per bill from its due date; a part payment (acknowledgement) restarts it."""
    account, _bill = _overdue_office_bill()
    statement = account_statement(account, as_of=dt.date(2026, 4, 1))
    assert statement.bills[0].limitation_ends == dt.date(2029, 3, 9)
    record_payment(account=account, amount=D("100.00"), on=dt.date(2026, 5, 6), actor="fin")
    statement = account_statement(account, as_of=dt.date(2026, 6, 1))
    assert statement.bills[0].limitation_ends == dt.date(2029, 5, 6)


@pytest.mark.django_db
def test_cli_dispute_open_resolve_and_list(capsys):
    _account, bill = _overdue_office_bill()
    base = ["bills", "dispute", bill.number, "--on", "2026-03-12"]
    assert main([*base, "--reason", "面積有誤", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["resolved_on"] is None
    assert main(["bills", "disputes", "--as-of", "2026-03-14", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["disputes"][0]["age_days"] == 2
    assert main([*base, "--resolve", "maybe"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["bills", "dispute", bill.number, "--on", "2026-03-13", "--resolve",
                 "rejected", "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["resolution"] == "rejected"
