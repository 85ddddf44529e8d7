"""Fixtures of the collection tests (see scenario.py for the dates)."""

import pytest

from wuye.collection.tests.scenario import overdue_account


@pytest.fixture
def account(db):
    return overdue_account()
