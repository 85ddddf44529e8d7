"""Set-based look-ups and writes (issue 3, STYLE §6): the number of queries an import
makes does not grow with the number of rows in the file."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wuye.billing.models import Bill
from wuye.imports.tests.helpers import DATA, run, write_json
from wuye.properties.models import Organisation, Unit

pytestmark = pytest.mark.django_db


def data_set(project: str, units: int) -> dict:
    """A project with `units` units, each with its payer, contact, account, two-line
    contract, supplied amount and opening balance."""
    numbers = [f"{n:04d}" for n in range(1, units + 1)]
    codes = [f"{project}-T1-{n}" for n in numbers]
    customers = [f"{project}{n}" for n in numbers]
    pairs = list(zip(codes, customers, strict=True))
    return {
        "projects": [dict(DATA["projects"][0], project_code=project)],
        "units": [dict(DATA["units"][0], project_code=project, number=n) for n in numbers],
        "customers": [dict(DATA["customers"][0], customer_code=c) for c in customers],
        "contacts": [dict(DATA["contacts"][0], customer_code=c) for c in customers],
        "accounts": [dict(DATA["accounts"][0], unit_code=u, customer_code=c) for u, c in pairs],
        "contracts": [
            dict(line, unit_code=u, customer_code=c)
            for u, c in pairs
            for line in DATA["contracts"][:2]
        ],
        "supplied_amounts": [dict(DATA["supplied_amounts"][0], unit_code=u) for u in codes],
        "opening_balances": [dict(DATA["opening_balances"][0], unit_code=u) for u in codes],
    }


def queries(path) -> int:
    with CaptureQueriesContext(connection) as captured:
        run(path)
    return len(captured)


def test_importing_more_rows_takes_no_more_queries(tmp_path):
    """Issue 3: look-ups are set-based and writes are bulk, never one query per row.
    Given a project with 3 units and another with 40, each with all their data (40 rows
    fit one batch of the widest bulk insert on SQLite, whose batches hold 999 values),
    when each file is imported and then imported again,
    then the 40-unit file takes as many queries as the 3-unit one, both times."""
    small = write_json(tmp_path, data_set("AA", 3), name="small.json")
    large = write_json(tmp_path, data_set("BB", 40), name="large.json")
    Organisation.objects.create(code="WY", name="物業公司")  # else the first makes one

    first = (queries(small), queries(large))
    again = (queries(small), queries(large))

    assert first[0] == first[1]
    assert again[0] == again[1]
    assert Unit.objects.count() == 43
    assert Bill.objects.filter(source="opening").count() == 43
