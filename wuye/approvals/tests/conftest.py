import pytest

from wuye.approvals.tests.helpers import make_overdue_bill


@pytest.fixture
def bill(db):
    """A delivered March bill, 30 days overdue, with 42.50 of late fee on two lines."""
    return make_overdue_bill()
