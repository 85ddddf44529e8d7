"""Configuration changes into the audit log (issue 8; RULES.md "Who may do what":
"change policies, templates, fee items, calendars, users | administrator (every change
audited)"): a snapshot before (pre_save) and after (post_save), the deleted row
(post_delete), and group and permission grants (m2m_changed). Password hashes are never
recorded, only that the password changed; a save that changes nothing recorded (a login's
`last_login`) writes no event."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_save

# app_label.ModelName: what the administrator configures (policies, templates on dunning
# steps and the FAQ, fee items, calendars, LPR rates, projects, memberships, users, groups)
AUDITED = [
    "policies.PolicySetting",
    "dunning.DunningPolicy",
    "dunning.DunningStep",
    "billing.FeeItem",
    "collection.FaqEntry",
    "workdays.CalendarYear",
    "workdays.CalendarDay",
    "legal.LprRate",
    "properties.Project",
    "web.Membership",
    "auth.User",
    "auth.Group",
]
SECRET = {"password"}
NOISE = {"last_login"}  # changes on every login: not a configuration change


def jsonable(value):
    if isinstance(value, Decimal):
        return str(value)  # amounts as strings
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


def snapshot(instance) -> dict:
    """The row's stored fields (foreign keys as ids), JSON-ready, without secrets."""
    return {
        field.attname: jsonable(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.name not in SECRET and field.name not in NOISE
    }


def label(obj) -> str:
    if obj._meta.label == "auth.Permission":
        return f"{obj.content_type.app_label}.{obj.codename}"
    if hasattr(obj, "get_username"):
        return obj.get_username()
    return str(obj)


def _before(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None or instance._state.adding:
        instance._audit_before = None
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = None if old is None else snapshot(old)
    instance._audit_secret = None if old is None else {f: getattr(old, f, None) for f in SECRET}


def _saved(sender, instance, created, raw=False, **kwargs):
    from wuye.audit.services import record

    if raw:  # fixtures and test snapshots reload rows as they were
        return
    before = None if created else getattr(instance, "_audit_before", None)
    after = snapshot(instance)
    old_secret = getattr(instance, "_audit_secret", None) or {}
    for name in SECRET:
        if hasattr(instance, name) and old_secret.get(name) != getattr(instance, name):
            after[name] = "(set)" if created else "(changed)"
    if not created and before == after:
        return
    record(
        action="create" if created or before is None else "update",
        table=sender._meta.db_table,
        object_id=instance.pk,
        before=before,
        after=after,
    )
    instance._audit_before = after


def _deleted(sender, instance, **kwargs):
    from wuye.audit.services import record

    record(
        action="delete", table=sender._meta.db_table, object_id=instance.pk,
        before=snapshot(instance), after=None,
    )  # fmt: skip


def _grants(sender, instance, action, reverse, model, pk_set, **kwargs):
    """A user's groups and permissions, a group's permissions (either side of the set)."""
    from wuye.audit.services import record

    if action == "pre_clear":
        manager = getattr(instance, _m2m_name(sender, instance))
        instance._audit_cleared = sorted(label(o) for o in manager.all())
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action == "post_clear":
        names = getattr(instance, "_audit_cleared", [])
    else:
        names = sorted(label(o) for o in model._base_manager.filter(pk__in=pk_set or []))
    if not names:
        return
    record(
        action="grant" if action == "post_add" else "revoke",
        table=sender._meta.db_table,
        object_id=instance.pk,
        before=None,
        after={instance._meta.model_name: label(instance), f"{model._meta.model_name}s": names},
    )


def _m2m_name(through, instance) -> str:
    for field in instance._meta.get_fields():
        remote = getattr(field, "remote_field", None)
        if field.many_to_many and getattr(remote, "through", None) is through:
            return field.get_accessor_name() if field.auto_created else field.name
    raise LookupError(through)


def _install_triggers(sender, using="default", **kwargs):
    from django.db import connections

    from wuye.audit.triggers import install

    connection = connections[using]
    if "audit_auditevent" in connection.introspection.table_names():
        install(connection)


def connect() -> None:
    for name in AUDITED:
        model = apps.get_model(name)
        uid = f"wuye.audit.{name}"
        pre_save.connect(_before, sender=model, dispatch_uid=uid + ".pre")
        post_save.connect(_saved, sender=model, dispatch_uid=uid + ".post")
        post_delete.connect(_deleted, sender=model, dispatch_uid=uid + ".delete")
    user, group = apps.get_model("auth.User"), apps.get_model("auth.Group")
    for through in (user.groups.through, user.user_permissions.through, group.permissions.through):
        m2m_changed.connect(_grants, sender=through, dispatch_uid=f"wuye.audit.{through}")
    post_migrate.connect(
        _install_triggers, sender=apps.get_app_config("audit"), dispatch_uid="wuye.audit.triggers"
    )
