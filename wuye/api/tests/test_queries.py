"""A list page costs the same number of queries however many rows it holds (issue 6:
select_related, prefetches and SQL sums, no per-row queries; cursor pages, no COUNT(*))."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.services import run_dunning
from wuye.payments.services import record_payment
from wuye.testing.factories import office_account

D = dt.date
LISTS = [
    ("/api/v1/projects/", {}),
    ("/api/v1/units/", {"on": "2026-03-14"}),
    ("/api/v1/accounts/", {"on": "2026-03-14"}),
    ("/api/v1/accounts/", {"on": "2026-03-14", "in_arrears": "true", "q": "HT"}),
    ("/api/v1/bills/", {"project": "HT"}),
    ("/api/v1/payments/", {}),
    ("/api/v1/notices/", {}),
]


def grow(office, count: int) -> None:
    """`count` more HT clients with a March bill signed for, a notice and a part payment."""
    accounts = [office_account(start=D(2026, 1, 1)) for _ in range(count)]
    issue_bills_for_project(project=office.ht, period=Period.parse("2026-03"),
                            on=D(2026, 3, 2), actor="fin-li")  # fmt: skip
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    for account in accounts:
        record_delivery(number=account.bills.get().number, on=D(2026, 3, 3), staff="cs-wang",
                        signed_by="陳經理")  # fmt: skip
    run_dunning(as_of=D(2026, 3, 14), actor="fin-li", project_code="HT")
    for account in [office.a1, *accounts]:
        record_payment(account=account, amount=Decimal("100.00"), on=D(2026, 3, 14),
                       actor="fin-li")  # fmt: skip


def rows_and_queries(client, path, params) -> tuple[int, int]:
    data, queries = rows_and_queries_plain(client, path, params)
    return len(data["results"]), queries


@pytest.mark.parametrize(("path", "params"), LISTS)
def test_a_list_page_takes_the_same_queries_for_more_rows(finance, office, path, params):
    grow(office, 1)
    few, queries = rows_and_queries(finance, path, params)
    grow(office, 4)
    many, more_queries = rows_and_queries(finance, path, params)
    assert many > few or path == "/api/v1/projects/"
    assert more_queries == queries


def test_the_statement_and_tasks_take_the_same_queries_for_more_rows(finance, office):
    """The statement per account and the day's lists per project, not per row."""
    grow(office, 1)
    path = f"/api/v1/accounts/{office.a1.pk}/statement/"
    _, statement = rows_and_queries_plain(finance, path, {"on": "2026-03-14"})
    _, tasks = rows_and_queries_plain(finance, "/api/v1/tasks/", {"on": "2026-03-14"})
    grow(office, 4)
    assert rows_and_queries_plain(finance, path, {"on": "2026-03-14"})[1] == statement
    assert rows_and_queries_plain(finance, "/api/v1/tasks/", {"on": "2026-03-14"})[1] == tasks


def rows_and_queries_plain(client, path, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    if "results" in response.json():  # cursor pages: no COUNT(*) over the rows listed
        counted = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
        # (the number of projects, to know whether the user sees them all, is counted)
        assert all(sql.rstrip().endswith('FROM "properties_project"') for sql in counted)
    return response.json(), len(queries)
