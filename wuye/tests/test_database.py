"""The suite runs twice in CI, on SQLite and on PostgreSQL; this proves which one ran."""

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_suite_runs_on_the_database_ci_asked_for():
    expected = os.environ.get("WUYE_EXPECT_VENDOR")
    if expected is None:
        pytest.skip("WUYE_EXPECT_VENDOR not set (a developer's ad-hoc run)")
    assert connection.vendor == expected
