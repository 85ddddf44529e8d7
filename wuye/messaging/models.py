"""Messages (短信, 電郵) through an outbox: rules R1 (reminder messages), M5 (information
campaigns) and the Channels section of issue 5.

A message is written to the outbox first (`Message`, status queued) and a sender takes
it from there. Each message carries an idempotency key the gateway sees, so a resend
after an unknown outcome cannot reach the client twice. Every status change goes
through `services.transition` and leaves a `MessageEvent` row.
"""

from __future__ import annotations

from django.db import models

from wuye.dunning.models import Notice
from wuye.properties.models import Account, Building, Project


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    EMAIL = "email", "電郵"


class Broadcast(models.Model):
    """M5: one information message to every owner of a project (or one building)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    building = models.ForeignKey(Building, null=True, blank=True, on_delete=models.PROTECT)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    on = models.DateField()
    messages_created = models.IntegerField(default=0)
    skipped_no_contact = models.IntegerField(default=0)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "待發送"
        SENDING = "sending", "發送中"
        SENT = "sent", "已發送"
        DELIVERED = "delivered", "已送達"
        FAILED = "failed", "失敗"
        UNKNOWN = "unknown", "結果不明（待覆核）"
        CANCELLED = "cancelled", "已取消"

    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="messages")
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    broadcast = models.ForeignKey(
        Broadcast, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=200, blank=True, help_text="phone or e-mail address")
    subject = models.CharField(max_length=200, blank=True, help_text="e-mail only")
    body = models.TextField()
    idempotency_key = models.CharField(
        max_length=120, unique=True, help_text="sent to the gateway; one message per key"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="taken by a sender")
    last_error = models.CharField(max_length=500, blank=True)
    provider_message_id = models.CharField(max_length=120, blank=True)
    queued_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, blank=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["account", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.idempotency_key} ({self.status})"


class MessageEvent(models.Model):
    """A status change of a message: who, when, from what to what and why."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    note = models.CharField(max_length=500, blank=True)
