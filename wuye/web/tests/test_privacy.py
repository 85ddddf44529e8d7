"""Personal data (issue 8; 《個人信息保護法》; docs/privacy.md, wuye.web.pii): a client's
phone numbers in full only for the roles that call or deliver (assistant, collector) and
legal, masked for the others, on the account page, the call lists, the API; the exports
hold no phone at all, and every export is in the audit log naming the user, the report
and its filters.

March 2026: the caller's bill was signed for on 2 March (due 9 March, E1); the run of
10 March puts it on the caller's list (R2, a call from 1 day overdue)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from wuye.audit.context import acting_as
from wuye.audit.models import AuditEvent
from wuye.billing.delivery import handover_bills
from wuye.billing.services import issue_bills_for_project, record_bill_receipts
from wuye.collection.tests.scenario import calls_and_visits_policy
from wuye.dates import Period
from wuye.dunning.services import run_dunning
from wuye.reports.services import export_arrears_list
from wuye.testing.factories import (
    BuildingFactory,
    ProjectFactory,
    UnitFactory,
    office_account,
    staff,
)
from wuye.web.models import Membership
from wuye.web.pii import FULL, PHONE, Viewer, mask_id, mask_phone

D = dt.date
ON = "2026-03-10"
MOBILE, MOBILE_SHOWN = "13812345678", "138****5678"
CONTACT, CONTACT_SHOWN = "13987654321", "139****4321"

#: who sees a client's phone in full (docs/privacy.md), written out: the test compares
#: the code's table (wuye.web.pii.FULL) with the decision
FULL_PHONE = {"assistant", "collector", "legal"}
MASKED_PHONE = {"finance", "supervisor", "manager", "project_lead", "administrator"}


# --- the masks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "+86 1** **** 5678"),
        ("020-8888 0001", "020-**** 0001"),
        ("12345", "***45"),
        ("", ""),
        (None, None),
    ],
)
def test_a_phone_keeps_its_first_three_and_last_four_digits(number, shown):
    assert mask_phone(number) == shown


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("110101199003071234", "110101********1234"),
        ("11010119900307123X", "110101********123X"),
        ("A1234567", "******67"),
        ("", ""),
    ],
)
def test_an_id_number_keeps_its_region_and_last_four(number, shown):
    """The region code (6) and the last 4; the birth date in the middle is hidden."""
    assert mask_id(number) == shown


def test_the_code_follows_the_written_decision():
    assert {role for role, kinds in FULL.items() if PHONE in kinds} == FULL_PHONE
    assert {role for role, kinds in FULL.items() if PHONE not in kinds} == MASKED_PHONE
    assert {r for r, k in FULL.items() if "id_number" in k} == {"finance", "legal"}


# --- the scenario ---------------------------------------------------------------------------


@pytest.fixture
def world(db):
    """HT: a client on the calls ladder with a mobile and a designated contact's mobile,
    on the caller's list on 10 March; QZB: another project."""
    ht = ProjectFactory(code="HT")
    qzb = ProjectFactory(code="QZB", name="秋州")
    calls_and_visits_policy()
    caller = office_account(
        start=D(2026, 1, 1), dunning_policy="calls-visits",
        unit=UnitFactory(building=BuildingFactory(project=ht, code="A")),
    )  # fmt: skip
    caller.customer.phone = MOBILE
    caller.customer.save()
    caller.customer.contacts.update(phone=CONTACT)
    issue_bills_for_project(project=ht, period=Period.parse("2026-03"), on=D(2026, 3, 2),
                            actor="fin-x")  # fmt: skip
    handover_bills(on=D(2026, 3, 2), signed_by="cs-x", actor="cs-x")
    record_bill_receipts([caller.bills.get().pk], received_on=D(2026, 3, 2), actor="cs-x")
    run_dunning(as_of=D(2026, 3, 10), actor="fin-x", project_code="HT")
    return {"ht": ht, "qzb": qzb, "caller": caller}


def web_as(role: str, project) -> Client:
    client = Client()
    client.force_login(staff(f"u-{role}", role, project))
    return client


def api_as(role: str, project) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff(f"u-{role}", role, project))
    return client


def assert_shown(text: str, role: str) -> None:
    """The full numbers for the roles that need them, else only the masked ones."""
    if role in FULL_PHONE:
        assert MOBILE in text and CONTACT in text, role
    else:
        assert MOBILE not in text and CONTACT not in text, role
        assert MOBILE_SHOWN in text and CONTACT_SHOWN in text, role


ALL_ROLES = sorted(FULL_PHONE | MASKED_PHONE)


# --- the pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_account_page_shows_phones_per_role(world, role):
    client = web_as(role, world["ht"])
    response = client.get(reverse("account", args=[world["caller"].pk]), {"on": ON})
    assert response.status_code == 200
    assert_shown(response.content.decode(), role)


@pytest.mark.parametrize("role", ["assistant", "collector", "project_lead", "supervisor"])
def test_the_call_lists_show_phones_per_role(world, role):
    """R2: the caller's list on today's page and on the task lists."""
    client = web_as(role, world["ht"])
    for url in (f"{reverse('today')}?on={ON}", f"{reverse('tasks')}?on={ON}&tab=calls"):
        text = client.get(url).content.decode()
        assert world["caller"].unit.code in text, url  # the row is there
        if role in FULL_PHONE:
            assert MOBILE in text, url
        else:
            assert MOBILE not in text and MOBILE_SHOWN in text, url


def test_a_viewer_sees_per_project(world):
    """An assistant on QZB who is project lead on HT sees HT's clients masked."""
    user = staff("u-mixed", "project_lead", world["ht"])
    Membership.objects.create(user=user, project=world["qzb"], role="assistant")
    viewer = Viewer(user)
    assert not viewer.sees(PHONE, world["ht"]) and viewer.sees(PHONE, world["qzb"])
    assert viewer.phone(MOBILE, "HT") == MOBILE_SHOWN
    assert viewer.phone(MOBILE, world["qzb"].pk) == MOBILE
    client = Client()
    client.force_login(user)
    page = client.get(reverse("account", args=[world["caller"].pk]), {"on": ON})
    assert MOBILE not in page.content.decode()


def test_a_company_wide_collector_and_a_superuser_see_them_in_full(world):
    from django.contrib.auth.models import User

    collector = staff("u-everywhere", "collector", company_wide=True)
    root = User.objects.create_superuser("root", password="root")
    for user in (collector, root):
        assert Viewer(user).sees(PHONE, world["ht"])


# --- the API --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_api_account_shows_phones_per_role(world, role):
    api = api_as(role, world["ht"])
    response = api.get(f"/api/v1/accounts/{world['caller'].pk}/", {"on": ON})
    assert response.status_code == 200
    customer = response.json()["customer"]
    full = role in FULL_PHONE
    assert customer["phone"] == (MOBILE if full else MOBILE_SHOWN)
    assert customer["contacts"][0]["phone"] == (CONTACT if full else CONTACT_SHOWN)


@pytest.mark.parametrize("role", ["assistant", "project_lead"])
def test_the_api_call_list_shows_phones_per_role(world, role):
    api = api_as(role, world["ht"])
    response = api.get("/api/v1/tasks/", {"on": ON, "kind": "call"})
    assert response.status_code == 200
    [row] = response.json()["calls"]
    assert row["phone"] == (MOBILE if role in FULL_PHONE else MOBILE_SHOWN)


def test_no_api_response_of_a_masked_role_holds_the_full_number(world):
    """Every read endpoint, as a project lead: the full numbers appear nowhere."""
    api = api_as("project_lead", world["ht"])
    pk = world["caller"].pk
    for url in ["/api/v1/units/", "/api/v1/accounts/", f"/api/v1/accounts/{pk}/",
                f"/api/v1/accounts/{pk}/statement/", "/api/v1/notices/", "/api/v1/bills/",
                f"/api/v1/tasks/?on={ON}"]:  # fmt: skip
        response = api.get(url)
        assert response.status_code == 200, url
        text = json.dumps(response.json())
        assert MOBILE not in text and CONTACT not in text, url


# --- exports --------------------------------------------------------------------------------


def download(client, fmt: str, **filters):
    response = client.get(
        reverse("reports"), {"report": "arrears", "format": fmt, "on": "2026-03-15", **filters}
    )
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def _text_of(fmt: str, body: bytes) -> str:
    if fmt == "csv":
        return "\n".join(",".join(r) for r in csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(body)).active
    return "\n".join(",".join(str(v) for v in row) for row in sheet.iter_rows(values_only=True))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("role", ["project_lead", "assistant"])
def test_an_export_holds_no_phone_and_is_audited_with_its_user_and_filters(world, role, fmt):
    """The arrears list (M4) names the owners but holds no phone number, masked or not
    (data minimisation: the callers read phones on their list); the download is in the
    audit log: who, which report, which filters, how many rows, personal data."""
    client = web_as(role, world["ht"])
    before = AuditEvent.objects.filter(action="export").count()

    response, body = download(client, fmt, project="HT", building="A")

    assert response.status_code == 200
    text = _text_of(fmt, body)
    assert world["caller"].unit.code in text and world["caller"].customer.name in text
    for number in (MOBILE, CONTACT, MOBILE_SHOWN, CONTACT_SHOWN, "5678", "4321"):
        assert number not in text
    [event] = AuditEvent.objects.filter(action="export").order_by("-id")[:1]
    assert AuditEvent.objects.filter(action="export").count() == before + 1
    assert event.actor == f"u-{role}"
    assert event.table == "report:arrears" and event.object_id == "HT"
    assert event.after["filters"].items() >= {
        "project": "HT", "building": "A", "on": "2026-03-15", "format": fmt,
    }.items()  # fmt: skip
    assert event.after["personal_data"] is True and event.after["rows"] == 1
    assert event.after["out"] == f"arrears-HT-2026-03-15.{fmt}"


def test_a_report_without_personal_data_is_audited_too(world):
    client = web_as("project_lead", world["ht"])
    response = client.get(reverse("reports"), {"report": "aging", "format": "csv"})
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="export").latest("id")
    assert (event.actor, event.table, event.after["personal_data"]) == (
        "u-project_lead", "report:aging", False,
    )  # fmt: skip


def test_a_refused_download_leaves_no_export_event(world):
    """Another project's list: 404, nothing exported, nothing logged as exported."""
    client = web_as("project_lead", world["ht"])
    response, _ = download(client, "csv", project="QZB")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_cli_export_is_audited_with_the_acting_user(world, tmp_path):
    """`wuye reports arrears --out FILE` (the service it calls): the actor is the CLI's
    --user / $WUYE_USER (wuye.audit.context)."""
    out = tmp_path / "arrears.csv"
    with acting_as("fin-li"):
        data = export_arrears_list(project_code="HT", as_of=D(2026, 3, 15), out=out)
    assert data["rows"] == 1
    event = AuditEvent.objects.filter(action="export").latest("id")
    assert event.actor == "fin-li" and event.table == "report:arrears"
    assert event.after["filters"] == {"project": "HT", "on": "2026-03-15", "format": "csv"}
    assert event.after["out"] == str(out) and event.after["personal_data"] is True
    assert MOBILE not in out.read_text(encoding="utf-8-sig")
