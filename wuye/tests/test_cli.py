"""The `wuye` command line, called in-process: JSON output, errors, actors (STYLE §8–9).

Every command prints JSON with amounts as strings of 2 decimals and no floats; every
user error is one line on stderr with exit code 2 and nothing on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection

from wuye.billing.models import Bill, BillReceipt, Contract
from wuye.billing.services import issue_bills, record_bill_receipt, void_bill
from wuye.cli import main
from wuye.dates import Period
from wuye.ledger.models import Entry
from wuye.payments.models import Payment, PaymentReversal, Refund
from wuye.payments.services import record_payment, reverse_payment
from wuye.properties.models import Account, Project, Unit
from wuye.testing.factories import (
    BuildingFactory,
    ProjectFactory,
    UnitFactory,
    fee_item,
    office_account,
)

MONEY = re.compile(r"^-?\d+\.\d{2}$")
MONEY_KEYS = {"amount", "total", "tax_amount", "balance", "credit", "paid", "open", "late_fees"}
MONEY_MAPS = {"aging", "balance_by_fee_item"}  # every value of these maps is an amount

HT_UNIT = "HT-T1-1201"
CY_UNIT = "CY-B01-0101"
HT_MAR = "HT-202603-00001"
HT_FEB = "HT-202602-00001"
HT_APR = "HT-202604-00001"
CY_MAR = "CY-202603-00001"
CY_APR = "CY-202604-00001"
SUBCOMMANDS = ["migrate", "projects", "demo-data", "bills", "payments", "accounts"]


# --- helpers -------------------------------------------------------------------------


def _no_float(text):
    raise AssertionError(f"a float in the JSON output: {text}")


def assert_money_as_strings(data, path="$") -> int:
    """Walk the JSON: no float anywhere, every amount a string with exactly 2 decimals.
    Returns how many amounts it checked."""
    checked = 0
    assert not isinstance(data, float), f"float at {path}"
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}"
            if key in MONEY_KEYS and value is not None and not isinstance(value, list | dict):
                assert isinstance(value, str) and MONEY.match(value), f"{where} = {value!r}"
                checked += 1
            elif key in MONEY_MAPS:
                for label, amount in value.items():
                    assert isinstance(amount, str) and MONEY.match(amount), (
                        f"{where}.{label} = {amount!r}"
                    )
                    checked += 1
            checked += assert_money_as_strings(value, where)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            checked += assert_money_as_strings(value, f"{path}[{i}]")
    return checked


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def cli_json(capsys, *argv, json_first: bool = False) -> dict:
    argv = ("--json", *argv) if json_first else (*argv, "--json")
    code, out, err = cli(capsys, *argv)
    assert (code, err) == (0, ""), err
    data = json.loads(out, parse_float=_no_float)
    assert_money_as_strings(data)
    return data


def cli_error(capsys, *argv) -> str:
    """Run a command that must fail as a user error; return its one stderr line."""
    code, out, err = cli(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].strip()
    return lines[0]


def _counts() -> dict[str, int]:
    models = [Project, Unit, Account, Bill, BillReceipt, Entry, Payment, PaymentReversal, Refund]
    return {m.__name__: m.objects.count() for m in models}


def _office(number: str = "1201", area: str = "100.00", price: str = "25.00") -> Account:
    """An HT office of `area` m² at `price` per m²: 100 m² × 25.00 = 2500.00 a month."""
    return office_account(unit=UnitFactory(number=number, area=Decimal(area)), price=price)


def _estate_account() -> Account:
    """A CY flat of 90 m² at 3.20 per m²: 288.00 a month, due on the month's last day."""
    project = ProjectFactory(code="CY", name="翠苑花園", kind=Project.Kind.RESIDENTIAL)
    building = BuildingFactory(project=project, code="B01", name="B01座")
    unit = UnitFactory(
        building=building, number="0101", area=Decimal("90.00"), kind=Unit.Kind.RESIDENTIAL
    )
    return office_account(
        unit=unit,
        price="3.20",
        segment=Contract.Segment.RESIDENTIAL,
        payment_term=Contract.Term.FIXED_DAY,
        dunning_policy="residential",
    )


def _issue(period: str, on: dt.date, project: str | None = None):
    return issue_bills(period=Period.parse(period), on=on, actor="setup", project_code=project)


@pytest.fixture(params=["json first", "json last"])
def json_first(request) -> bool:
    """`--json` works before the subcommand (`wuye --json bills show X`) and after it."""
    return request.param == "json first"


@pytest.fixture
def office():
    return _office()


@pytest.fixture
def march_bill(office):
    _issue("2026-03", dt.date(2026, 3, 1))
    return office


# --- help and migrate ----------------------------------------------------------------


def test_help_lists_every_subcommand_and_exits_zero(capsys):
    with pytest.raises(SystemExit) as exit_:  # argparse's own --help ends with SystemExit
        main(["--help"])
    out, err = capsys.readouterr()
    assert exit_.value.code == 0
    assert err == ""
    for name in SUBCOMMANDS:
        assert name in out


def test_bills_help_lists_its_actions(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bills", "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    for action in ["issue", "void", "receive", "show"]:
        assert action in out


def test_no_command_prints_the_help_and_succeeds(capsys):
    code, out, err = cli(capsys)
    assert (code, err) == (0, "")
    assert out.startswith("usage: wuye")
    assert all(name in out for name in SUBCOMMANDS)


@pytest.mark.django_db
def test_migrate_on_a_migrated_database_changes_nothing_and_names_the_vendor(capsys, office):
    before = _counts()

    data = cli_json(capsys, "migrate")

    assert set(data) == {"database", "name"}
    assert data["database"] == connection.vendor
    assert isinstance(data["name"], str) and data["name"]
    assert _counts() == before


# --- projects ------------------------------------------------------------------------


@pytest.mark.django_db
def test_projects_lists_each_project_with_its_number_of_units(capsys, json_first):
    _office("1201")
    _office("1202")
    _estate_account()

    data = cli_json(capsys, "projects", json_first=json_first)

    assert data == {
        "projects": [
            {"code": "CY", "name": "翠苑花園", "kind": "residential", "units": 1},
            {"code": "HT", "name": "匯通商業大廈", "kind": "office", "units": 2},
        ]
    }


# --- bills issue ---------------------------------------------------------------------


@pytest.mark.django_db
def test_bills_issue_dry_run_proposes_the_bills_and_writes_nothing(capsys, office, json_first):
    data = cli_json(
        capsys,
        "bills", "issue", "--period", "2026-03", "--on", "2026-03-01", "--dry-run",
        json_first=json_first,
    )  # fmt: skip

    assert {"period", "on", "dry_run", "seconds", "projects"} <= set(data)
    assert (data["period"], data["on"], data["dry_run"]) == ("2026-03", "2026-03-01", True)
    [ht] = data["projects"]
    assert (ht["project"], ht["existing"], ht["created"], ht["lines"]) == ("HT", 0, 1, 1)
    assert ht["total"] == "2500.00"
    assert ht["numbers"] is None
    assert ht["sample"] == [{"unit": HT_UNIT, "total": "2500.00"}]
    assert Bill.objects.count() == 0
    assert Entry.objects.count() == 0


@pytest.mark.django_db
def test_bills_issue_writes_the_missing_bills_and_a_rerun_adds_nothing(capsys, office, json_first):
    argv = ["bills", "issue", "--period", "2026-03", "--on", "2026-03-01"]

    first = cli_json(capsys, *argv, json_first=json_first)
    second = cli_json(capsys, *argv, json_first=json_first)

    assert first["dry_run"] is False
    [ht] = first["projects"]
    assert (ht["existing"], ht["created"], ht["total"]) == (0, 1, "2500.00")
    assert ht["numbers"] == [HT_MAR, HT_MAR]
    [again] = second["projects"]
    assert (again["existing"], again["created"], again["numbers"]) == (1, 0, None)
    assert list(Bill.objects.values_list("number", "total")) == [(HT_MAR, Decimal("2500.00"))]


@pytest.mark.django_db
def test_bills_issue_for_one_project_leaves_the_others_alone(capsys, office, json_first):
    _estate_account()

    data = cli_json(
        capsys,
        "bills", "issue", "--period", "2026-03", "--on", "2026-03-01", "--project", "CY",
        json_first=json_first,
    )  # fmt: skip

    [cy] = data["projects"]
    assert (cy["project"], cy["created"], cy["total"]) == ("CY", 1, "288.00")
    assert list(Bill.objects.values_list("number", flat=True)) == [CY_MAR]


# --- bills show / receive / void -----------------------------------------------------


@pytest.mark.django_db
def test_bills_show_gives_the_bill_and_its_lines(capsys, march_bill, json_first):
    data = cli_json(capsys, "bills", "show", HT_MAR, json_first=json_first)

    assert {
        "number", "project", "account", "period", "period_start", "period_end", "issue_date",
        "receipt_date", "due_date", "total", "status", "void_reason", "replaces", "lines",
    } <= set(data)  # fmt: skip
    assert (data["number"], data["project"], data["account"]) == (HT_MAR, "HT", march_bill.code)
    assert (data["period"], data["status"], data["total"]) == ("2026-03", "issued", "2500.00")
    assert (data["period_start"], data["period_end"]) == ("2026-03-01", "2026-04-01")
    [line] = data["lines"]
    assert line["fee_item"] == "PMF"
    assert (line["quantity"], line["days"], line["cycle_days"]) == ("100.00", 31, 31)
    assert line["amount"] == "2500.00"
    assert line["tax_amount"] == "141.51"  # 2500 × 6 % / 1.06, tax-inclusive


@pytest.mark.django_db
def test_json_before_and_after_the_subcommand_print_the_same(capsys, march_bill):
    """`wuye --json bills show X` and `wuye bills show X --json` are the same request."""
    code_front, front, _ = cli(capsys, "--json", "bills", "show", HT_MAR)
    code_back, back, _ = cli(capsys, "bills", "show", HT_MAR, "--json")
    code_text, text, _ = cli(capsys, "bills", "show", HT_MAR)

    assert (code_front, code_back, code_text) == (0, 0, 0)
    assert front == back
    assert json.loads(front)["number"] == HT_MAR
    assert not text.lstrip().startswith("{")  # without --json: the table for people


@pytest.mark.django_db
def test_bills_receive_sets_the_receipt_and_the_due_date(capsys, march_bill, json_first):
    """B1/E1: an office bill falls due 7 days after the client received it."""
    data = cli_json(
        capsys,
        "bills", "receive", HT_MAR, "--on", "2026-03-03", "--signer", "張三",
        "--relation", "行政經理",
        json_first=json_first,
    )  # fmt: skip

    assert (data["number"], data["receipt_date"], data["due_date"]) == (
        HT_MAR,
        "2026-03-03",
        "2026-03-10",
    )
    assert data["total"] == "2500.00"
    receipt = BillReceipt.objects.get(bill__number=HT_MAR)
    assert (receipt.signer, receipt.signer_relation) == ("張三", "行政經理")


@pytest.mark.django_db
def test_bills_void_keeps_the_bill_and_reverses_its_charges(capsys, march_bill, json_first):
    """D1: a wrong bill is voided with its reason, never edited or deleted."""
    data = cli_json(
        capsys,
        "bills", "void", HT_MAR, "--reason", "wrong area", "--on", "2026-03-05",
        json_first=json_first,
    )  # fmt: skip

    assert set(data) == {"voided", "reissued"}
    assert data["reissued"] is None
    voided = data["voided"]
    assert (voided["number"], voided["status"], voided["void_reason"]) == (
        HT_MAR,
        "void",
        "wrong area",
    )
    assert voided["total"] == "2500.00"
    total = sum(Entry.objects.filter(account=march_bill).values_list("amount", flat=True))
    assert total == Decimal("0.00")


@pytest.mark.django_db
def test_bills_void_with_reissue_issues_the_corrected_bill(capsys, march_bill, json_first):
    """D1: the corrected bill is numbered anew and linked to the voided one."""
    Unit.objects.filter(code=HT_UNIT).update(area=Decimal("120.00"))

    data = cli_json(
        capsys,
        "bills", "void", HT_MAR, "--reason", "area is 120 m²", "--reissue", "--on", "2026-03-05",
        json_first=json_first,
    )  # fmt: skip

    assert (data["voided"]["number"], data["voided"]["status"]) == (HT_MAR, "void")
    reissued = data["reissued"]
    assert reissued["number"] == "HT-202603-00002"
    assert (reissued["status"], reissued["replaces"]) == ("issued", HT_MAR)
    assert (reissued["total"], reissued["issue_date"]) == ("3000.00", "2026-03-05")
    total = sum(Entry.objects.filter(account=march_bill).values_list("amount", flat=True))
    assert total == Decimal("3000.00")


# --- payments ------------------------------------------------------------------------


@pytest.mark.django_db
def test_payments_record_allocates_the_payment_to_the_open_bill(capsys, march_bill, json_first):
    """P1: the payment goes to the open bill; what is left stays owed."""
    data = cli_json(
        capsys,
        "payments", "record", "--unit", HT_UNIT, "--amount", "1000", "--on", "2026-03-05",
        "--method", "bank_transfer", "--reference", "BANK-1",
        json_first=json_first,
    )  # fmt: skip

    assert {
        "receipt_number", "account", "amount", "method", "paid_on", "reference",
        "designated_bill", "allocations", "credit", "balance",
    } <= set(data)  # fmt: skip
    assert data["receipt_number"] == "HT-R2026-000001"
    assert (data["account"], data["amount"], data["paid_on"]) == (
        march_bill.code,
        "1000.00",
        "2026-03-05",
    )
    assert (data["method"], data["reference"], data["designated_bill"]) == (
        "bank_transfer",
        "BANK-1",
        None,
    )
    assert data["allocations"] == [
        {"bill": HT_MAR, "fee_item": "PMF", "component": "principal", "amount": "1000.00"}
    ]
    assert (data["balance"], data["credit"]) == ("1500.00", "0.00")


@pytest.mark.django_db
def test_payments_record_with_bill_pays_the_bill_the_payer_designates(capsys, office, json_first):
    """P1: a designated bill is paid first, even when an older bill is open."""
    _issue("2026-02", dt.date(2026, 2, 1))
    _issue("2026-03", dt.date(2026, 3, 1))

    data = cli_json(
        capsys,
        "payments", "record", "--unit", HT_UNIT, "--amount", "2500.00", "--on", "2026-03-05",
        "--bill", HT_MAR,
        json_first=json_first,
    )  # fmt: skip

    assert data["designated_bill"] == HT_MAR
    assert {a["bill"] for a in data["allocations"]} == {HT_MAR}
    assert sum(Decimal(a["amount"]) for a in data["allocations"]) == Decimal("2500.00")
    assert Payment.objects.get().designated_bill.number == HT_MAR
    assert data["balance"] == "2500.00"  # February is still owed


@pytest.mark.django_db
def test_payments_without_bill_pay_the_oldest_bill_first(capsys, office):
    """P1 (the contrast to the designated-bill test): oldest first."""
    _issue("2026-02", dt.date(2026, 2, 1))
    _issue("2026-03", dt.date(2026, 3, 1))

    data = cli_json(
        capsys, "payments", "record", "--unit", HT_UNIT, "--amount", "2500", "--on", "2026-03-05"
    )

    assert {a["bill"] for a in data["allocations"]} == {HT_FEB}


@pytest.mark.django_db
def test_payments_refund_pays_back_part_of_the_credit(capsys, march_bill, json_first):
    record_payment(account=march_bill, amount=Decimal("2600.00"), on=dt.date(2026, 3, 5), actor="t")

    data = cli_json(
        capsys,
        "payments", "refund", "--unit", HT_UNIT, "--amount", "60", "--on", "2026-03-06",
        "--reason", "overpaid",
        json_first=json_first,
    )  # fmt: skip

    assert set(data) == {"number", "account", "amount", "refunded_on", "reason", "credit"}
    assert (data["number"], data["account"]) == ("HT-F2026-000001", march_bill.code)
    assert (data["amount"], data["credit"]) == ("60.00", "40.00")
    assert (data["refunded_on"], data["reason"]) == ("2026-03-06", "overpaid")
    assert Refund.objects.get().amount == Decimal("60.00")


@pytest.mark.django_db
def test_payments_reverse_makes_the_bill_owed_again(capsys, march_bill, json_first):
    payment = record_payment(
        account=march_bill, amount=Decimal("1000.00"), on=dt.date(2026, 3, 5), actor="t"
    )

    data = cli_json(
        capsys,
        "payments", "reverse", payment.receipt_number, "--reason", "bounced",
        "--on", "2026-03-06",
        json_first=json_first,
    )  # fmt: skip

    assert data == {
        "receipt_number": payment.receipt_number,
        "reversed_on": "2026-03-06",
        "reason": "bounced",
        "balance": "2500.00",
    }
    assert PaymentReversal.objects.get().payment == payment


# --- accounts show -------------------------------------------------------------------


@pytest.mark.django_db
def test_accounts_show_statement_reflects_a_payment(capsys, march_bill, json_first):
    """E1 ages: not due before the due date, 0-30 days after it; P1 credit on overpayment."""
    cli_json(capsys, "bills", "receive", HT_MAR, "--on", "2026-03-03")  # due 2026-03-10
    cli_json(
        capsys, "payments", "record", "--unit", HT_UNIT, "--amount", "1000", "--on", "2026-03-05"
    )
    pmf = fee_item("PMF").name

    before_due = cli_json(
        capsys, "accounts", "show", HT_UNIT, "--as-of", "2026-03-06", json_first=json_first
    )

    assert {
        "as_of", "account", "unit", "customer", "bills", "payments", "refunds",
        "balance_by_fee_item", "aging", "credit", "balance",
    } <= set(before_due)  # fmt: skip
    assert before_due["account"]["code"] == march_bill.code
    assert (before_due["unit"]["code"], before_due["unit"]["area"]) == (HT_UNIT, "100.00")
    [bill] = before_due["bills"]
    assert (bill["number"], bill["due_date"], bill["days_overdue"]) == (HT_MAR, "2026-03-10", None)
    assert (bill["amount"], bill["paid"], bill["open"], bill["late_fees"]) == (
        "2500.00",
        "1000.00",
        "1500.00",
        "0.00",
    )
    [payment] = before_due["payments"]
    assert (payment["receipt_number"], payment["amount"], payment["reversed"]) == (
        "HT-R2026-000001",
        "1000.00",
        False,
    )
    assert (before_due["balance"], before_due["credit"]) == ("1500.00", "0.00")
    assert before_due["balance_by_fee_item"] == {pmf: "1500.00"}
    assert before_due["aging"]["not_due"] == "1500.00"
    assert {v for k, v in before_due["aging"].items() if k != "not_due"} == {"0.00"}

    overdue = cli_json(capsys, "accounts", "show", HT_UNIT, "--as-of", "2026-03-20")
    assert overdue["bills"][0]["days_overdue"] == 10
    assert overdue["aging"]["0-30"] == "1500.00"
    assert overdue["aging"]["not_due"] == "0.00"

    cli_json(
        capsys, "payments", "record", "--unit", HT_UNIT, "--amount", "1600", "--on", "2026-03-21"
    )
    settled = cli_json(capsys, "accounts", "show", HT_UNIT, "--as-of", "2026-03-21")
    assert (settled["balance"], settled["credit"]) == ("-100.00", "100.00")
    assert (settled["bills"][0]["paid"], settled["bills"][0]["open"]) == ("2500.00", "0.00")
    assert [p["amount"] for p in settled["payments"]] == ["1000.00", "1600.00"]
    assert settled["balance_by_fee_item"] == {}
    assert set(settled["aging"].values()) == {"0.00"}


# --- the actor -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("user_first", [True, False], ids=["user first", "user last"])
def test_user_flag_is_recorded_as_the_actor_of_new_entries(capsys, monkeypatch, office, user_first):
    monkeypatch.delenv("WUYE_USER", raising=False)

    def as_alice(*argv):
        return ("--user", "alice", *argv) if user_first else (*argv, "--user", "alice")

    cli_json(capsys, *as_alice("bills", "issue", "--period", "2026-03", "--on", "2026-03-01"))
    cli_json(
        capsys,
        *as_alice("payments", "record", "--unit", HT_UNIT, "--amount", "100", "--on", "2026-03-05"),
    )

    assert Bill.objects.get().created_by == "alice"
    assert Payment.objects.get().actor == "alice"
    charges = Entry.objects.filter(kind=Entry.Kind.CHARGE)
    payments = Entry.objects.filter(kind=Entry.Kind.PAYMENT)
    assert charges.exists() and payments.exists()
    assert set(Entry.objects.values_list("actor", flat=True)) == {"alice"}


@pytest.mark.django_db
def test_wuye_user_environment_variable_is_the_actor(capsys, monkeypatch, march_bill):
    monkeypatch.setenv("WUYE_USER", "carol")

    data = cli_json(
        capsys, "payments", "record", "--unit", HT_UNIT, "--amount", "100", "--on", "2026-03-05"
    )
    receipt = data["receipt_number"]
    cli_json(capsys, "payments", "reverse", receipt, "--reason", "x", "--on", "2026-03-06")

    assert Payment.objects.get().actor == "carol"
    assert PaymentReversal.objects.get().actor == "carol"
    new_entries = Entry.objects.exclude(kind=Entry.Kind.CHARGE)
    assert new_entries.count() >= 2
    assert set(new_entries.values_list("actor", flat=True)) == {"carol"}


@pytest.mark.django_db
def test_user_flag_wins_over_the_environment(capsys, monkeypatch, march_bill):
    monkeypatch.setenv("WUYE_USER", "carol")

    cli_json(
        capsys,
        "bills", "void", HT_MAR, "--reason", "wrong", "--reissue", "--on", "2026-03-05",
        "--user", "dave",
    )  # fmt: skip

    assert Bill.objects.get(number=HT_MAR).voided_by == "dave"
    assert Bill.objects.get(number="HT-202603-00002").created_by == "dave"
    assert set(Entry.objects.exclude(actor="setup").values_list("actor", flat=True)) == {"dave"}


# --- errors --------------------------------------------------------------------------


@pytest.fixture
def world(office):
    """HT: March bill received, April bill not; a reversed payment. CY: March bill void."""
    _estate_account()
    _issue("2026-03", dt.date(2026, 3, 1))
    _issue("2026-04", dt.date(2026, 4, 1))
    record_bill_receipt(number=HT_MAR, received_on=dt.date(2026, 3, 3), actor="setup")
    void_bill(number=CY_MAR, reason="setup", on=dt.date(2026, 3, 2), actor="setup")
    payment = record_payment(
        account=office, amount=Decimal("100.00"), on=dt.date(2026, 3, 5), actor="setup"
    )
    reverse_payment(
        receipt_number=payment.receipt_number, on=dt.date(2026, 3, 6), actor="setup", reason="x"
    )
    return office


ON = "2026-03-20"
PAY = ["payments", "record", "--unit", HT_UNIT, "--on", ON]
REFUND = ["payments", "refund", "--unit", HT_UNIT, "--on", ON]

ERRORS = [
    pytest.param(["migrate", "--force"], "usage", "--force", id="migrate-unknown-option"),
    pytest.param(["projects", "--all"], "usage", "--all", id="projects-unknown-option"),
    pytest.param(["nosuch"], "usage", "nosuch", id="unknown-command"),
    pytest.param(
        ["demo-data", "--units", "1", "--on", ON], "invalid_units", "units", id="demo-one-unit"
    ),
    pytest.param(["demo-data", "--on", "2026-02-30"], "invalid_date", "--on", id="demo-bad-on"),
    pytest.param(["bills"], "usage", "action", id="bills-without-action"),
    pytest.param(
        ["bills", "issue", "--period", "2026-13", "--on", ON],
        "invalid_period",
        "period",
        id="issue-bad-period",
    ),
    pytest.param(["bills", "issue", "--on", ON], "usage", "--period", id="issue-no-period"),
    pytest.param(
        ["bills", "issue", "--period", "2026-05", "--on", ON, "--project", "ZZ"],
        "not_found",
        "ZZ",
        id="issue-unknown-project",
    ),
    pytest.param(
        ["bills", "issue", "--period", "2026-05", "--on", "yesterday"],
        "invalid_date",
        "--on",
        id="issue-bad-on",
    ),
    pytest.param(
        ["bills", "show", "HT-202603-09999"], "not_found", "HT-202603-09999", id="show-unknown-bill"
    ),
    pytest.param(["bills", "void", HT_MAR, "--on", ON], "usage", "--reason", id="void-no-reason"),
    pytest.param(
        ["bills", "void", HT_MAR, "--reason", " ", "--on", ON],
        "reason_required",
        "reason",
        id="void-blank-reason",
    ),
    pytest.param(
        ["bills", "void", "HT-202603-09999", "--reason", "x", "--on", ON],
        "not_found",
        "HT-202603-09999",
        id="void-unknown-bill",
    ),
    pytest.param(
        ["bills", "void", CY_MAR, "--reason", "x", "--on", ON],
        "bill_void",
        CY_MAR,
        id="void-twice",
    ),
    pytest.param(
        ["bills", "receive", "HT-202603-09999", "--on", ON],
        "not_found",
        "HT-202603-09999",
        id="receive-unknown-bill",
    ),
    pytest.param(
        ["bills", "receive", HT_MAR, "--on", ON], "already_received", HT_MAR, id="receive-twice"
    ),
    pytest.param(
        ["bills", "receive", HT_APR, "--on", "2026-03-31"],
        "invalid_date",
        "2026-03-31",
        id="receive-before-issue",
    ),
    pytest.param(
        ["bills", "receive", HT_APR, "--on", ON, "--method", "fax"],
        "usage",
        "--method",
        id="receive-bad-method",
    ),
    pytest.param(["payments"], "usage", "action", id="payments-without-action"),
    pytest.param(
        ["payments", "record", "--unit", "HT-T1-9999", "--amount", "5", "--on", ON],
        "not_found",
        "HT-T1-9999",
        id="pay-unknown-unit",
    ),
    *[
        pytest.param([*PAY, "--amount", amount], "invalid_amount", "--amount", id=f"pay-{amount}")
        for amount in ["abc", "-5", "1.234", "1e999", "0", "NaN", "1000000000000"]
    ],
    pytest.param(PAY, "usage", "--amount", id="pay-no-amount"),
    pytest.param(
        [*PAY, "--amount", "5", "--bill", "HT-202603-09999"],
        "not_found",
        "HT-202603-09999",
        id="pay-unknown-bill",
    ),
    pytest.param(
        [*PAY, "--amount", "5", "--bill", CY_APR],
        "bill_not_of_account",
        CY_APR,
        id="pay-bill-of-another-account",
    ),
    pytest.param(
        [*PAY, "--amount", "5", "--method", "cheque"], "invalid_method", "cheque", id="pay-method"
    ),
    pytest.param(
        ["payments", "record", "--unit", HT_UNIT, "--amount", "5", "--on", "2026-02-30"],
        "invalid_date",
        "--on",
        id="pay-bad-on",
    ),
    pytest.param(
        [*REFUND, "--amount", "50", "--reason", "x"],
        "refund_exceeds_credit",
        "credit",
        id="refund-more-than-credit",
    ),
    pytest.param(
        [*REFUND, "--amount", "1.234", "--reason", "x"],
        "invalid_amount",
        "--amount",
        id="refund-bad-amount",
    ),
    pytest.param([*REFUND, "--amount", "5"], "usage", "--reason", id="refund-no-reason"),
    pytest.param(
        ["payments", "reverse", "HT-R2026-999999", "--reason", "x", "--on", ON],
        "not_found",
        "HT-R2026-999999",
        id="reverse-unknown-receipt",
    ),
    pytest.param(
        ["payments", "reverse", "HT-R2026-000001", "--reason", "x", "--on", ON],
        "already_reversed",
        "HT-R2026-000001",
        id="reverse-twice",
    ),
    pytest.param(["accounts"], "usage", "action", id="accounts-without-action"),
    pytest.param(
        ["accounts", "show", "HT-T1-9999", "--as-of", ON],
        "not_found",
        "HT-T1-9999",
        id="show-unknown-unit",
    ),
    pytest.param(
        ["accounts", "show", HT_UNIT, "--as-of", "2026-02-30"],
        "invalid_date",
        "--as-of",
        id="show-bad-as-of",
    ),
    pytest.param(
        ["accounts", "show", HT_UNIT, "--as-of", "2024-12-31"],
        "no_account",
        HT_UNIT,
        id="show-before-the-account",
    ),
    pytest.param(
        ["accounts", "show", HT_UNIT, "--as-of", ON, "--account", "A-NOPE"],
        "not_found",
        "A-NOPE",
        id="show-unknown-account",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("argv", "code", "mention"), ERRORS)
def test_a_user_error_is_one_line_on_stderr_and_exit_code_2(capsys, world, argv, code, mention):
    """STYLE §8: one line naming what is wrong, nothing on stdout, nothing written."""
    before = _counts()

    line = cli_error(capsys, *argv)

    assert line.startswith("wuye: error: ")
    assert mention in line
    assert _counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("argv", "code", "mention"), ERRORS)
def test_with_json_a_user_error_is_one_json_line_with_its_code(capsys, world, argv, code, mention):
    before = _counts()

    line = cli_error(capsys, "--json", *argv)

    error = json.loads(line)
    assert error["error"] == code
    assert mention in error["message"]
    assert error["message_zh"]
    assert _counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["bills", "show", "HT-202603-09999"], "not_found"),
        (["bills", "void", HT_MAR, "--on", ON], "usage"),  # argparse fails: no --reason
        ([*PAY, "--amount", "abc"], "invalid_amount"),
        (["nosuch"], "usage"),
    ],
)
def test_json_after_the_subcommand_also_turns_errors_into_json(capsys, world, argv, code):
    line = cli_error(capsys, *argv, "--json")

    assert json.loads(line)["error"] == code


@pytest.mark.django_db
def test_an_unexpected_failure_is_one_line_with_exit_code_1_and_no_traceback(
    capsys, monkeypatch, march_bill
):
    monkeypatch.delenv("WUYE_DEBUG", raising=False)

    def broken(number):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr("wuye.billing.services.get_bill", broken)

    code, out, err = cli(capsys, "bills", "show", HT_MAR)

    assert (code, out) == (1, "")
    assert err.splitlines() == ["wuye: internal error: RuntimeError: disk on fire"]


@pytest.mark.django_db
def test_output_into_a_closed_pipe_ends_quietly(monkeypatch, capsys):
    """`wuye … | head -1`: when the reader has stopped, the command ends with exit 0 and
    no 'internal error' (scripts/demo pipes the dunning run into head)."""
    import io
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone: writing raises BrokenPipeError
    stream = io.TextIOWrapper(os.fdopen(write_end, "wb"), encoding="utf-8", line_buffering=True)
    with capsys.disabled():
        monkeypatch.setattr("sys.stdout", stream)
        code = main(["dunning", "policies"])
        monkeypatch.undo()
    assert code == 0
