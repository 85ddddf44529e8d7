"""Notifications to roles: a row per message and recipient role, read once.

Until logins exist (a later issue maps roles to people per project), everyone acting in
a role sees that role's notifications; `read` records who read one and when.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from wuye.approvals.models import Notification, Role
from wuye.errors import NotFound, WuyeError
from wuye.properties.models import Project


def check_role(role: str) -> str:
    if role not in Role.values:
        raise WuyeError(
            "invalid_role",
            f"--role: '{role}' is not one of {', '.join(Role.values)}",
            f"--role：「{role}」無效",
        )
    return role


def notify(
    *, role: str, project: Project, subject: str, on: dt.date, body: str = "", bill=None,
    approval=None, error_report=None,
) -> Notification:  # fmt: skip
    """Tell everyone in `role` (in the caller's transaction)."""
    return Notification.objects.create(
        recipient_role=check_role(role), project=project, subject=subject[:200], body=body,
        bill=bill, approval=approval, error_report=error_report, created_on=on,
        created_at=timezone.now(),
    )  # fmt: skip


def mark_read(notification_id: int, *, on: dt.date, actor: str) -> Notification:
    """Record who read a notification and when; reading it again changes nothing."""
    with transaction.atomic():
        row = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if row is None:
            raise NotFound("notification", str(notification_id))
        if row.read_on is None:
            if on < row.created_on:
                raise WuyeError(
                    "invalid_date",
                    f"--on: {on} is before the notification ({row.created_on})",
                    f"日期 {on} 早於通知日期 {row.created_on}",
                )
            Notification.objects.filter(pk=row.pk).update(read_on=on, read_by=actor)
            row.refresh_from_db()
    return row
