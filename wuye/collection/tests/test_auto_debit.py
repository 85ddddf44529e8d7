"""S1: the monthly call to a vacant investment unit persuades the owner to sign up for
bank auto-debit (銀行托收); the sign-up is tracked per account through one state machine
(proposed → form_sent → signed → active, or refused / cancelled) with a history row per
change, and the bank account number is shown masked.

Dates: the March 2026 bill (fixed day) is issued on Mon 2 March and due Tue 31 March, so
from 1 April the account is in arrears."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wuye.billing.models import Contract
from wuye.billing.services import issue_bills_for_project
from wuye.cli import main
from wuye.collection.models import AutoDebit, AutoDebitEvent
from wuye.collection.selectors import auto_debit_report, call_worklist, visit_sheet
from wuye.collection.services import advance_auto_debit, propose_auto_debit, record_call
from wuye.dates import Period
from wuye.errors import WuyeError
from wuye.payments.services import record_payment
from wuye.testing.factories import office_account

D = dt.date
ISSUED = D(2026, 3, 2)
CALL_DAY = D(2026, 4, 7)
BANK = {"bank_name": "中國工商銀行", "account_holder": "李四",
        "bank_account": "6222 0210 0112 3456 789"}  # fmt: skip


def vacant_account(price: str = "25.00"):
    return office_account(
        start=D(2026, 1, 1), price=price, segment=Contract.Segment.VACANT_INVESTMENT,
        dunning_policy="", payment_term=Contract.Term.FIXED_DAY,
    )  # fmt: skip


def bill_march(account) -> None:
    issue_bills_for_project(
        project=account.project, period=Period.parse("2026-03"), on=ISSUED, actor="fin"
    )


@pytest.fixture
def vacant(db):
    """One S1 vacant investment unit with the March bill of 2,500.00 unpaid."""
    account = vacant_account()
    bill_march(account)
    return account


def statuses(account) -> list[tuple[str, str, dt.date, str]]:
    return list(
        AutoDebitEvent.objects.filter(auto_debit__account=account)
        .order_by("on", "id")
        .values_list("from_status", "to_status", "on", "actor")
    )


@pytest.mark.django_db
def test_the_s1_path_from_proposal_to_an_active_mandate(vacant):
    """S1: given a vacant unit in arrears, when the caller proposes auto-debit, the form
    is sent, the owner signs (bank name, holder and account number) and the bank
    confirms the mandate, then the sign-up is active with its bank data and each change
    is a history row with its date and who made it."""
    unit = vacant.unit.code

    propose_auto_debit(unit_code=unit, on=CALL_DAY, actor="cs-wang", note="電話中同意")
    advance_auto_debit(unit_code=unit, to="form_sent", on=D(2026, 4, 8), actor="cs-wang")
    advance_auto_debit(unit_code=unit, to="signed", on=D(2026, 4, 20), actor="cs-li",
                       mandate_reference="", **BANK)  # fmt: skip
    auto_debit = advance_auto_debit(unit_code=unit, to="active", on=D(2026, 5, 1), actor="fin",
                                    mandate_reference="ICBC-TS-0001")  # fmt: skip

    assert (auto_debit.status, auto_debit.status_on) == ("active", D(2026, 5, 1))
    assert (auto_debit.bank_name, auto_debit.account_holder) == ("中國工商銀行", "李四")
    assert auto_debit.bank_account == "6222021001123456789"  # stored in full, digits only
    assert auto_debit.mandate_reference == "ICBC-TS-0001"
    assert auto_debit.proposed_on == CALL_DAY and auto_debit.note == "電話中同意"
    assert statuses(vacant) == [
        ("", "proposed", CALL_DAY, "cs-wang"),
        ("proposed", "form_sent", D(2026, 4, 8), "cs-wang"),
        ("form_sent", "signed", D(2026, 4, 20), "cs-li"),
        ("signed", "active", D(2026, 5, 1), "fin"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["bank_name", "account_holder", "bank_account"])
def test_signing_needs_the_bank_name_the_holder_and_the_account_number(vacant, missing):
    """S1: given a sign-up whose form was sent, when it is marked signed without one of
    the bank name, the holder or the account number, then it is refused naming the
    field and the status stays form_sent."""
    unit = vacant.unit.code
    propose_auto_debit(unit_code=unit, on=CALL_DAY, actor="cs")
    advance_auto_debit(unit_code=unit, to="form_sent", on=CALL_DAY, actor="cs")

    with pytest.raises(WuyeError) as error:
        advance_auto_debit(unit_code=unit, to="signed", on=CALL_DAY, actor="cs",
                           **{**BANK, missing: " "})  # fmt: skip

    field = {"bank_name": "--bank", "account_holder": "--holder", "bank_account": "--account"}
    assert field[missing] in error.value.message
    assert AutoDebit.objects.get().status == "form_sent"


@pytest.mark.django_db
def test_a_bank_account_number_is_digits(vacant):
    """S1: an account number with letters or too few digits is refused."""
    unit = vacant.unit.code
    propose_auto_debit(unit_code=unit, on=CALL_DAY, actor="cs")
    advance_auto_debit(unit_code=unit, to="form_sent", on=CALL_DAY, actor="cs")

    for number in ("6222-ABCD-1234", "1234567", "６２２２０２１００１１２３４５６"):
        with pytest.raises(WuyeError) as error:
            advance_auto_debit(unit_code=unit, to="signed", on=CALL_DAY, actor="cs",
                               **{**BANK, "bank_account": number})  # fmt: skip
        assert error.value.code == "invalid_bank_account"


@pytest.mark.django_db
def test_a_refusal_ends_the_sign_up_and_next_month_may_propose_again(vacant):
    """S1: given a proposal, when the owner refuses, then the sign-up is refused (final)
    and the next monthly call may propose again; a new proposal is not dated before the
    refusal."""
    unit = vacant.unit.code
    propose_auto_debit(unit_code=unit, on=CALL_DAY, actor="cs")

    refused = advance_auto_debit(unit_code=unit, to="refused", on=D(2026, 4, 9), actor="cs",
                                 note="業主不願綁定銀行卡")  # fmt: skip

    assert (refused.status, refused.status_on) == ("refused", D(2026, 4, 9))
    with pytest.raises(WuyeError) as error:
        advance_auto_debit(unit_code=unit, to="form_sent", on=D(2026, 4, 10), actor="cs")
    assert error.value.code == "no_auto_debit"
    with pytest.raises(WuyeError) as error:
        propose_auto_debit(unit_code=unit, on=D(2026, 4, 8), actor="cs")
    assert error.value.code == "invalid_date"
    again = propose_auto_debit(unit_code=unit, on=D(2026, 5, 7), actor="cs")
    assert again.status == "proposed" and AutoDebit.objects.count() == 2


@pytest.mark.django_db
def test_a_second_open_sign_up_is_refused(vacant):
    """S1: at most one open (not cancelled or refused) sign-up per account: the service
    refuses a second proposal, and the partial unique constraint refuses it even when
    written around the service."""
    unit = vacant.unit.code
    first = propose_auto_debit(unit_code=unit, on=CALL_DAY, actor="cs")

    with pytest.raises(WuyeError) as error:
        propose_auto_debit(unit_code=unit, on=D(2026, 5, 7), actor="cs")

    assert error.value.code == "auto_debit_open"
    with pytest.raises(IntegrityError), transaction.atomic():
        AutoDebit.objects.create(account=vacant, status="form_sent", status_on=CALL_DAY,
                                 proposed_on=CALL_DAY, proposed_by="x",
                                 created_at=timezone.now())  # fmt: skip
    AutoDebit.objects.filter(pk=first.pk).update(status="cancelled")
    AutoDebit.objects.create(account=vacant, status="proposed", status_on=CALL_DAY,
                             proposed_on=CALL_DAY, proposed_by="x",
                             created_at=timezone.now())  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "to", "code"),
    [
        ([], "active", "invalid_transition"),
        ([], "signed", "invalid_transition"),
        (["form_sent"], "proposed", "invalid_transition"),
        (["form_sent", "signed"], "refused", "invalid_transition"),
        (["form_sent", "signed"], "form_sent", "invalid_transition"),
        (["cancelled"], "form_sent", "no_auto_debit"),
        ([], "approved", "invalid_to"),
    ],
)
def test_illegal_transitions_are_refused(vacant, path, to, code):
    """S1: only the allowed changes happen (one transition function); a refused change
    writes no history row."""
    unit = vacant.unit.code
    propose_auto_debit(unit_code=unit, on=CALL_DAY, actor="cs")
    for step in path:
        extra = BANK if step == "signed" else {}
        advance_auto_debit(unit_code=unit, to=step, on=CALL_DAY, actor="cs", **extra)
    events = AutoDebitEvent.objects.count()

    with pytest.raises(WuyeError) as error:
        advance_auto_debit(unit_code=unit, to=to, on=CALL_DAY, actor="cs",
                           **(BANK if to == "signed" else {}))  # fmt: skip

    assert error.value.code == code
    assert AutoDebitEvent.objects.count() == events


@pytest.mark.django_db
def test_a_change_is_not_dated_before_the_last_and_bank_data_only_on_signing(vacant):
    """S1: the history reads in date order; bank data belongs to the signing."""
    unit = vacant.unit.code
    propose_auto_debit(unit_code=unit, on=CALL_DAY, actor="cs")

    with pytest.raises(WuyeError) as early:
        advance_auto_debit(unit_code=unit, to="form_sent", on=D(2026, 4, 6), actor="cs")
    with pytest.raises(WuyeError) as bank:
        advance_auto_debit(unit_code=unit, to="form_sent", on=CALL_DAY, actor="cs", **BANK)

    assert early.value.code == "invalid_date"
    assert bank.value.code == "bank_data_not_allowed"
    assert AutoDebit.objects.get().status == "proposed"


@pytest.mark.django_db
def test_the_report_lists_s1_accounts_in_arrears_with_counts_and_masked_numbers(vacant):
    """S1: given four vacant units (one active, one refused, one never proposed, one paid
    up) and an office unit in arrears, the report as of a date lists the three vacant
    units in arrears with their sign-up status (none if never proposed), the last call
    and the counts per status; the bank account shows only its last 4 digits; the
    statuses are those on the report date. A fixed number of queries, none per row."""
    refusing, never, paid = vacant_account(), vacant_account("20.00"), vacant_account()
    office_account(start=D(2026, 1, 1), payment_term=Contract.Term.FIXED_DAY, dunning_policy="")
    bill_march(vacant)
    record_payment(account=paid, amount=Decimal("2500.00"), on=D(2026, 3, 20), actor="fin")
    unit = vacant.unit.code
    record_call(unit_code=unit, on=CALL_DAY, staff="cs", reason="vacant",
                amount_stated=Decimal("2500.00"), outcome="reached")  # fmt: skip
    propose_auto_debit(unit_code=unit, on=CALL_DAY, actor="cs")
    advance_auto_debit(unit_code=unit, to="form_sent", on=CALL_DAY, actor="cs")
    advance_auto_debit(unit_code=unit, to="signed", on=D(2026, 4, 20), actor="cs", **BANK)
    advance_auto_debit(unit_code=unit, to="active", on=D(2026, 5, 1), actor="fin")
    propose_auto_debit(unit_code=refusing.unit.code, on=CALL_DAY, actor="cs")
    advance_auto_debit(unit_code=refusing.unit.code, to="refused", on=CALL_DAY, actor="cs")

    with CaptureQueriesContext(connection) as queries:
        report = auto_debit_report(as_of=D(2026, 5, 10), project_code="HT")

    rows = {r["unit"]: r for r in report["accounts"]}
    assert set(rows) == {unit, refusing.unit.code, never.unit.code}
    assert (rows[unit]["auto_debit"], rows[unit]["auto_debit_on"]) == ("active", D(2026, 5, 1))
    assert rows[unit]["bank_account"] == "****6789"
    assert rows[unit]["last_call"] == CALL_DAY and rows[unit]["arrears"] == Decimal("2500.00")
    assert rows[refusing.unit.code]["auto_debit"] == "refused"
    assert rows[never.unit.code]["auto_debit"] is None
    assert rows[never.unit.code]["auto_debit_label"] == "未建議"
    assert rows[never.unit.code]["arrears"] == Decimal("2000.00")
    assert report["counts"] == {"none": 1, "proposed": 0, "form_sent": 0, "signed": 0,
                                "active": 1, "cancelled": 0, "refused": 1}  # fmt: skip
    # the project, held bills (disputes, exclusions, plans), arrears, accounts, sign-ups, calls
    assert len(queries) <= 8
    assert "6222021001123456789" not in json.dumps(report, default=str)

    before = auto_debit_report(as_of=D(2026, 4, 25))
    assert {r["unit"]: r["auto_debit"] for r in before["accounts"]}[unit] == "signed"
    assert auto_debit_report(as_of=D(2026, 4, 1), segment="office")["counts"]["none"] == 1


@pytest.mark.django_db
def test_the_visit_sheet_and_the_call_list_show_the_auto_debit_status(vacant):
    """S1: the visiting staff and the caller see the sign-up's status (masked bank
    account), with one grouped query and not one per row."""
    unit = vacant.unit.code
    record_call(unit_code=unit, on=CALL_DAY, staff="cs", reason="vacant",
                amount_stated=Decimal("2500.00"), outcome="reached",
                promise_on=D(2026, 4, 10), promise_amount=Decimal("2500.00"))  # fmt: skip
    propose_auto_debit(unit_code=unit, on=CALL_DAY, actor="cs")
    advance_auto_debit(unit_code=unit, to="form_sent", on=CALL_DAY, actor="cs")
    advance_auto_debit(unit_code=unit, to="signed", on=D(2026, 4, 9), actor="cs", **BANK)

    sheet = visit_sheet(unit_code=unit, as_of=D(2026, 4, 12))
    (row,) = call_worklist(on=D(2026, 4, 12))  # the broken promise brings it back

    for shown in (sheet["auto_debit"], row["auto_debit"]):
        assert (shown["status"], shown["label"], shown["on"]) == ("signed", "已簽約", D(2026, 4, 9))
        assert (shown["bank_name"], shown["bank_account"]) == ("中國工商銀行", "****6789")
    assert visit_sheet(unit_code=unit, as_of=D(2026, 4, 1))["auto_debit"] is None


def wuye_json(capsys, *args: str):
    code = main([*args, "--json", "--user", "cs-wang"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


@pytest.mark.django_db
def test_the_command_line_round_trip_masks_the_bank_account(vacant, capsys):
    """S1: propose, send the form, sign with bank data, activate and report through
    `wuye autodebit`; the JSON and the text never show the full account number; bad
    input is one line on stderr with exit code 2."""
    unit = vacant.unit.code

    proposed = wuye_json(capsys, "autodebit", "propose", "--unit", unit, "--on", "2026-04-07",
                         "--note", "每月電話")  # fmt: skip
    wuye_json(capsys, "autodebit", "advance", "--unit", unit, "--to", "form_sent",
              "--on", "2026-04-08")  # fmt: skip
    code = main(["autodebit", "advance", "--unit", unit, "--to", "signed", "--on", "2026-04-20",
                 "--bank", "中國工商銀行", "--json"])  # fmt: skip
    error = json.loads(capsys.readouterr().err)
    signed = wuye_json(capsys, "autodebit", "advance", "--unit", unit, "--to", "signed",
                       "--on", "2026-04-20", "--bank", "中國工商銀行", "--holder", "李四",
                       "--account", "6222 0210 0112 3456 789", "--mandate", "M-1")  # fmt: skip
    main(["autodebit", "advance", "--unit", unit, "--to", "active", "--on", "2026-05-01"])
    text = capsys.readouterr().out
    report = wuye_json(capsys, "autodebit", "report", "--as-of", "2026-05-10", "--project", "HT")
    main(["autodebit", "report", "--as-of", "2026-05-10"])
    report_text = capsys.readouterr().out

    assert (proposed["status"], proposed["proposed_by"], proposed["bank_account"]) == (
        "proposed", "cs-wang", None,
    )  # fmt: skip
    assert (code, error["error"]) == (2, "holder_required")
    assert (signed["status"], signed["bank_account"], signed["mandate_reference"]) == (
        "signed", "****6789", "M-1",
    )  # fmt: skip
    assert [h["to"] for h in signed["history"]] == ["proposed", "form_sent", "signed"]
    assert "active" in text and "****6789" in text
    (row,) = report["accounts"]
    assert (row["auto_debit"], row["bank_account"], row["arrears"]) == (
        "active", "****6789", "2500.00",
    )  # fmt: skip
    assert report["counts"]["active"] == 1
    assert "已生效" in report_text and "****6789" in report_text
    for output in (proposed, signed, report):
        assert "6222021001123456789" not in json.dumps(output)
    assert "0112" not in text + report_text
