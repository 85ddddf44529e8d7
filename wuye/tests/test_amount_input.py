"""Amounts typed by people (issue 8, bad input; STYLE §3, §8): negative, too many decimals,
absurdly large and non-numbers are refused with a clear message naming the field — in the
CLI (`wuye payments record`, `wuye approvals request`), the API (POST /api/v1/payments/)
and the web forms (payment entry, approval requests) — and nothing is written. All three
parse with `wuye.money.parse_amount`, so they accept and refuse the same texts.

Decided (documented in `parse_amount`): full-width digits, point and comma as a Chinese
input method types them (`１２３．５０`) are read as their ASCII twins; exponents (`1e5`),
`NaN`/`Infinity`, other scripts' digits, underscores and misplaced thousands separators
(`12,50`) are refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wuye.approvals.models import ApprovalRequest
from wuye.cli import main
from wuye.errors import WuyeError
from wuye.ledger.models import Entry
from wuye.money import MAX_AMOUNT, parse_amount
from wuye.payments.models import Payment
from wuye.testing.factories import ProjectFactory, office_account, staff

D = dt.date
ON = "2026-03-05"

# text → (what the English message says, what the Chinese one says)
REFUSED = {
    "-5": ("more than 0", "必須大於零"),
    "-0.01": ("more than 0", "必須大於零"),
    "0": ("more than 0", "必須大於零"),
    "-1e5": ("more than 0", "必須大於零"),
    "1.234": ("more than 2 decimals", "超過兩位小數"),
    "0.001": ("more than 2 decimals", "超過兩位小數"),
    "1e20": ("larger than", "超過上限"),
    "999999999999999": ("larger than", "超過上限"),
    "1000000000000.00": ("larger than", "超過上限"),
    "1e999": ("larger than", "超過上限"),
    "abc": ("not a number", "不是數字"),
    "NaN": ("not a number", "不是數字"),
    "Infinity": ("not a number", "不是數字"),
    "-Infinity": ("not a number", "不是數字"),
    "1e5": ("exponent", "指數"),
    " ": ("empty", "為空"),
    "1_000": ("not a number", "不是數字"),
    "12,50": ("thousands separators", "千位分隔符"),
    "٣": ("not a number", "不是數字"),  # an Arabic-Indic 3: Decimal() would take it
    "¥100": ("not a number", "不是數字"),
    "1.2.3": ("not a number", "不是數字"),
}
ACCEPTED = {
    "１２３": Decimal("123.00"),  # full-width digits
    "１，２３４．５０": Decimal("1234.50"),  # full-width comma and point
    "1,234.50": Decimal("1234.50"),
    " 7.5 ": Decimal("7.50"),
    "1.230": Decimal("1.23"),
    "999999999999.99": MAX_AMOUNT,
}
CASES = [pytest.param(text, *why, id=repr(text)) for text, why in REFUSED.items()]
# Through each interface, one text of each kind (the parser above sees them all): the
# issue's list — negative, too many decimals, absurdly large, non-numbers.
SHOWN = ["-5", "1.234", "1e20", "999999999999999", "abc", "NaN", "Infinity", "1e5", " ", "12,50"]
EACH = [pytest.param(text, *REFUSED[text], id=repr(text)) for text in SHOWN]
# a blank field: the forms' own "required" message (Django's, or the approval service's)
BLANK = ("此為必需欄位", "須填寫金額")


@pytest.mark.parametrize(("text", "english", "chinese"), CASES)
def test_the_parser_refuses_with_a_message_naming_the_field(text, english, chinese):
    with pytest.raises(WuyeError) as refused:
        parse_amount(text, field="金額")
    assert refused.value.code == "invalid_amount"
    assert refused.value.message.startswith("金額: ")
    assert english in refused.value.message
    assert chinese in refused.value.message_zh


@pytest.mark.parametrize(("text", "value"), ACCEPTED.items(), ids=repr)
def test_the_parser_reads_plain_grouped_and_full_width_amounts(text, value):
    assert parse_amount(text) == value


def test_a_huge_text_is_not_quoted_whole():
    with pytest.raises(WuyeError) as refused:
        parse_amount("9" * 100_000)
    assert len(refused.value.message) < 200


# --- the world: an HT office account, finance and an assistant -------------------


@pytest.fixture
def account(db):
    project = ProjectFactory(code="HT")
    account = office_account(start=D(2026, 1, 1))  # no bill needed: a payment is credit
    staff("fin-li", "finance", project)
    staff("cs-wang", "assistant", project)
    return account


def written() -> dict[str, int]:
    return {
        "payments": Payment.objects.count(),
        "entries": Entry.objects.count(),
        "requests": ApprovalRequest.objects.count(),
    }


# --- CLI --------------------------------------------------------------------------------------


def cli_refusal(capsys, *argv) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == 2, (out, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("text", "english", "chinese"), EACH)
@pytest.mark.parametrize("command", ["payments record", "approvals request goodwill"])
def test_the_cli_refuses_a_bad_amount_naming_the_option(
    capsys, account, command, text, english, chinese
):
    before = written()
    argv = [*command.split(), "--unit", account.unit.code, f"--amount={text}", "--on", ON,
            "--user", "fin-li"]  # fmt: skip
    if command.startswith("approvals"):
        argv += ["--given", "月餅一盒", "--reason", "M1"]

    line = cli_refusal(capsys, *argv)

    assert "--amount" in line and english in line, line
    assert written() == before


def test_the_cli_records_a_full_width_amount(capsys, account):
    code = main(["payments", "record", "--unit", account.unit.code, "--amount", "１２３．４５",
                 "--on", ON, "--user", "fin-li"])  # fmt: skip
    capsys.readouterr()
    assert code == 0
    assert Payment.objects.get().amount == Decimal("123.45")


# --- API --------------------------------------------------------------------------------------


@pytest.fixture
def api(account) -> APIClient:
    client = APIClient()
    token = Token.objects.create(user=account.project.memberships.get(role="finance").user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.mark.parametrize(("text", "english", "chinese"), EACH)
def test_the_api_refuses_a_bad_amount_with_a_400_naming_the_field(
    api, account, text, english, chinese
):
    before = written()
    response = api.post(
        "/api/v1/payments/",
        {"account": account.pk, "amount": text, "paid_on": ON, "method": "cash"},
        format="json",
    )
    assert response.status_code == 400, response.content
    data = response.json()
    assert {"error", "message", "message_zh", "fields"} <= set(data)
    assert english in " ".join(data["fields"]["amount"])
    assert chinese in " ".join(data["fields_zh"]["amount"])
    assert written() == before


@pytest.mark.parametrize("amount", [-5, 10**20, 12.5, 1e5, True, None, [], {"yuan": 5}])
def test_the_api_refuses_json_numbers_and_other_types_that_are_not_amounts(api, account, amount):
    before = written()
    response = api.post("/api/v1/payments/", {"account": account.pk, "amount": amount,
                         "paid_on": ON}, format="json")  # fmt: skip
    assert response.status_code == 400, response.content
    assert response.json()["fields"]["amount"]
    assert written() == before


def test_the_api_records_a_full_width_amount(api, account):
    response = api.post("/api/v1/payments/", {"account": account.pk, "amount": "１２３",
                        "paid_on": ON}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "123.00"


# --- web forms --------------------------------------------------------------------------------


def web_as(client, account, role: str):
    client.force_login(account.project.memberships.get(role=role).user)
    return client


@pytest.mark.parametrize(("text", "english", "chinese"), EACH)
def test_the_payment_form_refuses_a_bad_amount_on_its_field(
    client, account, text, english, chinese
):
    web_as(client, account, "finance")
    before = written()
    response = client.post(
        reverse("payment-new"),
        {"unit": account.unit.code, "amount": text, "paid_on": ON, "method": "cash",
         "reference": ""},
    )  # fmt: skip
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["amount"]
    shown = " ".join(errors["amount"])  # the page speaks Traditional Chinese
    assert chinese in shown or (not text.strip() and any(b in shown for b in BLANK)), errors
    assert written() == before


@pytest.mark.parametrize(("text", "english", "chinese"), EACH)
def test_the_approval_request_form_refuses_a_bad_amount_on_its_field(
    client, account, text, english, chinese
):
    web_as(client, account, "assistant")
    before = written()
    response = client.post(
        reverse("approval-new"),
        {"account": str(account.pk), "kind": "goodwill", "amount": text, "given": "月餅一盒",
         "reason": "M1：維修延誤致歉", "on": ON},
    )  # fmt: skip
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["amount"]
    shown = " ".join(errors["amount"])
    assert chinese in shown or (not text.strip() and any(b in shown for b in BLANK)), errors
    assert written() == before


def test_the_payment_form_takes_a_full_width_amount(client, account):
    web_as(client, account, "finance")
    response = client.post(
        reverse("payment-new"),
        {"unit": account.unit.code, "amount": "２５００．００", "paid_on": ON, "method": "cash",
         "reference": ""},
    )  # fmt: skip
    assert response.status_code == 302
    assert Payment.objects.get().amount == Decimal("2500.00")
