"""Payments through the API (issue 6): recorded by the same service as `wuye payments
record` (P1 allocation, gapless receipt, F1 consequences), refused with a 400 naming the
field and nothing written, 403 for a role that may not record payments, 404 for an account
of another project."""

import pytest

from wuye.api.tests.conftest import assert_error
from wuye.dunning.models import Notice
from wuye.ledger.models import Entry
from wuye.payments.models import Payment


def written() -> tuple[int, int]:
    return Payment.objects.count(), Entry.objects.count()


def pay(client, **data):
    return client.post("/api/v1/payments/", data, format="json")


def test_a_payment_is_recorded_allocated_and_cancels_the_undelivered_notice(finance, office):
    """P1: late fee and principal of the oldest bill; F1: paid in full, the notice that
    was not delivered yet is cancelled (the same `debts_changed` as the CLI)."""
    response = pay(finance, account=office.a1.pk, amount="2503.75", paid_on="2026-03-14",
                   method="bank_transfer", reference="BK-778")  # fmt: skip
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["receipt_number"].startswith("HT-R2026-")
    assert (data["amount"], data["method"], data["paid_on"], data["reference"]) == (
        "2503.75", "bank_transfer", "2026-03-14", "BK-778",
    )  # fmt: skip
    bill = office.bill(office.a1).number
    assert sorted((a["bill"], a["component"], a["amount"]) for a in data["allocations"]) == [
        (bill, "late_fee", "3.75"), (bill, "principal", "2500.00"),
    ]  # fmt: skip
    assert (data["balance"], data["credit"]) == ("0.00", "0.00")
    payment = Payment.objects.get()
    assert payment.actor == "fin"  # who, from the token
    assert Notice.objects.get(account=office.a1).status == Notice.Status.CANCELLED  # F1


def test_a_payment_by_unit_goes_to_the_payer_that_day_and_leaves_credit(collector, office):
    response = pay(collector, unit=office.a2.unit.code, amount="3000", paid_on="2026-03-14",
                   method="wechat")  # fmt: skip
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["account"] == office.a2.pk and data["amount"] == "3000.00"
    assert (data["balance"], data["credit"]) == ("-500.00", "500.00")  # rest is credit (P1)


def test_a_designated_bill_is_paid_first(finance, office):
    bill = office.bill(office.a1).number
    response = pay(finance, account=office.a1.pk, amount="100.00", paid_on="2026-03-14",
                   bill=bill)  # fmt: skip
    assert response.status_code == 201
    assert response.json()["designated_bill"] == bill


def test_payments_list_by_project_and_account(finance, other, office):
    pay(finance, account=office.a1.pk, amount="10", paid_on="2026-03-14")
    pay(other, account=office.b1.pk, amount="20", paid_on="2026-03-14")
    data = finance.get("/api/v1/payments/").json()
    assert [(p["account"], p["amount"], p["reversed"]) for p in data["results"]] == [
        (office.a1.pk, "10.00", False)
    ]
    assert finance.get("/api/v1/payments/", {"account": office.a2.pk}).json()["results"] == []
    assert [p["account"] for p in other.get("/api/v1/payments/").json()["results"]] == [
        office.b1.pk
    ]
    assert_error(other.get("/api/v1/payments/", {"project": "HT"}), 404, "not_found")
    assert_error(finance.get("/api/v1/payments/", {"account": "x"}), 400, "invalid", "account")


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("-5.00", "more than 0"),
        ("0", "more than 0"),
        ("12.345", "2 decimals"),
        ("1e20", "larger than"),
        ("1000000000000.00", "larger than"),
        ("abc", "not a number"),
        ("NaN", "not a number"),
        ("", "not a number"),
        (12.5, "as a string"),
        (True, "not an amount"),
        ([], "not an amount"),
    ],
)
def test_a_bad_amount_is_a_400_naming_the_field_and_nothing_is_written(finance, office,
                                                                       amount, why):  # fmt: skip
    before = written()
    response = pay(finance, account=office.a1.pk, amount=amount, paid_on="2026-03-14")
    data = assert_error(response, 400, "invalid", "amount")
    assert why in " ".join(data["fields"]["amount"])
    assert data["fields_zh"]["amount"]  # and in Chinese
    assert written() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"paid_on": "2026-03-32"}, "paid_on"),
        ({"paid_on": None}, "paid_on"),
        ({"method": "bitcoin"}, "method"),
        ({"account": "first"}, "account"),
        ({"unit": "HT-T1-0101"}, "account"),  # both account and unit
        ({"reference": "x" * 101}, "reference"),
    ],
)
def test_bad_payment_input_is_a_400_and_nothing_is_written(finance, office, change, field):
    before = written()
    data = {"account": office.a1.pk, "amount": "10.00", "paid_on": "2026-03-14", **change}
    data = {k: v for k, v in data.items() if v is not None}
    assert_error(pay(finance, **data), 400, "invalid", field)
    assert written() == before


def test_neither_account_nor_unit_is_a_400(finance):
    assert_error(pay(finance, amount="1", paid_on="2026-03-14"), 400, "invalid", "account")


def test_a_body_that_is_not_json_or_not_an_object_is_a_400(finance):
    before = written()
    response = finance.post("/api/v1/payments/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")
    response = finance.post("/api/v1/payments/", [1, 2], format="json")
    assert_error(response, 400, "invalid", "input")
    assert written() == before


def test_a_service_refusal_is_a_400_with_its_code_and_nothing_is_written(finance, office):
    """A bill of another account, or unknown: the payments service refuses (P1)."""
    before = written()
    other_bill = office.bill(office.a2).number
    response = pay(finance, account=office.a1.pk, amount="1", paid_on="2026-03-14",
                   bill=other_bill)  # fmt: skip
    assert_error(response, 400, "bill_not_of_account")
    response = pay(finance, account=office.a1.pk, amount="1", paid_on="2026-03-14", bill="X-1")
    assert_error(response, 404, "not_found")
    assert written() == before


def test_an_assistant_may_not_record_a_payment(assistant, office):
    """RULES.md "Who may do what": payments are finance's (and collectors' on rounds)."""
    before = written()
    response = pay(assistant, account=office.a1.pk, amount="10", paid_on="2026-03-14")
    data = assert_error(response, 403, "forbidden")
    assert "finance" in data["message"]
    assert written() == before


def test_an_account_or_unit_of_another_project_is_404(other, office):
    before = written()
    response = pay(other, account=office.a1.pk, amount="10", paid_on="2026-03-14")
    assert_error(response, 404, "not_found")
    response = pay(other, unit=office.a1.unit.code, amount="10", paid_on="2026-03-14")
    assert_error(response, 404, "not_found")
    assert written() == before
