"""Reading the audit log (issue 8)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from wuye.audit.models import AuditEvent


def events(
    *, table: str | None = None, since: dt.date | None = None, limit: int | None = None
) -> QuerySet[AuditEvent]:
    """Newest first; `since` is a date (UTC, from its start)."""
    qs = AuditEvent.objects.order_by("-id")
    if table:
        qs = qs.filter(table=table)
    if since:
        qs = qs.filter(at__gte=dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC))
    return qs[:limit] if limit else qs
