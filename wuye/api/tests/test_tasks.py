"""The day's worklists through the API (issue 6): the same selectors as the staff pages'
today's list (A1 hand-overs, C1/E3 deliveries, E3 notices, R2 calls), only for the
user's projects."""

import pytest

from wuye.api.tests.conftest import ON, assert_error
from wuye.dunning.models import Notice
from wuye.dunning.notices import handover_notices


def tasks(client, **params):
    response = client.get("/api/v1/tasks/", {"on": "2026-03-13", **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_days_lists_for_the_users_project(assistant, office):
    data = tasks(assistant, at="08:30")
    assert (data["on"], data["at"]) == ("2026-03-13", "08:30")
    assert data["counts"] == {"handover": 1, "delivery": 1, "notice": 0, "call": 0}
    # A1: the notice issued this morning waits to be signed for; before 09:00 not late
    [handover] = data["handovers"]
    assert (handover["project"], handover["bills"], handover["notices"]) == ("HT", 0, 1)
    assert handover["late"] is False
    # C1: nobody was at a2's office on 3 March; still undelivered at the end of that day
    [delivery] = data["deliveries"]
    assert delivery["bill"] == office.bill(office.a2).number
    assert (delivery["attempts"], delivery["last_result"]) == (1, "nobody_present")
    assert delivery["undelivered_end_of_day"] is True
    assert data["notices"] == [] and data["calls"] == []


def test_a_handover_after_the_projects_time_is_late(assistant):
    [handover] = tasks(assistant, at="09:30", kind="handover")["handovers"]
    assert handover["late"] is True  # A1: after 09:00


def test_one_kind_only_and_notices_once_signed_for(assistant, office):
    handover_notices(on=ON, signed_by="cs-wang", actor="cs-wang", project_code="HT")
    data = tasks(assistant, kind="notice")
    assert set(data) == {"on", "at", "counts", "notices"}
    [row] = data["notices"]
    assert row["notice"] == Notice.objects.get(account=office.a1).number
    assert (row["total"], row["attempts"], row["project"]) == ("2503.75", 0, "HT")


def test_a_long_list_comes_in_slices_with_its_count(assistant):
    data = tasks(assistant, kind="delivery", limit=1, offset=1)
    assert data["counts"] == {"delivery": 1} and data["deliveries"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"kind": "visits"}, "kind"), ({"on": "2026-3-13x"}, "on"), ({"at": "25:00"}, "at"),
     ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"offset": "-1"}, "offset")],
)  # fmt: skip
def test_bad_parameters_are_a_400_naming_them(assistant, params, field):
    assert_error(assistant.get("/api/v1/tasks/", params), 400, "invalid", field)


def test_another_projects_tasks_are_not_shown(other, office):
    data = tasks(other)
    assert [h["project"] for h in data["handovers"]] == ["HX"]
    assert data["deliveries"] == []  # a2's bill is HT's
    assert_error(other.get("/api/v1/tasks/", {"on": "2026-03-13", "project": "HT"}), 404)
