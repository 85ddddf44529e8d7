"""Reads of the outbox."""

from __future__ import annotations

from wuye.errors import NotFound, WuyeError
from wuye.messaging.models import Message
from wuye.properties.models import Project


def messages(*, status: str | None = None, project_code: str | None = None):
    rows = Message.objects.select_related("project", "account", "notice").order_by("id")
    if status:
        if status not in Message.Status.values:
            raise WuyeError(
                "invalid_status",
                f"status '{status}' is not one of {', '.join(Message.Status.values)}",
                f"狀態「{status}」無效",
            )
        rows = rows.filter(status=status)
    if project_code:
        if not Project.objects.filter(code=project_code).exists():
            raise NotFound("project", project_code)
        rows = rows.filter(project__code=project_code)
    return rows


def message_dict(m: Message) -> dict:
    return {
        "id": m.pk,
        "project": m.project.code,
        "account": m.account.code,
        "notice": m.notice.number if m.notice_id else None,
        "broadcast": m.broadcast_id,
        "channel": m.channel,
        "recipient": m.recipient,
        "subject": m.subject,
        "body": m.body,
        "idempotency_key": m.idempotency_key,
        "status": m.status,
        "attempts": m.attempts,
        "next_attempt_at": m.next_attempt_at,
        "last_error": m.last_error,
        "provider_message_id": m.provider_message_id,
        "queued_at": m.queued_at,
        "sent_at": m.sent_at,
        "delivered_at": m.delivered_at,
        "reviewed_by": m.reviewed_by or None,
        "reviewed_at": m.reviewed_at,
        "resolution": m.resolution or None,
    }
