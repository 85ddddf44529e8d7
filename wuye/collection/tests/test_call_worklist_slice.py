"""The caller's list a page at a time (issue 6): `call_worklist_slice` gives the count
and the rows [start, stop) of `call_worklist` (R2), reading details for those rows only;
`by_project` keeps each project's own order, one project after another."""

import datetime as dt

import pytest

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.collection.selectors import call_worklist, call_worklist_slice
from wuye.collection.tests.scenario import CALL_DAY, calls_and_visits_policy
from wuye.dates import Period
from wuye.dunning.services import run_dunning
from wuye.testing.factories import (
    BuildingFactory,
    ProjectFactory,
    UnitFactory,
    office_account,
)

D = dt.date


@pytest.fixture
def five_callers(db):
    calls_and_visits_policy()
    projects = [ProjectFactory(code="HX"), ProjectFactory(code="HA")]
    for i in range(5):
        building = BuildingFactory(project=projects[i % 2], code=f"B{i}")
        office_account(start=D(2026, 1, 1), dunning_policy="calls-visits",
                       unit=UnitFactory(building=building))  # fmt: skip
    for project in projects:
        issue_bills_for_project(project=project, period=Period.parse("2026-03"),
                                on=D(2026, 3, 2), actor="fin")  # fmt: skip
    for batch in handover_bills(on=D(2026, 3, 2), signed_by="cs", actor="cs"):
        for bill in batch.bills.all():
            record_delivery(number=bill.number, on=D(2026, 3, 2), staff="cs",
                            signed_by="張三", relation="本人")  # fmt: skip
    run_dunning(as_of=CALL_DAY, actor="fin")
    return projects


def test_a_slice_is_the_same_rows_as_the_whole_list(five_callers):
    whole = call_worklist(on=CALL_DAY, at=dt.time(10, 0))
    assert len(whole) == 5
    for start, stop in [(0, 2), (2, 4), (4, 50), (6, 8)]:
        count, rows = call_worklist_slice(on=CALL_DAY, start=start, stop=stop, at=dt.time(10, 0))
        assert (count, rows) == (5, whole[start:stop])


def test_by_project_keeps_each_projects_order(five_callers):
    count, rows = call_worklist_slice(on=CALL_DAY, start=0, stop=10, by_project=True)
    expected = []
    for project in sorted(five_callers, key=lambda p: p.code):
        expected += call_worklist(on=CALL_DAY, project_code=project.code)
    assert (count, rows) == (5, expected)


def test_a_long_list_is_found_by_its_queries_with_the_same_rows(five_callers, monkeypatch):
    """Past SHORT_LIST accounts the list is read by the queries that found them (one
    semi-join on the UNION of call tasks and broken promises, issue 7), not by ids."""
    from wuye.collection import selectors

    short = call_worklist(on=CALL_DAY, at=dt.time(10, 0))
    monkeypatch.setattr(selectors, "SHORT_LIST", 2)
    assert call_worklist(on=CALL_DAY, at=dt.time(10, 0)) == short
    assert call_worklist_slice(on=CALL_DAY, start=0, stop=50) == (5, call_worklist(on=CALL_DAY))
