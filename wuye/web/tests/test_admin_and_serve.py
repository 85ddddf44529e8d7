"""Issue 6, first slice: administrators configure through the Django admin, where
money and evidence are read-only; the roles of RULES.md are permission groups; `wuye
serve` runs gunicorn with the static files."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.contrib.auth.models import Group, User

from wuye.dunning.models import DunningPolicy, DunningStep, Notice
from wuye.web.roles import ROLES, ensure_role_groups


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("root", "root@example.com", "pw-not-secret")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_money_and_evidence_are_read_only_in_the_admin(admin_client):
    """STYLE §4: bills, entries, payments and notices cannot be added or changed here,
    even by a superuser; configuration can."""
    for model in ["billing/bill", "ledger/entry", "payments/payment", "dunning/notice"]:
        assert admin_client.get(f"/admin/{model}/").status_code == 200
        assert admin_client.get(f"/admin/{model}/add/").status_code == 403
    assert admin_client.get("/admin/billing/feeitem/add/").status_code == 200
    assert admin_client.get("/admin/dunning/dunningpolicy/").status_code == 200


@pytest.mark.django_db
def test_a_step_threatening_a_utility_is_refused_in_the_admin(admin_client):
    """X1: the admin form runs the same validation as every other edit."""
    policy = DunningPolicy.objects.get(code="office")
    step = DunningStep.objects.get(policy=policy, position=1)
    form = {
        "code": policy.code, "name": policy.name, "segments": policy.segments,
        "min_amount": "1.00", "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "1",
        "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000",
        "steps-0-id": str(step.pk), "steps-0-policy": str(policy.pk),
        "steps-0-position": "1", "steps-0-track": "main", "steps-0-code": step.code,
        "steps-0-name": "欠費停水通知", "steps-0-action": "notice",
        "steps-0-template": "notice.html", "steps-0-role": step.role,
        "steps-0-days_overdue": "3", "steps-0-gap_days": "0", "steps-0-pay_within_days": "3",
    }  # fmt: skip
    response = admin_client.post(f"/admin/dunning/dunningpolicy/{policy.pk}/change/", form)
    assert response.status_code == 200  # the form comes back with the error
    assert "X1" in response.content.decode()
    step.refresh_from_db()
    assert step.name == "第一次催繳通知書"


@pytest.mark.django_db
def test_the_roles_are_permission_groups():
    """Roles (RULES.md): one group per role; the administrator changes configuration,
    nobody changes money through the admin."""
    ensure_role_groups()
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    admin_perms = set(
        Group.objects.get(name="administrator").permissions.values_list("codename", flat=True)
    )
    assert {"change_dunningpolicy", "change_feeitem", "view_bill"} <= admin_perms
    assert not {"change_bill", "add_payment", "change_entry"} & admin_perms
    finance = set(Group.objects.get(name="finance").permissions.values_list("codename", flat=True))
    assert "view_bill" in finance and "change_dunningpolicy" not in finance


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wuye_serve_runs_gunicorn_with_static_files(tmp_path):
    """`wuye serve` migrates, collects the static files and serves the application with
    gunicorn; the admin's login page and its CSS are served."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "WUYE_DATABASE_URL"}
    env |= {"WUYE_SQLITE_PATH": str(tmp_path / "serve.sqlite3"),
            "WUYE_STATIC_ROOT": str(tmp_path / "static")}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "wuye.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert page.status == 200 and "wuye" in page.read().decode()
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/admin/css/base.css")
        assert css.status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.django_db
def test_wuye_demo_prepares_data_users_and_the_days_run(capsys):
    """Issue 6: `wuye demo` makes the demo data with history, runs the day's dunning and
    creates one user per role (password = user name); rerunning adds nothing."""
    import json

    from django.contrib.auth import authenticate

    from wuye.cli import main

    args = ["demo", "--units", "120", "--on", "2026-11-02", "--no-serve", "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["created"] is True and first["notices"] > 0
    assert {u["role"] for u in first["users"]} == set(ROLES)
    user = authenticate(username="demo-finance", password="demo-finance")
    assert user is not None and user.groups.get().name == "finance"
    assert User.objects.get(username="demo-administrator").is_staff
    assert main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["created"], again["notices"]) == (False, 0)
    assert User.objects.filter(username__startswith="demo-").count() == len(ROLES)


@pytest.mark.django_db
def test_an_assistant_logs_in_and_sees_todays_list(client):
    """Issue 6: staff log in (Chinese pages) and see the day's list: deliveries, notices
    to deliver, calls; an anonymous visitor is sent to the login page."""
    from wuye.web.demo import prepare_demo

    prepare_demo(on=__import__("datetime").date(2026, 11, 2), units=120, actor="demo")
    assert client.get("/today/").status_code == 302  # to /login/
    page = client.post("/login/", {"username": "demo-assistant", "password": "demo-assistant"})
    assert page.status_code == 302 and page["Location"] == "/today/"
    html = client.get("/today/?on=2026-11-02").content.decode()
    for heading in ["今日工作", "待派送催繳通知書（E2）", "電話催收（R2）", "待審批", "上報（G1）"]:
        assert heading in html
    assert client.get("/today/?on=bad").status_code == 400
    # once the assistant has signed for the day's notices they are on the list to deliver
    from wuye.dunning.notices import handover_notices

    [first, *_] = handover_notices(on=__import__("datetime").date(2026, 11, 2),
                                   signed_by="demo-assistant", actor="demo-assistant")  # fmt: skip
    assert first not in html
    assert first in client.get("/today/?on=2026-11-02").content.decode()
    call = (
        Notice.objects.filter(action="call", status="open")
        .order_by("project__code", "account__unit__code")
        .select_related("account__unit")
    )
    assert call.first().account.unit.code in html  # R2: the call tasks
