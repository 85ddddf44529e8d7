"""The dunning run screen and the day's notices as one PDF (issue 6; rules E2, G1 and
RULES.md "Who may do what": running the dunning run and trimming its proposal is for
finance or a supervisor).

Office accounts of 133 m² at 25.00 (a bill of 3,325.00) issued, signed for and delivered
on Mon 2 March 2026, due Mon 9 March (E1); on Thu 12 March they are 3 days overdue and
the office ladder issues the 1st 催繳通知書 (E2)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import DunningRun, Notice, ProposalLine
from wuye.testing.factories import (
    BuildingFactory,
    ProjectFactory,
    UnitFactory,
    office_account,
    staff,
)

D = dt.date
ISSUED = D(2026, 3, 2)
FIRST_NOTICE = D(2026, 3, 12)


def overdue_accounts(count: int = 1, *, project=None):
    """`count` office accounts of one project with a March bill delivered on 2 March."""
    project = project or ProjectFactory(code="HT")
    building = BuildingFactory(project=project, code="T1")
    accounts = [
        office_account(
            start=D(2026, 1, 1), unit=UnitFactory(building=building, area=Decimal("133.00"))
        )
        for _ in range(count)
    ]
    issue_bills_for_project(project=project, period=Period.parse("2026-03"), on=ISSUED, actor="f")
    handover_bills(on=ISSUED, signed_by="cs", actor="cs", project_code=project.code)
    for account in accounts:
        record_delivery(
            number=account.bills.get().number, on=ISSUED, staff="cs", signed_by="張三",
            relation="行政經理",
        )  # fmt: skip
    return accounts


def preview(client, on: dt.date, project: str = "HT"):
    return client.get(reverse("dunning-run"), {"project": project, "on": on.isoformat()})


def run(client, on: dt.date, project: str = "HT", **extra):
    data = {"project": project, "on": on.isoformat(), **extra}
    return client.post(reverse("dunning-run"), data)


@pytest.fixture
def finance(db, client):
    accounts = overdue_accounts(2)
    user = staff("fin-li", "finance", accounts[0].project)
    client.force_login(user)
    return accounts


def test_preview_writes_nothing_then_running_issues_what_it_listed(client, finance):
    """E2: the preview is the dry run (nothing written); 執行 issues exactly the lines it
    showed, and the result page counts them and links to the print."""
    response = preview(client, FIRST_NOTICE)
    assert response.status_code == 200
    listed = sorted(
        (line.account.unit.code, line.step.position, line.arrears)
        for line in response.context["page"]
    )
    assert [unit for unit, _, _ in listed] == sorted(a.unit.code for a in finance)
    assert {level for _, level, _ in listed} == {1}
    assert all(str(amount) == "3325.00" for _, _, amount in listed)
    html = response.content.decode()
    assert "第一次催繳通知書" in html and "3,325.00" in html
    assert Notice.objects.count() == 0
    assert DunningRun.objects.count() == 0 and ProposalLine.objects.count() == 0

    response = run(client, FIRST_NOTICE)
    assert response.status_code == 302
    issued = sorted(
        (n.account.unit.code, n.level, n.principal)
        for n in Notice.objects.select_related("account__unit")
    )
    assert issued == listed
    run_ = DunningRun.objects.get()
    assert run_.executed_by == "fin-li" and run_.notices_created == 2
    assert response["Location"] == reverse("dunning-result", args=[run_.pk])

    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "共發出 2 項" in text
    assert f"{reverse('notices-pdf')}?project=HT&amp;on=2026-03-12" in text


def test_a_second_run_the_same_day_adds_nothing(client, finance):
    """E2: a rerun for the same date issues nothing more (the service's idempotency)."""
    run(client, FIRST_NOTICE)
    assert preview(client, FIRST_NOTICE).context["total"] == 0
    run(client, FIRST_NOTICE)
    assert Notice.objects.count() == 2


def test_a_line_ticked_in_the_preview_is_left_out_with_its_reason(client, finance):
    """Staff trim the proposal: the excluded account gets no notice; the line keeps the
    reason and who excluded it. Without a reason nothing is written (400)."""
    kept, left_out = finance
    response = run(client, FIRST_NOTICE, exclude=[left_out.unit.code])
    assert response.status_code == 400
    assert "排除帳戶須填寫原因" in response.content.decode()
    assert DunningRun.objects.count() == 0 and Notice.objects.count() == 0

    response = run(client, FIRST_NOTICE, exclude=["HT-T9-9999"], reason="不在建議內")
    assert response.status_code == 400  # the service's refusal; the whole run rolled back
    assert "中沒有單位 HT-T9-9999 的帳戶" in response.content.decode()
    assert DunningRun.objects.count() == 0 and Notice.objects.count() == 0

    response = run(client, FIRST_NOTICE, exclude=[left_out.unit.code], reason="業主已承諾週五付款")
    assert response.status_code == 302
    assert list(Notice.objects.values_list("account_id", flat=True)) == [kept.pk]
    line = ProposalLine.objects.get(account=left_out)
    assert line.excluded and line.exclude_reason == "業主已承諾週五付款"
    assert line.excluded_by == "fin-li"
    page = client.get(response["Location"]).content.decode()
    assert "已排除：業主已承諾週五付款" in page


@pytest.mark.parametrize("role", ["collector", "assistant"])
def test_only_finance_or_a_supervisor_may_run_it(client, db, role):
    """RULES.md: running the dunning run is for finance or a supervisor; others get 403
    and nothing is written."""
    (account,) = overdue_accounts(1)
    client.force_login(staff("someone", role, account.project))
    assert preview(client, FIRST_NOTICE).status_code == 403
    assert run(client, FIRST_NOTICE).status_code == 403
    assert client.get(reverse("dunning-run")).status_code == 403
    assert Notice.objects.count() == 0 and DunningRun.objects.count() == 0


def test_a_supervisor_may_run_it(client, db):
    (account,) = overdue_accounts(1)
    client.force_login(staff("sup", "supervisor", account.project))
    assert run(client, FIRST_NOTICE).status_code == 302
    assert Notice.objects.count() == 1


def test_a_date_before_the_last_run_is_refused_with_the_reason(client, finance):
    """E2: a run for a date earlier than the project's last executed run is refused: 400
    with the service's message, nothing written."""
    run(client, FIRST_NOTICE)
    earlier = FIRST_NOTICE - dt.timedelta(days=1)
    for response in (run(client, earlier), preview(client, earlier)):
        assert response.status_code == 400
        assert "已執行 2026-03-12 的催繳，不能執行較早的 2026-03-11" in response.content.decode()
    assert DunningRun.objects.count() == 1 and Notice.objects.count() == 2


def test_another_projects_run_is_not_found(client, finance):
    """A user of HT learns nothing about LY: 404 for its code, its runs and its notices."""
    ly = ProjectFactory(code="LY", name="麗苑")
    overdue_accounts(1, project=ly)
    assert preview(client, FIRST_NOTICE, project="LY").status_code == 404
    assert run(client, FIRST_NOTICE, project="LY").status_code == 404
    boss = staff("boss", "finance", ly)
    client.force_login(boss)
    run(client, FIRST_NOTICE, project="LY")
    ly_run = DunningRun.objects.get(project=ly)
    client.force_login(staff("other", "finance", finance[0].project))
    assert client.get(reverse("dunning-result", args=[ly_run.pk])).status_code == 404
    pdf = client.get(reverse("notices-pdf"), {"project": "LY", "on": "2026-03-12"})
    assert pdf.status_code == 404


def test_bad_input_is_shown_on_the_form(client, finance):
    response = client.get(reverse("dunning-run"), {"project": "HT", "on": "12/03/2026"})
    assert response.status_code == 400
    assert "運行日期" in response.content.decode()


def test_the_preview_reads_a_fixed_number_of_queries(client, db):
    """The preview is set-based: three accounts take no more queries than one."""
    ht = ProjectFactory(code="HT")
    client.force_login(staff("fin", "finance", ht, ProjectFactory(code="LY")))
    overdue_accounts(1)
    with CaptureQueriesContext(connection) as one:
        assert preview(client, FIRST_NOTICE).context["total"] == 1
    overdue_accounts(3, project=ProjectFactory(code="LY"))
    with CaptureQueriesContext(connection) as three:
        assert preview(client, FIRST_NOTICE, project="LY").context["total"] == 3
    assert len(three) <= len(one)


def _pdftext(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (Debian package poppler-utils) is missing: run scripts/setup")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        done = subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, check=True
        )
    return done.stdout


def _leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("wuye-notices-*")}


def test_the_days_notices_download_as_one_pdf(client, finance):
    """E2: the day's notices as one A4 PDF (the renderer of `wuye notices pdf`), an
    attachment with a sensible name; the temporary file is gone afterwards."""
    run(client, FIRST_NOTICE)
    numbers = sorted(Notice.objects.values_list("number", flat=True))
    before = _leftovers()
    response = client.get(reverse("notices-pdf"), {"project": "HT", "on": "2026-03-12"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="notices-HT-2026-03-12.pdf"'
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF")
    text = _pdftext(data)
    for number in numbers:
        assert number in text
    assert _leftovers() == before


def test_a_day_without_notices_is_a_clear_400(client, finance):
    response = client.get(reverse("notices-pdf"), {"project": "HT", "on": "2026-03-11"})
    assert response.status_code == 400
    assert "沒有發出須列印的催繳通知書" in response.content.decode()
