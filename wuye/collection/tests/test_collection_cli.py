"""`wuye calls|promises|visits|faq …` end to end through `wuye.cli.main` (rules R2, R4):
JSON with amounts as strings; bad input is one line on stderr, exit code 2, naming the
field, and writes nothing. Dates: see scenario.py."""

import json
from decimal import Decimal

import pytest

from wuye.cli import main
from wuye.collection.models import Call, Promise, Visit
from wuye.collection.services import record_call
from wuye.collection.tests.scenario import CALL_DAY, VISIT_DAY, task
from wuye.dunning.models import Contact
from wuye.errors import WuyeError


def wuye_json(capsys, *args: str):
    code = main([*args, "--json", "--user", "cs-wang"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def fails(capsys, *args: str) -> dict:
    code = main([*args, "--json", "--user", "cs-wang"])
    captured = capsys.readouterr()
    assert (code, captured.out, captured.err.count("\n")) == (2, "", 1), captured.err
    return json.loads(captured.err)


@pytest.mark.django_db
def test_calls_promises_visits_and_faq_round_trip(account, capsys):
    """R2: list the call task, record the call with a promise, see the promise, check it
    the day after the promised date and find the account back on the list; R4: record a
    visit and print the sheet with the FAQ answers for the reason."""
    number = task(account, "call", CALL_DAY).number
    unit = account.unit.code

    listed = wuye_json(capsys, "calls", "list", "--on", "2026-03-10", "--project", "HT")
    assert [r["tasks"] for r in listed["calls"]] == [[number]]
    assert listed["calls"][0]["arrears"] == "2500.00"

    call = wuye_json(capsys, "calls", "record", number, "--on", "2026-03-10", "--reason", "遺忘",
                     "--amount", "2500", "--outcome", "reached", "--promise-on", "2026-03-15",
                     "--promise-amount", "2,500.00", "--note", "下週來交")  # fmt: skip
    assert (call["task"], call["reason"], call["amount_stated"], call["staff"]) == (
        number, "forgot", "2500.00", "cs-wang",
    )  # fmt: skip
    assert call["promise"] == {"promised_on": "2026-03-15", "amount": "2500.00", "status": "open"}

    promises = wuye_json(capsys, "promises", "list", "--status", "open")["promises"]
    assert [(p["unit"], p["amount"]) for p in promises] == [(unit, "2500.00")]
    assert wuye_json(capsys, "promises", "check", "--as-of", "2026-03-16") == {
        "as_of": "2026-03-16", "kept": 0, "broken": 1,
    }  # fmt: skip
    (row,) = wuye_json(capsys, "calls", "list", "--on", "2026-03-16")["calls"]
    assert row["broken_promise"]["back_on_list"] == "2026-03-16"
    assert row["reason_label"] == "遺忘"

    visit = wuye_json(capsys, "visits", "record", "--unit", unit, "--on", "2026-03-17",
                      "--outcome", "reached", "--reason", "vacant", "--note", "業主長居外地")  # fmt: skip
    assert (visit["task"], visit["reason"]) == (None, "vacant")
    sheet = wuye_json(capsys, "visits", "sheet", "--unit", unit, "--as-of", "2026-03-17")
    assert sheet["reason"] == "vacant"
    assert [h["channel"] for h in sheet["history"]] == ["call", "visit"]
    assert sheet["calls"][0]["promise"]["status"] == "broken"
    assert sheet["answers"][0]["question"] == "房子沒住為什麼要交物業費？"

    faq = wuye_json(capsys, "faq", "list", "--reason", "房屋質量問題")["faq"]
    assert faq and {f["reason"] for f in faq} == {"defect"}

    main(["visits", "sheet", "--unit", unit, "--as-of", "2026-03-17"])  # the text form
    assert "答：" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_visit_task_is_closed_from_the_command_line(account, capsys):
    """R4: `visits record NUMBER` closes the engine's visit task."""
    task(account, "call", CALL_DAY)
    number = task(account, "visit", VISIT_DAY).number

    visit = wuye_json(capsys, "visits", "record", number, "--on", "2026-04-08",
                      "--outcome", "nobody_present")  # fmt: skip

    assert visit["task"] == number
    assert fails(capsys, "visits", "record", number, "--on", "2026-04-08",
                 "--outcome", "reached")["error"] == "not_open_visit_task"  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        (["--amount", "12.345"], "invalid_amount", "--amount"),
        (["--amount", "-5"], "invalid_amount", "--amount"),
        (["--amount", "abc"], "invalid_amount", "--amount"),
        (["--reason", "bored"], "invalid_reason", "--reason"),
        (["--outcome", "maybe"], "invalid_outcome", "--outcome"),
        (["--on", "2026-02-30"], "invalid_date", "--on"),
        (["--promise-on", "2026-03-20"], "promise_incomplete", "--promise-on"),
        (["--promise-on", "2026-03-01", "--promise-amount", "10"], "invalid_date",
         "--promise-on"),
        (["--promise-on", "2026-03-20", "--promise-amount", "0"], "invalid_amount",
         "--promise-amount"),
        (["--outcome", "no_answer", "--promise-on", "2026-03-20", "--promise-amount", "10"],
         "promise_needs_reached", "--promise-on"),
    ],
)  # fmt: skip
def test_bad_call_input_names_the_field_and_writes_nothing(account, capsys, args, code, field):
    """R2: every bad value is refused with the field named; nothing is written."""
    base = {"--on": "2026-03-10", "--reason": "forgot", "--amount": "2500.00",
            "--outcome": "reached"}  # fmt: skip
    for name, value in zip(args[::2], args[1::2], strict=True):
        base[name] = value
    argv = ["calls", "record", "--unit", account.unit.code]
    for name, value in base.items():
        argv += [name, value]

    error = fails(capsys, *argv)

    assert error["error"] == code and field in error["message"]
    assert (Call.objects.count(), Promise.objects.count(), Contact.objects.count()) == (0, 0, 0)


@pytest.mark.django_db
def test_a_task_must_be_an_open_task_of_the_right_kind(account, capsys):
    """R2/R4: a call cannot close a visit task, a task number and --unit exclude each
    other, an unknown number is not found, and a task cannot be done before it was
    issued."""
    number = task(account, "call", CALL_DAY).number
    record = ["--on", "2026-03-10", "--reason", "forgot", "--amount", "1", "--outcome", "reached"]

    assert fails(capsys, "visits", "record", number, "--on", "2026-03-10",
                 "--outcome", "reached")["error"] == "not_open_visit_task"  # fmt: skip
    assert fails(capsys, "calls", "record", number, "--unit", account.unit.code,
                 *record)["error"] == "task_or_unit"  # fmt: skip
    assert fails(capsys, "calls", "record", *record)["error"] == "task_or_unit"
    assert fails(capsys, "calls", "record", "HT-N2026-999999", *record)["error"] == "not_found"
    early = fails(capsys, "calls", "record", number, *record[:1], "2026-03-09", *record[2:])
    assert early["error"] == "invalid_date" and "--on" in early["message"]
    assert fails(capsys, "promises", "list", "--status", "late")["error"] == "invalid_status"
    assert fails(capsys, "faq", "list", "--reason", "x")["error"] == "invalid_reason"
    assert fails(capsys, "calls", "list", "--on", "2026-03-10", "--project", "XX")["error"] == (
        "not_found"
    )
    assert Visit.objects.count() == 0 and Call.objects.count() == 0


@pytest.mark.django_db
def test_the_service_refuses_a_float_and_a_third_decimal(account):
    """R2: amounts are exact: a float or a third decimal is refused, naming the field."""
    kwargs = {"unit_code": account.unit.code, "on": CALL_DAY, "staff": "cs", "reason": "forgot",
              "outcome": "reached"}  # fmt: skip
    with pytest.raises(WuyeError, match="--amount"):
        record_call(amount_stated=2500.0, **kwargs)
    with pytest.raises(WuyeError, match="--amount"):
        record_call(amount_stated=Decimal("2500.001"), **kwargs)
    with pytest.raises(WuyeError, match="--note"):
        record_call(amount_stated=Decimal("1.00"), note="字" * 301, **kwargs)
