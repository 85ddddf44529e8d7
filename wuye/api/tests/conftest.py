"""An office day for the API tests (issue 6). Project HT has two clients: a1's March bill
was signed for on 3 March (due 10 March, E1) and its 1st notice issued on 13 March (E2);
nobody was at a2's office, so its bill is still on the delivery list (C1). Project HX has
b1, dunned the same way. Staff of HT hold one role each; `other` is finance of HX."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.models import Bill
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.services import run_dunning
from wuye.properties.models import Account, Project
from wuye.testing.factories import (
    BuildingFactory,
    ProjectFactory,
    UnitFactory,
    office_account,
    staff,
)

D = dt.date
ON = D(2026, 3, 13)  # the day of the tests: a1 and b1 are 3 days overdue


@dataclass
class Office:
    ht: Project
    hx: Project
    a1: Account
    a2: Account
    b1: Account

    def bill(self, account: Account) -> Bill:
        return account.bills.get()


@pytest.fixture
def office(db) -> Office:
    ht = ProjectFactory(code="HT")
    hx = ProjectFactory(code="HX", name="匯信中心")
    a1 = office_account(start=D(2026, 1, 1))  # 100 m² × 25.00 = 2,500.00 a month
    a2 = office_account(start=D(2026, 1, 1))
    b1 = office_account(
        start=D(2026, 1, 1), unit=UnitFactory(building=BuildingFactory(project=hx, code="A"))
    )
    for project in (ht, hx):
        issue_bills_for_project(
            project=project, period=Period.parse("2026-03"), on=D(2026, 3, 2), actor="fin-li"
        )
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    for account in (a1, b1):
        record_delivery(number=account.bills.get().number, on=D(2026, 3, 3), staff="cs-wang",
                        signed_by="陳經理", relation="行政經理")  # fmt: skip
    record_delivery(number=a2.bills.get().number, on=D(2026, 3, 3), staff="cs-wang",
                    failed="nobody_present")  # fmt: skip
    for project in (ht, hx):
        run_dunning(as_of=ON, actor="fin-li", project_code=project.code)
    return Office(ht=ht, hx=hx, a1=a1, a2=a2, b1=b1)


def client_for(user) -> APIClient:
    """A client that authenticates with the user's API token (as an integration would)."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def finance(office):
    return client_for(staff("fin", "finance", office.ht))


@pytest.fixture
def assistant(office):
    return client_for(staff("asst", "assistant", office.ht))


@pytest.fixture
def collector(office):
    return client_for(staff("coll", "collector", office.ht))


@pytest.fixture
def other(office):
    """Finance of the other project (HX): sees nothing of HT."""
    return client_for(staff("other", "finance", office.hx))


def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    """The API's error shape (docs/api.md) with the status, code and field named."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert {"error", "message", "message_zh", "fields"} <= set(data)
    assert data["message"] and data["message_zh"]
    if code is not None:
        assert data["error"] == code, data
    if field is not None:
        assert field in data["fields"], data
    return data
