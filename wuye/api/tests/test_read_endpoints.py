"""Projects, units, accounts and statements, bills and notices through the API (issue 6):
each for success, bad input (a clear 400 naming the field) and a user of another project
(filtered out of lists, 404 on detail, 404 for a project filter naming it)."""

import json
from decimal import Decimal

import pytest

from wuye.api.tests.conftest import ON, assert_error, client_for
from wuye.cli import main
from wuye.dunning.models import Notice
from wuye.testing.factories import staff

# --- projects ------------------------------------------------------------------------


def test_projects_lists_only_the_users_projects_with_their_roles(finance, other):
    data = finance.get("/api/v1/projects/").json()
    assert [(p["code"], p["roles"]) for p in data["results"]] == [("HT", ["finance"])]
    assert [p["code"] for p in other.get("/api/v1/projects/").json()["results"]] == ["HX"]


def test_a_company_wide_manager_sees_every_project(office):
    boss = client_for(staff("boss", "manager", company_wide=True))
    data = boss.get("/api/v1/projects/").json()
    assert [(p["code"], p["roles"]) for p in data["results"]] == [
        ("HT", ["manager"]),
        ("HX", ["manager"]),
    ]


def test_a_company_wide_manager_sees_the_rows_of_every_project(office):
    boss = client_for(staff("boss", "manager", company_wide=True))
    data = boss.get("/api/v1/accounts/", {"on": "2026-03-13"}).json()
    assert {a["project"] for a in data["results"]} == {"HT", "HX"}
    data = boss.get("/api/v1/bills/", {"project": "HX"}).json()
    assert [b["project"] for b in data["results"]] == ["HX"]


def test_project_detail_has_buildings_and_units(finance):
    data = finance.get("/api/v1/projects/HT/").json()
    assert data["code"] == "HT" and data["units"] == 2
    assert data["buildings"] == [{"code": "T1", "name": "T1座"}]


def test_project_detail_of_another_project_or_an_unknown_one_is_404(other):
    assert_error(other.get("/api/v1/projects/HT/"), 404, "not_found")
    assert_error(other.get("/api/v1/projects/NOPE/"), 404, "not_found")


# --- units ---------------------------------------------------------------------------


def test_units_with_their_payer_on_a_date(finance, office):
    data = finance.get("/api/v1/units/", {"on": "2026-03-13"}).json()
    rows = {u["code"]: u for u in data["results"]}
    assert set(rows) == {office.a1.unit.code, office.a2.unit.code}
    unit = rows[office.a1.unit.code]
    assert unit["project"] == "HT" and unit["building"] == "T1" and unit["area"] == "100.00"
    assert unit["account"]["id"] == office.a1.pk
    assert unit["account"]["customer"]["name"] == office.a1.customer.name
    assert [a["code"] for a in unit["accounts"]] == [office.a1.code]


def test_units_filter_by_building_and_search(finance, office):
    code = office.a2.unit.code
    data = finance.get("/api/v1/units/", {"on": "2026-03-13", "q": code}).json()
    assert [u["code"] for u in data["results"]] == [code]
    name = office.a1.customer.name
    data = finance.get("/api/v1/units/", {"on": "2026-03-13", "q": name}).json()
    assert [u["code"] for u in data["results"]] == [office.a1.unit.code]
    data = finance.get("/api/v1/units/", {"project": "HT", "building": "ZZ"}).json()
    assert data["results"] == []


def test_units_bad_date_is_a_400_naming_the_field(finance):
    data = assert_error(finance.get("/api/v1/units/", {"on": "13/03/2026"}), 400, "invalid", "on")
    assert "on" in data["fields_zh"]


def test_units_of_another_project_are_not_listed_and_its_filter_is_404(other, office):
    data = other.get("/api/v1/units/", {"on": "2026-03-13"}).json()
    assert [u["code"] for u in data["results"]] == [office.b1.unit.code]
    assert_error(other.get("/api/v1/units/", {"project": "HT"}), 404, "not_found")


# --- accounts ------------------------------------------------------------------------


def test_accounts_with_balance_and_overdue_on_a_date(finance, office):
    data = finance.get("/api/v1/accounts/", {"on": "2026-03-13"}).json()
    rows = {a["id"]: a for a in data["results"]}
    assert set(rows) == {office.a1.pk, office.a2.pk}
    # E1: due 10 March, 3 days overdue; L1: the run posted 3 days' late fee
    assert rows[office.a1.pk]["balance"] == "2503.75"
    assert rows[office.a1.pk]["overdue"] == "2503.75"
    # a2's bill never reached the client: no due date, nothing overdue
    assert (rows[office.a2.pk]["balance"], rows[office.a2.pk]["overdue"]) == ("2500.00", "0.00")


def test_accounts_in_arrears_and_search(finance, office):
    data = finance.get("/api/v1/accounts/", {"on": "2026-03-13", "in_arrears": "true"}).json()
    assert [a["id"] for a in data["results"]] == [office.a1.pk]
    data = finance.get("/api/v1/accounts/", {"on": "2026-03-13", "in_arrears": "false"}).json()
    assert [a["id"] for a in data["results"]] == [office.a2.pk]
    data = finance.get("/api/v1/accounts/", {"q": office.a2.unit.code}).json()
    assert [a["id"] for a in data["results"]] == [office.a2.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"in_arrears": "maybe"}, "in_arrears"), ({"on": "2026-02-30"}, "on"),
     ({"q": "x" * 101}, "q")],
)  # fmt: skip
def test_accounts_bad_filters_are_400(finance, params, field):
    assert_error(finance.get("/api/v1/accounts/", params), 400, "invalid", field)


def test_accounts_of_another_project_are_hidden(other, office):
    data = other.get("/api/v1/accounts/", {"on": "2026-03-13"}).json()
    assert [a["id"] for a in data["results"]] == [office.b1.pk]
    assert_error(other.get("/api/v1/accounts/", {"project": "HT"}), 404, "not_found")
    assert_error(other.get(f"/api/v1/accounts/{office.a1.pk}/"), 404, "not_found")
    assert_error(other.get(f"/api/v1/accounts/{office.a1.pk}/statement/"), 404, "not_found")


def test_account_detail_has_the_customer_and_contacts(finance, office):
    data = finance.get(f"/api/v1/accounts/{office.a1.pk}/", {"on": "2026-03-13"}).json()
    assert data["code"] == office.a1.code and data["balance"] == "2503.75"
    [contact] = data["customer"]["contacts"]
    assert contact["is_designated"] and contact["name"] == "張三"  # B1


def test_account_detail_bad_input(finance, office):
    assert_error(finance.get(f"/api/v1/accounts/{office.a1.pk}/", {"on": "x"}), 400, None, "on")
    assert_error(finance.get("/api/v1/accounts/abc/"), 404, "not_found")
    assert_error(finance.get("/api/v1/accounts/999999/"), 404, "not_found")


def test_statement_is_the_one_the_cli_prints(finance, office, capsys):
    """E1 aging, L1 late fee, balance by fee item: the same as `wuye accounts show`."""
    data = finance.get(f"/api/v1/accounts/{office.a1.pk}/statement/", {"on": "2026-03-13"})
    assert data.status_code == 200
    data = data.json()
    assert main(["accounts", "show", office.a1.unit.code, "--as-of", "2026-03-13", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert data["as_of"] == cli["as_of"] == "2026-03-13"
    assert data["balance"] == cli["balance"] == "2503.75"
    assert data["credit"] == cli["credit"]
    assert data["aging"] == cli["aging"]
    assert data["balance_by_fee_item"] == cli["balance_by_fee_item"]
    assert [(b["number"], b["amount"], b["late_fees"], b["open"], b["days_overdue"])
            for b in data["bills"]] == [
        (b["number"], b["amount"], b["late_fees"], b["open"], b["days_overdue"])
        for b in cli["bills"]
    ]  # fmt: skip
    [bill] = data["bills"]
    assert (bill["late_fees"], bill["days_overdue"]) == ("3.75", 3)
    assert [n["level"] for n in data["notices"]] == [1]  # E2: the 1st notice of 13 March
    assert [x["bill"] for x in data["limitation"]] == [x["bill"] for x in cli["limitation"]]
    assert Decimal(data["aging"]["0-30"]) == Decimal("2503.75")


def test_statement_bad_date_is_400(finance, office):
    response = finance.get(f"/api/v1/accounts/{office.a1.pk}/statement/", {"on": "2026-13-01"})
    assert_error(response, 400, "invalid", "on")


# --- bills ---------------------------------------------------------------------------


def test_bills_by_project_account_status_and_period(finance, office):
    data = finance.get("/api/v1/bills/", {"period": "2026-03", "status": "issued"}).json()
    assert {b["number"] for b in data["results"]} == {
        office.bill(office.a1).number, office.bill(office.a2).number,
    }  # fmt: skip
    data = finance.get("/api/v1/bills/", {"account": office.a2.pk, "project": "HT"}).json()
    [bill] = data["results"]
    assert bill["account"] == office.a2.pk and bill["total"] == "2500.00"
    assert bill["receipt_date"] is None and bill["period"] == "2026-03"
    assert finance.get("/api/v1/bills/", {"period": "2026-04"}).json()["results"] == []
    assert finance.get("/api/v1/bills/", {"status": "void"}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"period": "2026-13"}, "period"), ({"period": "March"}, "period"),
     ({"status": "paid"}, "status"), ({"account": "a1"}, "account")],
)  # fmt: skip
def test_bills_bad_filters_are_400(finance, params, field):
    data = assert_error(finance.get("/api/v1/bills/", params), 400, "invalid", field)
    assert field in data["fields_zh"]


def test_bill_detail_has_its_lines(finance, office):
    number = office.bill(office.a1).number
    data = finance.get(f"/api/v1/bills/{number}/").json()
    assert data["number"] == number and data["due_date"] == "2026-03-10"  # B1, E1
    [line] = data["lines"]
    assert (line["fee_item"], line["quantity"], line["unit_price"], line["amount"]) == (
        "PMF", "100.00", "25.0000", "2500.00",
    )  # fmt: skip


def test_bills_of_another_project_are_hidden(other, office):
    number = office.bill(office.a1).number
    assert_error(other.get(f"/api/v1/bills/{number}/"), 404, "not_found")
    assert_error(other.get("/api/v1/bills/NOPE-1/"), 404, "not_found")
    data = other.get("/api/v1/bills/").json()
    assert [b["number"] for b in data["results"]] == [office.bill(office.b1).number]
    assert_error(other.get("/api/v1/bills/", {"project": "HT"}), 404)


# --- notices -------------------------------------------------------------------------


def test_notices_by_status_and_date(finance, office):
    data = finance.get("/api/v1/notices/", {"on": "2026-03-13", "status": "issued"}).json()
    [notice] = data["results"]
    assert notice["account"] == office.a1.code and notice["level"] == 1  # E2
    assert (notice["principal"], notice["late_fee"], notice["total"]) == (
        "2500.00", "3.75", "2503.75",
    )  # fmt: skip
    assert finance.get("/api/v1/notices/", {"on": "2026-03-12"}).json()["results"] == []
    assert finance.get("/api/v1/notices/", {"status": "delivered"}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"), [({"status": "lost"}, "status"), ({"on": "yesterday"}, "on")]
)
def test_notices_bad_filters_are_400(finance, params, field):
    assert_error(finance.get("/api/v1/notices/", params), 400, "invalid", field)


def test_notice_detail_has_its_items_and_contacts(finance, office):
    number = Notice.objects.get(account=office.a1).number
    data = finance.get(f"/api/v1/notices/{number}/").json()
    assert data["number"] == number and data["issued_on"] == ON.isoformat()
    [item] = data["items"]
    assert item["bill"] == office.bill(office.a1).number and item["principal"] == "2500.00"
    assert data["contacts"] == []  # not delivered yet


def test_notices_of_another_project_are_hidden(other, office):
    number = Notice.objects.get(account=office.a1).number
    assert_error(other.get(f"/api/v1/notices/{number}/"), 404, "not_found")
    data = other.get("/api/v1/notices/").json()
    assert [n["account"] for n in data["results"]] == [office.b1.code]
    assert_error(other.get("/api/v1/notices/", {"project": "HT"}), 404)
