"""`wuye approvals …`, `wuye bills report-error`, `wuye notifications …`: JSON with amounts
as strings, one-line errors with exit code 2 (rules L1, M1, D1)."""

import json
import re
from decimal import Decimal

import pytest

from wuye.cli import main

MONEY = re.compile(r"^-?\d+\.\d{2}$")


def _no_float(text):
    raise AssertionError(f"a float in the JSON output: {text}")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def run_json(capsys, *argv) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert (code, err) == (0, ""), err
    return json.loads(out, parse_float=_no_float)


def run_error(capsys, *argv) -> str:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    return line


@pytest.mark.django_db
def test_request_approve_list_and_statement_round_trip(capsys, bill):
    """M1, L1: request as the assistant, approve as a supervisor, list, and see the waiver
    on the statement; every amount is a string with 2 decimals."""
    unit = bill.account.unit.code
    # given a request for a waiver of part of the bill's late fee
    requested = run_json(
        capsys, "approvals", "request", "waiver", "--unit", unit, "--bill", bill.number,
        "--amount", "30", "--reason", "滲水維修延誤 (M1)", "--on", "2026-04-08",
        "--user", "cs-wang",
    )  # fmt: skip
    number = requested["number"]
    assert (requested["status"], requested["amount"], requested["bill"]) == (
        "requested", "30.00", bill.number,
    )  # fmt: skip
    assert requested["notified"] == ["supervisor"] and requested["entries"] == []

    # the requester may not approve it; a bad amount is one clear line
    assert "may not decide" in run_error(
        capsys, "approvals", "approve", number, "--role", "supervisor", "--on", "2026-04-08",
        "--user", "cs-wang",
    )  # fmt: skip
    assert "'abc' is not a number" in run_error(
        capsys, "approvals", "request", "waiver", "--unit", unit, "--amount", "abc",
        "--reason", "x", "--on", "2026-04-08",
    )  # fmt: skip
    assert "more than the open principal" in run_error(
        capsys, "approvals", "request", "reduction", "--unit", unit, "--amount", "99999",
        "--reason", "S3", "--on", "2026-04-08",
    )  # fmt: skip

    # when a supervisor approves it
    approved = run_json(
        capsys, "approvals", "approve", number, "--role", "supervisor", "--note", "ok",
        "--on", "2026-04-09", "--user", "lee",
    )  # fmt: skip

    # then it is approved and posted as waiver entries, amounts as strings
    assert (approved["status"], approved["decided_by"], approved["decided_role"]) == (
        "approved", "lee", "supervisor",
    )  # fmt: skip
    assert [(e["kind"], e["fee_item"], e["amount"]) for e in approved["entries"]] == [
        ("waiver", "PMF", "-26.47"), ("waiver", "ELV", "-3.53"),
    ]  # fmt: skip
    listed = run_json(capsys, "approvals", "list", "--status", "approved")
    assert [a["number"] for a in listed["approvals"]] == [number]
    assert run_json(capsys, "approvals", "list", "--status", "requested")["approvals"] == []
    statement = run_json(capsys, "accounts", "show", unit, "--as-of", "2026-04-09")
    [row] = statement["bills"]
    assert (row["late_fees"], row["waived"], row["open"]) == ("42.50", "30.00", "2845.83")
    for value in (requested["amount"], row["waived"], row["open"]):
        assert MONEY.match(value)
    code, out, _ = run(capsys, "accounts", "show", unit, "--as-of", "2026-04-09")
    assert code == 0 and "waived" in out and "30.00" in out


@pytest.mark.django_db
def test_reject_needs_a_note_and_over_the_limit_needs_a_manager(capsys, bill):
    """roles: reject with --role and --note; the error says who is needed."""
    unit = bill.account.unit.code
    number = run_json(
        capsys, "approvals", "request", "waiver", "--unit", unit, "--amount", "10.00",
        "--reason", "M1", "--on", "2026-04-08", "--user", "cs",
    )["number"]  # fmt: skip
    assert "--note" in run_error(
        capsys, "approvals", "reject", number, "--role", "supervisor", "--on", "2026-04-08"
    )
    assert "--role" in run_error(
        capsys, "approvals", "reject", number, "--role", "boss", "--note", "no",
        "--on", "2026-04-08",
    )  # fmt: skip

    rejected = run_json(
        capsys, "approvals", "reject", number, "--role", "supervisor", "--note", "無證據",
        "--on", "2026-04-08", "--user", "lee",
    )  # fmt: skip

    assert (rejected["status"], rejected["decision_note"], rejected["entries"]) == (
        "rejected", "無證據", [],
    )  # fmt: skip


@pytest.mark.django_db
def test_report_error_and_notifications_round_trip(capsys, bill):
    """D1: report → supervisor and finance see it unread → finance reads it."""
    report = run_json(
        capsys, "bills", "report-error", bill.number, "--reason", "面積錯誤",
        "--on", "2026-04-08", "--user", "cs",
    )  # fmt: skip
    assert (report["bill"], report["resolution"]) == (bill.number, None)
    assert sorted(report["notified"]) == ["finance", "supervisor"]

    inbox = run_json(capsys, "notifications", "list", "--role", "finance", "--unread")
    [note] = inbox["notifications"]
    assert note["bill"] == bill.number and note["read_on"] is None

    read = run_json(
        capsys, "notifications", "read", note["id"], "--on", "2026-04-09", "--user", "fin"
    )
    assert (read["read_on"], read["read_by"]) == ("2026-04-09", "fin")
    assert (
        run_json(capsys, "notifications", "list", "--role", "finance", "--unread")["notifications"]
        == []
    )
    assert "not found" in run_error(capsys, "notifications", "read", "99999", "--on", "2026-04-09")

    voided = run_json(
        capsys, "bills", "void", bill.number, "--reason", "面積錯誤", "--reissue",
        "--on", "2026-04-09", "--user", "fin",
    )  # fmt: skip
    closed = run_error(
        capsys, "bills", "report-error", bill.number, "--no-error", "--note", "x",
        "--on", "2026-04-09",
    )  # fmt: skip
    assert "no open error report" in closed
    assert voided["reissued"]["replaces"] == bill.number


@pytest.mark.django_db
def test_instalment_plan_write_off_and_goodwill_from_the_command_line(capsys):
    """S3, M1, M2: request a plan with --schedule, approve it, list plans, check them;
    goodwill with --given; a write-off of what is open; a bad schedule is one line."""
    from wuye.approvals.tests.test_instalment_plans import hardship_household

    account = hardship_household()
    unit = account.unit.code
    assert "is not DATE:AMOUNT" in run_error(
        capsys, "approvals", "request", "instalment_plan", "--unit", unit, "--schedule",
        "2026-05-10", "--reason", "S3", "--on", "2026-04-10",
    )  # fmt: skip
    plan = run_json(
        capsys, "approvals", "request", "instalment_plan", "--unit", unit, "--schedule",
        "2026-05-10:1250.00,2026-06-10:1250.00", "--reason", "S3", "--on", "2026-04-10",
        "--user", "cs-li",
    )  # fmt: skip
    assert (plan["amount"], plan["plan"]["status"]) == ("2500.00", "requested")
    assert plan["plan"]["instalments"][0] == {"due_on": "2026-05-10", "amount": "1250.00"}
    run_json(capsys, "approvals", "approve", plan["number"], "--role", "supervisor",
             "--on", "2026-04-11", "--user", "sup-wang")  # fmt: skip
    plans = run_json(capsys, "approvals", "plans", "--status", "active")["plans"]
    assert [p["approval"] for p in plans] == [plan["number"]]
    checked = run_json(capsys, "approvals", "check-plans", "--as-of", "2026-05-17")
    assert checked["defaulted"] == [plan["number"]]  # S3: nothing paid by 05-10 + 7
    goodwill = run_json(
        capsys, "approvals", "request", "goodwill", "--unit", unit, "--amount", "200.00",
        "--given", "免費維修", "--reason", "M1", "--on", "2026-05-20", "--user", "cs-li",
    )  # fmt: skip
    assert (goodwill["given"], goodwill["entries"]) == ("免費維修", [])
    write_off = run_json(
        capsys, "approvals", "request", "write_off", "--unit", unit, "--reason", "M2",
        "--on", "2026-05-20", "--user", "cs-li",
    )  # fmt: skip
    assert write_off["amount"] == "2500.00"
    done = run_json(capsys, "approvals", "approve", write_off["number"], "--role", "manager",
                    "--on", "2026-05-20", "--user", "mgr-zhao")  # fmt: skip
    assert sum(Decimal(e["amount"]) for e in done["entries"]) == Decimal("-2500.00")
