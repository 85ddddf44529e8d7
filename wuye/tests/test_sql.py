"""`wuye.sql.InIds`: a long id list bound as one parameter (an array on PostgreSQL, a JSON
array on SQLite) selects exactly what `__in` selects, through joins too."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wuye.properties.models import Account, Customer
from wuye.sql import InIds


@pytest.fixture
def accounts(db):
    from wuye.testing.factories import AccountFactory

    return AccountFactory.create_batch(12)


def test_in_ids_selects_what_in_selects(accounts):
    ids = [a.pk for a in accounts[::3]] + [10**9]  # one unknown id
    assert (
        set(Account.objects.filter(InIds("pk", ids)).values_list("pk", flat=True))
        == set(Account.objects.filter(pk__in=ids).values_list("pk", flat=True))
        == {a.pk for a in accounts[::3]}
    )
    assert not Account.objects.filter(InIds("pk", [])).exists()


def test_in_ids_follows_a_join_and_binds_one_parameter(accounts):
    customers = sorted({a.customer_id for a in accounts})[:5]
    with CaptureQueriesContext(connection) as queries:
        found = set(
            Account.objects.filter(InIds("customer__pk", customers)).values_list("pk", flat=True)
        )
    assert found == {a.pk for a in accounts if a.customer_id in customers}
    assert " IN (%s" not in queries[0]["sql"] and "%s, %s" not in queries[0]["sql"]
    assert Customer.objects.filter(InIds("pk", customers)).count() == len(customers)
