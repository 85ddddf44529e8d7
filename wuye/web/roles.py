"""The roles of RULES.md as permission groups (issue 6). An administrator maps people to
them; the administrator group may change configuration, the others see it. Money and
evidence change only through the services, so nobody gets add/change/delete on them."""

from __future__ import annotations

ROLES = {
    "finance": "財務部",
    "assistant": "客服助理",
    "collector": "收款員",
    "supervisor": "部門主管",
    "manager": "經理",
    "project_lead": "項目負責人",
    "legal": "法務",
    "administrator": "系統管理員",
}

#: configuration an administrator changes (app label, model)
CONFIG = [
    ("billing", "feeitem"), ("dunning", "dunningpolicy"), ("dunning", "dunningstep"),
    ("policies", "policysetting"), ("collection", "faqentry"), ("workdays", "calendarday"),
    ("legal", "lprrate"), ("properties", "project"), ("web", "membership"),
]  # fmt: skip
#: records everybody may see (view only)
RECORDS = [
    ("billing", "bill"), ("ledger", "entry"), ("payments", "payment"), ("dunning", "notice"),
    ("approvals", "approvalrequest"),
]  # fmt: skip


def ensure_role_groups(**kwargs) -> None:
    """Create the role groups and their permissions (after every migrate; idempotent)."""
    from django.contrib.auth.models import Group, Permission

    def perms(pairs, actions):
        return Permission.objects.filter(
            content_type__app_label__in={a for a, _ in pairs},
            codename__in=[f"{action}_{model}" for _, model in pairs for action in actions],
        )

    for code in ROLES:
        group, _ = Group.objects.get_or_create(name=code)
        wanted = list(perms(CONFIG + RECORDS, ["view"]))
        if code == "administrator":
            wanted += list(perms(CONFIG, ["add", "change", "delete"]))
            wanted += list(
                Permission.objects.filter(
                    content_type__app_label="auth",
                    codename__in=["add_user", "change_user", "view_user", "view_group"],
                )
            )
        group.permissions.set(wanted)
