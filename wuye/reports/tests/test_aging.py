"""M4: the aging report (賬齡) is the monthly arrears list's rows summed by the age of
each account's oldest open overdue debt, computed in one query instead of row by row."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wuye.demo.services import make_demo_data
from wuye.dunning.services import run_dunning
from wuye.money import ZERO
from wuye.properties.models import Building, Project
from wuye.reports.selectors import aging, arrears_list

ON = dt.date(2026, 10, 31)


def _from_the_list(project, as_of, **narrowing) -> dict:
    counts, totals, late = Counter(), {}, {}
    for row in arrears_list(project=project, as_of=as_of, **narrowing).rows:
        counts[row.age] += 1
        totals[row.age] = totals.get(row.age, ZERO) + row.total
        late[row.age] = late.get(row.age, ZERO) + row.late_fee
    return {label: (counts[label], totals.get(label, ZERO), late.get(label, ZERO))
            for label in counts}  # fmt: skip


def _from_aging(project, as_of, **narrowing) -> dict:
    return {
        b.label: (b.accounts, b.total, b.late_fee)
        for b in aging(project=project, as_of=as_of, **narrowing)
        if b.accounts
    }


@pytest.mark.django_db
def test_aging_equals_the_arrears_list_summed_by_age():
    """M4: given three months of demo history with late fees and payments; when the aging
    report is read on several days, per project, per building and per segment; then each
    bucket holds the accounts, amounts and late fees of the arrears list's rows of that
    age, to the 分."""
    make_demo_data(
        units=240, seed=5, on=ON, actor="demo",
        history_from=dt.date(2026, 7, 1), history_until=ON,
    )  # fmt: skip
    run_dunning(as_of=ON, actor="demo")  # posts the day's late fees (L1)
    checked, ages = 0, set()
    for project in Project.objects.order_by("code"):
        building = Building.objects.filter(project=project).order_by("code").first()
        for as_of in (dt.date(2026, 8, 20), dt.date(2026, 9, 30), ON):
            for narrowing in ({}, {"building": building.code}, {"segment": "residential"}):
                expected = _from_the_list(project, as_of, **narrowing)
                assert _from_aging(project, as_of, **narrowing) == expected
                checked += sum(count for count, _, _ in expected.values())
                ages |= set(expected)
    assert checked > 100  # the comparison covered many accounts in arrears
    assert len(ages) >= 2  # and several ages
    buckets = aging(project=Project.objects.get(code="CY"), as_of=ON)
    assert sum(b.late_fee for b in buckets) > Decimal("0")


@pytest.mark.django_db
def test_aging_is_one_query_whatever_the_number_of_accounts():
    """Set-based (issue 7): the report is one query (plus the policy's buckets)."""
    make_demo_data(
        units=60, seed=5, on=ON, actor="demo",
        history_from=dt.date(2026, 8, 1), history_until=ON,
    )  # fmt: skip
    project = Project.objects.get(code="CY")
    aging(project=project, as_of=ON)  # policies cached
    with CaptureQueriesContext(connection) as queries:
        buckets = aging(project=project, as_of=ON)
    assert sum(b.accounts for b in buckets) > 0
    assert len(queries) <= 3
