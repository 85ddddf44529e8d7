"""The limitation clock per bill (X2), its evidence, the near-expiry report and
`accounts show` with notices.

March 2026 (no holidays in mainland China): Mon 2 the March bill is issued, handed over
and signed for by the client; it falls due on Mon 9 (E1); Thu 12 is 3 days overdue, when
the dunning run issues the 1st notice (E2). Its limitation period ends on 9 March 2029
unless something restarts it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.cli import main
from wuye.dates import Period
from wuye.dunning.models import Notice
from wuye.dunning.notices import (
    deliver_notice,
    handover_notices,
    post_notice,
    record_notice_courier_delivery,
)
from wuye.dunning.services import run_dunning
from wuye.errors import NotFound, WuyeError
from wuye.ledger import limitation as lim
from wuye.ledger.limitation import (
    COURIER_DELIVERY,
    DUE_DATE,
    NO_RELATION,
    PART_PAYMENT,
    SIGNED_NOTICE,
    limitation_by_bill,
    limitation_report,
)
from wuye.ledger.statements import account_statement
from wuye.payments.services import record_payment, reverse_payment
from wuye.testing.factories import office_account

D = dt.date
DUE = D(2026, 3, 9)
ENDS = D(2029, 3, 9)  # DUE + 3 years (policy limitation_years)
NOTICE_DAY = D(2026, 3, 12)  # 3 days overdue: the 1st notice (E2)


def issue_and_receive(project, period: str, on: dt.date) -> None:
    """Finance issues the period's bills, the assistant signs for them and each client's
    contact signs on the same day (A1, B1): the receipt date that sets the due date."""
    issue_bills_for_project(project=project, period=Period.parse(period), on=on, actor="fin")
    handover_bills(on=on, signed_by="cs", actor="cs")
    from wuye.billing.models import Bill

    for bill in Bill.objects.filter(project=project, issue_date=on, receipt_date__isnull=True):
        record_delivery(
            number=bill.number, on=on, staff="cs", signed_by="張三", relation="行政經理"
        )


def march_bill(account=None):
    account = account or office_account(start=D(2026, 1, 1))
    issue_and_receive(account.project, "2026-03", D(2026, 3, 2))
    bill = account.bills.get(period_start=D(2026, 3, 1))
    assert bill.due_date == DUE
    return account, bill


def first_notice(account, on: dt.date = NOTICE_DAY) -> Notice:
    """E2: the 1st notice at 3 days overdue, signed for by the assistant that day."""
    run_dunning(as_of=on, actor="fin")
    handover_notices(on=on, signed_by="cs", actor="cs")
    return Notice.objects.get(account=account, level=1)


def clock(bill, as_of: dt.date):
    return limitation_by_bill([bill.pk], as_of=as_of)[bill.pk]


# --- the clock per bill ---------------------------------------------------------------


@pytest.mark.django_db
def test_period_ends_three_years_after_the_due_date():
    """X2: 3 years (policy) from the due date when nothing restarted it."""
    _account, bill = march_bill()

    result = clock(bill, D(2026, 4, 1))

    assert (result.ends_on, result.evidence_kind, result.evidence_date) == (ENDS, DUE_DATE, DUE)
    assert result.reference == ""
    assert result.evidence == "due date 2026-03-09"


@pytest.mark.django_db
def test_a_bill_not_yet_received_has_no_clock():
    """X2/E1: without a due date the period has not started."""
    account = office_account(start=D(2026, 1, 1))
    issue_bills_for_project(
        project=account.project, period=Period.parse("2026-03"), on=D(2026, 3, 2), actor="fin"
    )
    bill = account.bills.get()

    assert clock(bill, D(2026, 4, 1)).ends_on is None


@pytest.mark.django_db
def test_part_payment_restarts_the_period_and_names_the_receipt():
    """X2: a part payment acknowledges the debt; the period restarts on its date."""
    account, bill = march_bill()
    payment = record_payment(
        account=account, amount=Decimal("100.00"), on=D(2026, 5, 6), actor="fin"
    )

    result = clock(bill, D(2026, 6, 1))

    assert (result.ends_on, result.evidence_kind, result.evidence_date) == (
        D(2029, 5, 6),
        PART_PAYMENT,
        D(2026, 5, 6),
    )
    assert result.reference == payment.receipt_number
    assert clock(bill, D(2026, 5, 5)).ends_on == ENDS  # as of before it: not yet


@pytest.mark.django_db
def test_payment_before_the_due_date_does_not_move_the_end():
    """X2: the period starts at the due date; an earlier payment cannot end it sooner."""
    account, bill = march_bill()
    record_payment(account=account, amount=Decimal("100.00"), on=D(2026, 3, 5), actor="fin")

    result = clock(bill, D(2026, 4, 1))

    assert (result.ends_on, result.evidence_kind) == (ENDS, DUE_DATE)


@pytest.mark.django_db
def test_a_reversed_payment_is_no_acknowledgement():
    """X2: a payment reversed (bounced, wrong account) did not acknowledge anything."""
    account, bill = march_bill()
    payment = record_payment(
        account=account, amount=Decimal("100.00"), on=D(2026, 5, 6), actor="fin"
    )
    reverse_payment(
        receipt_number=payment.receipt_number, on=D(2026, 5, 8), actor="fin", reason="bounced"
    )

    assert clock(bill, D(2026, 5, 7)).evidence_kind == PART_PAYMENT  # before the reversal
    assert (clock(bill, D(2026, 6, 1)).ends_on, clock(bill, D(2026, 6, 1)).evidence_kind) == (
        ENDS,
        DUE_DATE,
    )


@pytest.mark.django_db
def test_signed_notice_restarts_only_the_bills_it_lists():
    """X2/E2: a notice handed over and signed is a demand that reached the debtor, for the
    bills it lists; the April bill, due before the signature but not on the notice, keeps
    its own due date."""
    account, march = march_bill()
    notice = first_notice(account)
    issue_and_receive(account.project, "2026-04", D(2026, 4, 1))
    april = account.bills.get(period_start=D(2026, 4, 1))
    assert april.due_date < D(2026, 4, 20)
    deliver_notice(
        number=notice.number, on=D(2026, 4, 20), staff="cs", signed_by="李四", relation="財務主管"
    )

    result = limitation_by_bill([march.pk, april.pk], as_of=D(2026, 4, 25))

    assert (result[march.pk].ends_on, result[march.pk].evidence_kind) == (
        D(2029, 4, 20),
        SIGNED_NOTICE,
    )
    assert result[march.pk].reference == f"{notice.number} 李四 (財務主管)"
    assert result[march.pk].flag == ""
    assert result[april.pk].evidence_kind == DUE_DATE
    assert result[april.pk].ends_on == lim.limitation_end(april.due_date, 3)


@pytest.mark.django_db
def test_signature_without_relation_counts_but_is_flagged():
    """X2: the signer's relation (debtor, adult family member, authorised person) should
    be recorded; a signature without it still restarts the period, flagged."""
    account, bill = march_bill()
    notice = first_notice(account)
    deliver_notice(number=notice.number, on=D(2026, 3, 13), staff="cs", signed_by="王五")

    result = clock(bill, D(2026, 3, 20))

    assert (result.ends_on, result.evidence_kind, result.flag) == (
        D(2029, 3, 13),
        SIGNED_NOTICE,
        NO_RELATION,
    )
    assert "relation not recorded" in result.evidence


@pytest.mark.django_db
def test_posting_alone_does_not_restart_but_courier_delivery_does():
    """X2/E3: a notice sent by EMS restarts the period only with the carrier's proof of
    delivery, from the delivery date."""
    account, bill = march_bill()
    notice = first_notice(account)
    post_notice(number=notice.number, carrier="EMS", tracking="EA123", on=D(2026, 3, 14),
                actor="cs")  # fmt: skip

    assert (clock(bill, D(2026, 3, 20)).ends_on, clock(bill, D(2026, 3, 20)).evidence_kind) == (
        ENDS,
        DUE_DATE,
    )

    record_notice_courier_delivery(number=notice.number, on=D(2026, 3, 16), actor="cs")
    result = clock(bill, D(2026, 3, 20))

    assert (result.ends_on, result.evidence_kind, result.evidence_date) == (
        D(2029, 3, 16),
        COURIER_DELIVERY,
        D(2026, 3, 16),
    )
    assert result.reference == f"{notice.number} EMS EA123"
    assert clock(bill, D(2026, 3, 15)).evidence_kind == DUE_DATE  # as of before delivery


@pytest.mark.django_db
def test_latest_evidence_wins_across_sources():
    """X2: the period runs from the latest restart, whatever its kind."""
    account, bill = march_bill()
    notice = first_notice(account)
    deliver_notice(number=notice.number, on=D(2026, 3, 13), staff="cs", signed_by="李四",
                   relation="財務主管")  # fmt: skip
    record_payment(account=account, amount=Decimal("100.00"), on=D(2026, 3, 20), actor="fin")

    assert clock(bill, D(2026, 3, 19)).evidence_kind == SIGNED_NOTICE
    assert (clock(bill, D(2026, 3, 21)).ends_on, clock(bill, D(2026, 3, 21)).evidence_kind) == (
        D(2029, 3, 20),
        PART_PAYMENT,
    )


@pytest.mark.django_db
def test_queryset_and_chunked_lists_give_the_same_clocks(monkeypatch):
    """X2: a queryset is used as a subquery, a list is read in chunks; same answer."""
    _first, bill_a = march_bill()
    second, bill_b = march_bill(office_account(start=D(2026, 1, 1)))
    record_payment(account=second, amount=Decimal("10.00"), on=D(2026, 4, 2), actor="fin")
    as_of = D(2026, 4, 3)
    from wuye.billing.models import Bill

    whole = limitation_by_bill(Bill.objects.filter(pk__in=[bill_a.pk, bill_b.pk]), as_of=as_of)
    monkeypatch.setattr(lim, "CHUNK", 1)
    chunked = limitation_by_bill([bill_b.pk, bill_a.pk], as_of=as_of)

    assert whole == chunked
    assert (whole[bill_a.pk].evidence_kind, whole[bill_b.pk].evidence_kind) == (
        DUE_DATE,
        PART_PAYMENT,
    )


@pytest.mark.django_db
def test_clocks_for_many_bills_take_a_fixed_number_of_queries():
    """X2: set-based: one query per evidence source, not one per bill."""
    accounts = [march_bill()[0]]
    for _ in range(3):
        accounts.append(march_bill(office_account(start=D(2026, 1, 1)))[0])
    ids = [a.bills.get().pk for a in accounts]

    with CaptureQueriesContext(connection) as one:
        limitation_by_bill(ids[:1], as_of=D(2026, 4, 1))
    with CaptureQueriesContext(connection) as four:
        limitation_by_bill(ids, as_of=D(2026, 4, 1))

    assert len(four) == len(one) <= 2 + len(lim.SOURCES)


# --- the statement --------------------------------------------------------------------


@pytest.mark.django_db
def test_statement_carries_the_limitation_evidence_of_open_bills():
    """X2 on the statement: the end date and the evidence text; nothing for a paid bill."""
    account, _bill = march_bill()
    record_payment(account=account, amount=Decimal("100.00"), on=D(2026, 5, 6), actor="fin")

    [row] = account_statement(account, as_of=D(2026, 6, 1)).bills

    assert row.limitation_ends == D(2029, 5, 6)
    assert row.limitation_evidence.startswith("part payment 2026-05-06 ")

    record_payment(account=account, amount=Decimal("5000.00"), on=D(2026, 6, 2), actor="fin")
    [row] = account_statement(account, as_of=D(2026, 6, 3)).bills
    assert (row.open, row.limitation_ends, row.limitation_evidence) == (Decimal("0.00"), None, "")


# --- the near-expiry report -----------------------------------------------------------


@pytest.mark.django_db
def test_report_lists_a_debt_80_days_before_expiry_and_not_100():
    """X2: warn `limitation_warning_days` (90) before the period runs out."""
    account, bill = march_bill()

    early = limitation_report(as_of=ENDS - dt.timedelta(days=100))
    rows = limitation_report(as_of=ENDS - dt.timedelta(days=80))

    assert early == []
    [row] = rows
    assert (row["bill"], row["unit"], row["account"], row["customer"]) == (
        bill.number,
        account.unit.code,
        account.code,
        account.customer.name,
    )
    assert (row["open"], row["due_date"], row["ends_on"], row["days_left"], row["expired"]) == (
        Decimal("2500.00"),
        DUE,
        ENDS,
        80,
        False,
    )
    assert (row["evidence_kind"], row["evidence"]) == (DUE_DATE, "due date 2026-03-09")
    wider = limitation_report(as_of=ENDS - dt.timedelta(days=100), within_days=120)
    assert [r["bill"] for r in wider] == [bill.number]


@pytest.mark.django_db
def test_report_flags_expired_debts_and_leaves_out_paid_and_restarted_ones():
    """X2: an expired debt stays on the report, flagged; a paid bill is not a debt; a
    restarted one moves out of the window."""
    expired_account, expired = march_bill()
    paid_account, _paid = march_bill(office_account(start=D(2026, 1, 1)))
    restarted_account, _restarted = march_bill(office_account(start=D(2026, 1, 1)))
    record_payment(account=paid_account, amount=Decimal("2500.00"), on=D(2026, 4, 1), actor="f")
    record_payment(account=restarted_account, amount=Decimal("1.00"), on=D(2027, 1, 4),
                   actor="f")  # fmt: skip

    rows = limitation_report(as_of=ENDS + dt.timedelta(days=5))

    assert [(r["bill"], r["days_left"], r["expired"]) for r in rows] == [(expired.number, -5, True)]
    assert (
        limitation_report(as_of=ENDS, project_code=expired_account.project.code)[0]["expired"]
        is False
    )  # the last day still counts


@pytest.mark.django_db
def test_report_reads_in_chunks_with_a_bounded_number_of_queries(monkeypatch):
    """X2: the report is set-based: its queries do not grow with the bills found."""
    march_bill()
    as_of = ENDS - dt.timedelta(days=10)
    with CaptureQueriesContext(connection) as one:
        assert len(limitation_report(as_of=as_of, within_days=30)) == 1
    for _ in range(3):
        march_bill(office_account(start=D(2026, 1, 1)))
    with CaptureQueriesContext(connection) as four:
        assert len(limitation_report(as_of=as_of, within_days=30)) == 4
    assert len(four) == len(one)

    monkeypatch.setattr(lim, "CHUNK", 3)  # two chunks: same rows
    assert len(limitation_report(as_of=as_of, within_days=30)) == 4


@pytest.mark.django_db
def test_report_refuses_an_unknown_project_and_negative_days():
    with pytest.raises(NotFound):
        limitation_report(as_of=D(2026, 4, 1), project_code="NOPE")
    with pytest.raises(WuyeError) as error:
        limitation_report(as_of=D(2026, 4, 1), within_days=-1)
    assert error.value.code == "invalid_days"


# --- the command line -----------------------------------------------------------------


def cli_json(capsys, *argv) -> dict:
    code = main([*map(str, argv), "--json"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    return json.loads(out)


@pytest.mark.django_db
def test_accounts_show_json_has_notices_and_limitation_evidence(capsys):
    """E2/X2: the statement lists the account's notices and, per open bill, the end of its
    limitation period with the evidence; amounts are strings."""
    account, bill = march_bill()
    notice = first_notice(account)
    deliver_notice(number=notice.number, on=D(2026, 3, 13), staff="cs", signed_by="李四",
                   relation="財務主管")  # fmt: skip

    data = cli_json(capsys, "accounts", "show", account.unit.code, "--as-of", "2026-03-14")

    [shown] = data["notices"]
    assert {k: shown[k] for k in ("number", "level", "step", "issued_on", "status")} == {
        "number": notice.number,
        "level": 1,
        "step": "第一次催繳通知書",
        "issued_on": "2026-03-12",
        "status": "delivered",
    }
    assert (shown["delivered_on"], shown["signer"], shown["signer_relation"]) == (
        "2026-03-13",
        "李四",
        "財務主管",
    )
    assert shown["total"] == f"{notice.total:.2f}"
    assert shown["bills"] == [bill.number]
    assert data["escalations"] == []
    [row] = data["bills"]
    assert (row["limitation_ends"], row["late_fees"]) == ("2029-03-13", "3.75")  # L1: 3 days
    assert row["limitation_evidence"] == f"signed notice 2026-03-13 {notice.number} 李四 (財務主管)"
    [clock_row] = data["limitation"]
    assert clock_row == {
        "bill": bill.number,
        "open": row["open"],
        "ends_on": "2029-03-13",
        "days_left": (D(2029, 3, 13) - D(2026, 3, 14)).days,
        "evidence_kind": SIGNED_NOTICE,
        "evidence_date": "2026-03-13",
        "reference": f"{notice.number} 李四 (財務主管)",
        "flag": "",
    }

    code = main(["accounts", "show", account.unit.code, "--as-of", "2026-03-14"])
    text = capsys.readouterr().out
    assert code == 0
    assert notice.number in text and "signed 2026-03-13" in text
    assert "limitation (X2):" in text and "ends 2029-03-13" in text


@pytest.mark.django_db
def test_accounts_limitation_command_lists_the_report(capsys):
    """X2: `wuye accounts limitation` prints the near-expiry report."""
    account, bill = march_bill()

    data = cli_json(capsys, "accounts", "limitation", "--as-of", "2028-12-19")
    none = cli_json(capsys, "accounts", "limitation", "--as-of", "2028-12-19", "--within", "10")

    [row] = data["bills"]
    assert (row["bill"], row["open"], row["ends_on"], row["days_left"]) == (
        bill.number,
        "2500.00",
        "2029-03-09",
        80,
    )
    assert none["bills"] == []
    code = main(["accounts", "limitation", "--as-of", "2029-03-14", "--project",
                 account.project.code])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0 and "-5 (expired)" in text and "1 bills, 1 expired" in text
    assert main(["accounts", "limitation", "--as-of", "2029-03-14", "--within", "x"]) == 2
    assert main(["accounts", "limitation", "--as-of", "2029-03-14", "--project", "NOPE"]) == 2
    capsys.readouterr()
