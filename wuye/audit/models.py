"""The audit log (issue 8; RULES.md "Who may do what": administrator changes are audited).

Append-only: an event is written once and sealed once (its place `seq` in the hash chain
and its `chain` hash), never changed or deleted otherwise. The model refuses it, the admin
shows events read-only, and database triggers (migration 0001, wuye.audit.triggers)
refuse UPDATE and DELETE on this table and on the ledger (`ledger_entry`) for any client.

Money is audited by the database itself: ledger rows are written set-based (COPY,
INSERT … SELECT, bulk_create), so a trigger on `ledger_entry` records every insert (one
event per statement on PostgreSQL, per row on SQLite). Configuration changes (policies,
templates, fee items, calendars, memberships, users, groups, permissions) are recorded by
signals with their before and after values (wuye.audit.signals).
"""

from __future__ import annotations

from django.db import models

from wuye.errors import WuyeError


class AppendOnly(WuyeError):
    def __init__(self, what: str):
        super().__init__(
            "audit_append_only",
            f"the audit log is append-only: an event cannot be {what}",
            f"稽核紀錄只能新增，不能{'修改' if what == 'changed' else '刪除'}",
        )


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("changed")

    def delete(self):
        raise AppendOnly("deleted")


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "刪除"
        INSERT = "insert", "寫入帳目"
        BASELINE = "baseline", "既有帳目"
        GRANT = "grant", "授予"
        REVOKE = "revoke", "撤銷"
        EXPORT = "export", "匯出"

    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=Action.choices)
    table = models.CharField(max_length=100, db_column="table_name", db_index=True)
    object_id = models.CharField(max_length=100, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # set once, by wuye.audit.services.seal, in sealing order (not id order: on PostgreSQL
    # a lower id can commit after a higher one)
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    chain = models.CharField(max_length=64, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "稽核紀錄"
        verbose_name_plural = "稽核紀錄"
        indexes = [
            models.Index(
                fields=["id"], name="audit_unsealed", condition=models.Q(seq__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.table} {self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("deleted")
