"""The dunning run through the API (issue 6; rules E2, G1): the preview is the dry run of
`wuye dunning run` and writes nothing; the run issues what is due. Both are for finance
and supervisors of the project (403 for others, 404 for another project's)."""

import pytest

from wuye.api.tests.conftest import ON, assert_error, client_for
from wuye.dunning.models import DunningRun, Notice, ProposalLine
from wuye.dunning.notices import deliver_notice, handover_notices
from wuye.ledger.models import Entry
from wuye.testing.factories import staff


def written() -> tuple[int, int, int, int]:
    return (DunningRun.objects.count(), ProposalLine.objects.count(), Notice.objects.count(),
            Entry.objects.count())  # fmt: skip


@pytest.fixture
def delivered(office):
    """a1's 1st notice was signed for on 13 March: the 2nd is due 7 days overdue (E2)."""
    handover_notices(on=ON, signed_by="cs-wang", actor="cs-wang", project_code="HT")
    number = Notice.objects.get(account=office.a1).number
    deliver_notice(number=number, on=ON, staff="cs-wang", signed_by="陳經理", relation="行政經理")
    return office


def test_the_preview_shows_what_the_run_would_do_and_writes_nothing(finance, delivered):
    before = written()
    response = finance.post("/api/v1/dunning/preview/", {"project": "HT", "on": "2026-03-17"},
                            format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["dry_run"], data["proposal"], data["project"]) == (True, None, "HT")
    [line] = data["lines"]
    assert line["account"] == delivered.a1.code and line["level"] == 2  # E2: the 2nd
    assert (line["arrears"], line["days_overdue"]) == ("2500.00", 7)
    assert written() == before


def test_the_run_issues_the_notices_then_a_rerun_adds_nothing(finance, delivered):
    body = {"project": "HT", "on": "2026-03-17"}
    response = finance.post("/api/v1/dunning/run/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["dry_run"] is False and data["status"] == "executed" and data["proposal"]
    assert data["notices_created"] == 1
    assert [(x["level"], x["outcome"]) for x in data["lines"]] == [(2, "issued")]
    assert Notice.objects.filter(account=delivered.a1, level=2).count() == 1
    again = finance.post("/api/v1/dunning/run/", body, format="json").json()
    assert again["notices_created"] == 0 and again["lines"] == []  # run twice, nothing new


def test_a_supervisor_may_run_it_too(delivered):
    supervisor = client_for(staff("sup", "supervisor", delivered.ht))
    response = supervisor.post("/api/v1/dunning/run/", {"project": "HT", "on": "2026-03-17"},
                               format="json")  # fmt: skip
    assert response.status_code == 201


def test_a_run_for_a_date_before_the_last_one_is_a_409_and_writes_nothing(finance, office):
    """The fixture ran HT on 13 March: 12 March is refused (the service's rule)."""
    before = written()
    for path in ("/api/v1/dunning/preview/", "/api/v1/dunning/run/"):
        response = finance.post(path, {"project": "HT", "on": "2026-03-12"}, format="json")
        data = assert_error(response, 409, "run_before_latest")
        assert "2026-03-13" in data["message"] and data["message_zh"] != data["message"]
    assert written() == before


@pytest.mark.parametrize("path", ["/api/v1/dunning/preview/", "/api/v1/dunning/run/"])
@pytest.mark.parametrize(
    ("body", "field"),
    [({"on": "2026-03-17"}, "project"), ({"project": "HT"}, "on"),
     ({"project": "HT", "on": "17.3.2026"}, "on"), ({"project": "", "on": "2026-03-17"}, "project")],
)  # fmt: skip
def test_bad_input_is_a_400_and_nothing_is_written(finance, office, path, body, field):
    before = written()
    assert_error(finance.post(path, body, format="json"), 400, "invalid", field)
    assert written() == before


@pytest.mark.parametrize("path", ["/api/v1/dunning/preview/", "/api/v1/dunning/run/"])
def test_a_collector_may_not_run_dunning(collector, office, path):
    before = written()
    response = collector.post(path, {"project": "HT", "on": "2026-03-17"}, format="json")
    assert_error(response, 403, "forbidden")
    assert written() == before


@pytest.mark.parametrize("path", ["/api/v1/dunning/preview/", "/api/v1/dunning/run/"])
def test_another_projects_run_is_404(other, office, path):
    before = written()
    response = other.post(path, {"project": "HT", "on": "2026-03-17"}, format="json")
    assert_error(response, 404, "not_found")
    assert written() == before


def test_get_is_not_allowed(finance):
    assert_error(finance.get("/api/v1/dunning/run/"), 405, "method_not_allowed")
