"""Reports read from a replica (issue 7, docs/scaling.md "Read replicas for the reports").

With `WUYE_REPORTS_DATABASE_URL` set (a PostgreSQL streaming replica of the primary, or
any read-only copy of it), the reads made inside `reports_replica()` go to the database
alias `reports`: the monthly arrears list, aging, recovery and collection rates, the
dashboards. Everything else, and every write (also inside the block), stays on the
primary. Without the variable the block changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPORTS = "reports"
_reading_reports: ContextVar[bool] = ContextVar("wuye_reading_reports", default=False)


@contextmanager
def reports_replica() -> Iterator[None]:
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


class ReportsRouter:
    """Reads inside `reports_replica()` to the `reports` alias when it is configured."""

    def db_for_read(self, model, **hints):
        if _reading_reports.get() and REPORTS in settings.DATABASES:
            return REPORTS
        return None

    def db_for_write(self, model, **hints):
        return None  # the primary

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPORTS  # a replica follows the primary's schema; never migrated
